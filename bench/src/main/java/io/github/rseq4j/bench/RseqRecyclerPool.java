package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.github.rseq4j.PerCpuPool;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/** jackson-core's pool interface over the pools compared in {@link PoolBenchmark}. */
final class RseqRecyclerPool {
    private RseqRecyclerPool() {}

    /** How many objects a pool may keep: ample for 2 CPUs, as jackson's bounded pool's default (100). */
    static final int CAPACITY = 100;

    /** PerCpuPool behind jackson's RecyclerPool. */
    static RecyclerPool<BufferRecycler> perCpu(Supplier<BufferRecycler> factory) {
        PerCpuPool<BufferRecycler> pool = new PerCpuPool<>(CAPACITY, factory);
        return new RecyclerPool<>() {
            @Override
            public BufferRecycler acquirePooled() {
                return pool.acquire();
            }

            @Override
            public void releasePooled(BufferRecycler recycler) {
                pool.release(recycler);
            }
        };
    }

    /** An unbounded ConcurrentLinkedQueue of free objects: the plain JDK answer. */
    static RecyclerPool<BufferRecycler> queue(Supplier<BufferRecycler> factory) {
        Queue<BufferRecycler> free = new ConcurrentLinkedQueue<>();
        return new RecyclerPool<>() {
            @Override
            public BufferRecycler acquirePooled() {
                BufferRecycler recycler = free.poll();
                return recycler != null ? recycler : factory.get();
            }

            @Override
            public void releasePooled(BufferRecycler recycler) {
                free.offer(recycler);
            }
        };
    }

    /** A cache per thread: what every virtual thread multiplies. */
    static RecyclerPool<BufferRecycler> threadLocal(Supplier<BufferRecycler> factory) {
        ThreadLocal<BufferRecycler> cache = ThreadLocal.withInitial(factory);
        return new RecyclerPool<>() {
            @Override
            public BufferRecycler acquirePooled() {
                return cache.get();
            }

            @Override
            public void releasePooled(BufferRecycler recycler) {
                // stays in the thread's cache
            }
        };
    }
}
