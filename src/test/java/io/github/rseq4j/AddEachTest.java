package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link PerCpuLongArray#addEach} stops at an offset past the last element, on every path (sections, or the locked
 * slots of a thread without them): what an {@code addAll} whose indices another thread changed after the check
 * lists. Before, a section refused it with an unhelpful error and the locked path added it to padding or threw
 * from FFM.
 */
class AddEachTest {

    @Test
    void addsInOrderUpToTheFirstOffsetPastTheEnd() {
        PerCpuLongArray array = new PerCpuLongArray(9);
        for (int past : new int[] {9, 15, 16, -1, Integer.MIN_VALUE}) {
            long offsets = PerCpuSlots.offsets();
            int[] listed = {0, 8, past, 1};
            for (int i = 0; i < listed.length; i++) {
                PerCpuSlots.set(offsets + 8L * i, array.offsetOf(listed[i]));
            }
            assertEquals(2, array.addEach(offsets, listed.length, 5), "stops at index " + past);
            assertArrayEquals(new long[] {5, 0, 0, 0, 0, 0, 0, 0, 5}, array.sumThenReset(), "index " + past);
        }
        long offsets = PerCpuSlots.offsets();
        PerCpuSlots.set(offsets, array.offsetOf(3));
        PerCpuSlots.set(offsets + 8, array.offsetOf(3));
        assertEquals(2, array.addEach(offsets, 2, -1), "all in range");
        assertEquals(-2, array.sum(3));
    }

    /** Where rseq4j owns rseq (the own-area run), a new thread has no area and takes the locked path. */
    @Test
    void aNewThreadStopsThereToo() throws InterruptedException {
        PerCpuLongArray array = new PerCpuLongArray(9);
        int[] added = new int[1];
        Thread thread = Thread.ofPlatform().unstarted(() -> {
            long offsets = PerCpuSlots.offsets();
            PerCpuSlots.set(offsets, array.offsetOf(2));
            PerCpuSlots.set(offsets + 8, array.offsetOf(9));
            added[0] = array.addEach(offsets, 2, 7);
        });
        thread.start();
        thread.join();
        assertEquals(1, added[0]);
        assertArrayEquals(new long[] {0, 0, 7, 0, 0, 0, 0, 0, 0}, array.sums());
    }
}
