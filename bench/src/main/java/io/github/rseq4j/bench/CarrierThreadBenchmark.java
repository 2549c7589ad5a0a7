package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The best case of {@link RseqThread#currentCpu()}: on a platform thread made by
 * {@link RseqThread#threadFactory()}, which carries its own rseq area. JMH's loop runs on such a
 * thread because this class's forks hand JMH a {@link WorkerExecutor} built on that factory.
 */
@Fork(value = Jvm.FORKS, jvmArgsAppend = {
        Jvm.NATIVE_ACCESS, Jvm.UNSAFE_ALLOW, Jvm.CUSTOM_EXECUTOR, Jvm.WORKER_EXECUTOR,
        "-D" + WorkerExecutor.KIND_PROPERTY + "=RSEQ4J"})
public class CarrierThreadBenchmark extends BenchmarkBase {

    @State(Scope.Thread)
    public static class OnRseqWorker {
        @Setup
        public void check() {
            WorkerExecutor.requireWorker(WorkerExecutor.Kind.RSEQ4J);
        }
    }

    @Benchmark
    public int rseq4jCarrierThread(OnRseqWorker where) {
        return RseqThread.currentCpu();
    }
}
