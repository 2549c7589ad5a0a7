package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.set;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * A stack of {@code long} values per CPU, in native nodes, pushed and popped by rseq sections with no atomic
 * instruction (librseq's {@code percpu_list}).
 *
 * <h2 id="contract">Contract: per CPU, not global</h2>
 * A section can commit only on the CPU it runs on, so {@link #push} and {@link #pop()} address the calling
 * thread's CPU: {@code pop()} answers empty when this CPU's stack is empty (then, in
 * {@link PerCpuImplementation#SECTIONS_ON_OWN_AREAS} mode, the shared slot), even if other CPUs hold
 * elements. It is a per-CPU work pool, not a global stack: elements are found again by a thread on the same
 * CPU, by {@link #popAny()}, which visits the other CPUs when this one's stack is empty (slow: it moves the
 * thread), or by {@link #drain}, which takes every CPU's elements but only while the caller has the list to
 * itself (not checked). {@code push} never fails: the list is unbounded.
 *
 * <p>ABA: push reads the head, links the node to it and commits only if the head is unchanged; should the
 * head have been popped and pushed back meanwhile, the link is still right. Pop reads the head and its next
 * pointer and replaces the head inside one section (cmpnev-storeoffp-load), so nothing on that CPU runs in
 * between.
 *
 * <p>Nodes are never freed before the list becomes unreachable; popped nodes are kept, per slot, on a second
 * stack of the same kind and reused by pushes. A popped node belongs to the popper alone (no head reaches
 * it), which reads its value and then pushes it to the free stack, so reuse is safe. Memory therefore stays
 * at the peak element count (16 bytes a node).
 *
 * <p>Threads that cannot run sections (see {@link PerCpuSlots}) use a locked slot: in REGISTER mode the
 * shared slot, which {@link #pop()} also checks after the CPU's own stack; in ATOMIC mode their CPU's slot.
 */
public final class PerCpuList {

    /** Node layout: the next pointer at 0 (the storeoffp offset), the value at 8. */
    private static final long NEXT = 0, VALUE = 8, NODE_BYTES = 16;
    /** Per-slot line layout: the element stack's head, then the free-node stack's head. */
    private static final long HEAD = 0, FREE = 8;
    private static final long CHUNK_BYTES = 64 * 1024;

    /** Heads per slot, a line apart; CPU slots written only by sections, locked slots under their monitor. */
    private final MemorySegment heads = PerCpuSlots.allocate(2 * Long.BYTES);
    /** Address of {@link #heads}, immutable. */
    private final long base = heads.address();
    /** Owns every node; confined to the list's lifetime. Guarded by {@code this} with the chunk fields. */
    private final Arena nodes = Arena.ofAuto();
    private long chunkNext, chunkEnd;
    /** Monitors of the locked slots; immutable. */
    private final Object[] monitors = new Object[PerCpuSlots.SLOTS];

    /** An empty list. */
    public PerCpuList() {
        for (int i = 0; i < monitors.length; i++) {
            monitors[i] = new Object();
        }
    }

    /**
     * Pushes {@code value} on the calling thread's CPU's stack.
     *
     * @param value the value
     */
    public void push(long value) {
        long area = PerCpuSlots.area();
        if (area == NO_SECTIONS) {
            int slot = PerCpuSlots.lockedSlot();
            synchronized (monitors[slot]) {
                long node = popLocked(slot, FREE);
                pushLocked(slot, HEAD, node != 0 ? node : newNode(), value);
            }
        } else {
            long node = popSection(FREE, area);
            node = node != 0 ? node : newNode();
            set(node + VALUE, value);
            pushSection(HEAD, node, area);
        }
        Reference.reachabilityFence(this);
    }

    /**
     * Pops the value last pushed on the calling thread's CPU (then, see <a href="#contract">above</a>, the
     * shared slot).
     *
     * @return the value; empty when those stacks are empty, even if other CPUs hold elements
     */
    public OptionalLong pop() {
        long area = PerCpuSlots.area();
        OptionalLong popped;
        if (area == NO_SECTIONS) {
            popped = popLockedValue(PerCpuSlots.lockedSlot());
        } else {
            long node = popSection(HEAD, area);
            if (node != 0) {
                long value = get(node + VALUE);
                pushSection(FREE, node, area);
                popped = OptionalLong.of(value);
            } else {
                popped = PerCpuSections.MODE == Mode.REGISTER
                        ? popLockedValue(PerCpuSlots.SHARED) : OptionalLong.empty();
            }
        }
        Reference.reachabilityFence(this);
        return popped;
    }

    /**
     * Pops a value from any CPU: the calling thread's CPU first, as {@link #pop()}, then, if that is empty,
     * each other CPU in turn. A section commits only on the CPU it runs on, so this moves the calling thread
     * to each CPU of its affinity mask in turn (two {@code sched_setaffinity} calls a CPU, then its mask is
     * restored) and pops there; it is the slow path for when the local stack runs dry, not a replacement for
     * {@code pop()}. Elements on CPUs outside the thread's mask (a cpuset) are found only by {@link #drain}.
     * With {@link PerCpuImplementation#ATOMICS} it takes each slot's lock instead.
     *
     * @return a value; empty only if every stack this thread can reach was empty when it looked
     * @throws UnsupportedOperationException on a virtual thread when the local stack is empty and sections
     *                                       run (pinning would pin its carrier)
     */
    public OptionalLong popAny() {
        OptionalLong popped = pop();
        if (popped.isEmpty()) {
            if (PerCpuSections.MODE == Mode.ATOMIC) {
                for (int slot = 0; slot < PerCpuSlots.SLOTS && popped.isEmpty(); slot++) {
                    popped = popLockedValue(slot);
                }
            } else {
                OptionalLong[] taken = {popped};
                PerCpuSlots.onEachAllowedCpu(() -> (taken[0] = pop()).isPresent());
                popped = taken[0];
            }
        }
        Reference.reachabilityFence(this);
        return popped;
    }

    /**
     * Removes every element of every slot, handing each to {@code action}. Only while no other thread uses
     * the list: it writes CPU heads with plain stores, so a concurrent push or pop could lose or duplicate
     * elements. This precondition is not checked.
     *
     * @param action receives each value
     * @return how many elements were removed
     */
    public long drain(LongConsumer action) {
        long count = 0;
        for (int slot = 0; slot < PerCpuSlots.SLOTS; slot++) {
            synchronized (monitors[slot]) {
                for (long node; (node = popLocked(slot, HEAD)) != 0; count++) {
                    action.accept(get(node + VALUE));
                    pushLocked(slot, FREE, node, 0);
                }
            }
        }
        Reference.reachabilityFence(this);
        return count;
    }

    private long head(int slot, long which) {
        return base + slot * LINE + which;
    }

    private void pushSection(long which, long node, long area) {
        for (;;) {
            int cpu = RseqThread.currentCpu();
            long head = head(cpu, which);
            long expect = get(head);
            set(node + NEXT, expect);
            VarHandle.releaseFence(); // node fields before the section's plain committing store
            if (PerCpuSlots.cmpeqvStorev(head, expect, node, cpu, area) == SectionTemplates.COMMITTED) {
                return;
            }
        }
    }

    /** The node popped from {@code which} stack of the current CPU, or 0 when that stack is empty. */
    private long popSection(long which, long area) {
        long scratch = PerCpuSlots.scratch();
        for (;;) {
            int cpu = RseqThread.currentCpu();
            switch (PerCpuSlots.cmpnevStoreoffpLoad(head(cpu, which), 0, NEXT, scratch, cpu, area)) {
                case SectionTemplates.COMMITTED -> {
                    VarHandle.acquireFence(); // the node's fields were published by its pusher's commit
                    return get(scratch);
                }
                case SectionTemplates.COMPARE_FAILED -> {
                    return 0;
                }
                default -> Thread.onSpinWait(); // aborted or migrated
            }
        }
    }

    private OptionalLong popLockedValue(int slot) {
        synchronized (monitors[slot]) {
            long node = popLocked(slot, HEAD);
            if (node == 0) {
                return OptionalLong.empty();
            }
            long value = get(node + VALUE);
            pushLocked(slot, FREE, node, 0);
            return OptionalLong.of(value);
        }
    }

    /** Caller holds the slot's monitor (or, for a CPU slot in drain, has the list to itself). */
    private void pushLocked(int slot, long which, long node, long value) {
        set(node + VALUE, value);
        set(node + NEXT, get(head(slot, which)));
        set(head(slot, which), node);
    }

    private long popLocked(int slot, long which) {
        long node = get(head(slot, which));
        if (node != 0) {
            set(head(slot, which), get(node + NEXT));
        }
        return node;
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
