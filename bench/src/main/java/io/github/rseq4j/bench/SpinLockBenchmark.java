package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuSpinLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link PerCpuSpinLock}: a lock and unlock of the slot of the CPU each JMH thread runs on, so threads on
 * different CPUs do not contend; {@code tryLockUnlock} the same through {@code tryLock()}. The lock's owner
 * and re-entry checks are in both. Compare with {@link WhichCpuBenchmark#ffmSchedGetcpuCritical()} of the same run.
 */
public class SpinLockBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Shared {
        final PerCpuSpinLock lock = new PerCpuSpinLock();
    }

    @Benchmark
    public int lockUnlock(Shared shared) {
        int slot = shared.lock.lock();
        shared.lock.unlock(slot);
        return slot;
    }

    @Benchmark
    public int tryLockUnlock(Shared shared) {
        int slot = shared.lock.tryLock();
        if (slot >= 0) {
            shared.lock.unlock(slot);
        }
        return slot;
    }
}
