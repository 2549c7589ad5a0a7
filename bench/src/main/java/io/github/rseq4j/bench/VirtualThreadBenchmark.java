package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * {@link RseqThread#currentCpu()} with JMH's own loop running on a virtual thread: no thread start
 * in the number, unlike {@link WhichCpuBenchmark#rseq4jVirtualThread()}, and a cross-check that the
 * batch loop there measures real reads.
 */
@Fork(value = Jvm.FORKS, jvmArgsAppend = {
        Jvm.NATIVE_ACCESS, Jvm.UNSAFE_ALLOW, Jvm.CUSTOM_EXECUTOR, Jvm.WORKER_EXECUTOR,
        "-D" + WorkerExecutor.KIND_PROPERTY + "=VIRTUAL",
        // Workers never yield, so each needs a carrier of its own or the others starve.
        "-Djdk.virtualThreadScheduler.parallelism=" + VirtualThreadBenchmark.MAX_THREADS})
public class VirtualThreadBenchmark extends BenchmarkBase {
    static final int MAX_THREADS = 256;

    @State(Scope.Thread)
    public static class OnVirtualWorker {
        @Setup
        public void check(BenchmarkParams params) {
            WorkerExecutor.requireWorker(WorkerExecutor.Kind.VIRTUAL);
            if (params.getThreads() > MAX_THREADS) {
                throw new IllegalStateException("at most " + MAX_THREADS + " threads: one carrier each");
            }
        }
    }

    @Benchmark
    public int rseq4jVirtualWorker(OnVirtualWorker where) {
        return RseqThread.currentCpu();
    }
}
