package io.github.rseq4j;

import static io.github.rseq4j.PerCpuEngine.LONG;

import io.github.rseq4j.internal.cs.SectionTemplates;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * A {@code double} sum with one cache line per CPU, for meters that count in doubles (as
 * {@link java.util.concurrent.atomic.DoubleAdder}): each {@link #add} reads its CPU's cell, adds in Java, and
 * stores the result's bits with an rseq compare-and-store section, which commits only if the cell still holds
 * the bits it read and the thread is still on that CPU, and is restarted by the kernel if preempted, migrated
 * or signalled. So no add is lost, with no atomic instruction and no contention; the cost is one critical
 * downcall, plus a retry when another thread on the same CPU added in between.
 *
 * <p>A thread that cannot run sections (rseq4j owns rseq and the thread is not registered, or its index is
 * past the slots) adds with a compare-and-set loop to the shared cell, which no section touches; where no
 * section runs at all, every add is a compare-and-set loop on its CPU's cell.
 *
 * <p>As with DoubleAdder: {@link #sum()} is not an atomic snapshot, and the order in which the cells are added
 * is not defined, so with values of mixed magnitude the sum may differ from a sequential one by rounding.
 * {@link #reset()} has DoubleAdder's semantics: it is exact only when no add runs meanwhile (an add racing with
 * it may be counted, or the reset of that cell undone). There is no {@code sumThenReset()}: the counter's exact
 * one (remembering what was handed out) needs integer arithmetic, and a double's difference rounds. For an
 * interval meter, read the cumulative {@link #sum()} and let the meter take differences (Micrometer's
 * {@code FunctionCounter} does).
 */
public final class PerCpuDoubleAdder extends Number {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The family's engine (indexing, slot counts, allocation), held since a Number cannot extend it; immutable. */
    private final transient PerCpuEngine engine;
    /** A double's raw bits per slot, a line apart: written by sections with plain stores, else by CAS; read opaque. */
    private final transient MemorySegment cells;
    /** Address of {@link #cells}, immutable; the sections take a raw address. */
    private final transient long base;

    /**
     * An adder at zero, indexed by {@link PerCpuIndexing#CPU_ID}.
     *
     * <p>Its native memory ({@link #nativeBytes()}) is allocated as direct memory and counts against
     * {@code -XX:MaxDirectMemorySize}; past that limit the constructor throws {@link OutOfMemoryError}
     * ("Cannot reserve ... bytes of direct buffer memory"). The garbage collector frees it with the adder.
     */
    public PerCpuDoubleAdder() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * An adder at zero, indexed by {@code indexing}, or by cpu_id where that is unavailable. Its native memory
     * counts against {@code -XX:MaxDirectMemorySize}, as {@link #PerCpuDoubleAdder()} says.
     *
     * @param indexing which number of the running thread picks its cell
     * @throws NullPointerException if {@code indexing} is null
     */
    public PerCpuDoubleAdder(PerCpuIndexing indexing) {
        this.engine = new PerCpuEngine(indexing, false);
        this.cells = engine.allocate(Long.BYTES);
        this.base = cells.address();
    }

    /**
     * Adds {@code value} to the calling thread's CPU's cell.
     *
     * @param value the amount, any double
     */
    public void add(double value) {
        long area = PerCpuSlots.area();
        int slot = area == PerCpuSlots.NO_SECTIONS ? engine.lockedSlot() : addSection(value, area);
        if (slot >= 0) {
            addAtomic(slot, value);
        }
        Reference.reachabilityFence(this);
    }

    /** -1 once committed, else the slot to add to atomically: the shared one, for a thread with no usable index. */
    private int addSection(double value, long area) {
        for (;;) {
            int slot = engine.threadSlot();
            if (!engine.isSectionSlot(slot)) {
                return engine.sectionSlots;
            }
            long cell = base + slot * PerCpuSlots.LINE;
            long expect = PerCpuSlots.get(cell);
            long sum = Double.doubleToRawLongBits(Double.longBitsToDouble(expect) + value);
            switch (PerCpuSlots.cmpeqvStorev(engine.indexing, cell, expect, sum, slot, area)) {
                case SectionTemplates.COMMITTED -> {
                    return -1;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return engine.sectionSlots;
                }
                default -> Thread.onSpinWait(); // another add on this CPU, an abort, or a migration
            }
        }
    }

    private void addAtomic(int slot, double value) {
        long offset = slot * PerCpuSlots.LINE;
        for (long expect = (long) LONG.getVolatile(cells, offset);;) {
            long sum = Double.doubleToRawLongBits(Double.longBitsToDouble(expect) + value);
            long witness = (long) LONG.compareAndExchange(cells, offset, expect, sum);
            if (witness == expect) {
                return;
            }
            expect = witness;
        }
    }

    /**
     * The sum of every cell.
     *
     * @return the sum; exact (up to the rounding of adding the cells) once adds stop
     */
    public double sum() {
        double sum = 0;
        for (int slot = 0; slot < engine.slotCount(); slot++) {
            sum += Double.longBitsToDouble((long) LONG.getOpaque(cells, slot * PerCpuSlots.LINE));
        }
        Reference.reachabilityFence(this);
        return sum;
    }

    /** Sets every cell to zero; exact only while no add runs (DoubleAdder's semantics, see the class comment). */
    public void reset() {
        for (int slot = 0; slot < engine.slotCount(); slot++) {
            LONG.setVolatile(cells, slot * PerCpuSlots.LINE, 0L);
        }
        Reference.reachabilityFence(this);
    }

    /**
     * The indexing this adder uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return engine.indexing;
    }

    /**
     * Bytes of native memory this adder holds.
     *
     * @return one cache line per slot (possible CPU, or allowed CPU by mm_cid), plus one
     */
    public long nativeBytes() {
        return cells.byteSize();
    }

    /** {@link #sum()}. */
    @Override
    public double doubleValue() {
        return sum();
    }

    /** {@link #sum()} narrowed to {@code long}, as a primitive narrowing conversion. */
    @Override
    public long longValue() {
        return (long) sum();
    }

    /** {@link #sum()} narrowed to {@code int}, as a primitive narrowing conversion. */
    @Override
    public int intValue() {
        return (int) sum();
    }

    /** {@link #sum()} narrowed to {@code float}. */
    @Override
    public float floatValue() {
        return (float) sum();
    }

    @Override
    public String toString() {
        return Double.toString(sum());
    }

    /**
     * Serializes the sum, not the native cells.
     *
     * @return a {@code SerializedSum} of this indexing and sum, read back as a new structure holding the sum
     */
    @Serial
    private Object writeReplace() {
        return new SerializedSum(engine.indexing, Double.doubleToRawLongBits(sum()), true);
    }

    /**
     * Refuses a stream that claims to hold this class itself: only its {@code SerializedSum} is ever written.
     *
     * @param in the stream
     * @throws InvalidObjectException always
     */
    @Serial
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("a PerCpuDoubleAdder is read from its SerializedSum");
    }
}
