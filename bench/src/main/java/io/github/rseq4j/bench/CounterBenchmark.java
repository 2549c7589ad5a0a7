package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuCounter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
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
    }

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
