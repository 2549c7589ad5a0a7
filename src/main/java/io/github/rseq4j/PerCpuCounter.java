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

    /** A counter at zero, indexed by {@link PerCpuIndexing#CPU_ID}. */
    public PerCpuCounter() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * A counter at zero, indexed by {@code indexing}, or by cpu_id where that is unavailable.
     *
     * @param indexing which number of the running thread picks its cell
     */
    public PerCpuCounter(PerCpuIndexing indexing) {
        cells = new PerCpuLongArray(1, indexing);
    }

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
        cells.add(0, value);
    }

    /**
     * The total of all updates, less what {@link #sumThenReset()} handed out.
     *
     * @return the sum; exact once updates stop
     */
    public long sum() {
        return cells.sum(0);
    }

    /**
     * Returns {@link #sum()} and starts counting from zero. No cell is written, since another
     * CPU's section may be adding to it; the handed-out total is remembered instead, so every
     * update is counted by exactly one call.
     *
     * @return the sum since the previous call (or since construction)
     */
    public long sumThenReset() {
        return cells.sumThenReset(0);
    }

    /**
     * The indexing this counter uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return cells.indexing();
    }

    /**
     * Bytes of native memory this counter holds.
     *
     * @return one cache line per slot (possible CPU, or allowed CPU by mm_cid), plus one
     */
    public long nativeBytes() {
        return cells.nativeBytes();
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }
}
