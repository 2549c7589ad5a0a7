package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuLongArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A per-CPU counter against the JDK's two answers to a hot shared counter. The counters are
 * shared by all JMH threads (Scope.Benchmark), so at -t 2 and up the increments contend; the
 * report divides by LongAdder's result at the same thread count. bench/run.sh runs it with
 * glibc owning rseq, where every thread can run PerCpuCounter's sections; with rseq4j owning
 * rseq, unregistered threads would fall back to a LongAdder and this would measure that.
 */
public class CounterBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Counters {
        final PerCpuCounter perCpu = new PerCpuCounter();
        final LongAdder adder = new LongAdder();
        final AtomicLong atomic = new AtomicLong();
        /** 16 counters (two blocks of eight) and the 64 of them a burst adds to: each counter four times. */
        final PerCpuLongArray array = new PerCpuLongArray(16);
        final int[] burst = new int[BURST];

        public Counters() {
            for (int i = 0; i < BURST; i++) {
                burst[i] = i * 5 % 16;
            }
        }
    }

    /** Elements per bulk call. */
    static final int BURST = 64;

    /**
     * LongAdder grows its cells only under contention, so a fresh one would sum a single field.
     * Contending from every CPU first makes sum() walk what a busy counter really holds.
     */
    @State(Scope.Benchmark)
    public static class UsedCounters extends Counters {
        private static final int INCREMENTS_PER_THREAD = 1 << 20;

        @Setup
        public void contend() throws InterruptedException {
            Thread[] threads = new Thread[Runtime.getRuntime().availableProcessors()];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofPlatform().start(() -> {
                    for (int n = 0; n < INCREMENTS_PER_THREAD; n++) {
                        perCpu.increment();
                        adder.increment();
                        atomic.incrementAndGet();
                    }
                });
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }

    @Benchmark
    public void perCpuCounterIncrement(Counters c) {
        c.perCpu.increment();
    }

    /** {@link PerCpuLongArray#addAll} of 64 indices; JMH reports per element. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void perCpuLongArrayAddAll64(Counters c) {
        c.array.addAll(c.burst, 0, BURST, 1);
    }

    /** The same 64 adds through {@link PerCpuLongArray#add}, one downcall each; per element. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void perCpuLongArrayAdd64(Counters c) {
        for (int i = 0; i < BURST; i++) {
            c.array.add(c.burst[i], 1);
        }
    }

    @Benchmark
    public void longAdderIncrement(Counters c) {
        c.adder.increment();
    }

    @Benchmark
    public long atomicLongIncrement(Counters c) {
        return c.atomic.incrementAndGet();
    }

    @Benchmark
    public long perCpuCounterSum(UsedCounters c) {
        return c.perCpu.sum();
    }

    @Benchmark
    public long longAdderSum(UsedCounters c) {
        return c.adder.sum();
    }

    @Benchmark
    public long atomicLongSum(UsedCounters c) {
        return c.atomic.get();
    }
}
