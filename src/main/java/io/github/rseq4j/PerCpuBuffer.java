package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.LINE;
import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;
import static io.github.rseq4j.PerCpuSlots.area;
import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuSlots.lines;
import static io.github.rseq4j.PerCpuSlots.moveRecord;
import static io.github.rseq4j.PerCpuSlots.scratchSegment;
import static io.github.rseq4j.PerCpuSlots.set;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A bounded LIFO buffer of fixed-size records per CPU, filled and emptied by rseq sections (librseq's
 * {@code percpu_buffer} and, for records other than one {@code long}, the {@code memcpy} buffer).
 *
 * <p>Each slot holds a count and {@code capacity} records. One section does each push or pop: it finds the running
 * CPU's slot and reads its count itself (Java reads neither), checks the count against the capacity before it
 * becomes an address, copies the record above the count in or the top record out, and commits the count + 1 or
 * - 1 as a release store. A {@code long} goes through the thread's scratch line. The pop copies <em>inside</em>
 * the section that takes the record: a copy after it could read a record a later push already replaced.
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
 * slots, which the section checks, takes the shared slot under its monitor.
 *
 * <p>Records are at most {@link #MAX_RECORD_BYTES} bytes: the copy runs inside a critical downcall and inside
 * the section, so its length bounds how long the thread delays safepoints (and so every thread's GC) per
 * attempt, and how likely a preemption is to abort the attempt. Unbounded, a 16 MiB record took 7.6 s against
 * one competing thread on its CPU and a 64 MiB record never committed.
 *
 * <h2 id="memory">Native memory</h2>
 * Counts and records live in native memory that the JDK allocates as direct memory, so it counts against
 * {@code -XX:MaxDirectMemorySize} (by default the maximum heap size) like a direct {@code ByteBuffer}'s, and a
 * constructor that would pass that limit throws {@code OutOfMemoryError} ("Cannot reserve ... bytes of direct
 * buffer memory"). A buffer takes {@link #nativeBytes()}: about {@code (slots + 1) * (64 + capacityPerCpu *
 * recordBytes)} bytes, where slots are the possible CPUs (or the concurrency ids with {@link PerCpuIndexing#MM_CID}),
 * each slot rounded up to whole 64-byte lines. It is freed when the buffer becomes unreachable.
 */
public final class PerCpuBuffer extends PerCpuEngine {

    /**
     * The largest record: one 4 KiB page, copied as 512 eight-byte words in well under a microsecond, far below
     * a scheduler time slice, so that an attempt rarely aborts and never stalls safepoints noticeably.
     */
    public static final int MAX_RECORD_BYTES = 4096;

    private final int capacity;
    private final int recordBytes;
    /** Bytes of one slot's records, whole lines. */
    private final long slotBytes;
    /** Counts, one per slot a line apart; CPU slots written only by sections, locked slots under monitors. */
    private final MemorySegment counts;
    /** Records, {@link #slotBytes} per slot; published by the count's release store. */
    private final MemorySegment records;
    /** Addresses of the two segments, immutable. */
    private final long countBase, recordBase;

    /**
     * A buffer of {@code long}s, {@code capacityPerCpu} per CPU slot.
     *
     * @param capacityPerCpu records each CPU (and the shared slot) holds, positive
     * @throws IllegalArgumentException if {@code capacityPerCpu} is not positive
     * @throws OutOfMemoryError if the buffer's {@link #nativeBytes()} would pass {@code -XX:MaxDirectMemorySize}
     *                          (see <a href="#memory">Native memory</a>)
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
     * @throws NullPointerException if {@code indexing} is null
     * @throws IllegalArgumentException if {@code capacityPerCpu} is not positive
     * @throws OutOfMemoryError if the buffer's {@link #nativeBytes()} would pass {@code -XX:MaxDirectMemorySize}
     *                          (see <a href="#memory">Native memory</a>)
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
     * @throws OutOfMemoryError if the buffer's {@link #nativeBytes()} would pass {@code -XX:MaxDirectMemorySize}
     *                          (see <a href="#memory">Native memory</a>)
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
     * @throws NullPointerException if {@code indexing} is null
     * @throws IllegalArgumentException if either number is not positive, or {@code recordBytes} is above
     *                                  {@link #MAX_RECORD_BYTES}
     * @throws ArithmeticException if the slot size overflows a {@code long}
     * @throws OutOfMemoryError if the buffer's {@link #nativeBytes()} would pass {@code -XX:MaxDirectMemorySize}
     *                          (see <a href="#memory">Native memory</a>)
     */
    public PerCpuBuffer(int capacityPerCpu, int recordBytes, PerCpuIndexing indexing) {
        super(checked(capacityPerCpu, recordBytes, indexing), true);
        this.capacity = capacityPerCpu;
        this.recordBytes = recordBytes;
        this.slotBytes = lines(Math.multiplyExact((long) capacityPerCpu, recordBytes));
        this.counts = allocate(Long.BYTES);
        this.records = allocate(slotBytes);
        this.countBase = counts.address();
        this.recordBase = records.address();
    }

    /** The constructor's argument checks, before anything is allocated; {@code indexing}, for the engine. */
    private static PerCpuIndexing checked(int capacityPerCpu, int recordBytes, PerCpuIndexing indexing) {
        if (capacityPerCpu < 1 || recordBytes < 1) {
            throw new IllegalArgumentException("capacity and record size must be positive: " + capacityPerCpu
                    + ", " + recordBytes);
        }
        if (recordBytes > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("records are copied inside an rseq critical section, which must stay "
                    + "short; the largest record is " + MAX_RECORD_BYTES + " bytes: " + recordBytes
                    + ". Store larger data elsewhere and push its address or index");
        }
        return indexing;
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
     * Bytes of native (direct) memory this buffer holds: its counts and records, every slot's, from the
     * constructor on (see <a href="#memory">Native memory</a>).
     *
     * @return the bytes, fixed for the buffer's life
     */
    public long nativeBytes() {
        return counts.byteSize() + records.byteSize();
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
        MemorySegment scratch = scratchSegment();
        scratch.set(ValueLayout.JAVA_LONG, 0, value);
        long area = area();
        int pushed = area == NO_SECTIONS ? NO_SLOT : recordSection(scratch, area, true);
        if (pushed == NO_SLOT) {
            pushed = pushLocked(scratch) ? COMMITTED : REFUSED;
        }
        Reference.reachabilityFence(this);
        return pushed == COMMITTED;
    }

    /**
     * Pushes a copy of {@code record} on the calling thread's CPU (see <a href="#contract">the contract</a>).
     * {@code record} is accessed as FFM accesses any segment: from its arena's thread if that arena is confined,
     * only while the arena is open, and the arena stays open until the copy is done (a shared arena's
     * {@code close()} on another thread meanwhile fails, as it does during any access). So the push either copies
     * the whole record or throws before anything is pushed.
     *
     * @param record a segment of at least {@link #recordBytes()} bytes, native or heap; its first
     *               {@code recordBytes()} are copied
     * @return true if pushed; false when that CPU's buffer is full, whatever other CPUs hold
     * @throws NullPointerException if {@code record} is null
     * @throws IllegalArgumentException if {@code record} is shorter than {@link #recordBytes()}
     * @throws IllegalStateException if {@code record}'s arena is closed
     * @throws WrongThreadException if {@code record}'s arena is confined to another thread
     */
    public boolean push(MemorySegment record) {
        requireRecord(record, "record", false);
        long area = area();
        int pushed = area == NO_SECTIONS ? NO_SLOT : recordSection(record, area, true);
        if (pushed == NO_SLOT) {
            pushed = pushLocked(record) ? COMMITTED : REFUSED;
        }
        if (pushed == REFUSED) {
            requireAccessible(record);
        }
        Reference.reachabilityFence(this);
        return pushed == COMMITTED;
    }

    /**
     * One record into ({@code push}) or out of the running CPU's slot in one section, which finds the slot, its
     * count and its top record itself: the copy between {@code other} and the top record, committed by the store
     * of the new count. The downcall checks {@code other} and keeps its arena open for the call.
     */
    private int recordSection(MemorySegment other, long area, boolean push) {
        int outcome;
        while ((outcome = outcome(moveRecord(indexing, push, countBase, recordBase, other, recordBytes, slotBytes,
                capacity, area))) == RETRY) {
            Thread.onSpinWait();
        }
        return outcome;
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
     * Pops the top record of the calling thread's CPU (then of the shared slot) into {@code dst}, accessed as
     * {@link #push(MemorySegment)} accesses its record: the pop either copies the whole record or throws before
     * anything is taken.
     *
     * @param dst a writable segment of at least {@link #recordBytes()} bytes, native or heap
     * @return true if a record was popped; false when those slots are empty, even if other CPUs
     *         hold records. After false the contents of {@code dst} are unspecified (an aborted
     *         attempt may have copied part of a record)
     * @throws NullPointerException if {@code dst} is null
     * @throws IllegalArgumentException if {@code dst} is read-only or shorter than {@link #recordBytes()}
     * @throws IllegalStateException if {@code dst}'s arena is closed
     * @throws WrongThreadException if {@code dst}'s arena is confined to another thread
     */
    public boolean pop(MemorySegment dst) {
        return popRecord(dst, this::popInto);
    }

    private boolean popInto(MemorySegment dst) {
        long area = area();
        int popped = area == NO_SECTIONS ? NO_SLOT : recordSection(dst, area, false);
        if (popped == NO_SLOT) {
            popped = popLocked(lockedSlot(), dst) ? COMMITTED : REFUSED;
        }
        if (popped != COMMITTED && get(count(sectionSlots)) != 0) { // racy peek; the pop locks
            popped = popLocked(sectionSlots, dst) ? COMMITTED : REFUSED;
        }
        Reference.reachabilityFence(this);
        return popped == COMMITTED;
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
     * @param dst a writable segment of at least {@link #recordBytes()} bytes, native or heap
     * @return true if a record was popped; after false the contents of {@code dst} are unspecified
     * @throws NullPointerException if {@code dst} is null
     * @throws IllegalArgumentException if {@code dst} is read-only or shorter than {@link #recordBytes()}
     * @throws IllegalStateException if {@code dst}'s arena is closed
     * @throws WrongThreadException if {@code dst}'s arena is confined to another thread
     * @throws UnsupportedOperationException on a virtual thread when the local buffer is empty and
     *                                       sections run
     */
    public boolean popAny(MemorySegment dst) {
        requireAccessible(dst); // before the thread is moved to other CPUs for nothing
        return popRecord(dst, this::popAnyInto);
    }

    /** A {@code long} record popped by {@code pop} through the thread's scratch word. */
    private OptionalLong popLong(Predicate<MemorySegment> pop) {
        requireLongRecords();
        MemorySegment scratch = scratchSegment();
        return pop.test(scratch) ? OptionalLong.of(scratch.get(ValueLayout.JAVA_LONG, 0)) : OptionalLong.empty();
    }

    private boolean popRecord(MemorySegment dst, Predicate<MemorySegment> pop) {
        requireRecord(dst, "dst", true);
        boolean popped = pop.test(dst);
        if (!popped) {
            requireAccessible(dst);
        }
        return popped;
    }

    private boolean popAnyInto(MemorySegment dst) {
        boolean popped = popInto(dst) || takeFromEachSlot(slot -> popLocked(slot, dst), () -> popInto(dst));
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
        for (int slot = 0; slot < slotCount(); slot++) {
            size += get(count(slot));
        }
        Reference.reachabilityFence(this);
        return size;
    }

    /**
     * Removes every record of every slot, top first, handing each to {@code action} as a read-only view of
     * the record in place. The view's arena is confined to the calling thread and closed when the call
     * returns (or throws): using it later fails as for any closed arena, with {@code IllegalStateException},
     * instead of showing whatever is pushed there later. Copy out what must outlive the call.
     *
     * <p>A record is removed only after its call returns: if {@code action} throws, the drain stops, and that
     * record and every record not yet handed over stay in the buffer; the exception propagates. The same holds,
     * with an {@code IllegalStateException}, when {@code action} pushed to or popped from this buffer's slot
     * being drained.
     *
     * <p>Only while no other thread uses the buffer: it writes CPU counts with plain stores, so a concurrent
     * push or pop could lose or duplicate records. This precondition is not checked.
     *
     * @param action receives each record
     * @return how many records were removed
     * @throws NullPointerException if {@code action} is null (then nothing is removed)
     * @throws IllegalStateException if {@code action} changed the slot being drained
     */
    public long drain(Consumer<MemorySegment> action) {
        Objects.requireNonNull(action, "action");
        long drained = 0;
        for (int slot = 0; slot < slotCount(); slot++) {
            synchronized (monitors[slot]) {
                for (long n; (n = get(count(slot))) > 0; drained++) {
                    try (Arena call = Arena.ofConfined()) {
                        action.accept(records.asSlice(recordOffset(slot, n - 1), recordBytes)
                                .reinterpret(call, null).asReadOnly());
                    }
                    if (get(count(slot)) != n) {
                        throw new IllegalStateException("the drain's action pushed to or popped from this buffer; "
                                + "the record it was handed stays in the buffer. Collect records during the drain "
                                + "and use the buffer after it");
                    }
                    set(count(slot), n - 1);
                }
            }
        }
        Reference.reachabilityFence(this);
        return drained;
    }

    private boolean pushLocked(MemorySegment src) {
        int slot = lockedSlot();
        synchronized (monitors[slot]) {
            long n = get(count(slot));
            if (n == capacity) {
                return false;
            }
            MemorySegment.copy(src, 0, records, recordOffset(slot, n), recordBytes);
            set(count(slot), n + 1);
            return true;
        }
    }

    private boolean popLocked(int slot, MemorySegment dst) {
        synchronized (monitors[slot]) {
            long n = get(count(slot));
            if (n == 0) {
                return false;
            }
            MemorySegment.copy(records, recordOffset(slot, n - 1), dst, 0, recordBytes);
            set(count(slot), n - 1);
            return true;
        }
    }

    private long count(int slot) {
        return countBase + slot * LINE;
    }

    private long recordOffset(int slot, long index) {
        return slot * slotBytes + index * recordBytes;
    }

    private void requireLongRecords() {
        if (recordBytes != Long.BYTES) {
            throw new UnsupportedOperationException("records are " + recordBytes + " bytes; use the segment forms");
        }
    }

    /**
     * The checks FFM's downcall cannot make, since it sees only a pointer: the segment's size and, for one
     * written, that it is writable. FFM itself checks its thread and liveness, in the copy.
     */
    private void requireRecord(MemorySegment segment, String what, boolean written) {
        if (segment.byteSize() < recordBytes || (written && segment.isReadOnly())) {
            throw new IllegalArgumentException(what + " must be a" + (written ? " writable" : "")
                    + " segment of at least " + recordBytes + " bytes: " + segment);
        }
    }

    /**
     * FFM's checks of {@code segment}'s thread and liveness, for a call that moved nothing and so made no access:
     * a full or empty buffer refuses a foreign or closed segment as a non-empty one does.
     */
    private static void requireAccessible(MemorySegment segment) {
        segment.get(ValueLayout.JAVA_BYTE, 0);
    }
}
