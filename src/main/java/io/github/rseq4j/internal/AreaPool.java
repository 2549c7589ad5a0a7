package io.github.rseq4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Per-thread native slots: rseq4j's own kernel area (when it owns rseq) followed by the
 * registration count, which lies outside the registered length because the kernel writes
 * node_id and mm_cid (offsets 20-27) on every return to user space since Linux 6.3.
 *
 * <p>Slots are carved from slabs that are never freed, and a slot goes to another thread
 * only once the kernel can no longer write it: its thread has terminated in Java and either
 * never left it registered, or has left the kernel's thread group: {@code tgkill(getpid(),
 * tid, 0)} answers ESRCH, so no return to user space can follow. That question goes to the
 * kernel itself, in the caller's PID namespace, so an unmounted or foreign {@code /proc}
 * cannot fool it; any other answer (the thread exists, or its tid was reused by a new thread
 * of this process, or an unexpected error) keeps the slot. A thread that dies registered thus
 * costs one slot until its OS thread is reaped; live slots stay bounded by threads alive plus
 * threads still being reaped.
 */
public final class AreaPool {

    /**
     * Slots start on a cache line (and at the kernel's rseq alignment, if larger): the kernel and the sections
     * write the area (rseq_cs, cpu_id...) on every section and preemption, so a slot that straddled into a
     * neighbour's line would false-share with another thread.
     */
    public static final long SLOT_ALIGNMENT = Math.max(RseqAbi.ALIGNMENT, RseqLayout.CACHE_LINE);

    /**
     * Layout of one slot: the area, then the registration count (an int), who made the registration (an int:
     * {@link ThreadSlots#REGISTERED_OWN_AREA} and the others), and the {@link Thread#threadId()} of the thread whose
     * slot it is (a long, for {@link ThreadSlots}). Every copy of rseq4j that shares slots reads it, so a change
     * here is a new {@link ThreadSlots#LAYOUT}.
     */
    public static final long REFCOUNT_OFFSET = align(RseqAbi.REGISTRATION_LENGTH, Long.BYTES);
    public static final long REGISTRAR_OFFSET = REFCOUNT_OFFSET + Integer.BYTES;
    public static final long OWNER_OFFSET = REFCOUNT_OFFSET + Long.BYTES;
    public static final long SLOT_SIZE = align(OWNER_OFFSET + Long.BYTES, SLOT_ALIGNMENT);

    private static final int SLOTS_PER_SLAB = 64;

    private static final AreaPool SHARED = new AreaPool();

    /** This process's id in the PID namespace of its own tids. */
    private static final int PID = RseqNative.getpid();

    /** A slot handed to a thread; the pool keeps no strong reference to the thread. */
    private record Lease(WeakReference<Thread> thread, int tid, long slot) {}

    // All fields guarded by this.
    private final ArrayDeque<Long> free = new ArrayDeque<>();
    private final List<Lease> leases = new ArrayList<>();

    public static AreaPool shared() {
        return SHARED;
    }

    /**
     * A zeroed slot for {@code owner} (the calling thread) whose cpu_id reads
     * RSEQ_CPU_ID_UNINITIALIZED until the kernel registers it.
     */
    public synchronized long acquire(Thread owner, int tid) {
        if (free.isEmpty()) {
            reclaim();
        }
        if (free.isEmpty()) {
            addSlab();
        }
        long slot = free.pop();
        MemorySegment memory = RseqMemory.slot(slot);
        memory.fill((byte) 0);
        memory.set(JAVA_INT, RseqAbi.CPU_ID, -1);
        leases.add(new Lease(new WeakReference<>(owner), tid, slot));
        return slot;
    }

    private void reclaim() {
        for (Iterator<Lease> it = leases.iterator(); it.hasNext(); ) {
            Lease lease = it.next();
            Thread thread = lease.thread.get();
            // isAlive() == false makes the dead thread's last refcount write visible here.
            if ((thread == null || !thread.isAlive()) && kernelDone(lease)) {
                it.remove();
                free.push(lease.slot);
            }
        }
    }

    private static boolean kernelDone(Lease lease) {
        boolean registered = RseqAbi.OWNER == AreaOwner.RSEQ4J
                && RseqMemory.refcount(lease.slot) > 0;
        return !registered || Syscalls.tgkill(PID, lease.tid, 0) == -Errno.ESRCH;
    }

    private void addSlab() {
        MemorySegment slab = Arena.global().allocate(SLOT_SIZE * SLOTS_PER_SLAB, SLOT_ALIGNMENT);
        for (int i = SLOTS_PER_SLAB - 1; i >= 0; i--) {
            // asSlice: a slot's address comes from a bounds-checked slice, never from arithmetic alone.
            free.push(slab.asSlice(i * SLOT_SIZE, SLOT_SIZE).address());
        }
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
