package io.github.rseq4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.rseq4j.Owner;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * only once the kernel can no longer write it: its thread has terminated and either never
 * left it registered, or has left the kernel's task list ({@code /proc/self/task/<tid>} is
 * gone, so no return to user space can follow). A thread that dies registered thus costs
 * one slot until its OS thread is reaped; live slots stay bounded by threads alive plus
 * threads still being reaped.
 */
public final class AreaPool {

    /** Layout of one slot. */
    public static final long REFCOUNT_OFFSET = align(RseqAbi.REGISTRATION_LENGTH, Long.BYTES);
    public static final long SLOT_SIZE = align(REFCOUNT_OFFSET + Long.BYTES, RseqAbi.ALIGNMENT);

    private static final int SLOTS_PER_SLAB = 64;

    private static final AreaPool SHARED = new AreaPool();

    /** A slot handed to a thread; the pool keeps no strong reference to the thread. */
    private record Lease(WeakReference<Thread> thread, int tid, long slot) {}

    // All fields guarded by this.
    private final ArrayDeque<Long> free = new ArrayDeque<>();
    private final List<Lease> leases = new ArrayList<>();
    private long slotsCreated;

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

    /** Slots carved so far, for tests of bounded memory. */
    public synchronized long slotsCreated() {
        return slotsCreated;
    }

    /** Slots currently handed to threads. */
    public synchronized int slotsLeased() {
        return leases.size();
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
        boolean registered = RseqAbi.OWNER == Owner.RSEQ4J
                && RseqMemory.refcount(lease.slot) > 0;
        return !registered || !Files.exists(Path.of("/proc/self/task", Integer.toString(lease.tid)));
    }

    private void addSlab() {
        MemorySegment slab = Arena.global().allocate(SLOT_SIZE * SLOTS_PER_SLAB, RseqAbi.ALIGNMENT);
        for (int i = SLOTS_PER_SLAB - 1; i >= 0; i--) {
            free.push(slab.address() + i * SLOT_SIZE);
        }
        slotsCreated += SLOTS_PER_SLAB;
    }

    private static long align(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
