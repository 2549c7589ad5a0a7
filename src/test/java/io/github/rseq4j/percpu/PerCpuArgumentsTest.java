package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuSpinLock;
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
    }

    @Test
    void recordBufferRefusesSegmentsItCannotSafelyUse() {
        PerCpuBuffer buffer = new PerCpuBuffer(4, 16);
        assertThrows(UnsupportedOperationException.class, () -> buffer.push(1L), "long form on 16-byte records");
        assertThrows(IllegalArgumentException.class, () -> buffer.push(MemorySegment.ofArray(new byte[16])), "heap");
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> buffer.push(arena.allocate(8)), "too short");
            MemorySegment record = arena.allocate(16);
            record.set(ValueLayout.JAVA_LONG, 0, 42);
            assertTrue(buffer.push(record));
            assertThrows(IllegalArgumentException.class, () -> buffer.pop(record.asReadOnly()), "read-only dst");
        }
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(16);
        }
        assertThrows(IllegalArgumentException.class, () -> buffer.push(closed), "closed");
        assertThrows(IllegalArgumentException.class, () -> buffer.pop(closed), "closed dst");
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
        assertTrue(accepted >= 1 && accepted <= PerCpuSpinLock.slots(), "accepted " + accepted);
        assertEquals(accepted, buffer.size());
    }

    @Test
    void spinLockRefusesSlotsItDoesNotHave() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        assertThrows(IndexOutOfBoundsException.class, () -> lock.unlock(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> lock.unlock(PerCpuSpinLock.slots()));
        int slot = lock.lock();
        assertTrue(lock.isLocked(slot));
        lock.unlock(slot);
        assertFalse(lock.isLocked(slot));
    }
}
