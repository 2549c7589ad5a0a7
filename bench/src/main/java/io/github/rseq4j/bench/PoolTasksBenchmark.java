package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * The pools from {@value #TASKS} virtual-thread tasks of {@value #PAIRS} pairs each, one yield between pairs,
 * as a server's request handlers use them: ns per pair, with the tasks' start and join spread over the pairs
 * (the same cost for every pool, so only differences between the pools mean anything).
 */
public class PoolTasksBenchmark extends BenchmarkBase {
    static final int TASKS = 10_000;
    static final int PAIRS = 10;

    static void run(RecyclerPool<BufferRecycler> pool) {
        try (ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < TASKS; t++) {
                tasks.submit(() -> {
                    for (int p = 0; p < PAIRS; p++) {
                        PoolBenchmark.pair(pool);
                        Thread.yield();
                    }
                });
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void perCpuPoolTasks(PoolBenchmark.Pools p) {
        run(p.perCpu);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void jacksonLockFreePoolTasks(PoolBenchmark.Pools p) {
        run(p.lockFree);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void jacksonConcurrentDequePoolTasks(PoolBenchmark.Pools p) {
        run(p.deque);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void concurrentLinkedQueuePoolTasks(PoolBenchmark.Pools p) {
        run(p.queue);
    }

    @Benchmark
    @OperationsPerInvocation(TASKS * PAIRS)
    public void threadLocalCacheTasks(PoolBenchmark.Pools p) {
        run(p.threadLocal);
    }
}
