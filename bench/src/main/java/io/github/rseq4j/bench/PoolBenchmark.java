package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.github.rseq4j.PerCpuPool;
import io.github.rseq4j.jackson.PerCpuRecyclerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One acquire+release pair of a jackson {@link BufferRecycler} through {@link RecyclerPool}, the interface
 * jackson-core 2.16+ takes its pools by: rseq4j-jackson's {@link PerCpuRecyclerPool} against jackson's
 * thread-local, lock-free, concurrent-deque and bounded pools, and (from {@link PlainRecyclerPools}) a
 * ConcurrentLinkedQueue pool and a ThreadLocal cache. Pools are
 * shared by all JMH threads. The report divides by jackson's lock-free pool at the same thread count;
 * {@link VirtualPoolBenchmark} runs the same methods on virtual workers, {@link PoolTasksBenchmark} from
 * 10,000 short virtual-thread tasks, and {@link Footprint} counts the objects each pool makes.
 * {@code perCpuPoolDirectPair} is the same pair on {@link PerCpuPool} itself, without jackson's linking of the
 * recycler to its pool: what the pool's two sections and its checks cost alone.
 */
public class PoolBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Pools {
        final RecyclerPool<BufferRecycler> perCpu = new PerCpuRecyclerPool(PlainRecyclerPools.CAPACITY);
        final PerCpuPool<BufferRecycler> perCpuDirect =
                new PerCpuPool<>(PlainRecyclerPools.CAPACITY, BufferRecycler::new);
        final RecyclerPool<BufferRecycler> jacksonThreadLocal = JsonRecyclerPools.threadLocalPool();
        final RecyclerPool<BufferRecycler> lockFree = JsonRecyclerPools.newLockFreePool();
        final RecyclerPool<BufferRecycler> deque = JsonRecyclerPools.newConcurrentDequePool();
        final RecyclerPool<BufferRecycler> bounded = JsonRecyclerPools.newBoundedPool(PlainRecyclerPools.CAPACITY);
        final RecyclerPool<BufferRecycler> queue = PlainRecyclerPools.queue(BufferRecycler::new);
        final RecyclerPool<BufferRecycler> threadLocal = PlainRecyclerPools.threadLocal(BufferRecycler::new);
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
    public BufferRecycler perCpuPoolDirectPair(Pools p, Worker w) {
        BufferRecycler recycler = p.perCpuDirect.acquire();
        p.perCpuDirect.release(recycler);
        return recycler;
    }

    @Benchmark
    public BufferRecycler jacksonThreadLocalPoolPair(Pools p, Worker w) {
        return pair(p.jacksonThreadLocal);
    }

    @Benchmark
    public BufferRecycler jacksonBoundedPoolPair(Pools p, Worker w) {
        return pair(p.bounded);
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
