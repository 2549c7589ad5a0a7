package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import net.openhft.affinity.Affinity;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * "Which CPU am I on?" in every way a Java program can ask, in one class so that one JMH run
 * (one thread count, one machine state) yields all of them and ratios between them are fair.
 * The report divides each result by {@link #ffmSchedGetcpuCritical()} at the same thread count:
 * the cheapest thing plain FFM can do, so the ratio shows what rseq4j adds or saves.
 */
public class WhichCpuBenchmark extends BenchmarkBase {

    /**
     * Reads per virtual thread in {@link #rseq4jVirtualThread()}. Starting and joining a virtual
     * thread costs microseconds; over 2^20 reads that is below 0.01 ns per read.
     */
    static final int VIRTUAL_BATCH = 1 << 20;

    /** Harness floor: what a benchmark costs when it does nothing. */
    @Benchmark
    public void empty() {
    }

    /** The price of finding the current thread, which a per-thread lookup cannot avoid. */
    @Benchmark
    public Thread currentThread() {
        return Thread.currentThread();
    }

    @Benchmark
    public int ffmSchedGetcpu() {
        return NativeCpu.schedGetcpu();
    }

    @Benchmark
    public int ffmSchedGetcpuCritical() {
        return NativeCpu.schedGetcpuCritical();
    }

    @Benchmark
    public int ffmGetcpuSyscall(Scratch scratch) {
        return NativeCpu.getcpuSyscall(scratch.cpu);
    }

    @Benchmark
    public int jnaSchedGetcpu() {
        return JnaCpu.sched_getcpu();
    }

    @Benchmark
    public int openhftGetCpu() {
        return Affinity.getCpu();
    }

    /** A thread rseq4j knows nothing about: JMH's own worker. */
    @Benchmark
    public int rseq4jPlainThread() {
        return RseqThread.currentCpu();
    }

    /**
     * The handle read on a worker registered in setup. JMH cannot run its loop on a thread made by
     * {@link RseqThread#threadFactory()}; {@link CarrierThreadBenchmark} gets there another way.
     */
    @Benchmark
    public int rseq4jRegisteredThread(RegisteredThread thread) {
        return thread.handle.cpuId();
    }

    /**
     * Includes starting and joining one virtual thread per invocation, amortised over
     * {@link #VIRTUAL_BATCH} reads; {@link VirtualThreadBenchmark} measures without that.
     */
    @Benchmark
    @OperationsPerInvocation(VIRTUAL_BATCH)
    public int rseq4jVirtualThread() throws InterruptedException {
        return VirtualBatch.sumOfCurrentCpu(VIRTUAL_BATCH);
    }
}
