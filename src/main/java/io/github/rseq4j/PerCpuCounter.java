package io.github.rseq4j;

/**
 * A counter with one cache line per CPU, incremented by an rseq critical section: no atomic
 * instruction, no contention, exact under any concurrency. The one-element {@link PerCpuLongArray}.
 *
 * <p>Each {@link #add} is one critical downcall into run-time generated code that reads the
 * thread's cpu_id and adds to that CPU's cell with a single instruction; the kernel restarts it
 * if the thread is preempted, migrated or signalled first. A thread that cannot run sections
 * (rseq4j owns rseq and the thread is not registered) adds atomically to an extra cell that no
 * section touches, since a section's add is atomic only against sections on its own CPU. Where
 * no section runs at all (rseq or executable memory unavailable: see
 * {@link RseqSupport#perCpuImplementation()}), every add is atomic, to its CPU's cell. Indexed by
 * {@link PerCpuIndexing#MM_CID}, it holds a line per allowed CPU instead of per possible CPU.
 *
 * <p>{@link #sum()} is not an atomic snapshot (as with LongAdder); once updates stop it is exact.
 * Memory: 64 bytes per slot, plus one line ({@link #nativeBytes()}).
 */
public final class PerCpuCounter {

    private final PerCpuLongArray cells;

    /** A counter indexed by {@link PerCpuIndexing#CPU_ID}. */
    public PerCpuCounter() {
        this(PerCpuIndexing.CPU_ID);
    }

    /** A counter indexed by {@code indexing}, or by cpu_id where that is unavailable. */
    public PerCpuCounter(PerCpuIndexing indexing) {
        cells = new PerCpuLongArray(1, indexing);
    }

    public void increment() {
        add(1);
    }

    public void add(long value) {
        cells.add(0, value);
    }

    /** The total of all updates (less what {@link #sumThenReset()} handed out). */
    public long sum() {
        return cells.sum(0);
    }

    /**
     * Returns {@link #sum()} and starts counting from zero. No cell is written, since another
     * CPU's section may be adding to it; the handed-out total is remembered instead, so every
     * update is counted by exactly one call.
     */
    public long sumThenReset() {
        return cells.sumThenReset(0);
    }

    /** The indexing this counter uses. */
    public PerCpuIndexing indexing() {
        return cells.indexing();
    }

    /** Bytes of native memory this counter holds. */
    public long nativeBytes() {
        return cells.nativeBytes();
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }
}
