package io.github.rseq4j;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;

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
 * <p>A drop-in for {@link java.util.concurrent.atomic.LongAdder}: a {@link Number}, with {@link #increment},
 * {@link #decrement}, {@link #add}, {@link #sum}, {@link #reset} and {@link #sumThenReset}. {@link #sum()} is not
 * an atomic snapshot (as with LongAdder); once updates stop it is exact. {@link #reset()} and
 * {@link #sumThenReset()} are stronger than LongAdder's: they are exact under concurrent updates, each update
 * counted before or after the reset, none lost (LongAdder's reset is "only effective if there are no concurrent
 * updates"). As LongAdder, it serializes as its sum, and deserializes as a new counter holding that sum.
 * Memory: 64 bytes per slot, plus one line ({@link #nativeBytes()}).
 */
public final class PerCpuCounter extends Number {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The cells; immutable reference. Not serialized: {@link #writeReplace} stands in. */
    private final transient PerCpuLongArray cells;

    /**
     * A counter at zero, indexed by {@link PerCpuIndexing#CPU_ID}.
     *
     * <p>Its native memory ({@link #nativeBytes()}) is allocated as direct memory and counts against
     * {@code -XX:MaxDirectMemorySize}; past that limit the constructor throws {@link OutOfMemoryError}
     * ("Cannot reserve ... bytes of direct buffer memory"). The garbage collector frees it with the counter.
     */
    public PerCpuCounter() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * A counter at zero, indexed by {@code indexing}, or by cpu_id where that is unavailable. Its native memory
     * counts against {@code -XX:MaxDirectMemorySize}, as {@link #PerCpuCounter()} says.
     *
     * @param indexing which number of the running thread picks its cell
     * @throws NullPointerException if {@code indexing} is null
     */
    public PerCpuCounter(PerCpuIndexing indexing) {
        cells = new PerCpuLongArray(1, indexing);
    }

    /** Adds one; see {@link #add(long)}. */
    public void increment() {
        add(1);
    }

    /** Subtracts one; see {@link #add(long)}. */
    public void decrement() {
        add(-1);
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
     * Starts counting from zero: {@link #sumThenReset()} without its result. Unlike LongAdder's reset, an update
     * racing with it is never lost: it is counted before the reset or after it.
     */
    public void reset() {
        sumThenReset();
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

    /** {@link #sum()}. */
    @Override
    public long longValue() {
        return sum();
    }

    /** {@link #sum()} narrowed to {@code int}, as a primitive narrowing conversion. */
    @Override
    public int intValue() {
        return (int) sum();
    }

    /** {@link #sum()} widened to {@code float}. */
    @Override
    public float floatValue() {
        return sum();
    }

    /** {@link #sum()} widened to {@code double}. */
    @Override
    public double doubleValue() {
        return sum();
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }

    /**
     * Serializes the sum, not the native cells.
     *
     * @return a {@code SerializedSum} of this indexing and sum, read back as a new structure holding the sum
     */
    @Serial
    private Object writeReplace() {
        return new SerializedSum(indexing(), sum(), false);
    }

    /**
     * Refuses a stream that claims to hold this class itself: only its {@code SerializedSum} is ever written.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("a PerCpuCounter is read from its SerializedSum");
    }
}
