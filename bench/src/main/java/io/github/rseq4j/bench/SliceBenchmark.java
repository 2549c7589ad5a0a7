package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqSlice;
import io.github.rseq4j.RseqSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What an {@link RseqSlice} request costs when the kernel grants nothing: the price a lock holder
 * pays on every acquisition. {@code emptyScope} is the baseline (the same call shape without a
 * request). Which path is measured depends on the machine: where {@link RseqSupport#hasSliceExtension()}
 * is false, the scope that asks nothing of the kernel (a branch, and a 48-byte allocation here, as the
 * Blackhole makes the scope escape); where it is true, the stores to the thread's rseq area.
 * The JMH log records which ({@link Paths#setupNote}).
 */
public class SliceBenchmark extends BenchmarkBase {

    @State(Scope.Thread)
    public static class Paths {
        final PerCpuSpinLock lock = new PerCpuSpinLock();

        @Setup
        public void setupNote() {
            RseqSupport support = RseqSupport.probe();
            System.out.println("slice extension: " + (support.hasSliceExtension()
                    ? "available (measuring the request stores)"
                    : "unavailable (measuring the scope that asks nothing of the kernel): "
                            + support.sliceExtensionReason()));
        }
    }

    @Benchmark
    public void emptyScope(Blackhole bh) {
        bh.consume(this);
    }

    @Benchmark
    public void requestAndClose(Blackhole bh) {
        try (RseqSlice scope = RseqSlice.request()) {
            bh.consume(scope);
        }
    }

    @Benchmark
    public void nestedRequests(Blackhole bh) {
        try (RseqSlice outer = RseqSlice.request(); RseqSlice inner = RseqSlice.request()) {
            bh.consume(inner);
        }
    }

    @Benchmark
    public int spinLockLockUnlock(Paths p) {
        int slot = p.lock.lock();
        p.lock.unlock(slot);
        return slot;
    }
}
