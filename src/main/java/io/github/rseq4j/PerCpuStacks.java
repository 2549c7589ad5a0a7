package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.area;
import static io.github.rseq4j.PerCpuSlots.cmpeqvStorev;
import static io.github.rseq4j.PerCpuSlots.cmpnevStoreoffpLoad;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.scratch;
import static io.github.rseq4j.PerCpuSlots.set;

import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * Package-private machinery, not API: linked stacks of native nodes, a few per slot, pushed and popped by rseq
 * sections with no atomic instruction (librseq's {@code percpu_list}): what {@link PerCpuList} and
 * {@link PerCpuPool} are built from. A node is any 8-byte-aligned native address whose first word
 * ({@link #NEXT}) the stacks own while it is on one.
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
final class PerCpuStacks extends PerCpuEngine {

    /** Offset of the next pointer in a node: the storeoffp offset. */
    static final long NEXT = 0;
    /**
     * Offset of a node's depth (its position from the bottom, 1-based) in stacks made with a depth limit. Written
     * by the pusher before the node is published; it can be off after an ABA between the head's read and the
     * commit, so it only steers where a node goes, never what is correct.
     */
    static final long DEPTH = 8;
    /** Heads, {@code stacks} words per slot, a line apart; section slots written only by sections (or under
     * their monitor where no section runs), the shared slot under its monitor. */
    private final MemorySegment heads;
    /** Address of {@link #heads}, immutable. */
    private final long base;
    /** Most nodes a section slot's stack takes; 0 for no limit (and no {@link #DEPTH} field). */
    private final long depthLimit;

    /** {@code stacks} (at most 8) empty stacks per slot, indexed by {@code indexing} or its fallback. */
    PerCpuStacks(int stacks, PerCpuIndexing indexing) {
        this(stacks, indexing, 0);
    }

    /** As above; a section slot's stack holds at most {@code depthLimit} nodes, whose {@link #DEPTH} it owns. */
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

    /** {@link #COMMITTED}; {@link #NO_SLOT} when the thread has no section slot; {@link #REFUSED} when full. */
    private int pushSection(int which, long node, long area) {
        for (;;) {
            int slot = threadSlot();
            if (!isSectionSlot(slot)) {
                return NO_SLOT;
            }
            long head = head(slot, which);
            long expect = get(head);
            if (depthLimit > 0) {
                long depth = expect == 0 ? 1 : get(expect + DEPTH) + 1; // expect may be gone: then the commit fails
                if (depth > depthLimit) {
                    return REFUSED;
                }
                set(node + DEPTH, depth);
            }
            set(node + NEXT, expect);
            VarHandle.releaseFence(); // the node's fields before the section's plain committing store
            switch (cmpeqvStorev(indexing, head, expect, node, slot, area)) {
                case SectionTemplates.COMMITTED -> {
                    return COMMITTED;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return NO_SLOT; // the section found no usable index (an unregistered area)
                }
                default -> Thread.onSpinWait(); // changed head, aborted or migrated
            }
        }
    }

    /** The node popped from the thread's slot, 0 when that stack is empty, or {@link #NO_SLOT}. */
    private long popSection(int which, long area) {
        long scratch = scratch();
        for (;;) {
            int slot = threadSlot();
            if (!isSectionSlot(slot)) {
                return NO_SLOT;
            }
            switch (cmpnevStoreoffpLoad(indexing, head(slot, which), 0, NEXT, scratch, slot, area)) {
                case SectionTemplates.COMMITTED -> {
                    VarHandle.acquireFence(); // the node's fields were published by its pusher's commit
                    return get(scratch);
                }
                case SectionTemplates.COMPARE_FAILED -> {
                    return 0;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return NO_SLOT;
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
