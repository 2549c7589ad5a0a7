package io.github.rseq4j;

import static io.github.rseq4j.internal.PerCpuSections.MODE;

import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;

/**
 * A counter with one cache line per CPU, incremented by an rseq critical section: no atomic
 * instruction, no contention, exact under any concurrency.
 *
 * <p>Each {@link #add} is one critical downcall into run-time generated code that reads the
 * thread's cpu_id and adds to that CPU's cell with a single instruction; the kernel restarts it
 * if the thread is preempted, migrated or signalled first. A thread that cannot run sections
 * (rseq4j owns rseq and the thread is not registered) adds atomically to an extra cell that no
 * section touches, since a section's add is atomic only against sections on its own CPU. Where
 * no section runs at all (rseq or executable memory unavailable: see
 * {@link RseqSupport#perCpuImplementation()}), every add is atomic, to its CPU's cell.
 *
 * <p>{@link #sum()} is not an atomic snapshot (as with LongAdder); once updates stop it is exact.
 * Memory: 64 bytes per possible CPU, plus one line.
 */
public final class PerCpuCounter {

    private static final VarHandle CELL = PerCpuSlots.LONG;

    /** One cell per slot, a line apart; written by sections with plain adds, else atomically; read opaque. */
    private final MemorySegment cells = PerCpuSlots.allocate(Long.BYTES);
    /** Address of {@link #cells}, immutable; the sections take a raw address. */
    private final long base = cells.address();
    /** Total already handed out by {@link #sumThenReset()}; written under the lock, read volatile. */
    private volatile long handedOut;

    /** A counter at zero. */
    public PerCpuCounter() {}

    /** Adds one; see {@link #add(long)}. */
    public void increment() {
        add(1);
    }

    /**
     * Adds {@code value} to the calling thread's CPU's cell.
     *
     * @param value the amount, may be negative
     */
    public void add(long value) {
        if (MODE == Mode.TLS && PerCpuSlots.add(base, value, 0) == SectionTemplates.COMMITTED) {
            Reference.reachabilityFence(this);
            return;
        }
        addSlow(value);
    }

    /** A retry after an abort or migration, or a thread in REGISTER or ATOMIC mode. */
    private void addSlow(long value) {
        long area = PerCpuSlots.area();
        if (area == PerCpuSlots.NO_SECTIONS) {
            CELL.getAndAdd(cells, PerCpuSlots.lockedSlot() * PerCpuSlots.LINE, value);
        } else {
            while (PerCpuSlots.add(base, value, area) != SectionTemplates.COMMITTED) {
                Thread.onSpinWait();
            }
        }
        Reference.reachabilityFence(this);
    }

    /**
     * The total of all updates, less what {@link #sumThenReset()} handed out.
     *
     * @return the sum; exact once updates stop
     */
    public long sum() {
        return total() - handedOut;
    }

    /**
     * Returns {@link #sum()} and starts counting from zero. No cell is written, since another
     * CPU's section may be adding to it; the handed-out total is remembered instead, so every
     * update is counted by exactly one call.
     *
     * @return the sum since the previous call (or since construction)
     */
    public synchronized long sumThenReset() {
        long total = total();
        long sum = total - handedOut;
        handedOut = total;
        return sum;
    }

    private long total() {
        long total = 0;
        for (long offset = 0; offset < cells.byteSize(); offset += PerCpuSlots.LINE) {
            total += (long) CELL.getOpaque(cells, offset);
        }
        return total;
    }

    /**
     * Bytes of native memory this counter holds.
     *
     * @return one cache line per possible CPU, plus one
     */
    public long nativeBytes() {
        return cells.byteSize();
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }
}
