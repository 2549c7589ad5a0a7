package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.set;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * A stack of {@code long} values per CPU, in native nodes, pushed and popped by rseq sections with no atomic
 * instruction (librseq's {@code percpu_list}). See {@link PerCpuStacks} for the sections, the ABA argument
 * and the locked slots.
 *
 * <h2 id="contract">Contract: per CPU, not global</h2>
 * A section can commit only on the CPU it runs on, so {@link #push} and {@link #pop()} address the calling
 * thread's slot: {@code pop()} answers empty when this slot's stack is empty (then, in
 * {@link PerCpuImplementation#SECTIONS_ON_OWN_AREAS} mode or with {@link PerCpuIndexing#MM_CID}, the shared
 * slot), even if other slots hold elements. It is a per-CPU work pool, not a global stack: elements are found
 * again by a thread on the same CPU (or with the same concurrency id), by {@link #popAny()}, which visits the
 * other CPUs when this one's stack is empty (slow: it moves the thread), or by {@link #drain}, which takes
 * every slot's elements but only while the caller has the list to itself (not checked). {@code push} never
 * fails: the list is unbounded.
 *
 * <p>Nodes are never freed before the list becomes unreachable; popped nodes are kept, per slot, on a second
 * stack of the same kind and reused by pushes. A popped node belongs to the popper alone (no head reaches
 * it), which reads its value and then pushes it to the free stack, so reuse is safe. Memory therefore stays
 * at the peak element count (24 bytes a node).
 *
 * <h2 id="memory">Native memory</h2>
 * Heads and nodes live in native memory that the JDK allocates as direct memory, so it counts against
 * {@code -XX:MaxDirectMemorySize} (by default the maximum heap size) like a direct {@code ByteBuffer}'s: the
 * constructor, or a push that needs a new chunk of nodes, throws {@code OutOfMemoryError} ("Cannot reserve ...
 * bytes of direct buffer memory") past that limit. {@link #nativeBytes()} says how much a list holds: a line of
 * heads per slot, and nodes in chunks of 2730 (65,520 bytes), kept until the list becomes unreachable.
 */
public final class PerCpuList {

    /** Node layout: the stacks' header ({@link PerCpuStacks#NODE_HEADER}), then the value. */
    private static final long VALUE = PerCpuStacks.NODE_HEADER, NODE_BYTES = VALUE + Long.BYTES;
    /** The two stacks of every slot: elements, and free nodes. */
    private static final int HEAD = 0, FREE = 1;
    /** As many whole nodes as fit in 64 KiB. */
    private static final long CHUNK_BYTES = 64 * 1024 / NODE_BYTES * NODE_BYTES;

    private final PerCpuStacks stacks;
    /** Owns every node; confined to the list's lifetime. Guarded by {@code this} with the chunk fields. */
    private final Arena nodes = Arena.ofAuto();
    private long chunkNext, chunkEnd, chunkCount;

    /**
     * An empty list indexed by {@link PerCpuIndexing#CPU_ID}.
     *
     * @throws OutOfMemoryError if its heads would pass {@code -XX:MaxDirectMemorySize} (see
     *                          <a href="#memory">Native memory</a> and {@link #nativeBytes()})
     */
    public PerCpuList() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * An empty list indexed by {@code indexing}, or by cpu_id where that is unavailable.
     *
     * @param indexing which number of the running thread picks its slot
     * @throws NullPointerException if {@code indexing} is null
     * @throws OutOfMemoryError if its heads would pass {@code -XX:MaxDirectMemorySize} (see
     *                          <a href="#memory">Native memory</a> and {@link #nativeBytes()})
     */
    public PerCpuList(PerCpuIndexing indexing) {
        stacks = new PerCpuStacks(2, indexing);
    }

    /**
     * The indexing this list uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return stacks.indexing();
    }

    /**
     * Pushes {@code value} on the calling thread's slot's stack.
     *
     * @param value the value
     * @throws OutOfMemoryError if a new chunk of nodes would pass {@code -XX:MaxDirectMemorySize} (then nothing
     *                          is pushed)
     */
    public void push(long value) {
        long node = stacks.pop(FREE);
        node = node != 0 ? node : newNode();
        set(node + VALUE, value);
        stacks.push(HEAD, node);
        Reference.reachabilityFence(this);
    }

    /**
     * Pops the value last pushed on the calling thread's slot (then, see <a href="#contract">above</a>, the
     * shared slot).
     *
     * @return the value; empty when those stacks are empty, even if other slots hold elements
     */
    public OptionalLong pop() {
        return valueOf(stacks.pop(HEAD));
    }

    /**
     * Pops a value from any CPU: the calling thread's CPU first, as {@link #pop()}, then, if that is empty,
     * each other CPU in turn. A section commits only on the CPU it runs on, so this moves the calling thread
     * to each CPU of its affinity mask in turn (two {@code sched_setaffinity} calls a CPU, then its mask is
     * restored) and pops there; it is the slow path for when the local stack runs dry, not a replacement for
     * {@code pop()}. Elements on CPUs outside the thread's mask (a cpuset), and with {@link PerCpuIndexing#MM_CID}
     * those under concurrency ids the thread does not get on its way, are found only by {@link #drain}.
     * With {@link PerCpuImplementation#ATOMICS} it takes each slot's lock instead.
     *
     * @return a value; empty only if every stack this thread can reach was empty when it looked
     * @throws UnsupportedOperationException on a virtual thread when the local stack is empty and sections
     *                                       run (pinning would pin its carrier)
     */
    public OptionalLong popAny() {
        OptionalLong[] popped = {pop()};
        if (popped[0].isEmpty()) {
            stacks.takeFromEachSlot(slot -> (popped[0] = valueOf(stacks.popLocked(slot, HEAD))).isPresent(),
                    () -> (popped[0] = pop()).isPresent());
        }
        Reference.reachabilityFence(this);
        return popped[0];
    }

    /** The value of a popped {@code node} (0: none), whose node then goes to the caller's free stack. */
    private OptionalLong valueOf(long node) {
        if (node == 0) {
            return OptionalLong.empty();
        }
        long value = get(node + VALUE);
        stacks.push(FREE, node);
        Reference.reachabilityFence(this);
        return OptionalLong.of(value);
    }

    /**
     * Removes every element of every slot, handing each to {@code action}.
     *
     * <p>An element is removed only once its call returns: if {@code action} throws, the drain stops, and that
     * element (back on top of its slot's stack) and every element not yet handed over stay in the list; the
     * exception propagates. Only while no other thread uses the list: it writes CPU heads with plain stores, so
     * a concurrent push or pop could lose or duplicate elements. This precondition is not checked.
     *
     * @param action receives each value
     * @return how many elements were removed
     * @throws NullPointerException if {@code action} is null (then nothing is removed)
     */
    public long drain(LongConsumer action) {
        Objects.requireNonNull(action, "action");
        long count = 0;
        for (int slot = 0; slot < stacks.slotCount(); slot++) {
            for (long node; (node = stacks.popLocked(slot, HEAD)) != 0; count++) {
                try {
                    action.accept(get(node + VALUE));
                } catch (Throwable failed) {
                    stacks.pushLocked(slot, HEAD, node);
                    throw failed;
                }
                stacks.pushLocked(slot, FREE, node);
            }
        }
        Reference.reachabilityFence(this);
        return count;
    }

    /**
     * Bytes of native (direct) memory this list holds: its heads and the chunks of nodes allocated so far (see
     * <a href="#memory">Native memory</a>). It grows with the peak element count, never shrinks.
     *
     * @return the bytes
     */
    public long nativeBytes() {
        long chunks;
        synchronized (this) {
            chunks = chunkCount;
        }
        return stacks.nativeBytes() + chunks * CHUNK_BYTES;
    }

    /** A node from the current chunk; a new chunk when it is used up. */
    private synchronized long newNode() {
        if (chunkNext == chunkEnd) {
            MemorySegment chunk = nodes.allocate(CHUNK_BYTES, Long.BYTES);
            chunkNext = chunk.address();
            chunkEnd = chunkNext + CHUNK_BYTES;
            chunkCount++;
        }
        long node = chunkNext;
        chunkNext += NODE_BYTES;
        return node;
    }
}
