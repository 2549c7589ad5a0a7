package io.github.rseq4j;

import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * {@code length} counters with one copy per CPU, each {@link #add} one rseq critical section: no atomic
 * instruction, no contention, exact under any concurrency. {@link PerCpuCounter} is its one-element case.
 *
 * <p>Layout: the elements go eight to a cache line, and every group of eight is a block with one line per
 * slot. Element {@code i} of slot {@code s} is at {@code block(i / 8) + s * 64 + (i % 8) * 8}, so the block
 * and element offset is added to the base in Java and the section adds {@code index * 64} for the running
 * CPU: one linked {@code add} serves every array length, and no two CPUs ever write the same line.
 *
 * <p>The section reads the index itself, the CPU number or, with {@link PerCpuIndexing#MM_CID}, the
 * concurrency id, and checks it against the slots before it adds. A thread that cannot run sections, or whose
 * index the section finds past the slots, adds atomically to the shared slot, which no section touches; where
 * no section runs at all, every add is atomic, to its CPU's cell.
 *
 * <p>{@link #sum} is not an atomic snapshot (as with LongAdder); once updates stop it is exact.
 * {@link #sumThenReset()} hands out each update exactly once across calls. Memory: {@link #nativeBytes()},
 * 64 bytes per slot per group of eight elements.
 */
public final class PerCpuLongArray extends PerCpuEngine {

    private static final VarHandle HANDED_OUT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int PER_LINE = (int) (PerCpuSlots.LINE / Long.BYTES);
    private static final int PER_LINE_SHIFT = Integer.numberOfTrailingZeros(PER_LINE);

    private final int length;
    /** Bytes from one group of eight elements to the next: a line per slot. */
    private final long blockBytes;
    /** The cells; written by sections with plain stores, else atomically; read opaque. */
    private final MemorySegment cells;
    /** Address of {@link #cells}, immutable; the sections take a raw address. */
    private final long base;
    /** The last element's offset in slot 0: the bound {@link PerCpuSlots#addEach} checks offsets against. */
    private final long maxOffset;
    /** Per element, the total already handed out by {@link #sumThenReset}; written under the lock, read volatile. */
    private final long[] handedOut;

    /**
     * An array of {@code length} zeros indexed by {@link PerCpuIndexing#CPU_ID}.
     *
     * <p>Its native memory ({@link #nativeBytes()}: 64 bytes per slot per group of eight elements) is allocated as
     * direct memory and counts against {@code -XX:MaxDirectMemorySize}; past that limit the constructor throws
     * {@link OutOfMemoryError} ("Cannot reserve ... bytes of direct buffer memory"). The garbage collector frees
     * it with the array.
     *
     * @param length number of elements
     * @throws IllegalArgumentException if {@code length} is not positive
     */
    public PerCpuLongArray(int length) {
        this(length, PerCpuIndexing.CPU_ID);
    }

    /**
     * An array of {@code length} zeros indexed by {@code indexing}, or by cpu_id where that is unavailable. Its
     * native memory counts against {@code -XX:MaxDirectMemorySize}, as {@link #PerCpuLongArray(int)} says.
     *
     * @param length   number of elements
     * @param indexing which number of the running thread picks its slot
     * @throws IllegalArgumentException if {@code length} is not positive
     * @throws NullPointerException     if {@code indexing} is null
     */
    public PerCpuLongArray(int length, PerCpuIndexing indexing) {
        super(checked(length, indexing), false);
        this.length = length;
        this.blockBytes = (long) slotCount() * PerCpuSlots.LINE;
        this.cells = allocate((long) blocks(length) * PerCpuSlots.LINE);
        this.base = cells.address();
        this.maxOffset = offsetOf(length - 1);
        this.handedOut = new long[length];
    }

    /** The constructor's argument check, before anything is allocated; {@code indexing}, for the engine. */
    private static PerCpuIndexing checked(int length, PerCpuIndexing indexing) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive: " + length);
        }
        return indexing;
    }

    private static int blocks(int length) {
        return (length + PER_LINE - 1) / PER_LINE;
    }

    /**
     * Number of elements.
     *
     * @return the length given at construction
     */
    public int length() {
        return length;
    }

    /**
     * The indexing this array uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return indexing;
    }

    /**
     * Adds {@code delta} to element {@code index}.
     *
     * @param index the element
     * @param delta the amount, may be negative
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, length)}
     */
    public void add(int index, long delta) {
        addAt(offsetOf(Objects.checkIndex(index, length)), delta);
    }

    /** {@link #add} of the element at {@code element}, an {@link #offsetOf} offset. */
    void addAt(long element, long delta) {
        if (PerCpuSlots.TLS && PerCpuSlots.add(indexing, base + element, delta, 0) == SectionTemplates.COMMITTED) {
            Reference.reachabilityFence(this);
            return;
        }
        addSlow(element, delta);
    }

    /**
     * Adds {@code delta} to the element at each of {@code indices[from]} to {@code indices[to - 1]}: an index
     * listed twice gets it twice. One downcall adds up to 64 elements, each in its own rseq section, so that an
     * abort repeats only the element it interrupted; where no section runs, each element is added as by
     * {@link #add}. Every index is checked before anything is added.
     *
     * @param indices the elements
     * @param from    the first position of {@code indices} to read
     * @param to      one past the last position to read
     * @param delta   the amount for each, may be negative
     * @throws NullPointerException      if {@code indices} is null
     * @throws IndexOutOfBoundsException if {@code [from, to)} is not within {@code indices}, or an index read is
     *                                   not in {@code [0, length)}; nothing is added then
     */
    public void addAll(int[] indices, int from, int to, long delta) {
        Objects.checkFromToIndex(from, to, indices.length);
        for (int i = from; i < to; i++) {
            if (Integer.compareUnsigned(indices[i], length) >= 0) {
                throw notAnElement(i, indices[i], 0);
            }
        }
        long offsets = PerCpuSlots.offsets();
        for (int at = from; at < to;) {
            int count = Math.min(to - at, PerCpuSlots.BATCH);
            for (int i = 0; i < count; i++) {
                // Unchecked: an index another thread changed since the check lists an offset past maxOffset (the
                // offset grows with the index, and a negative one is above all), which addEach refuses.
                PerCpuSlots.set(offsets + (long) i * Long.BYTES, offsetOf(indices[at + i]));
            }
            int added = addEach(offsets, count, delta);
            if (added < count) {
                throw notAnElement(at + added, indices[at + added], at - from + added);
            }
            at += count;
        }
    }

    private IndexOutOfBoundsException notAnElement(int position, int index, int done) {
        return new IndexOutOfBoundsException("indices[" + position + "] = " + index + " is not in [0, " + length + ")"
                + changedWhileAdding(done, "added"));
    }

    /**
     * How a bulk call's failure after {@code done} elements reads: nothing done, or, since every element was
     * checked before the first was done, one changed by another thread meanwhile.
     */
    static String changedWhileAdding(int done, String what) {
        return done == 0 ? "; nothing was " + what : "; it changed while the call ran (another thread wrote the "
                + "array after the check that precedes any update): the " + done + " before it were " + what;
    }

    /**
     * Adds {@code delta} at each of the {@code count} (at most {@link PerCpuSlots#BATCH}) offsets listed at
     * {@code offsets} (the calling thread's {@link PerCpuSlots#offsets()}, each from {@link #offsetOf}), in order,
     * up to the first offset past the last element, which it refuses.
     *
     * @return the elements added: {@code count}, or the position of the refused offset
     */
    int addEach(long offsets, int count, long delta) {
        if (PerCpuSlots.TLS) {
            int result = PerCpuSlots.addEach(indexing, base, offsets, count, delta, maxOffset, 0);
            if (result == SectionTemplates.COMMITTED) {
                Reference.reachabilityFence(this);
                return count;
            }
            int done = count - SectionTemplates.remaining(result);
            return done + addEachSlow(offsets + (long) done * Long.BYTES, count - done, delta,
                    SectionTemplates.code(result));
        }
        return addEachSlow(offsets, count, delta, SectionTemplates.ABORTED);
    }

    /**
     * The rest of {@link #addEach} from {@code offsets}, after a section's {@code code} (ABORTED when none ran yet):
     * retries after aborts and migrations; a thread without sections, or one whose index the section found out of
     * range, adds each element atomically, to its locked slot or the shared slot. Stops at an offset past the last
     * element, as the section does.
     *
     * @return the elements added before that offset, {@code count} if none
     */
    private int addEachSlow(long offsets, int count, long delta, int code) {
        long area = PerCpuSlots.area();
        int done = 0;
        while (done < count && area != PerCpuSlots.NO_SECTIONS && code != SectionTemplates.INDEX_OUT_OF_RANGE
                && code != SectionTemplates.COMPARE_FAILED) {
            Thread.onSpinWait();
            int result = PerCpuSlots.addEach(indexing, base, offsets + (long) done * Long.BYTES, count - done, delta,
                    maxOffset, area);
            done = count - SectionTemplates.remaining(result);
            code = SectionTemplates.code(result);
        }
        int slot = area == PerCpuSlots.NO_SECTIONS ? lockedSlot() : sectionSlots;
        for (; done < count && code != SectionTemplates.COMPARE_FAILED; done++) {
            long offset = PerCpuSlots.get(offsets + (long) done * Long.BYTES);
            if (Long.compareUnsigned(offset, maxOffset) > 0) {
                break;
            }
            LONG.getAndAdd(cells, slot * PerCpuSlots.LINE + offset, delta);
        }
        Reference.reachabilityFence(this);
        return done;
    }

    /**
     * A retry after an abort or migration, a thread in REGISTER or ATOMIC mode, or one whose
     * index the section found out of range (its area is not registered): that one adds atomically to the
     * shared slot, which no section touches.
     */
    private void addSlow(long element, long delta) {
        long area = PerCpuSlots.area();
        if (area == PerCpuSlots.NO_SECTIONS) {
            LONG.getAndAdd(cells, lockedSlot() * PerCpuSlots.LINE + element, delta);
        } else {
            for (int rc; (rc = PerCpuSlots.add(indexing, base + element, delta, area)) != SectionTemplates.COMMITTED;) {
                if (rc == SectionTemplates.INDEX_OUT_OF_RANGE) {
                    LONG.getAndAdd(cells, sectionSlots * PerCpuSlots.LINE + element, delta);
                    break;
                }
                Thread.onSpinWait();
            }
        }
        Reference.reachabilityFence(this);
    }

    /**
     * Byte offset of element {@code index} (in {@code [0, length)}, unchecked) in slot 0, for {@link #addAt} and
     * {@link #addEach}: shifts, since PER_LINE is 8.
     */
    long offsetOf(int index) {
        return (index >>> PER_LINE_SHIFT) * blockBytes + ((index & (PER_LINE - 1)) << 3);
    }

    /**
     * The total of all updates to element {@code index} (less what {@link #sumThenReset} handed out).
     *
     * @param index the element
     * @return its sum; exact once updates stop
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, length)}
     */
    public long sum(int index) {
        Objects.checkIndex(index, length);
        // The handed-out total first: a reset after it is then counted in full by the cells read later, so a
        // concurrent reset never makes this a new handed-out total minus an older cell total (even negative).
        long handed = (long) HANDED_OUT.getVolatile(handedOut, index);
        return total(index) - handed;
    }

    /**
     * {@link #sum(int)} of every element, each read once.
     *
     * @return a new array of the sums
     */
    public long[] sums() {
        return sums(new long[length]);
    }

    /** {@link #sums()} into {@code into}, of at least {@link #length} elements; returns it. */
    long[] sums(long[] into) {
        for (int i = 0; i < length; i++) {
            into[i] = sum(i);
        }
        return into;
    }

    /**
     * Returns every element's sum and starts each from zero: an interval snapshot. No cell is written, since
     * another CPU's section may be adding to it; the handed-out totals are remembered instead, so every update
     * lands in exactly one snapshot (an update racing with the call lands in this one or the next).
     *
     * @return a new array of each element's sum since the previous snapshot (or construction)
     */
    public long[] sumThenReset() {
        return sumThenReset(new long[length]);
    }

    /** {@link #sumThenReset()} into {@code into}, of at least {@link #length} elements; returns it. */
    synchronized long[] sumThenReset(long[] into) {
        for (int i = 0; i < length; i++) {
            into[i] = sumThenReset(i);
        }
        return into;
    }

    /**
     * {@link #sumThenReset()} of element {@code index} alone.
     *
     * @param index the element
     * @return its sum since the previous snapshot of it (or construction)
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, length)}
     */
    public synchronized long sumThenReset(int index) {
        Objects.checkIndex(index, length);
        long total = total(index);
        long sum = total - handedOut[index];
        HANDED_OUT.setVolatile(handedOut, index, total);
        return sum;
    }

    private long total(int index) {
        long element = offsetOf(index);
        long total = 0;
        for (int slot = 0; slot < slotCount(); slot++) {
            total += (long) LONG.getOpaque(cells, element + slot * PerCpuSlots.LINE);
        }
        Reference.reachabilityFence(this);
        return total;
    }

    /**
     * Bytes of native memory this array holds.
     *
     * @return 64 bytes per slot (the shared one included) per group of eight elements
     */
    public long nativeBytes() {
        return cells.byteSize();
    }
}
