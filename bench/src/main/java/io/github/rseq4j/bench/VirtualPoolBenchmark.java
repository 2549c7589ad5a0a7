package io.github.rseq4j.bench;

import org.openjdk.jmh.annotations.Fork;

/** {@link PoolBenchmark}'s methods with JMH's loop on virtual threads (see VirtualThreadBenchmark). */
@Fork(value = Jvm.FORKS, jvmArgsAppend = {
        Jvm.NATIVE_ACCESS, Jvm.UNSAFE_ALLOW, Jvm.CUSTOM_EXECUTOR, Jvm.WORKER_EXECUTOR,
        "-D" + WorkerExecutor.KIND_PROPERTY + "=VIRTUAL",
        "-Djdk.virtualThreadScheduler.parallelism=" + VirtualThreadBenchmark.MAX_THREADS})
public class VirtualPoolBenchmark extends PoolBenchmark {
}
