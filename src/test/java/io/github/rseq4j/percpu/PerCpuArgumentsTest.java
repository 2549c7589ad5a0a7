package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuLongArray;
import io.github.rseq4j.PerCpuPool;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.sys.Affinity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Bad input to the per-CPU structures gets a clear exception, never a native access. */
class PerCpuArgumentsTest {

    @Test
    void bufferRefusesNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new PerCpuBuffer(0));
        assertThrows(IllegalArgumentException.class, () -> new PerCpuBuffer(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new PerCpuBuffer(-1, 16));
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> new PerCpuBuffer(1, PerCpuBuffer.MAX_RECORD_BYTES + 1));
        assertTrue(tooLarge.getMessage().contains(Integer.toString(PerCpuBuffer.MAX_RECORD_BYTES)),
                tooLarge.getMessage());
        assertEquals(PerCpuBuffer.MAX_RECORD_BYTES, new PerCpuBuffer(1, PerCpuBuffer.MAX_RECORD_BYTES).recordBytes());
    }

    @Test
    void recordBufferRefusesSegmentsItCannotSafelyUse() {
        PerCpuBuffer buffer = new PerCpuBuffer(4, 16);
        assertThrows(UnsupportedOperationException.class, () -> buffer.push(1L), "long form on 16-byte records");
        assertThrows(UnsupportedOperationException.class, buffer::pop, "long form on 16-byte records");
        assertThrows(UnsupportedOperationException.class, buffer::popAny, "long form on 16-byte records");
        assertThrows(IllegalArgumentException.class, () -> buffer.push(MemorySegment.ofArray(new byte[15])),
                "short heap");
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException tooShort =
                    assertThrows(IllegalArgumentException.class, () -> buffer.push(arena.allocate(8)), "too short");
            assertFalse(tooShort.getMessage().contains("writable"), tooShort.getMessage());
            MemorySegment record = arena.allocate(16);
            record.set(ValueLayout.JAVA_LONG, 0, 42);
            assertTrue(buffer.push(record));
            IllegalArgumentException readOnly = assertThrows(IllegalArgumentException.class,
                    () -> buffer.pop(record.asReadOnly()), "read-only dst");
            assertTrue(readOnly.getMessage().contains("writable"), readOnly.getMessage());
        }
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(16);
        }
        assertThrows(IllegalStateException.class, () -> buffer.push(closed), "closed, as FFM says");
        assertThrows(IllegalStateException.class, () -> buffer.pop(closed), "closed dst, as FFM says");
        assertEquals(1, buffer.size(), "nothing moved by the refused calls");
    }

    @Test
    void fullBufferSaysSo() {
        PerCpuBuffer buffer = new PerCpuBuffer(1);
        // Pinning is not needed: each CPU holds one value, so at most one push per CPU succeeds.
        int accepted = 0;
        for (int i = 0; i < 64; i++) {
            accepted += buffer.push(i) ? 1 : 0;
        }
        assertTrue(accepted >= 1 && accepted <= PerCpuSpinLock.maxSlotCount(), "accepted " + accepted);
        assertEquals(accepted, buffer.size());
    }

    @Test
    void spinLockRefusesSlotsItDoesNotHave() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        assertThrows(IndexOutOfBoundsException.class, () -> lock.unlock(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> lock.unlock(PerCpuSpinLock.maxSlotCount()));
        int slot = lock.lock();
        assertTrue(lock.isLocked(slot));
        lock.unlock(slot);
        assertFalse(lock.isLocked(slot));
    }

    /** The section copies whole words, then the tail: every size around a word boundary, up to the cap. */
    @Test
    void recordsOfEverySizeRoundTrip() {
        for (int size : new int[] {1, 7, 8, 9, 15, 16, 17, 24, 255, 256, PerCpuBuffer.MAX_RECORD_BYTES}) {
            PerCpuBuffer buffer = new PerCpuBuffer(2, size);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocate(size + 16);
                MemorySegment out = arena.allocate(size + 16);
                for (int i = 0; i < size + 16; i++) {
                    in.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + size));
                    out.set(ValueLayout.JAVA_BYTE, i, (byte) 0x5a);
                }
                assertTrue(buffer.push(in.asSlice(0, size)));
                assertTrue(buffer.pop(out) || buffer.drain(r -> out.asSlice(0, size).copyFrom(r)) == 1, "size " + size);
                assertEquals(-1, in.asSlice(0, size).mismatch(out.asSlice(0, size)), "size " + size);
                for (int i = size; i < size + 16; i++) {
                    assertEquals((byte) 0x5a, out.get(ValueLayout.JAVA_BYTE, i), "size " + size + ": byte " + i
                            + " past the record was written");
                }
            }
        }
    }

    @Test
    void longArrayChecksLengthAndIndices() {
        assertThrows(IllegalArgumentException.class, () -> new PerCpuLongArray(0));
        PerCpuLongArray array = new PerCpuLongArray(9);
        assertThrows(IndexOutOfBoundsException.class, () -> array.add(-1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> array.add(9, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> array.sum(9));
        assertThrows(IndexOutOfBoundsException.class, () -> array.sumThenReset(-1));
        assertThrows(NullPointerException.class, () -> array.addAll(null, 0, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> array.addAll(new int[2], 1, 0, 1), "from > to");
        assertThrows(IndexOutOfBoundsException.class, () -> array.addAll(new int[2], 0, 3, 1), "past the end");
        assertEquals("indices[2] = 9 is not in [0, 9); nothing was added", assertThrows(
                IndexOutOfBoundsException.class, () -> array.addAll(new int[] {0, 1, 9}, 0, 3, 1),
                "a bad index after good ones").getMessage());
        int[] lateBad = new int[100];
        lateBad[99] = 9;
        assertEquals("indices[99] = 9 is not in [0, 9); nothing was added", assertThrows(
                IndexOutOfBoundsException.class, () -> array.addAll(lateBad, 0, 100, 1),
                "a bad index past the first batch, checked before it").getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> array.addAll(new int[] {-1}, 0, 1, 1));
        array.addAll(new int[] {9, -1}, 0, 0, 1); // an empty range reads nothing
        array.add(8, 5);
        array.add(0, 2);
        assertArrayEquals(new long[] {2, 0, 0, 0, 0, 0, 0, 0, 5}, array.sums(), "nothing moved by the refused calls");
        assertArrayEquals(new long[] {2, 0, 0, 0, 0, 0, 0, 0, 5}, array.sumThenReset());
        assertEquals(0, array.sum(8));
        int[] many = new int[200];
        for (int i = 0; i < many.length; i++) {
            many[i] = i % 9;
        }
        array.addAll(many, 3, 200, -2);
        long[] expected = new long[9];
        for (int i = 3; i < 200; i++) {
            expected[i % 9] -= 2;
        }
        assertArrayEquals(expected, array.sums(), "197 indices in four downcalls, negative delta");
        // Two groups of eight elements: two lines per slot.
        assertEquals(2 * (array.indexing().sectionSlots() + 1) * 64L, array.nativeBytes());
        assertEquals((array.indexing().sectionSlots() + 1) * 64L, new PerCpuLongArray(8).nativeBytes(),
                "eight: one line");
    }

    @Test
    void poolRefusesBadCapacitiesAndDoubleRelease() {
        assertThrows(IllegalArgumentException.class, () -> new PerCpuPool<>(0, Object::new));
        assertThrows(NullPointerException.class, () -> new PerCpuPool<>(1, null));
        PerCpuPool<Object> nulls = new PerCpuPool<>(1, () -> null);
        assertThrows(NullPointerException.class, nulls::acquire);
        PerCpuPool<Object> pool = new PerCpuPool<>(1, Object::new);
        // Pinned, so the release and the acquire after it use the same CPU's stack.
        Affinity.runPinned(Affinity.allowed().nextSetBit(0), () -> {
            Object first = pool.acquire();
            Object unpooled = pool.acquire(); // the pool is full: made, handed out, dropped on release
            assertNotSame(first, unpooled);
            pool.release(unpooled);
            pool.release(first);
            assertThrows(IllegalStateException.class, () -> pool.release(first), "released twice");
            assertThrows(NullPointerException.class, () -> pool.release(null));
            assertEquals(2, pool.objectsCreated());
            assertSame(first, pool.acquire(), "the released object comes back from the same CPU");
        });
    }

    @Test
    void mmCidIndexingIsOfferedOrExplained() {
        PerCpuCounter counter = new PerCpuCounter(PerCpuIndexing.MM_CID);
        if (PerCpuIndexing.MM_CID.isAvailable()) {
            assertEquals(PerCpuIndexing.MM_CID, counter.indexing());
            assertTrue(PerCpuIndexing.MM_CID.sectionSlots() <= PerCpuIndexing.CPU_ID.sectionSlots());
            assertEquals((PerCpuIndexing.MM_CID.sectionSlots() + 1) * 64L, counter.nativeBytes());
        } else {
            assertEquals(PerCpuIndexing.CPU_ID, counter.indexing());
            assertFalse(PerCpuIndexing.MM_CID.unavailableReason().isEmpty());
        }
        assertEquals((PerCpuIndexing.CPU_ID.sectionSlots() + 1) * 64L, new PerCpuCounter().nativeBytes());
        assertEquals(counter.indexing(), new PerCpuList(PerCpuIndexing.MM_CID).indexing());
        assertEquals(counter.indexing(), new PerCpuBuffer(1, PerCpuIndexing.MM_CID).indexing());
        // A list's two heads (elements, free nodes) share a line per slot.
        assertEquals((PerCpuIndexing.CPU_ID.sectionSlots() + 1) * 64L, new PerCpuList().nativeBytes());
        System.out.printf("nativeBytes per counter: cpu_id %d, mm_cid %d%n", new PerCpuCounter().nativeBytes(),
                counter.nativeBytes());
    }
}
