package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.sys.Libc;
import org.junit.jupiter.api.Test;

class AreaPoolTest {

    /** Several slabs' worth: a slab aligned only to 32 bytes would put half of them across two cache lines. */
    @Test
    void everySlotStartsOnACacheLine() {
        AreaPool pool = new AreaPool();
        for (int i = 0; i < 64 * 4; i++) {
            long slot = pool.acquire(Thread.currentThread(), Libc.gettid());
            assertEquals(0, slot % 64, "slot " + i + " at 0x" + Long.toHexString(slot));
        }
    }
}
