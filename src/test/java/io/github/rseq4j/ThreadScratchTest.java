package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-thread native blocks: the line a buffer's long records pass through, and a bulk add's offsets. */
class ThreadScratchTest {

    /** Ids this far apart share a cache entry: ThreadScratch's size. */
    private static final int CACHE_SIZE = 4096;

    @Test
    void aThreadKeepsOneLineAndOthersGetTheirOwn() throws InterruptedException {
        long mine = ThreadScratch.LINE.address();
        assertEquals(mine, ThreadScratch.LINE.address(), "a second lookup");
        assertEquals(mine, ThreadScratch.LINE.segment().address(), "segment() and address() name the same line");
        assertEquals(PerCpuSlots.LINE, ThreadScratch.LINE.segment().byteSize());
        assertEquals(PerCpuSlots.BATCH * 8L, ThreadScratch.OFFSETS.segment().byteSize());
        assertNotEquals(mine, ThreadScratch.OFFSETS.address(), "each kind its own block");
        AtomicLong other = new AtomicLong();
        Thread thread = Thread.ofPlatform().start(() -> other.set(ThreadScratch.LINE.address()));
        thread.join();
        assertNotEquals(mine, other.get(), "another thread's line");
        Thread virtual = Thread.ofVirtual().start(() -> other.set(ThreadScratch.LINE.address()));
        virtual.join();
        assertNotEquals(mine, other.get(), "a virtual thread's line");
    }

    /** A thread whose cache entry another thread took finds its own line again, not a new one. */
    @Test
    void aThreadEvictedFromTheCacheKeepsItsLine() throws InterruptedException {
        long mine = ThreadScratch.LINE.address();
        long myId = Thread.currentThread().threadId();
        boolean evicted = false;
        for (int tries = 0; tries < 4 * CACHE_SIZE && !evicted; tries++) {
            Thread thread = Thread.ofVirtual().unstarted(ThreadScratch.LINE::address);
            if ((thread.threadId() - myId) % CACHE_SIZE == 0) {
                thread.start();
                thread.join();
                evicted = true;
            }
        }
        assertTrue(evicted, "no thread id met this thread's cache entry");
        assertEquals(mine, ThreadScratch.LINE.address(), "the line after another thread took the cache entry");
    }
}
