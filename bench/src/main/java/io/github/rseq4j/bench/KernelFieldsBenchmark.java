package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * The other fields the kernel keeps in the rseq area, by the static fast path (any thread) and by
 * a registered handle. Compared with {@link WhichCpuBenchmark}'s numbers from the same run, they
 * show whether node_id and mm_cid cost more than cpu_id (they should not: same area, one load).
 */
public class KernelFieldsBenchmark extends BenchmarkBase {

    @Benchmark
    public int currentNode() {
        return RseqThread.currentNode();
    }

    @Benchmark
    public int currentMmCid() {
        return RseqThread.currentMmCid();
    }

    @Benchmark
    public int handleNodeId(RegisteredThread thread) {
        return thread.handle.nodeId();
    }

    @Benchmark
    public int handleMmCid(RegisteredThread thread) {
        return thread.handle.mmCid();
    }
}
