package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.Pinned;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Port of the kernel's basic_percpu_ops_test: spin-lock-protected sums and list conservation. */
class BasicPercpuOpsTest {

    @Test
    void spinlockProtectedSumsAreExact() {
        Scenarios.spinlock(200, Workers.repetitions(5_000), Scenarios.PLAIN);
    }

    /** Push N distinct values from many threads, then pop them all: the multiset is unchanged. */
    @Test
    void listConservesEveryElement() {
        PerCpuList list = new PerCpuList();
        int threads = 200, per = Workers.repetitions(1_000);
        Workers.run(threads, i -> {
            for (int r = 0; r < per; r++) {
                list.push((long) i * per + r);
            }
        });
        List<Long> out = new ArrayList<>();
        assertEquals((long) threads * per, list.drain(out::add));
        assertEquals((long) threads * per, out.size(), "values handed to drain's action");
        Scenarios.assertDistinctRange(out.stream().mapToLong(Long::longValue).toArray());
        assertEquals(0, list.drain(v -> {}));
    }

    @Test
    void singleThreadIsLifoPerCpu() {
        // A migration between calls would split the values over two CPUs; retry until one run stays put.
        for (int attempt = 0; ; attempt++) {
            PerCpuList list = new PerCpuList();
            list.push(1);
            list.push(2);
            list.push(3);
            long[] got = {list.pop().orElse(-1), list.pop().orElse(-1), list.pop().orElse(-1)};
            if (Arrays.equals(got, new long[] {3, 2, 1}) || attempt == 100) {
                assertEquals("[3, 2, 1]", Arrays.toString(got));
                assertEquals(0, list.drain(v -> {}));
                return;
            }
            list.drain(v -> {});
        }
    }

    @Test
    void bufferRespectsCapacityAndOrder() {
        for (int attempt = 0; ; attempt++) {
            PerCpuBuffer buffer = new PerCpuBuffer(2);
            boolean a = buffer.push(10), b = buffer.push(20), c = buffer.push(30);
            OptionalLong x = buffer.pop(), y = buffer.pop(), z = buffer.pop();
            boolean stayed = a && b && !c && x.orElse(-1) == 20 && y.orElse(-1) == 10 && z.isEmpty();
            if (stayed || attempt == 100) {
                assertTrue(a && b);
                assertFalse(c, "third push into a capacity-2 CPU buffer");
                assertEquals(20, x.orElse(-1));
                assertEquals(10, y.orElse(-1));
                assertTrue(z.isEmpty());
                return;
            }
        }
    }

    /**
     * 24-byte records through the memcpy sections, pinned to up to two CPUs: each CPU holds its own records, full
     * at capacity, popped top first with their exact bytes; drain then takes every record, slot by slot, top
     * first, as read-only views.
     */
    @Test
    void recordBufferKeepsEachCpusRecords() {
        int[] cpus = Affinity.allowed().stream().limit(2).toArray();
        PerCpuBuffer buffer = new PerCpuBuffer(2, 24);
        assertEquals(2, buffer.capacityPerCpu());
        try (Arena arena = Arena.ofConfined(); var _ = Pinned.registerIfNeeded()) {
            MemorySegment in = arena.allocate(24), out = arena.allocate(24), expected = arena.allocate(24);
            for (int c = 0; c < cpus.length; c++) {
                long base = 10L * c;
                Affinity.runPinned(cpus[c], () -> {
                    assertTrue(buffer.push(record(in, base + 1)));
                    assertTrue(buffer.push(record(in, base + 2)));
                    assertFalse(buffer.push(record(in, base + 3)), "third push into a capacity-2 CPU buffer");
                });
            }
            assertEquals(2L * cpus.length, buffer.size());
            Affinity.runPinned(cpus[0], () -> {
                assertTrue(buffer.pop(out));
                assertEquals(-1, record(expected, 2).mismatch(out), "this CPU's top record");
            });
            List<Long> drained = new ArrayList<>();
            assertEquals(2L * cpus.length - 1, buffer.drain(r -> {
                assertTrue(r.isReadOnly());
                assertEquals(-1, record(expected, r.get(ValueLayout.JAVA_LONG, 0)).mismatch(r), "torn record");
                drained.add(r.get(ValueLayout.JAVA_LONG, 0));
            }));
            assertEquals(cpus.length == 1 ? List.of(1L) : List.of(1L, 12L, 11L), drained);
            assertEquals(0, buffer.size());
            assertEquals(0, buffer.drain(r -> drained.add(-1L)));
            Affinity.runPinned(cpus[0], () -> assertFalse(buffer.pop(out), "pop(dst) from an empty buffer"));
        }
    }

    /**
     * Records of lengths that mix the sections' 16-byte blocks, 8-byte words and single bytes come back whole, top
     * first, and a pop writes no byte of its destination past the record.
     */
    @Test
    void recordsOfEveryLengthComeBackWhole() {
        int cpu = Affinity.allowed().nextSetBit(0);
        for (int len : new int[] {1, 8, 15, 16, 17, 24, 31, 32, 33, 45, 64, 100, 4096}) {
            PerCpuBuffer buffer = new PerCpuBuffer(2, len);
            try (Arena arena = Arena.ofConfined(); var _ = Pinned.registerIfNeeded()) {
                MemorySegment first = pattern(arena.allocate(len), 1), second = pattern(arena.allocate(len), 101);
                MemorySegment out = arena.allocate(len + 16L);
                Affinity.runPinned(cpu, () -> {
                    assertTrue(buffer.push(first));
                    assertTrue(buffer.push(second));
                    for (MemorySegment expected : List.of(second, first)) {
                        out.fill((byte) 0x5a);
                        assertTrue(buffer.pop(out));
                        assertEquals(-1, expected.mismatch(out.asSlice(0, len)), len + "-byte record");
                        assertEquals(-1, out.asSlice(len).mismatch(arena.allocate(16).fill((byte) 0x5a)),
                                "nothing written past a " + len + "-byte record");
                    }
                });
            }
        }
    }

    /** Fills {@code into} with bytes {@code from, from + 1, ...}. */
    private static MemorySegment pattern(MemorySegment into, int from) {
        for (int i = 0; i < into.byteSize(); i++) {
            into.set(ValueLayout.JAVA_BYTE, i, (byte) (from + i));
        }
        return into;
    }

    /** Fills {@code into} with the 24-byte record of {@code value}: every byte depends on it. */
    private static MemorySegment record(MemorySegment into, long value) {
        into.set(ValueLayout.JAVA_LONG, 0, value);
        into.set(ValueLayout.JAVA_LONG, 8, ~value);
        into.set(ValueLayout.JAVA_LONG, 16, value * 0x9E3779B97F4A7C15L);
        return into;
    }

    @Test
    void spinlockSlotsAreReleased() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        int slot = lock.lock();
        assertTrue(lock.isLocked(slot));
        lock.unlock(slot);
        assertFalse(lock.isLocked(slot));
    }

    /** A thread that runs sections takes its CPU's word, not the shared slot of threads that cannot. */
    @Test
    void spinlockTakesTheSlotOfTheHoldersCpu() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        Pinned.onACpuRunningSections(cpu -> {
            int slot = lock.lock();
            lock.unlock(slot);
            assertEquals(cpu, slot);
        });
    }
}
