package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuSpinLock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * The param_test workloads, each checking an exact result. {@code wrap} runs around every worker's body (the
 * forked REGISTER-mode run registers some workers there).
 */
final class Scenarios {
    private Scenarios() {}

    interface Wrap {
        void run(int worker, Runnable body);
    }

    static final Wrap PLAIN = (worker, body) -> body.run();

    private static void run(int threads, Wrap wrap, IntConsumer body) {
        Workers.run(threads, i -> wrap.run(i, () -> body.accept(i)));
    }

    /** Per-slot counters guarded by the per-CPU spin lock (plain, non-atomic increments): exact sum. */
    static void spinlock(int threads, int reps, Wrap wrap) {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        long[] counts = new long[PerCpuSpinLock.slots()];
        run(threads, wrap, i -> {
            for (int r = 0; r < reps; r++) {
                int slot = lock.lock();
                counts[slot]++; // guarded by lock; the lock's fences publish it
                lock.unlock(slot);
            }
        });
        long sum = 0;
        for (int slot = 0; slot < counts.length; slot++) {
            sum += lockedRead(lock, counts, slot);
        }
        assertEquals((long) threads * reps, sum);
    }

    private static long lockedRead(PerCpuSpinLock lock, long[] counts, int slot) {
        assertFalse(lock.isLocked(slot), "slot " + slot + " left locked");
        return counts[slot];
    }

    /** Each worker pushes distinct values and pops as many: every value comes out exactly once overall. */
    static void list(int threads, int reps, Wrap wrap) {
        PerCpuList list = new PerCpuList();
        long[][] popped = new long[threads][];
        run(threads, wrap, i -> {
            long[] mine = new long[reps];
            int n = 0;
            for (int r = 0; r < reps; r++) {
                list.push((long) i * reps + r);
                OptionalLong v = list.pop(); // may be another thread's value, or empty after a migration
                if (v.isPresent()) {
                    mine[n++] = v.getAsLong();
                }
            }
            popped[i] = Arrays.copyOf(mine, n);
        });
        long[] all = collect(popped, list::drain);
        assertEquals((long) threads * reps, all.length);
        assertDistinctRange(all);
    }

    /** As {@link #list} with the bounded buffer of longs; a full buffer's push is retried after a pop. */
    static void buffer(int threads, int reps, Wrap wrap) {
        PerCpuBuffer buffer = new PerCpuBuffer(threads * 4);
        long[][] popped = new long[threads][];
        run(threads, wrap, i -> {
            long[] mine = new long[reps];
            int n = 0;
            for (int r = 0; r < reps; r++) {
                while (!buffer.push((long) i * reps + r)) {
                    OptionalLong v = buffer.pop();
                    if (v.isPresent()) {
                        mine[n++] = v.getAsLong();
                    }
                }
                OptionalLong v = buffer.pop();
                if (v.isPresent()) {
                    mine[n++] = v.getAsLong();
                }
            }
            popped[i] = Arrays.copyOf(mine, n);
        });
        long[] all = collect(popped, sink -> buffer.drain(r -> sink.accept(r.get(ValueLayout.JAVA_LONG, 0))));
        assertEquals((long) threads * reps, all.length);
        assertDistinctRange(all);
    }

    /**
     * popAny() against concurrent pushes and pops on every CPU: each worker pushes, and every other round takes
     * two values with popAny(), so local stacks run dry and it takes from other CPUs while their sections run.
     * Every value comes out exactly once.
     */
    static void listPopAny(int threads, int reps, Wrap wrap) {
        PerCpuList list = new PerCpuList();
        long[][] popped = new long[threads][];
        run(threads, wrap, i -> {
            long[] mine = new long[reps];
            int n = 0;
            for (int r = 0; r < reps; r++) {
                list.push((long) i * reps + r);
                for (int take = 0; r % 2 == 1 && take < 2; take++) {
                    OptionalLong v = list.popAny();
                    if (v.isPresent()) {
                        mine[n++] = v.getAsLong();
                    }
                }
            }
            popped[i] = Arrays.copyOf(mine, n);
        });
        long[] all = collect(popped, list::drain);
        assertEquals((long) threads * reps, all.length);
        assertDistinctRange(all);
    }

    /** {@link #listPopAny} for the buffer: popAny() takes from other CPUs while their sections push and pop. */
    static void bufferPopAny(int threads, int reps, Wrap wrap) {
        PerCpuBuffer buffer = new PerCpuBuffer(threads * 4);
        long[][] popped = new long[threads][];
        run(threads, wrap, i -> {
            long[] mine = new long[reps];
            int n = 0;
            for (int r = 0; r < reps; r++) {
                while (!buffer.push((long) i * reps + r)) {
                    OptionalLong v = buffer.popAny();
                    if (v.isPresent()) {
                        mine[n++] = v.getAsLong();
                    }
                }
                for (int take = 0; r % 2 == 1 && take < 2; take++) {
                    OptionalLong v = buffer.popAny();
                    if (v.isPresent()) {
                        mine[n++] = v.getAsLong();
                    }
                }
            }
            popped[i] = Arrays.copyOf(mine, n);
        });
        long[] all = collect(popped, sink -> buffer.drain(r -> sink.accept(r.get(ValueLayout.JAVA_LONG, 0))));
        assertEquals((long) threads * reps, all.length);
        assertDistinctRange(all);
    }

    /** 16-byte records {value, ~value} through the memcpy sections: conserved and never torn. */
    static void memcpyBuffer(int threads, int reps, Wrap wrap) {
        PerCpuBuffer buffer = new PerCpuBuffer(threads * 4, 16);
        long[][] popped = new long[threads][];
        AtomicLong torn = new AtomicLong();
        run(threads, wrap, i -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocate(16, 8), out = arena.allocate(16, 8);
                long[] mine = new long[reps];
                int n = 0;
                for (int r = 0; r < reps; r++) {
                    long value = (long) i * reps + r;
                    in.set(ValueLayout.JAVA_LONG, 0, value);
                    in.set(ValueLayout.JAVA_LONG, 8, ~value);
                    while (!buffer.push(in)) {
                        if (buffer.pop(out)) {
                            mine[n++] = check(out, torn);
                        }
                    }
                    if (buffer.pop(out)) {
                        mine[n++] = check(out, torn);
                    }
                }
                popped[i] = Arrays.copyOf(mine, n);
            }
        });
        assertEquals(0, torn.get(), "torn records");
        long[] all = collect(popped, sink -> buffer.drain(r -> sink.accept(check(r, torn))));
        assertEquals(0, torn.get(), "torn records");
        assertEquals((long) threads * reps, all.length);
        assertDistinctRange(all);
    }

    private static long check(MemorySegment record, AtomicLong torn) {
        long value = record.get(ValueLayout.JAVA_LONG, 0);
        if (record.get(ValueLayout.JAVA_LONG, 8) != ~value) {
            torn.incrementAndGet();
        }
        return value;
    }

    /** PerCpuCounter increments (param_test's "increment" type). */
    static void increment(int threads, int reps, Wrap wrap) {
        PerCpuCounter counter = new PerCpuCounter();
        run(threads, wrap, i -> {
            for (int r = 0; r < reps; r++) {
                counter.increment();
            }
        });
        assertEquals((long) threads * reps, counter.sum());
    }

    interface Drain {
        void into(java.util.function.LongConsumer sink);
    }

    private static long[] collect(long[][] popped, Drain rest) {
        LongAdder size = new LongAdder();
        java.util.List<Long> leftover = new java.util.ArrayList<>();
        rest.into(v -> {
            leftover.add(v);
            size.increment();
        });
        long[] all = Arrays.stream(popped).flatMapToLong(Arrays::stream).toArray();
        long[] out = Arrays.copyOf(all, all.length + leftover.size());
        for (int k = 0; k < leftover.size(); k++) {
            out[all.length + k] = leftover.get(k);
        }
        return out;
    }

    /** The values are exactly 0 .. n-1. */
    static void assertDistinctRange(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        long[] expected = new long[sorted.length];
        Arrays.setAll(expected, k -> k);
        assertTrue(Arrays.equals(expected, sorted), () -> "lost or duplicated values; first difference at "
                + Arrays.mismatch(expected, sorted));
        assertArrayEquals(expected, sorted);
    }
}
