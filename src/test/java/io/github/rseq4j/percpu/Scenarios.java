package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuLongArray;
import io.github.rseq4j.PerCpuPool;
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

    /**
     * Per-slot counters guarded by the per-CPU spin lock (plain, non-atomic increments): exact sum. Inside the
     * guarded region the slot's word must read held and no other worker may be recorded as its holder.
     */
    static void spinlock(int threads, int reps, Wrap wrap) {
        spinlock(threads, reps, wrap, PerCpuIndexing.CPU_ID);
    }

    static void spinlock(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuSpinLock lock = new PerCpuSpinLock(indexing);
        assertEquals(indexing.isAvailable() ? indexing : PerCpuIndexing.CPU_ID, lock.indexing(), "active indexing");
        long[] counts = new long[lock.slotCount()];
        int[] holders = new int[lock.slotCount()];
        run(threads, wrap, i -> {
            for (int r = 0; r < reps; r++) {
                int slot = lock.lock();
                // guarded by lock; the lock's fences publish them
                if (!lock.isLocked(slot) || holders[slot] != 0) {
                    throw new AssertionError("worker " + i + " entered slot " + slot + " without holding it (word "
                            + (lock.isLocked(slot) ? "held" : "free") + ", recorded holder " + holders[slot] + ")");
                }
                holders[slot] = i + 1;
                counts[slot]++;
                holders[slot] = 0;
                lock.unlock(slot);
            }
        });
        long sum = 0;
        for (int slot = 0; slot < counts.length; slot++) {
            sum += lockedRead(lock, counts, slot);
        }
        assertEquals((long) threads * reps, sum, "increments under the spin lock");
    }

    private static long lockedRead(PerCpuSpinLock lock, long[] counts, int slot) {
        assertFalse(lock.isLocked(slot), "slot " + slot + " left locked");
        return counts[slot];
    }

    /** Each worker pushes distinct values and pops as many: every value comes out exactly once overall. */
    static void list(int threads, int reps, Wrap wrap) {
        list(threads, reps, wrap, PerCpuIndexing.CPU_ID);
    }

    static void list(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuList list = new PerCpuList(indexing);
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
        buffer(threads, reps, wrap, PerCpuIndexing.CPU_ID);
    }

    static void buffer(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuBuffer buffer = new PerCpuBuffer(threads * 4, indexing);
        assertEquals(indexing.isAvailable() ? indexing : PerCpuIndexing.CPU_ID, buffer.indexing(), "active indexing");
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
        memcpyBuffer(threads, reps, wrap, PerCpuIndexing.CPU_ID);
    }

    static void memcpyBuffer(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuBuffer buffer = new PerCpuBuffer(threads * 4, 16, indexing);
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
        increment(threads, reps, wrap, PerCpuIndexing.CPU_ID);
    }

    static void increment(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuCounter counter = new PerCpuCounter(indexing);
        run(threads, wrap, i -> {
            for (int r = 0; r < reps; r++) {
                counter.increment();
            }
        });
        assertEquals((long) threads * reps, counter.sum(), "PerCpuCounter total");
    }

    /** Elements of the array scenario: more than one group of eight, so two blocks. */
    private static final int ELEMENTS = 11;

    /**
     * Workers add to every element of a PerCpuLongArray while another thread takes interval snapshots with
     * sumThenReset: the snapshots plus the last one add up exactly, element by element, to what was added.
     */
    static void longArray(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuLongArray array = new PerCpuLongArray(ELEMENTS, indexing);
        long[] snapshots = new long[ELEMENTS];
        AtomicLong intervals = new AtomicLong();
        Workers.whileRepeating(() -> {
            accumulate(snapshots, array.sumThenReset());
            intervals.incrementAndGet();
        }, () -> {
            run(threads, wrap, i -> {
                for (int r = 0; r < reps; r++) {
                    if (r % 2 == 0) {
                        array.add((i + r) % ELEMENTS, r % 3 + 1);
                    } else {
                        int[] burst = arrayBurst(i, r);
                        array.addAll(burst, 1, burst.length, r % 3 + 1);
                    }
                }
            });
            return null;
        });
        accumulate(snapshots, array.sumThenReset());
        long[] expected = new long[ELEMENTS];
        for (int i = 0; i < threads; i++) {
            for (int r = 0; r < reps; r++) {
                if (r % 2 == 0) {
                    expected[(i + r) % ELEMENTS] += r % 3 + 1;
                } else {
                    int[] burst = arrayBurst(i, r);
                    for (int k = 1; k < burst.length; k++) {
                        expected[burst[k]] += r % 3 + 1;
                    }
                }
            }
        }
        assertArrayEquals(expected, snapshots, "interval snapshots (" + intervals.get() + ") do not add up");
        assertArrayEquals(new long[ELEMENTS], array.sums(), "sums after the last snapshot");
    }

    /**
     * The elements a worker adds to in bulk at one repetition: position 0 is left out by the call (a bad index
     * there shows the range is honoured), and up to 150 more cross the 64-element batches of one downcall.
     */
    private static int[] arrayBurst(int worker, int rep) {
        int[] burst = new int[1 + (worker * 31 + rep) % 150];
        burst[0] = -1;
        for (int k = 1; k < burst.length; k++) {
            burst[k] = (worker + rep + k * k) % ELEMENTS;
        }
        return burst;
    }

    private static void accumulate(long[] into, long[] snapshot) {
        for (int k = 0; k < into.length; k++) {
            into[k] += snapshot[k];
        }
    }

    /**
     * Workers record into a PerCpuHistogram while another thread takes interval snapshots: the intervals' bucket
     * counts add up exactly to those of the same values recorded by one thread.
     */
    static void histogram(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        PerCpuHistogram histogram = new PerCpuHistogram(1_000_000_000L, 2, indexing);
        long[] intervals = new long[histogram.buckets()];
        Workers.whileRepeating(() -> accumulate(intervals, histogram.snapshotThenReset().bucketCounts()), () -> {
            run(threads, wrap, i -> {
                for (int r = 0; r < reps; r++) {
                    if (r % 2 == 0) {
                        histogram.record(histogramValue(i, r));
                    } else {
                        long[] burst = histogramBurst(i, r);
                        histogram.recordAll(burst, 1, burst.length);
                    }
                }
            });
            return null;
        });
        accumulate(intervals, histogram.snapshotThenReset().bucketCounts());
        PerCpuHistogram reference = new PerCpuHistogram(1_000_000_000L, 2, indexing);
        for (int i = 0; i < threads; i++) {
            for (int r = 0; r < reps; r++) {
                if (r % 2 == 0) {
                    reference.record(histogramValue(i, r));
                } else {
                    long[] burst = histogramBurst(i, r);
                    for (int k = 1; k < burst.length; k++) {
                        reference.record(burst[k]);
                    }
                }
            }
        }
        assertArrayEquals(reference.snapshot().bucketCounts(), intervals, "interval bucket counts");
    }

    private static long histogramValue(int worker, int rep) {
        return ((long) worker * 1_000_003 + rep) * 7_919 % 1_000_000_000L >> (rep % 20);
    }

    /** As {@link #arrayBurst}: values recorded in bulk, position 0 left out (an untrackable value). */
    private static long[] histogramBurst(int worker, int rep) {
        long[] burst = new long[1 + (worker * 31 + rep) % 150];
        burst[0] = -1;
        for (int k = 1; k < burst.length; k++) {
            burst[k] = histogramValue(worker, rep * 151 + k);
        }
        return burst;
    }

    /** A pooled object that knows its holder; {@code uses} is guarded by holding it. */
    static final class Pooled {
        final java.util.concurrent.atomic.AtomicInteger holder = new java.util.concurrent.atomic.AtomicInteger();
        long uses;
    }

    /**
     * Workers acquire, use and release from a pool smaller than the thread count: no object is ever held by two
     * workers, and the uses of every object made add up to the acquisitions.
     */
    static void pool(int threads, int reps, Wrap wrap, PerCpuIndexing indexing) {
        java.util.Queue<Pooled> made = new java.util.concurrent.ConcurrentLinkedQueue<>();
        PerCpuPool<Pooled> pool = new PerCpuPool<>(Math.max(1, threads / 2), () -> {
            Pooled p = new Pooled();
            made.add(p);
            return p;
        }, indexing);
        AtomicLong doubleHeld = new AtomicLong();
        run(threads, wrap, i -> {
            for (int r = 0; r < reps; r++) {
                Pooled p = pool.acquire();
                if (!p.holder.compareAndSet(0, i + 1)) {
                    doubleHeld.incrementAndGet();
                }
                p.uses++;
                if (r % 64 == 0) {
                    Thread.yield(); // hold it across a reschedule now and then
                }
                p.holder.set(0);
                pool.release(p);
            }
        });
        assertEquals(0, doubleHeld.get(), "objects handed to two holders at once");
        assertEquals((long) threads * reps, made.stream().mapToLong(p -> p.uses).sum(), "uses of all objects");
        assertEquals(made.size(), pool.objectsCreated(), "objectsCreated");
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
