package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One acquire+release pair of a jackson {@link BufferRecycler} through {@link RecyclerPool}, the interface
 * jackson-core 2.16+ takes its pools by: PerCpuPool (through {@link RseqRecyclerPool}) against jackson's
 * lock-free and concurrent-deque pools, a ConcurrentLinkedQueue pool and a ThreadLocal cache. Pools are
 * shared by all JMH threads. The report divides by jackson's lock-free pool at the same thread count;
 * {@link VirtualPoolBenchmark} runs the same methods on virtual workers, {@link PoolTasksBenchmark} from
 * 10,000 short virtual-thread tasks, and {@link Footprint} counts the objects each pool makes.
 */
public class PoolBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Pools {
        final RecyclerPool<BufferRecycler> perCpu = RseqRecyclerPool.perCpu(BufferRecycler::new);
        final RecyclerPool<BufferRecycler> lockFree = JsonRecyclerPools.newLockFreePool();
        final RecyclerPool<BufferRecycler> deque = JsonRecyclerPools.newConcurrentDequePool();
        final RecyclerPool<BufferRecycler> queue = RseqRecyclerPool.queue(BufferRecycler::new);
        final RecyclerPool<BufferRecycler> threadLocal = RseqRecyclerPool.threadLocal(BufferRecycler::new);
    }

    /** Checks the worker kind in {@link VirtualPoolBenchmark}'s forks. */
    @State(Scope.Thread)
    public static class Worker {
        @Setup
        public void checkWorker() {
            WorkerExecutor.requireWorkerIfConfigured();
        }
    }

    static BufferRecycler pair(RecyclerPool<BufferRecycler> pool) {
        BufferRecycler recycler = pool.acquireAndLinkPooled();
        recycler.releaseToPool();
        return recycler;
    }

    @Benchmark
    public BufferRecycler perCpuPoolPair(Pools p, Worker w) {
        return pair(p.perCpu);
    }

    @Benchmark
    public BufferRecycler jacksonLockFreePoolPair(Pools p, Worker w) {
        return pair(p.lockFree);
    }

    @Benchmark
    public BufferRecycler jacksonConcurrentDequePoolPair(Pools p, Worker w) {
        return pair(p.deque);
    }

    @Benchmark
    public BufferRecycler concurrentLinkedQueuePoolPair(Pools p, Worker w) {
        return pair(p.queue);
    }

    @Benchmark
    public BufferRecycler threadLocalCachePair(Pools p, Worker w) {
        return pair(p.threadLocal);
    }
}
