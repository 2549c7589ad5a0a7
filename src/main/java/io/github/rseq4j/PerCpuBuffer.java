package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.set;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * A bounded LIFO buffer of fixed-size records per CPU, filled and emptied by rseq sections (librseq's
 * {@code percpu_buffer} and, for records other than one {@code long}, the {@code memcpy} buffer).
 *
 * <p>Each slot holds a count and {@code capacity} records. Push stores the record above the count, then the
 * count + 1 as the committing release store (storev-storev for a {@code long}, trymemcpy-storev for a
 * record). Pop copies the top record out <em>inside</em> the section that commits count - 1
 * (trymemcpy-storev into per-thread scratch or the caller's segment): reading it before the section and
 * committing on an unchanged count would be ABA-prone, since a pop and a push in between restore the count
 * with another record on top.
 *
 * <h2 id="contract">Contract: per CPU, not global</h2>
 * Operations address the calling thread's CPU only (a section can commit only on the CPU it runs on):
 * <ul>
 * <li>{@link #push(long)} answers {@code false} when <em>this</em> CPU's buffer holds
 *     {@link #capacityPerCpu()} records, even if other CPUs have room; the caller decides (drop,
 *     retry later, or push elsewhere). Size the capacity for one CPU's burst.
 * <li>{@link #pop()} answers empty when this CPU's buffer is empty (then the shared slot), even if other CPUs
 *     hold records. It is a per-CPU work pool, not a global queue: records are found again by
 *     a thread on the same CPU, by {@link #popAny()}, which visits the other CPUs when this one's
 *     buffer is empty (slow: it moves the thread), or by {@link #drain}.
 * <li>{@link #drain} takes every record of every CPU, but only when the caller has the buffer to
 *     itself (no concurrent push or pop: it writes CPU counts with plain stores). It is not checked.
 * </ul>
 * Threads that cannot run sections use a locked slot: the shared slot (unregistered threads, or a CPU number
 * outside the slots), or in {@link PerCpuImplementation#ATOMICS} mode their CPU's slot.
 *
 * <p>Indexing: a buffer made with {@link PerCpuIndexing#MM_CID} has a slot per concurrency id (CPUs the process
 * may use) instead of per possible CPU; "CPU" above then means the thread's concurrency id. An id past the
 * slots, checked in Java and again inside the section, takes the shared slot under its monitor.
 *
 * <p>Records are at most {@link #MAX_RECORD_BYTES} bytes: the copy runs inside a critical downcall and inside
 * the section, so its length bounds how long the thread delays safepoints (and so every thread's GC) per
 * attempt, and how likely a preemption is to abort the attempt. Unbounded, a 16 MiB record took 7.6 s against
 * one competing thread on its CPU and a 64 MiB record never committed.
 */
public final class PerCpuBuffer {

    /**
     * The largest record: one 4 KiB page, copied as 512 eight-byte words in well under a microsecond, far below
     * a scheduler time slice, so that an attempt rarely aborts and never stalls safepoints noticeably.
     */
    public static final int MAX_RECORD_BYTES = 4096;

    /** What a section attempt loop ends with. */
    private static final int DONE = 1, NOT_DONE = 0, NO_SECTION = -1;

    private final int capacity;
    private final PerCpuIndexing indexing;
    /** Section slots; the shared slot is number {@code slots}. */
    private final int slots;
    private final int recordBytes;
    /** Bytes of one slot's records, whole lines. */
    private final long slotBytes;
    /** Counts, one per slot a line apart; CPU slots written only by sections, locked slots under monitors. */
    private final MemorySegment counts;
    /** Records, {@link #slotBytes} per slot; published by the count's release store. */
    private final MemorySegment records;
    /** Addresses of the two segments, immutable. */
    private final long countBase, recordBase;
    /** Monitors of the locked slots; immutable. */
    private final Object[] monitors;

    /**
     * A buffer of {@code long}s, {@code capacityPerCpu} per CPU slot.
     *
     * @param capacityPerCpu records each CPU (and the shared slot) holds, positive
     * @throws IllegalArgumentException if {@code capacityPerCpu} is not positive
     */
    public PerCpuBuffer(int capacityPerCpu) {
        this(capacityPerCpu, Long.BYTES);
    }

    /**
     * A buffer of {@code long}s, {@code capacityPerCpu} per slot, indexed by {@code indexing}, or by cpu_id where
     * that is unavailable.
     *
     * @param capacityPerCpu records each slot (and the shared slot) holds, positive
     * @param indexing       which number of the running thread picks its slot
     * @throws IllegalArgumentException if {@code capacityPerCpu} is not positive
     */
    public PerCpuBuffer(int capacityPerCpu, PerCpuIndexing indexing) {
        this(capacityPerCpu, Long.BYTES, indexing);
    }

    /**
     * A buffer of {@code recordBytes}-byte records, {@code capacityPerCpu} per CPU slot.
     *
     * @param capacityPerCpu records each CPU (and the shared slot) holds, positive
     * @param recordBytes    bytes of one record, positive
     * @throws IllegalArgumentException if either is not positive, or {@code recordBytes} is above
     *                                  {@link #MAX_RECORD_BYTES}
     * @throws ArithmeticException if the slot size overflows a {@code long}
     */
    public PerCpuBuffer(int capacityPerCpu, int recordBytes) {
        this(capacityPerCpu, recordBytes, PerCpuIndexing.CPU_ID);
    }

    /**
     * A buffer of {@code recordBytes}-byte records, {@code capacityPerCpu} per slot, indexed by {@code indexing},
     * or by cpu_id where that is unavailable.
     *
     * @param capacityPerCpu records each slot (and the shared slot) holds, positive
     * @param recordBytes    bytes of one record, positive
     * @param indexing       which number of the running thread picks its slot
     * @throws IllegalArgumentException if either number is not positive, or {@code recordBytes} is above
     *                                  {@link #MAX_RECORD_BYTES}
     * @throws ArithmeticException if the slot size overflows a {@code long}
     */
    public PerCpuBuffer(int capacityPerCpu, int recordBytes, PerCpuIndexing indexing) {
        if (capacityPerCpu < 1 || recordBytes < 1) {
            throw new IllegalArgumentException("capacity and record size must be positive: " + capacityPerCpu
                    + ", " + recordBytes);
        }
        if (recordBytes > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("records are copied inside an rseq critical section, which must stay "
                    + "short; the largest record is " + MAX_RECORD_BYTES + " bytes: " + recordBytes
                    + ". Store larger data elsewhere and push its address or index");
        }
        this.capacity = capacityPerCpu;
        this.recordBytes = recordBytes;
        this.indexing = indexing.active();
        this.slots = this.indexing.slots();
        this.slotBytes = PerCpuSlots.lines(Math.multiplyExact((long) capacityPerCpu, recordBytes));
        this.counts = PerCpuSlots.allocate(Long.BYTES, this.indexing);
        this.records = PerCpuSlots.allocate(slotBytes, this.indexing);
        this.countBase = counts.address();
        this.recordBase = records.address();
        this.monitors = new Object[slots + 1];
        for (int i = 0; i < monitors.length; i++) {
            monitors[i] = new Object();
        }
    }

    /**
     * The indexing this buffer uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return indexing;
    }

    /**
     * Records one CPU slot holds.
     *
     * @return the capacity given to the constructor
     */
    public int capacityPerCpu() {
        return capacity;
    }

    /**
     * Bytes of one record.
     *
     * @return 8 for a buffer of {@code long}s, else the size given to the constructor
     */
    public int recordBytes() {
        return recordBytes;
    }

    /**
     * Pushes {@code value} on the calling thread's CPU (see <a href="#contract">the contract</a>).
     *
     * @param value the value
     * @return true if pushed; false when that CPU's buffer is full, whatever other CPUs hold
     * @throws UnsupportedOperationException if records are not 8 bytes
     */
    public boolean push(long value) {
        requireLongRecords();
        long area = PerCpuSlots.area();
        int pushed = area == NO_SECTIONS ? NO_SECTION : pushLong(value, area);
        if (pushed == NO_SECTION) {
            long scratch = PerCpuSlots.scratch();
            set(scratch, value);
            pushed = pushLocked(scratch) ? DONE : NOT_DONE;
        }
        Reference.reachabilityFence(this);
        return pushed == DONE;
    }

    private int pushLong(long value, long area) {
        for (;;) {
            int cpu = PerCpuSlots.index(indexing);
            if (Integer.compareUnsigned(cpu, slots) >= 0) {
                return NO_SECTION;
            }
            long count = count(cpu);
            long n = get(count);
            if (n == capacity) {
                return NOT_DONE;
            }
            int rc = PerCpuSlots.cmpeqvStorevStorev(indexing, count, n, record(cpu, n), value, n + 1, cpu, area);
            if (rc == SectionTemplates.COMMITTED || rc == SectionTemplates.INDEX_OUT_OF_RANGE) {
                return rc == SectionTemplates.COMMITTED ? DONE : NO_SECTION;
            }
        }
    }

    /**
     * Pushes a copy of {@code record} on the calling thread's CPU (see <a href="#contract">the contract</a>).
     *
     * @param record a live native segment of at least {@link #recordBytes()} bytes; its first
     *               {@code recordBytes()} are copied
     * @return true if pushed; false when that CPU's buffer is full, whatever other CPUs hold
     * @throws IllegalArgumentException if {@code record} is not such a segment
     */
    public boolean push(MemorySegment record) {
        long src = nativeAddress(record, "record", false);
        long area = PerCpuSlots.area();
        int pushed = area == NO_SECTIONS ? NO_SECTION : copySection(src, area, true);
        if (pushed == NO_SECTION) {
            pushed = pushLocked(src) ? DONE : NOT_DONE;
        }
        Reference.reachabilityFence(record);
        Reference.reachabilityFence(this);
        return pushed == DONE;
    }

    /**
     * One record into ({@code push}) or out of this slot's buffer in one section: the copy between
     * {@code other} and the slot's top record, committed by the store of the new count.
     */
    private int copySection(long other, long area, boolean push) {
        for (;;) {
            int cpu = PerCpuSlots.index(indexing);
            if (Integer.compareUnsigned(cpu, slots) >= 0) {
                return NO_SECTION;
            }
            long count = count(cpu);
            long n = get(count);
            if (n == (push ? capacity : 0)) {
                return NOT_DONE;
            }
            long top = record(cpu, push ? n : n - 1);
            int rc = PerCpuSlots.cmpeqvTrymemcpyStorev(indexing, count, n, push ? top : other, push ? other : top,
                    recordBytes, push ? n + 1 : n - 1, cpu, area);
            if (rc == SectionTemplates.COMMITTED || rc == SectionTemplates.INDEX_OUT_OF_RANGE) {
                return rc == SectionTemplates.COMMITTED ? DONE : NO_SECTION;
            }
        }
    }

    /**
     * Pops the top {@code long} of the calling thread's CPU (then of the shared slot).
     *
     * @return the value; empty when those slots are empty, even if other CPUs hold records
     * @throws UnsupportedOperationException if records are not 8 bytes
     */
    public OptionalLong pop() {
        return popLong(this::popInto);
    }

    /**
     * Pops the top record of the calling thread's CPU (then of the shared slot) into {@code dst}.
     *
     * @param dst a live, writable native segment of at least {@link #recordBytes()} bytes
     * @return true if a record was popped; false when those slots are empty, even if other CPUs
     *         hold records. After false the contents of {@code dst} are unspecified (an aborted
     *         attempt may have copied part of a record)
     * @throws IllegalArgumentException if {@code dst} is not such a segment
     */
    public boolean pop(MemorySegment dst) {
        return popRecord(dst, this::popInto);
    }

    private boolean popInto(long dst) {
        long area = PerCpuSlots.area();
        int popped = area == NO_SECTIONS ? NO_SECTION : copySection(dst, area, false);
        if (popped == NO_SECTION) {
            popped = popLocked(PerCpuSlots.lockedSlot(indexing), dst) ? DONE : NOT_DONE;
        }
        if (popped != DONE && get(count(slots)) != 0) { // racy peek; the pop locks
            popped = popLocked(slots, dst) ? DONE : NOT_DONE;
        }
        Reference.reachabilityFence(this);
        return popped == DONE;
    }

    /**
     * Pops the top {@code long} of any CPU: the calling thread's CPU first, as {@link #pop()}, then, if that
     * is empty, each other CPU in turn. A section commits only on the CPU it runs on, so this moves the
     * calling thread to each CPU of its affinity mask in turn (two {@code sched_setaffinity} calls a CPU,
     * then its mask is restored) and pops there: the slow path for when the local buffer runs dry. Records
     * on CPUs outside the thread's mask (a cpuset), and with {@link PerCpuIndexing#MM_CID} those under
     * concurrency ids the thread does not get on its way, are found only by {@link #drain}. With
     * {@link PerCpuImplementation#ATOMICS} it takes each slot's lock instead.
     *
     * @return a value; empty only if every buffer this thread can reach was empty when it looked
     * @throws UnsupportedOperationException if records are not 8 bytes, or on a virtual thread when the
     *                                       local buffer is empty and sections run
     */
    public OptionalLong popAny() {
        return popLong(this::popAnyInto);
    }

    /**
     * Pops the top record of any CPU into {@code dst}, as {@link #popAny()} does for {@code long}s.
     *
     * @param dst a live, writable native segment of at least {@link #recordBytes()} bytes
     * @return true if a record was popped; after false the contents of {@code dst} are unspecified
     * @throws IllegalArgumentException if {@code dst} is not such a segment
     * @throws UnsupportedOperationException on a virtual thread when the local buffer is empty and
     *                                       sections run
     */
    public boolean popAny(MemorySegment dst) {
        return popRecord(dst, this::popAnyInto);
    }

    /** A {@code long} record popped by {@code pop} through the thread's scratch word. */
    private OptionalLong popLong(LongPredicate pop) {
        requireLongRecords();
        long scratch = PerCpuSlots.scratch();
        return pop.test(scratch) ? OptionalLong.of(get(scratch)) : OptionalLong.empty();
    }

    private boolean popRecord(MemorySegment dst, LongPredicate pop) {
        boolean popped = pop.test(nativeAddress(dst, "dst", true));
        Reference.reachabilityFence(dst);
        return popped;
    }

    private boolean popAnyInto(long dst) {
        boolean popped = popInto(dst);
        if (!popped) {
            if (PerCpuSections.MODE == Mode.ATOMIC) {
                for (int slot = 0; slot <= slots && !popped; slot++) {
                    popped = popLocked(slot, dst);
                }
            } else {
                popped = PerCpuSlots.onEachAllowedCpu(() -> popInto(dst));
            }
        }
        Reference.reachabilityFence(this);
        return popped;
    }

    /**
     * Records held in all slots.
     *
     * @return the total; exact only while no thread pushes or pops
     */
    public long size() {
        long size = 0;
        for (int slot = 0; slot <= slots; slot++) {
            size += get(count(slot));
        }
        Reference.reachabilityFence(this);
        return size;
    }

    /**
     * Removes every record of every slot, top first, handing each to {@code action} as a read-only view valid
     * during the call. Only while no other thread uses the buffer: it writes CPU counts with plain stores, so
     * a concurrent push or pop could lose or duplicate records. This precondition is not checked.
     *
     * @param action receives each record
     * @return how many records were removed
     */
    public long drain(Consumer<MemorySegment> action) {
        long drained = 0;
        for (int slot = 0; slot <= slots; slot++) {
            synchronized (monitors[slot]) {
                for (long n = get(count(slot)); n > 0; n--, drained++) {
                    action.accept(records.asSlice(record(slot, n - 1) - recordBase, recordBytes).asReadOnly());
                    set(count(slot), n - 1);
                }
            }
        }
        Reference.reachabilityFence(this);
        return drained;
    }

    private boolean pushLocked(long src) {
        int slot = PerCpuSlots.lockedSlot(indexing);
        synchronized (monitors[slot]) {
            long n = get(count(slot));
            if (n == capacity) {
                return false;
            }
            MemorySegment.copy(PerCpuSlots.MEMORY, src, PerCpuSlots.MEMORY, record(slot, n), recordBytes);
            set(count(slot), n + 1);
            return true;
        }
    }

    private boolean popLocked(int slot, long dst) {
        synchronized (monitors[slot]) {
            long n = get(count(slot));
            if (n == 0) {
                return false;
            }
            MemorySegment.copy(PerCpuSlots.MEMORY, record(slot, n - 1), PerCpuSlots.MEMORY, dst, recordBytes);
            set(count(slot), n - 1);
            return true;
        }
    }

    private long count(int slot) {
        return countBase + slot * LINE;
    }

    private long record(int slot, long index) {
        return recordBase + slot * slotBytes + index * recordBytes;
    }

    private void requireLongRecords() {
        if (recordBytes != Long.BYTES) {
            throw new UnsupportedOperationException("records are " + recordBytes + " bytes; use the segment forms");
        }
    }

    /**
     * The address the sections copy from or to. They take raw addresses, so the segment must be
     * checked here: a heap, closed, short or (for {@code written}) read-only segment would
     * otherwise mean a wild native access. Closing a shared arena while the call runs is still
     * the caller's error, as with any native function.
     */
    private long nativeAddress(MemorySegment segment, String what, boolean written) {
        if (!segment.isNative() || !segment.scope().isAlive() || segment.byteSize() < recordBytes
                || (written && segment.isReadOnly())) {
            throw new IllegalArgumentException(what + " must be a live" + (written ? ", writable" : "")
                    + " native segment of at least " + recordBytes + " bytes: " + segment);
        }
        return segment.address();
    }
}
