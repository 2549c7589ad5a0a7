package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * Plain JDK pools under jackson-core's pool interface, beside jackson's own and rseq4j-jackson's
 * {@code PerCpuRecyclerPool} in {@link PoolBenchmark}.
 */
final class PlainRecyclerPools {
    private PlainRecyclerPools() {}

    /** How many objects a bounded pool may keep: jackson's bounded pool's default, and PerCpuRecyclerPool's. */
    static final int CAPACITY = 100;

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
