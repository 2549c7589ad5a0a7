package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.set;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * Linked stacks of native nodes, a few per slot, pushed and popped by rseq sections with no atomic instruction
 * (librseq's {@code percpu_list}): what {@link PerCpuList} and {@link PerCpuPool} are built from. A node is
 * any 8-byte-aligned native address whose first word ({@link #NEXT}) the stacks own while it is on one.
 *
 * <p>ABA: push reads the head, links the node to it and commits only if the head is unchanged; should the
 * head have been popped and pushed back meanwhile, the link is still right. Pop reads the head and its next
 * pointer and replaces the head inside one section (cmpnev-storeoffp-load), so nothing on that slot runs in
 * between. A popped node belongs to its popper alone.
 *
 * <p>Threads that cannot run sections, and threads whose mm_cid lies past the slots, use the shared slot
 * under its monitor (in ATOMIC mode, their CPU's slot). {@link #pop} checks the shared slot after the
 * thread's own.
 */
final class PerCpuStacks {

    /** Offset of the next pointer in a node: the storeoffp offset. */
    static final long NEXT = 0;
    /**
     * Offset of a node's depth (its position from the bottom, 1-based) in stacks made with a depth limit. Written
     * by the pusher before the node is published; it can be off after an ABA between the head's read and the
     * commit, so it only steers where a node goes, never what is correct.
     */
    static final long DEPTH = 8;
    /** Returned by the section paths when the thread's index is past the slots. */
    private static final long OUT_OF_RANGE = -1;
    /** Returned by the push section when the slot's stack is as deep as the limit. */
    private static final long FULL = -2;

    private final PerCpuIndexing indexing;
    /** Section slots; the shared slot is number {@code slots}. */
    private final int slots;
    /** Heads, {@code stacks} words per slot, a line apart; section slots written only by sections (or under
     * their monitor where no section runs), the shared slot under its monitor. */
    private final MemorySegment heads;
    /** Address of {@link #heads}, immutable. */
    private final long base;
    /** Monitors of the locked slots; immutable. */
    private final Object[] monitors;
    /** Most nodes a section slot's stack takes; 0 for no limit (and no {@link #DEPTH} field). */
    private final long depthLimit;

    /** {@code stacks} (at most 8) empty stacks per slot, indexed by {@code indexing} or its fallback. */
    PerCpuStacks(int stacks, PerCpuIndexing indexing) {
        this(stacks, indexing, 0);
    }

    /** As above; a section slot's stack holds at most {@code depthLimit} nodes, whose {@link #DEPTH} it owns. */
    PerCpuStacks(int stacks, PerCpuIndexing indexing, long depthLimit) {
        this.depthLimit = depthLimit;
        this.indexing = indexing.active();
        this.slots = this.indexing.slots();
        this.heads = PerCpuSlots.allocate((long) stacks * Long.BYTES, this.indexing);
        this.base = heads.address();
        this.monitors = new Object[slots + 1];
        for (int i = 0; i < monitors.length; i++) {
            monitors[i] = new Object();
        }
    }

    PerCpuIndexing indexing() {
        return indexing;
    }

    /** Section slots plus the shared one. */
    int totalSlots() {
        return slots + 1;
    }

    long nativeBytes() {
        return heads.byteSize();
    }

    /**
     * Pushes {@code node} on stack {@code which} of the calling thread's slot; on the shared slot when that
     * stack is at the depth limit.
     */
    void push(int which, long node) {
        long area = PerCpuSlots.area();
        if (area == NO_SECTIONS) {
            pushLocked(PerCpuSlots.lockedSlot(indexing), which, node);
        } else if (pushSection(which, node, area) != 0) {
            pushLocked(slots, which, node);
        }
        Reference.reachabilityFence(this);
    }

    /** The node last pushed on stack {@code which} of the calling thread's slot, then the shared slot's; or 0. */
    long pop(int which) {
        long area = PerCpuSlots.area();
        long node;
        if (area == NO_SECTIONS) {
            node = popLocked(PerCpuSlots.lockedSlot(indexing), which);
        } else {
            node = popSection(which, area);
            if (node == OUT_OF_RANGE || node == 0 && get(head(slots, which)) != 0) { // racy peek; the pop locks
                node = popLocked(slots, which);
            }
        }
        Reference.reachabilityFence(this);
        return node;
    }

    private long head(int slot, int which) {
        return base + slot * LINE + which * (long) Long.BYTES;
    }

    /** 0 when pushed, {@link #OUT_OF_RANGE} when the thread's index has no slot, {@link #FULL}. */
    private long pushSection(int which, long node, long area) {
        for (;;) {
            int index = PerCpuSlots.index(indexing);
            if (index < 0 || index >= slots) {
                return OUT_OF_RANGE;
            }
            long head = head(index, which);
            long expect = get(head);
            if (depthLimit > 0) {
                long depth = expect == 0 ? 1 : get(expect + DEPTH) + 1; // expect may be gone: then the commit fails
                if (depth > depthLimit) {
                    return FULL;
                }
                set(node + DEPTH, depth);
            }
            set(node + NEXT, expect);
            VarHandle.releaseFence(); // the node's fields before the section's plain committing store
            switch (PerCpuSlots.cmpeqvStorev(indexing, head, expect, node, index, area)) {
                case SectionTemplates.COMMITTED -> {
                    return 0;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return OUT_OF_RANGE; // the section found no usable index (an unregistered area)
                }
                default -> Thread.onSpinWait(); // changed head, aborted or migrated
            }
        }
    }

    /** The node popped from the thread's slot, 0 when that stack is empty, or {@link #OUT_OF_RANGE}. */
    private long popSection(int which, long area) {
        long scratch = PerCpuSlots.scratch();
        for (;;) {
            int index = PerCpuSlots.index(indexing);
            if (index < 0 || index >= slots) {
                return OUT_OF_RANGE;
            }
            switch (PerCpuSlots.cmpnevStoreoffpLoad(indexing, head(index, which), 0, NEXT, scratch, index, area)) {
                case SectionTemplates.COMMITTED -> {
                    VarHandle.acquireFence(); // the node's fields were published by its pusher's commit
                    return get(scratch);
                }
                case SectionTemplates.COMPARE_FAILED -> {
                    return 0;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return OUT_OF_RANGE;
                }
                default -> Thread.onSpinWait(); // aborted or migrated
            }
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
