package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.set;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * A stack of {@code long} values per CPU, in native nodes, pushed and popped by rseq sections with no atomic
 * instruction (librseq's {@code percpu_list}). {@link #pop()} takes from the calling thread's CPU only (and
 * the shared slot), so it may come back empty while other CPUs hold elements; it is a work pool, not a global
 * stack. See {@link PerCpuStacks} for the sections, the ABA argument and the locked slots.
 *
 * <p>Nodes are never freed before the list becomes unreachable; popped nodes are kept, per slot, on a second
 * stack of the same kind and reused by pushes. A popped node belongs to the popper alone (no head reaches
 * it), which reads its value and then pushes it to the free stack, so reuse is safe. Memory therefore stays
 * at the peak element count (16 bytes a node).
 */
public final class PerCpuList {

    /** Node layout: the next pointer at 0 ({@link PerCpuStacks#NEXT}), the value at 8. */
    private static final long VALUE = 8, NODE_BYTES = 16;
    /** The two stacks of every slot: elements, and free nodes. */
    private static final int HEAD = 0, FREE = 1;
    private static final long CHUNK_BYTES = 64 * 1024;

    private final PerCpuStacks stacks;
    /** Owns every node; confined to the list's lifetime. Guarded by {@code this} with the chunk fields. */
    private final Arena nodes = Arena.ofAuto();
    private long chunkNext, chunkEnd;

    /** A list indexed by {@link PerCpuIndexing#CPU_ID}. */
    public PerCpuList() {
        this(PerCpuIndexing.CPU_ID);
    }

    /** A list indexed by {@code indexing}, or by cpu_id where that is unavailable. */
    public PerCpuList(PerCpuIndexing indexing) {
        stacks = new PerCpuStacks(2, indexing);
    }

    /** The indexing this list uses. */
    public PerCpuIndexing indexing() {
        return stacks.indexing();
    }

    /** Pushes {@code value} on the calling thread's CPU's stack. */
    public void push(long value) {
        long node = stacks.pop(FREE);
        node = node != 0 ? node : newNode();
        set(node + VALUE, value);
        stacks.push(HEAD, node);
        Reference.reachabilityFence(this);
    }

    /** Pops the value last pushed on the calling thread's CPU (then, see above, the shared slot), if any. */
    public OptionalLong pop() {
        long node = stacks.pop(HEAD);
        if (node == 0) {
            return OptionalLong.empty();
        }
        long value = get(node + VALUE);
        stacks.push(FREE, node);
        Reference.reachabilityFence(this);
        return OptionalLong.of(value);
    }

    /**
     * Removes every element of every slot, handing each to {@code action}, and returns how many. Only while no
     * other thread uses the list: it writes CPU heads with plain stores.
     */
    public long drain(LongConsumer action) {
        long count = 0;
        for (int slot = 0; slot < stacks.totalSlots(); slot++) {
            for (long node; (node = stacks.popLocked(slot, HEAD)) != 0; count++) {
                action.accept(get(node + VALUE));
                stacks.pushLocked(slot, FREE, node);
            }
        }
        Reference.reachabilityFence(this);
        return count;
    }

    /** Bytes of native memory the heads take (nodes come on top: 16 bytes per element at the peak). */
    public long nativeBytes() {
        return stacks.nativeBytes();
    }

    /** A node from the current chunk; a new chunk when it is used up. */
    private synchronized long newNode() {
        if (chunkNext == chunkEnd) {
            MemorySegment chunk = nodes.allocate(CHUNK_BYTES, NODE_BYTES);
            chunkNext = chunk.address();
            chunkEnd = chunkNext + CHUNK_BYTES;
        }
        long node = chunkNext;
        chunkNext += NODE_BYTES;
        return node;
    }
}
