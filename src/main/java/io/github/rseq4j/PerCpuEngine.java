package io.github.rseq4j;

import static io.github.rseq4j.internal.PerCpuSections.MODE;

import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * Package-private machinery, not API: the engine of the per-CPU family, as Striped64 is LongAdder's. It holds a
 * structure's indexing, its slot counts, allocation, the locked slots' monitors, the one check of a slot and the
 * one encoding of an attempt's result; each structure extends it and adds only its operation ({@link PerCpuSlots}
 * holds the static half: slot numbering, section calls, scratch). A structure that must extend another class
 * ({@link PerCpuDoubleAdder} is a {@link Number}) holds an engine instead.
 *
 * <p>No static state here touches native code, so that a structure's class initializes even where native access
 * is denied, and its constructor fails with the documented {@link UnsatisfiedLinkError} instead
 * ({@link PerCpuIndexing#unavailableReason()} checks first).
 */
class PerCpuEngine {

    /** A long at a byte offset of a segment: every cell, word and raw address of the family is read through it. */
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    // What a structure's section attempt loop ends with, one encoding for the family. A pop that hands back a
    // node answers the node for COMMITTED (never -1: nodes are 8-byte aligned). PerCpuSpinLock's attempt answers
    // the slot it took, or its own HELD, since its result is the slot.
    /** The operation committed. */
    static final int COMMITTED = 1;
    /** The structure refused the operation on this slot: full, empty or held. */
    static final int REFUSED = 0;
    /** The thread has no section slot (its index is past the section slots, or unregistered): lock instead. */
    static final int NO_SLOT = -1;
    /** {@link #outcome}'s answer for an aborted section: run it again. */
    static final int RETRY = -2;

    /**
     * What a section's return code means to a structure whose sections check their own slot (the stacks' push, the
     * buffer): committed, refused (its compare failed: full or empty), no slot, or {@link #RETRY} (aborted).
     */
    static int outcome(int code) {
        return switch (code) {
            case SectionTemplates.COMMITTED -> COMMITTED;
            case SectionTemplates.COMPARE_FAILED -> REFUSED;
            case SectionTemplates.INDEX_OUT_OF_RANGE -> NO_SLOT;
            default -> RETRY; // aborted: preempted, migrated or signalled
        };
    }

    /** The indexing in use: the one asked for, or its {@link PerCpuIndexing#CPU_ID} fallback. Immutable. */
    final PerCpuIndexing indexing;
    /** Section slots; the shared slot is number {@code sectionSlots}. Immutable. */
    final int sectionSlots;
    /** A monitor per slot, guarding the locked paths; null for a structure that locks none. Immutable. */
    final Object[] monitors;

    /**
     * The slots of a structure asked for {@code requested} indexing, with a monitor per slot if {@code locked}.
     *
     * @throws NullPointerException if {@code requested} is null
     */
    PerCpuEngine(PerCpuIndexing requested, boolean locked) {
        this.indexing = requested.active();
        this.sectionSlots = indexing.sectionSlots();
        this.monitors = locked ? new Object[sectionSlots + 1] : null;
        for (int slot = 0; locked && slot < monitors.length; slot++) {
            monitors[slot] = new Object();
        }
    }

    /** Section slots plus the shared one: every slot a structure holds. */
    int slotCount() {
        return sectionSlots + 1;
    }

    /** {@link PerCpuSlots#allocate(long, PerCpuIndexing)} for this structure's slots. */
    final MemorySegment allocate(long bytesPerSlot) {
        return PerCpuSlots.allocate(bytesPerSlot, indexing);
    }

    /** The calling thread's slot, a hint to be checked by {@link #isSectionSlot} (and again by the section). */
    final int threadSlot() {
        return PerCpuSlots.threadSlot(indexing);
    }

    /** The one check of a slot before it becomes an address: whether {@code slot} is a section slot. */
    final boolean isSectionSlot(int slot) {
        return PerCpuSlots.below(slot, sectionSlots);
    }

    /** {@link PerCpuSlots#lockedSlot(PerCpuIndexing)} of this structure. */
    final int lockedSlot() {
        return PerCpuSlots.lockedSlot(indexing);
    }

    /**
     * Takes from every slot the calling thread can reach, until an attempt answers true: {@code locked} on each
     * slot in turn where no section runs (every slot is reached under its lock), else {@code local} on each CPU
     * the thread may run on ({@link PerCpuSlots#onEachAllowedCpu}).
     *
     * @throws UnsupportedOperationException on a virtual thread where sections run
     */
    final boolean takeFromEachSlot(IntPredicate locked, BooleanSupplier local) {
        if (MODE != Mode.ATOMIC) {
            return PerCpuSlots.onEachAllowedCpu(local);
        }
        for (int slot = 0; slot < slotCount(); slot++) {
            if (locked.test(slot)) {
                return true;
            }
        }
        return false;
    }
}
