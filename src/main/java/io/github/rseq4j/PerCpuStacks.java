package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.area;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.popNode;
import static io.github.rseq4j.PerCpuSlots.pushNode;
import static io.github.rseq4j.PerCpuSlots.set;

import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * Package-private machinery, not API: linked stacks of native nodes, a few per slot, pushed and popped by rseq
 * sections with no atomic instruction (librseq's {@code percpu_list}): what {@link PerCpuList} and
 * {@link PerCpuPool} are built from. A node is any 8-byte-aligned native address whose first
 * {@link #NODE_HEADER} bytes ({@link #NEXT}, {@link #DEPTH}) the stacks own.
 *
 * <p>Both sections find the running CPU's head themselves, from the index they load, so the Java side reads
 * no CPU number and no head. Push reads the head, links the node to it, counts its depth and stores it as
 * the new head inside one section (push-node); pop reads the head and its next pointer and replaces the head
 * inside one section (pop-node, which returns the node). Nothing else on that slot runs in between either,
 * so there is no ABA. A popped node belongs to its popper alone.
 *
 * <p>Threads that cannot run sections, and threads whose mm_cid lies past the slots, use the shared slot
 * under its monitor (in ATOMIC mode, their CPU's slot). {@link #pop} checks the shared slot after the
 * thread's own.
 */
final class PerCpuStacks extends PerCpuEngine {

    /** Offset of the next pointer in a node: the storeoffp offset. */
    static final long NEXT = 0;
    /**
     * Offset of a node's depth (its position from the bottom, 1-based), which the push section computes and
     * writes with the link; a node pushed under a lock keeps an old one there, so the depth only steers where a
     * node goes, never what is correct.
     */
    static final long DEPTH = 8;
    /** Bytes of a node the stacks own: {@link #NEXT} and {@link #DEPTH}. */
    static final long NODE_HEADER = 16;
    /** Heads, {@code stacks} words per slot, a line apart; section slots written only by sections (or under
     * their monitor where no section runs), the shared slot under its monitor. */
    private final MemorySegment heads;
    /** Address of {@link #heads}, immutable. */
    private final long base;
    /** Most nodes a section slot's stack takes (unsigned: -1 for no limit). */
    private final long depthLimit;

    /** {@code stacks} (at most 8) empty stacks per slot, indexed by {@code indexing} or its fallback. */
    PerCpuStacks(int stacks, PerCpuIndexing indexing) {
        this(stacks, indexing, -1);
    }

    /** As above; a section slot's stack holds at most {@code depthLimit} nodes (unsigned). */
    PerCpuStacks(int stacks, PerCpuIndexing indexing, long depthLimit) {
        super(indexing, true);
        this.depthLimit = depthLimit;
        this.heads = allocate((long) stacks * Long.BYTES);
        this.base = heads.address();
    }

    PerCpuIndexing indexing() {
        return indexing;
    }

    long nativeBytes() {
        return heads.byteSize();
    }

    /**
     * Pushes {@code node} on stack {@code which} of the calling thread's slot; on the shared slot when that
     * stack is at the depth limit.
     */
    void push(int which, long node) {
        long area = area();
        if (area == NO_SECTIONS) {
            pushLocked(lockedSlot(), which, node);
        } else if (pushSection(which, node, area) != COMMITTED) {
            pushLocked(sectionSlots, which, node);
        }
        Reference.reachabilityFence(this);
    }

    /** The node last pushed on stack {@code which} of the calling thread's slot, then the shared slot's; or 0. */
    long pop(int which) {
        long area = area();
        long node;
        if (area == NO_SECTIONS) {
            node = popLocked(lockedSlot(), which);
        } else {
            node = popSection(which, area);
            if (node == NO_SLOT || node == 0 && get(head(sectionSlots, which)) != 0) { // racy peek; the pop locks
                node = popLocked(sectionSlots, which);
            }
        }
        Reference.reachabilityFence(this);
        return node;
    }

    private long head(int slot, int which) {
        return base + slot * LINE + which * (long) Long.BYTES;
    }

    /**
     * {@link #COMMITTED}; {@link #NO_SLOT} when the thread has no section slot (the section found its index out of
     * range); {@link #REFUSED} when full. The section finds the head of the running CPU itself.
     */
    private int pushSection(int which, long node, long area) {
        VarHandle.releaseFence(); // the node's fields before the section's commit
        int outcome;
        while ((outcome = outcome(pushNode(indexing, base + which * (long) Long.BYTES, node, depthLimit, area)))
                == RETRY) {
            Thread.onSpinWait();
        }
        return outcome;
    }

    /** The node popped from the thread's slot, 0 when that stack is empty, or {@link #NO_SLOT}. */
    private long popSection(int which, long area) {
        for (;;) {
            long popped = popNode(indexing, base + which * (long) Long.BYTES, NEXT, area);
            if (popped > SectionTemplates.INDEX_OUT_OF_RANGE) {
                VarHandle.acquireFence(); // the node's fields were published by its pusher's commit
                return popped;
            } else if (popped == SectionTemplates.COMPARE_FAILED) {
                return 0;
            } else if (popped == SectionTemplates.INDEX_OUT_OF_RANGE) {
                return NO_SLOT;
            }
            Thread.onSpinWait(); // aborted
        }
    }

    /**
     * Pushes under {@code slot}'s monitor: the shared slot, a CPU slot where no section runs, or any slot while
     * no other thread uses the stacks (a section slot is otherwise written only by sections).
     */
    void pushLocked(int slot, int which, long node) {
        synchronized (monitors[slot]) {
            set(node + NEXT, get(head(slot, which)));
            set(head(slot, which), node);
        }
    }

    /** Pops under {@code slot}'s monitor; the same rules as {@link #pushLocked}. */
    long popLocked(int slot, int which) {
        synchronized (monitors[slot]) {
            long node = get(head(slot, which));
            if (node != 0) {
                set(head(slot, which), get(node + NEXT));
            }
            return node;
        }
    }
}
