package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuHistogram;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.AtomicHistogram;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Recording one latency into a histogram shared by all JMH threads: PerCpuHistogram against HdrHistogram's
 * concurrent recorders and a LongAdder per bucket, all with 3 significant digits up to an hour in
 * nanoseconds. Each thread cycles through the same 1024 log-uniform values. The report divides by
 * ConcurrentHistogram's result at the same thread count; {@link VirtualHistogramBenchmark} runs the same
 * methods with JMH's loop on virtual threads.
 */
public class HistogramBenchmark extends BenchmarkBase {
    static final long HIGHEST = 3_600_000_000_000L;
    static final int DIGITS = 3;

    @State(Scope.Benchmark)
    public static class Histograms {
        final PerCpuHistogram perCpu = new PerCpuHistogram(HIGHEST, DIGITS);
        final Recorder recorder = new Recorder(HIGHEST, DIGITS);
        final ConcurrentHistogram concurrent = new ConcurrentHistogram(HIGHEST, DIGITS);
        final AtomicHistogram atomic = new AtomicHistogram(HIGHEST, DIGITS);
        /** A LongAdder per PerCpuHistogram bucket: the same bucketing, the JDK's striping. */
        final LongAdder[] adders = new LongAdder[perCpu.buckets()];
        /** Mantissa bits of PerCpuHistogram at {@link #DIGITS}, for the adders' bucket index. */
        final int bits = 1 + (int) Math.ceil(DIGITS * Math.log(10) / Math.log(2) - 1e-9);

        public Histograms() {
            for (int i = 0; i < adders.length; i++) {
                adders[i] = new LongAdder();
            }
        }

        int bucket(long value) {
            int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(value) - bits);
            return (shift << (bits - 1)) + (int) (value >>> shift);
        }
    }

    /**
     * Decades the values span from 100 (ns): 7 (to 1 s) unless {@code -Drseq4j.bench.decades} says otherwise. At
     * 7 the 1024 values touch about 900 lines of counts (56 KB, more than many cores' L1 data cache); at 1 about
     * 110 (7 KB), so {@code -jvmArgsAppend -Drseq4j.bench.decades=1} tells the histogram's code from its data.
     */
    static final int DECADES = Integer.getInteger("rseq4j.bench.decades", 7);

    @State(Scope.Thread)
    public static class Values {
        final long[] values = new long[1024];
        int next;

        public Values() {
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < values.length; i++) {
                values[i] = (long) Math.pow(10, random.nextDouble(2, 2 + DECADES));
            }
        }

        /** In {@link VirtualHistogramBenchmark}'s forks: fail unless JMH's loop really runs on a virtual thread. */
        @Setup
        public void checkWorker() {
            WorkerExecutor.requireWorkerIfConfigured();
        }

        long next() {
            return values[next++ & (values.length - 1)];
        }

        /** The start of the next {@link #BURST} values; bursts tile the 1024 values. */
        int nextBurst() {
            int from = next & (values.length - 1) & -BURST;
            next = from + BURST;
            return from;
        }
    }

    /** Values per bulk call: the goal is stated at 64. */
    static final int BURST = 64;

    @Benchmark
    public void perCpuHistogramRecord(Histograms h, Values v) {
        h.perCpu.record(v.next());
    }

    /** {@link PerCpuHistogram#recordAll} of 64 values; JMH reports per value. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void perCpuHistogramRecordAll64(Histograms h, Values v) {
        int from = v.nextBurst();
        h.perCpu.recordAll(v.values, from, from + BURST);
    }

    /** The same 64 values through {@link PerCpuHistogram#record}, one downcall each; per value. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public void perCpuHistogramRecord64(Histograms h, Values v) {
        int from = v.nextBurst();
        for (int i = from; i < from + BURST; i++) {
            h.perCpu.record(v.values[i]);
        }
    }

    @Benchmark
    public void recorderRecordValue(Histograms h, Values v) {
        h.recorder.recordValue(v.next());
    }

    @Benchmark
    public void concurrentHistogramRecordValue(Histograms h, Values v) {
        h.concurrent.recordValue(v.next());
    }

    @Benchmark
    public void atomicHistogramRecordValue(Histograms h, Values v) {
        h.atomic.recordValue(v.next());
    }

    @Benchmark
    public void longAdderArrayRecord(Histograms h, Values v) {
        h.adders[h.bucket(v.next())].increment();
    }
}
