package io.github.rseq4j.jackson;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.github.rseq4j.PerCpuPool;
import java.io.Serial;

/**
 * jackson-core's {@link RecyclerPool} of {@link BufferRecycler}s on rseq4j's {@link PerCpuPool}: an acquire
 * and a release are one rseq section each, on the calling thread's CPU. Give it to a factory with
 * {@code JsonFactory.builder().recyclerPool(new PerCpuRecyclerPool())}.
 *
 * <p>Made for virtual threads: jackson's thread-local pool makes a recycler per thread (10,000 virtual threads,
 * 10,000 recyclers), its lock-free and deque pools keep every recycler ever released. This one makes about one
 * recycler per CPU in use at once and keeps at most {@link #capacity()}: recyclers made while that many are
 * out are handed out unpooled, and dropped for the garbage collector when released.
 *
 * <p>A recycler released twice throws {@link IllegalStateException} (jackson's
 * {@link BufferRecycler#releaseToPool()} unlinks it first, so that happens only through {@link #releasePooled}
 * called twice by hand); one this pool never handed out is treated as {@link PerCpuPool#release} says.
 * Serialized with a {@code JsonFactory}, it
 * comes back as a new, empty pool of the same capacity: pooled recyclers are per process.
 */
public final class PerCpuRecyclerPool implements RecyclerPool<BufferRecycler> {
    /** The serialized form: the capacity alone. */
    @Serial
    private static final long serialVersionUID = 1L;

    /** The capacity of {@link #PerCpuRecyclerPool()}: the default of jackson's bounded pool. */
    public static final int DEFAULT_CAPACITY = 100;

    /** Most recyclers kept; the serialized form. */
    private final int capacity;
    /** Native stacks and live recyclers: nothing to serialize; {@link #readResolve()} makes a new one. */
    private final transient PerCpuPool<BufferRecycler> pool;

    /** A pool that keeps up to {@value #DEFAULT_CAPACITY} recyclers. */
    public PerCpuRecyclerPool() {
        this(DEFAULT_CAPACITY);
    }

    /**
     * A pool that keeps up to {@code capacity} recyclers.
     *
     * @param capacity most recyclers kept
     * @throws IllegalArgumentException if {@code capacity} is not in {@code [1, 2^28]}
     */
    public PerCpuRecyclerPool(int capacity) {
        this.pool = new PerCpuPool<>(capacity, BufferRecycler::new);
        this.capacity = capacity;
    }

    /**
     * A free recycler of the calling thread's CPU, else of the shared slot, else a new one.
     *
     * @return a recycler the caller holds until {@link #releasePooled}
     */
    @Override
    public BufferRecycler acquirePooled() {
        return pool.acquire();
    }

    /**
     * Gives {@code recycler} back to the calling thread's CPU; one made while the pool was full is dropped.
     *
     * @param recycler a recycler this pool handed out
     * @throws IllegalStateException if {@code recycler} is pooled but not held: released twice
     * @throws NullPointerException  if {@code recycler} is null
     */
    @Override
    public void releasePooled(BufferRecycler recycler) {
        pool.release(recycler);
    }

    /**
     * Most recyclers this pool keeps.
     *
     * @return the capacity given at construction
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Recyclers made so far, pooled or not.
     *
     * @return the count; about one per CPU in use at once when the pool is not overrun
     */
    public long recyclersCreated() {
        return pool.objectsCreated();
    }

    /**
     * A new, empty pool of the same capacity in place of the deserialized one.
     *
     * @return the new pool
     */
    @Serial
    private Object readResolve() {
        return new PerCpuRecyclerPool(capacity);
    }
}
