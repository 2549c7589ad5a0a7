package io.github.rseq4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashSet;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A bounded pool of reusable objects whose free objects wait on per-CPU stacks ({@link PerCpuStacks}, the
 * sections of {@link PerCpuList}), so {@link #acquire()} and {@link #release} run one rseq section each and no
 * atomic instruction on the way out. Made for objects that virtual threads borrow for a moment (buffers,
 * encoders): a {@code ThreadLocal} cache makes one object per virtual thread, a pool per CPU makes about one
 * per CPU. In glibc's mode the sections find the carrier thread's rseq area, so virtual threads use it as
 * they are; a virtual thread moved to another carrier between acquire and release gives the object back on
 * that carrier's CPU.
 *
 * <p>Object {@code i} of the pool has native node {@code i} for life, so a release allocates nothing.
 * Acquire takes from the calling thread's CPU stack, then from the shared slot (see {@link PerCpuStacks});
 * when both are empty (the free objects sit on other CPUs, or none exists yet) it makes a new object with the
 * factory. The first {@code capacity} objects made join the pool; later ones are handed out unpooled, and
 * {@link #release} drops them for the garbage collector: a pool that is full keeps no more. The pool remembers
 * its unpooled objects weakly until their release, so one that is never released is still collected. A CPU's stack
 * is full at {@code capacity / slots} objects (at least one); a release to a full stack goes to the shared
 * slot under its lock instead, where every CPU's acquire finds it, so free objects cannot pile up on CPUs
 * that no longer need them.
 *
 * <p>One object is never held twice: a popped node belongs to its popper alone, and {@link #release} of an
 * object that is not held (released twice, or never handed out by this pool) throws
 * {@link IllegalStateException} before touching any stack; the pool is unchanged then.
 *
 * @param <T> the pooled objects; identity matters, {@code equals} is never called
 */
public final class PerCpuPool<T> {

    /** A line per node: nodes of different CPUs never share a line. */
    private static final long NODE_BYTES = PerCpuSlots.LINE;
    private static final int NODE_SHIFT = Long.numberOfTrailingZeros(NODE_BYTES);
    /**
     * Offset of a node's held flag (1 while its object is held), after the stacks' {@link PerCpuStacks#NODE_HEADER}:
     * in the object's own line, which its holder has in cache, so that threads holding
     * neighbouring objects never write one line (an {@code int[]} of flags made the pair 4x slower at 2 threads).
     * Set by its acquirer, cleared by CAS on release.
     */
    private static final long HELD = PerCpuStacks.NODE_HEADER;
    private static final int FREE = 0;

    private final Supplier<? extends T> factory;
    private final int capacity;
    private final PerCpuStacks stacks;
    /** Node {@code i} at {@code nodeBase + i * NODE_BYTES}; immutable. */
    private final MemorySegment nodes;
    private final long nodeBase;
    /** Pooled object {@code i}; written once before its index first leaves {@link #create}; read after a pop
     * (published by the push's release commit and the pop's acquire fence) or by the thread it was made on. */
    private final Object[] objects;
    /** Identity table object -> index + 1 (open addressing); written under {@code this}, read racily by a
     * releaser whose object's insertion happened before its acquire. */
    private final Object[] keys;
    private final int[] values;
    /** Pooled objects made so far; claims indices. */
    private final AtomicInteger pooled = new AtomicInteger();
    private final LongAdder created = new LongAdder();
    /** Objects handed out unpooled and not yet released. */
    private final Unpooled unpooled = new Unpooled();

    /**
     * A pool of up to {@code capacity} objects, indexed by {@link PerCpuIndexing#CPU_ID}. Its native memory
     * ({@link #nativeBytes()}) counts against {@code -XX:MaxDirectMemorySize}, as direct buffers do.
     *
     * @param capacity most objects the pool keeps
     * @param factory  makes an object when none is free; must not return null
     * @throws IllegalArgumentException if {@code capacity} is not in {@code [1, 2^28]}
     * @throws NullPointerException if {@code factory} is null
     * @throws OutOfMemoryError if {@code -XX:MaxDirectMemorySize} leaves no room for its native memory
     */
    public PerCpuPool(int capacity, Supplier<? extends T> factory) {
        this(capacity, factory, PerCpuIndexing.CPU_ID);
    }

    /**
     * A pool of up to {@code capacity} objects from {@code factory}, indexed by {@code indexing} or its fallback.
     * Its native memory ({@link #nativeBytes()}: a 64-byte node per object of the capacity, and a line per slot)
     * counts against {@code -XX:MaxDirectMemorySize}, as direct buffers do.
     *
     * @param capacity most objects the pool keeps
     * @param factory  makes an object when none is free; must not return null
     * @param indexing which number of the running thread picks its stack
     * @throws IllegalArgumentException if {@code capacity} is not in {@code [1, 2^28]}
     * @throws NullPointerException if {@code factory} or {@code indexing} is null
     * @throws OutOfMemoryError if {@code -XX:MaxDirectMemorySize} leaves no room for its native memory
     */
    public PerCpuPool(int capacity, Supplier<? extends T> factory, PerCpuIndexing indexing) {
        if (capacity < 1 || capacity > 1 << 28) {
            throw new IllegalArgumentException("capacity must be in [1, 2^28]: " + capacity);
        }
        this.factory = Objects.requireNonNull(factory, "factory");
        this.capacity = capacity;
        this.stacks = new PerCpuStacks(1, indexing, Math.max(1, capacity / indexing.active().sectionSlots()));
        this.nodes = Arena.ofAuto().allocate(capacity * NODE_BYTES, NODE_BYTES);
        this.nodeBase = nodes.address();
        this.objects = new Object[capacity];
        int tableSize = Integer.highestOneBit(capacity * 2 - 1) << 1;
        this.keys = new Object[tableSize];
        this.values = new int[tableSize];
    }

    /**
     * A free object of the calling thread's CPU, else of the shared slot, else a new one.
     *
     * @return an object the caller holds until {@link #release}; never null
     * @throws NullPointerException if the factory returns null
     * @throws IllegalStateException if the factory returns a pooled object it returned before
     */
    @SuppressWarnings("unchecked")
    public T acquire() {
        long node = stacks.pop(FREE);
        if (node == 0) {
            return create();
        }
        PerCpuSlots.set(node + HELD, 1); // ours alone since the pop; the release learns of it through the object
        Object object = objects[(int) ((node - nodeBase) >>> NODE_SHIFT)];
        Reference.reachabilityFence(this);
        return (T) object;
    }

    /**
     * Gives {@code object} back to the calling thread's CPU; an unpooled object (made while the pool was full)
     * is dropped.
     *
     * @param object an object {@link #acquire()} returned and the caller holds
     * @throws IllegalStateException if {@code object} is not held: released twice, or never handed out by this
     *                               pool; nothing changes
     * @throws NullPointerException if {@code object} is null
     */
    public void release(T object) {
        int index = indexOf(Objects.requireNonNull(object, "object"));
        if (index < 0) {
            if (!unpooled.remove(object)) {
                throw notHeld(object);
            }
            return;
        }
        long node = nodeBase + index * NODE_BYTES;
        if (!PerCpuSlots.compareAndSet(node + HELD, 1L, 0L)) {
            throw notHeld(object);
        }
        stacks.push(FREE, node);
        Reference.reachabilityFence(this);
    }

    private static IllegalStateException notHeld(Object object) {
        return new IllegalStateException("release of an object that is not held: released twice, or never acquired "
                + "from this pool: " + identity(object));
    }

    /** Names an object by class and identity: its own toString() is the user's code, and may even throw. */
    private static String identity(Object object) {
        return object.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(object));
    }

    private T create() {
        T object = Objects.requireNonNull(factory.get(), "factory returned null");
        created.increment();
        int index = pooled.get() < capacity ? pooled.getAndIncrement() : capacity;
        if (index < capacity) {
            objects[index] = object;
            PerCpuSlots.set(nodeBase + index * NODE_BYTES + HELD, 1);
            insert(object, index);
        } else {
            unpooled.add(object);
        }
        return object;
    }

    private synchronized void insert(Object object, int index) {
        int mask = keys.length - 1;
        int at = System.identityHashCode(object) & mask;
        while (keys[at] != null) {
            if (keys[at] == object) {
                throw new IllegalStateException("the factory returned an object it had returned before: "
                        + identity(object));
            }
            at = (at + 1) & mask;
        }
        values[at] = index + 1;
        keys[at] = object;
    }

    /** The pooled index of {@code object}, or -1. */
    private int indexOf(Object object) {
        int mask = keys.length - 1;
        for (int at = System.identityHashCode(object) & mask;; at = (at + 1) & mask) {
            Object key = keys[at];
            if (key == object) {
                return values[at] - 1;
            }
            if (key == null) {
                return -1;
            }
        }
    }

    /**
     * Most objects the pool keeps.
     *
     * @return the capacity given at construction
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Objects the factory has made so far, pooled or not.
     *
     * @return the count
     */
    public long objectsCreated() {
        return created.sum();
    }

    /**
     * The indexing this pool uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return stacks.indexing();
    }

    /**
     * Bytes of native memory this pool holds.
     *
     * @return the stack heads (a line per slot) and a 64-byte node per object of the capacity
     */
    public long nativeBytes() {
        return stacks.nativeBytes() + nodes.byteSize();
    }

    /**
     * Objects handed out unpooled and not yet released, by identity, held weakly: one never released is left to the
     * garbage collector. Guarded by itself; only a full pool's acquire and the release of an unpooled object come
     * here, so the pooled paths never take its lock.
     */
    private static final class Unpooled {
        private final ReferenceQueue<Object> collected = new ReferenceQueue<>();
        private final HashSet<Entry> entries = new HashSet<>();

        synchronized void add(Object object) {
            forgetCollected();
            entries.add(new Entry(object, collected));
        }

        /** Whether {@code object} was there; it is not any more. */
        synchronized boolean remove(Object object) {
            forgetCollected();
            return entries.remove(new Entry(object, null));
        }

        private void forgetCollected() {
            for (Object entry; (entry = collected.poll()) != null;) {
                entries.remove(entry);
            }
        }

        /** Equal to another entry of the same referent, and (once that is collected) to itself only. */
        private static final class Entry extends WeakReference<Object> {
            private final int hash;

            Entry(Object object, ReferenceQueue<Object> queue) {
                super(object, queue);
                this.hash = System.identityHashCode(object);
            }

            @Override
            public int hashCode() {
                return hash;
            }

            @Override
            public boolean equals(Object other) {
                if (this == other) {
                    return true;
                }
                Object referent = get();
                return referent != null && other instanceof Entry entry && entry.refersTo(referent);
            }
        }
    }
}
