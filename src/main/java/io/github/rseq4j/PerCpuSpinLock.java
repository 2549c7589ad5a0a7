package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;

import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * One spin lock per CPU, taken by an rseq section: {@link #lock()} takes the lock of the CPU the thread runs
 * on, with no atomic instruction, and returns its slot, so the caller guards per-slot data sized by
 * {@link #slots()} (librseq's {@code percpu_lock}).
 *
 * <p>Why mixing is sound. A section takes lock {@code c} by comparing its word with 0 and storing the holder's
 * mark (not 0): not atomic against other CPUs, only against other sections on {@code c}. The other writer of that
 * word is the holder's release store of 0, which cannot race: while the word is not 0 the compare fails. A CAS
 * from another CPU could race (both would see 0 and both would hold), so threads that cannot run sections
 * (unregistered threads in REGISTER mode) never touch CPU words: they CAS the extra slot
 * {@link PerCpuSlots#SHARED}, which no section touches, and guard that slot's data. In ATOMIC mode no section
 * runs, so every writer of every word is a CAS or the holder's release store.
 *
 * <p>The holder may unlock from any thread or CPU: migration after {@link #lock()} does not matter.
 *
 * <p>Where the kernel grants time-slice extensions ({@link RseqSlice}), a holder requests one from
 * {@link #lock()} until its own {@link #unlock(int)}, so that a holder whose time slice ends keeps the CPU for
 * a few microseconds more instead of leaving the waiters spinning until its next slice. The lock word then
 * holds the holder's thread id, so an unlock on another thread leaves the holder's request alone (it stays
 * open on the holder's thread: unlock on the locking thread where extensions matter). Elsewhere a hold costs
 * one more branch on a constant.
 *
 * <p>Indexing: a lock made with {@link PerCpuIndexing#MM_CID} takes the word of the thread's concurrency id
 * instead of its CPU, so per-slot data needs only {@link #slotCount()} entries (CPUs the process may use plus
 * the shared slot). A concurrency id past them, checked in Java and again inside the section, takes the shared
 * slot by CAS, as an unregistered thread does.
 *
 * <p>Virtual threads: a holder that parks (blocks) while holding gives up its carrier, and spinners that kept
 * their carriers busy would leave it none to resume on: a deadlock once spinners occupy every carrier
 * (measured: JDK 25, one carrier, a holder sleeping 100 ms never woke). So a virtual thread waiting for a held
 * lock parks for 10 µs between attempts, which frees its carrier; {@link Thread#yield()} is not enough, as the
 * carrier then picks the spinner again before the holder's timer. Still, hold the lock only briefly and never
 * across a blocking call; a monitor or {@link java.util.concurrent.locks.ReentrantLock} suits code that may
 * block.
 */
public final class PerCpuSpinLock {

    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    private final PerCpuIndexing indexing;
    /** Section slots; the shared slot is number {@code sectionSlots}. */
    private final int sectionSlots;
    /**
     * One word per slot, a line apart: 0 free, else held ({@link #holder()}); taken by a section or CAS, freed by
     * a release store.
     */
    private final MemorySegment words;
    /** Address of {@link #words}, immutable. */
    private final long base;

    /** A lock indexed by {@link PerCpuIndexing#CPU_ID}, with every slot free. */
    public PerCpuSpinLock() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * A lock indexed by {@code indexing}, or by cpu_id where that is unavailable, with every slot free.
     *
     * @param indexing which number of the running thread picks its slot
     */
    public PerCpuSpinLock(PerCpuIndexing indexing) {
        this.indexing = indexing.active();
        this.sectionSlots = this.indexing.slots();
        this.words = PerCpuSlots.allocate(Long.BYTES, this.indexing);
        this.base = words.address();
    }

    /**
     * The indexing this lock uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return indexing;
    }

    /**
     * Number of slots this lock's {@link #lock()} may return: its indexing's slots plus the shared slot.
     *
     * @return {@link #slots()} for a cpu_id lock; the allowed CPUs plus one for an mm_cid lock, never more
     */
    public int slotCount() {
        return sectionSlots + 1;
    }

    /**
     * Number of slots {@link #lock()} may return: per-slot data must have this many entries, one per
     * possible CPU plus one shared slot ({@code slots() - 1}). The shared slot is for threads that
     * cannot run sections: in {@link PerCpuImplementation#SECTIONS_ON_OWN_AREAS} mode every unregistered or
     * virtual thread takes it, so for those threads the lock is one global lock. Register the threads
     * that take the lock often ({@link RseqThread#register()}, {@link RseqThread#ofPlatform()}), or keep
     * glibc's registration on; {@link RseqSupport#perCpuImplementation()} says which mode runs. An
     * {@link PerCpuIndexing#MM_CID} lock returns fewer: {@link #slotCount()}.
     *
     * @return the number of possible CPUs plus one
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static int slots() {
        Native.requireNativeAccess();
        return PerCpuSlots.SLOTS;
    }

    /**
     * Spins until it holds the lock of the calling thread's CPU (or, for a thread that cannot run sections,
     * its fallback slot); memory effects as a monitor enter.
     *
     * @return the slot now held, in {@code [0, slotCount())}; pass it to {@link #unlock(int)}
     */
    public int lock() {
        long area = PerCpuSlots.area();
        long holder = holder();
        int slot = area == NO_SECTIONS ? lockAtomic(PerCpuSlots.lockedSlot(indexing), holder)
                : lockSection(area, holder);
        if (SliceProbe.AVAILABLE) {
            RseqSlice.request(); // ended by unlock() on this thread
        }
        Reference.reachabilityFence(this);
        return slot;
    }

    /** What a holder stores in its word: its thread id where unlock() must recognise it (see the class comment), else 1. */
    private static long holder() {
        return SliceProbe.AVAILABLE ? Thread.currentThread().threadId() : 1;
    }

    private int lockSection(long area, long holder) {
        for (;;) {
            int index = PerCpuSlots.index(indexing);
            if (Integer.compareUnsigned(index, sectionSlots) >= 0) {
                return lockAtomic(sectionSlots, holder);
            }
            // 1: held, 2: aborted, 3: migrated since the index was read; all just retry. 4: no usable index.
            switch (PerCpuSlots.cmpeqvStorev(indexing, base + index * PerCpuSlots.LINE, 0, holder, index, area)) {
                case SectionTemplates.COMMITTED -> {
                    VarHandle.acquireFence(); // the section's compare is a control dependency, not an acquire
                    return index;
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return lockAtomic(sectionSlots, holder);
                }
                default -> spinWait();
            }
        }
    }

    private int lockAtomic(int slot, long holder) {
        while (!WORD.compareAndSet(words, slot * PerCpuSlots.LINE, 0L, holder)) {
            spinWait();
        }
        return slot;
    }

    /** How long a waiting virtual thread parks between attempts. */
    private static final long VIRTUAL_BACKOFF_NANOS = 10_000;

    /** Between attempts: a virtual thread frees its carrier, so that a parked holder can resume (see above). */
    private static void spinWait() {
        if (Thread.currentThread().isVirtual()) {
            LockSupport.parkNanos(VIRTUAL_BACKOFF_NANOS);
        } else {
            Thread.onSpinWait();
        }
    }

    /**
     * Releases the lock of {@code slot}; memory effects as a monitor exit. On the locking thread, also ends the
     * time-slice extension request that {@link #lock()} opened, after the release: a waiter can take the lock
     * before this thread gives back an extended slice.
     *
     * @param slot the slot {@link #lock()} returned
     * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, slotCount())}
     */
    public void unlock(int slot) {
        long offset = Objects.checkIndex(slot, slotCount()) * PerCpuSlots.LINE;
        if (SliceProbe.AVAILABLE) {
            boolean ownHold = (long) WORD.getOpaque(words, offset) == Thread.currentThread().threadId();
            WORD.setRelease(words, offset, 0L);
            if (ownHold) {
                RseqSlice.endCurrent();
            }
        } else {
            WORD.setRelease(words, offset, 0L);
        }
        Reference.reachabilityFence(this);
    }

    /**
     * Whether {@code slot} is held right now (a racy snapshot, for tests and monitoring).
     *
     * @param slot a slot in {@code [0, slotCount())}
     * @return true if held
     * @throws IndexOutOfBoundsException if {@code slot} is out of range
     */
    public boolean isLocked(int slot) {
        return (long) WORD.getOpaque(words, Objects.checkIndex(slot, slotCount()) * PerCpuSlots.LINE) != 0;
    }
}
