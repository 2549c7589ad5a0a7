package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.NO_SECTIONS;

import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One spin lock per CPU, taken by an rseq section: {@link #lock()} takes the lock of the CPU the thread runs
 * on, with no atomic instruction, and returns its slot, so the caller guards per-slot data sized by
 * {@link #slotCount()} (librseq's {@code percpu_lock}).
 *
 * <p>Why mixing is sound. A section takes lock {@code c} by comparing its word with 0 and storing the holder's
 * thread id (never 0): not atomic against other CPUs, only against other sections on {@code c}. The other writer
 * of that word is the holder's release store of 0, which cannot race: while the word is not 0 the compare fails. A
 * CAS from another CPU could race (both would see 0 and both would hold), so threads that cannot run sections
 * (unregistered threads in REGISTER mode) never touch CPU words: they CAS the extra slot
 * {@link PerCpuSlots#SHARED}, which no section touches, and guard that slot's data. In ATOMIC mode no section
 * runs, so every writer of every word is a CAS or the holder's release store.
 *
 * <p>Not reentrant. A {@link #lock()} or {@link #tryLock()} by a thread that already holds the slot it would
 * take throws {@link IllegalStateException} instead of waiting for itself. A holder that has moved to another
 * CPU since its {@code lock()} gets that CPU's slot instead, a second hold of its own that it must unlock too:
 * each slot still has one holder, but such code throws whenever the thread did not move, so never nest
 * {@code lock()} calls. (Catching that case too would need per-thread bookkeeping on every lock and unlock,
 * about as costly as the lock itself.)
 *
 * <p>Owner-checked unlock, as {@link java.util.concurrent.locks.ReentrantLock}: only the thread that holds a
 * slot may {@link #unlock(int)} it, on any CPU (migration after {@code lock()} does not matter), and an unlock
 * of a slot that the calling thread does not hold (a free slot, a second unlock, another thread's slot) throws
 * {@link IllegalMonitorStateException} and changes nothing. Why owner-checked: the lock word holds the holder's
 * thread id anyway, so the check is one compare of a word the unlock writes next, and it makes every wrong unlock
 * an error instead of a second holder let in while the first still holds.
 *
 * <p>Where the kernel grants time-slice extensions ({@link RseqSlice}), a holder requests one from
 * {@link #lock()} until its {@link #unlock(int)}, so that a holder whose time slice ends keeps the CPU for
 * a few microseconds more instead of leaving the waiters spinning until its next slice. Elsewhere a hold costs
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
public final class PerCpuSpinLock extends PerCpuEngine {


    /** What {@link #attempt} answers when the slot it tried is held by another thread. */
    private static final int HELD = -1;

    /**
     * One word per slot, a line apart: 0 free, else the holder's {@link Thread#threadId()}; taken by a section or
     * CAS, freed by the holder's release store.
     */
    private final MemorySegment words;
    /** Address of {@link #words}, immutable. */
    private final long base;

    /**
     * A lock indexed by {@link PerCpuIndexing#CPU_ID}, with every slot free. Its native memory
     * ({@link #nativeBytes()}) counts against {@code -XX:MaxDirectMemorySize}, as direct buffers do.
     *
     * @throws OutOfMemoryError if that limit leaves no room for it
     */
    public PerCpuSpinLock() {
        this(PerCpuIndexing.CPU_ID);
    }

    /**
     * A lock indexed by {@code indexing}, or by cpu_id where that is unavailable, with every slot free. Its native
     * memory ({@link #nativeBytes()}: a cache line per slot) counts against {@code -XX:MaxDirectMemorySize}, as
     * direct buffers do.
     *
     * @param indexing which number of the running thread picks its slot
     * @throws NullPointerException if {@code indexing} is null
     * @throws OutOfMemoryError if {@code -XX:MaxDirectMemorySize} leaves no room for it
     */
    public PerCpuSpinLock(PerCpuIndexing indexing) {
        super(indexing, false);
        this.words = allocate(Long.BYTES);
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
     * @return {@link #maxSlotCount()} for a cpu_id lock; the allowed CPUs plus one for an mm_cid lock, never more
     */
    @Override
    public int slotCount() {
        return super.slotCount();
    }

    /**
     * Number of slots {@link #lock()} of any lock may return: per-slot data must have this many entries, one per
     * possible CPU plus one shared slot ({@code maxSlotCount() - 1}). The shared slot is for threads that
     * cannot run sections: in {@link PerCpuImplementation#SECTIONS_ON_OWN_AREAS} mode every unregistered or
     * virtual thread takes it, so for those threads the lock is one global lock. Register the threads
     * that take the lock often ({@link RseqThread#register()}, {@link RseqThread#ofPlatform()}), or keep
     * glibc's registration on; {@link RseqSupport#perCpuImplementation()} says which mode runs. An
     * {@link PerCpuIndexing#MM_CID} lock returns fewer: {@link #slotCount()}.
     *
     * @return the number of possible CPUs plus one
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static int maxSlotCount() {
        Native.requireNativeAccess();
        return PerCpuSlots.SLOT_COUNT;
    }

    /**
     * The old name of {@link #maxSlotCount()}, kept for existing callers: "slots" now names the slots themselves,
     * and "slot count" their number.
     *
     * @return {@link #maxSlotCount()}
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     * @deprecated use {@link #maxSlotCount()}, the same number
     */
    @Deprecated(forRemoval = false)
    public static int slots() {
        return maxSlotCount();
    }

    /**
     * Bytes of native memory this lock holds, which count against {@code -XX:MaxDirectMemorySize}.
     *
     * @return a cache line per slot of {@link #slotCount()}
     */
    public long nativeBytes() {
        return words.byteSize();
    }

    /**
     * Spins until it holds the lock of the calling thread's CPU (or, for a thread that cannot run sections,
     * its fallback slot); memory effects as a monitor enter. Not interruptible: see {@link #tryLock(long, TimeUnit)}.
     *
     * @return the slot now held, in {@code [0, slotCount())}; pass it to {@link #unlock(int)}
     * @throws IllegalStateException if the calling thread already holds that slot: the lock is not reentrant
     */
    public int lock() {
        long area = PerCpuSlots.area();
        long self = Thread.currentThread().threadId();
        int slot = attempt(area, self);
        return held(slot != HELD ? slot : waitFor(area, self));
    }

    /** lock() once its first attempt found the slot held: kept out of lock() so that the free case stays short. */
    private int waitFor(long area, long self) {
        int slot;
        do {
            spinWait();
        } while ((slot = attempt(area, self)) == HELD);
        return slot;
    }

    /**
     * Takes the lock of the calling thread's CPU (or fallback slot) if no other thread holds it; never waits.
     * Memory effects as a monitor enter when it succeeds.
     *
     * @return the slot now held, in {@code [0, slotCount())}, or -1 if another thread holds it
     * @throws IllegalStateException if the calling thread already holds that slot: the lock is not reentrant
     */
    public int tryLock() {
        int slot = attempt(PerCpuSlots.area(), Thread.currentThread().threadId());
        return slot == HELD ? -1 : held(slot);
    }

    /**
     * Waits up to {@code timeout} for the lock of the calling thread's CPU (or fallback slot), as {@link #lock()}
     * does, trying the slot of whatever CPU the thread runs on at each attempt. A timeout of zero or less makes a
     * single attempt, as {@link #tryLock()}.
     *
     * @param timeout the longest wait, in {@code unit}
     * @param unit    the unit of {@code timeout}
     * @return the slot now held, in {@code [0, slotCount())}, or -1 if the time passed while other threads held it
     * @throws InterruptedException  if the thread is interrupted on entry or while waiting; it holds nothing then
     * @throws NullPointerException  if {@code unit} is null
     * @throws IllegalStateException if the calling thread already holds the slot it would take: not reentrant
     */
    public int tryLock(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long area = PerCpuSlots.area();
        long self = Thread.currentThread().threadId();
        long deadline = System.nanoTime() + nanos;
        int slot;
        while ((slot = attempt(area, self)) == HELD) {
            if (nanos <= 0 || deadline - System.nanoTime() <= 0) {
                return -1;
            }
            spinWait();
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return held(slot);
    }

    /** After a successful attempt: opens the holder's slice request (ended by its unlock()). */
    private int held(int slot) {
        if (SliceProbe.AVAILABLE) {
            RseqSlice.request();
        }
        Reference.reachabilityFence(this);
        return slot;
    }

    /**
     * One try at the calling thread's slot, retried only when the section aborted or the thread moved: the slot
     * taken, or {@link #HELD}.
     */
    private int attempt(long area, long self) {
        if (area == NO_SECTIONS) {
            return attemptAtomic(lockedSlot(), self);
        }
        for (;;) {
            int slot = threadSlot();
            if (!isSectionSlot(slot)) {
                return attemptAtomic(sectionSlots, self);
            }
            // ABORTED and INDEX_MISMATCH (migrated since the slot was read) retry at once.
            switch (PerCpuSlots.cmpeqvStorev(indexing, base + slot * PerCpuSlots.LINE, 0, self, slot, area)) {
                case SectionTemplates.COMMITTED -> {
                    VarHandle.acquireFence(); // the section's compare is a control dependency, not an acquire
                    return slot;
                }
                case SectionTemplates.COMPARE_FAILED -> {
                    return heldBy(slot, (long) LONG.getOpaque(words, slot * PerCpuSlots.LINE), self);
                }
                case SectionTemplates.INDEX_OUT_OF_RANGE -> {
                    return attemptAtomic(sectionSlots, self);
                }
                default -> { }
            }
        }
    }

    private int attemptAtomic(int slot, long self) {
        long holder = (long) LONG.compareAndExchange(words, slot * PerCpuSlots.LINE, 0L, self);
        return holder == 0 ? slot : heldBy(slot, holder, self);
    }

    /** {@link #HELD}, unless {@code holder}, read from a held {@code slot}, is the calling thread itself. */
    private static int heldBy(int slot, long holder, long self) {
        if (holder == self) {
            throw new IllegalStateException("PerCpuSpinLock is not reentrant: " + Thread.currentThread()
                    + " already holds slot " + slot + ", which this lock() would take; unlock(" + slot
                    + ") first");
        }
        return HELD;
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
     * Releases the lock of {@code slot}, which the calling thread holds; memory effects as a monitor exit. Also
     * ends the time-slice extension request that the lock opened, after the release: a waiter can take the lock
     * before this thread gives back an extended slice.
     *
     * @param slot the slot {@link #lock()} or {@link #tryLock()} returned to this thread
     * @throws IndexOutOfBoundsException   if {@code slot} is not in {@code [0, slotCount())}
     * @throws IllegalMonitorStateException if the calling thread does not hold {@code slot} (it is free, was
     *                                      unlocked already, or another thread holds it); nothing changes
     */
    public void unlock(int slot) {
        long offset = Objects.checkIndex(slot, slotCount()) * PerCpuSlots.LINE;
        long self = Thread.currentThread().threadId();
        // Only the holder stores 0 over its own id, so a word that reads as ours stays ours until the store below.
        long holder = (long) LONG.getOpaque(words, offset);
        if (holder != self) {
            throw notHeld(slot, holder);
        }
        LONG.setRelease(words, offset, 0L);
        if (SliceProbe.AVAILABLE) {
            RseqSlice.endCurrent();
        }
        Reference.reachabilityFence(this);
    }

    private static IllegalMonitorStateException notHeld(int slot, long holder) {
        return new IllegalMonitorStateException("unlock(" + slot + ") by " + Thread.currentThread()
                + ", which does not hold that slot: " + (holder == 0 ? "it is free (unlocked twice?)"
                        : "thread " + holder + " holds it")
                + "; only the thread that locked a slot may unlock it");
    }

    /**
     * Whether {@code slot} is held right now (a racy snapshot, for tests and monitoring).
     *
     * @param slot a slot in {@code [0, slotCount())}
     * @return true if held
     * @throws IndexOutOfBoundsException if {@code slot} is out of range
     */
    public boolean isLocked(int slot) {
        return (long) LONG.getOpaque(words, Objects.checkIndex(slot, slotCount()) * PerCpuSlots.LINE) != 0;
    }
}
