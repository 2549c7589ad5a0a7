package io.github.rseq4j;

import io.github.rseq4j.internal.RseqMemory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Package-private machinery, not API.
 * A platform thread from {@link RseqThread#ofPlatform()}: it carries the address of its
 * rseq area in a field, so {@link RseqThread#currentCpu()} needs no thread-local lookup.
 */
final class AreaThread extends Thread {

    /** Written only by this thread, before and after the task; read only by this thread. */
    long area = RseqMemory.UNREGISTERED_AREA;

    AreaThread(ThreadGroup group, Runnable task, String name, long stackSize, boolean inheritThreadLocals) {
        super(group, task, name != null ? name : "rseq4j-" + NUMBER.getAndIncrement(), stackSize,
                inheritThreadLocals);
    }

    /** Numbers of unnamed threads, as Thread numbers its own; atomic. */
    private static final AtomicLong NUMBER = new AtomicLong();

    @Override
    public void run() {
        // The handle's area whether or not the registration below succeeds: until the kernel registers it its
        // cpu_id reads -1, so reads fall back and sections are skipped; a later register() on this thread then
        // takes effect at once instead of being ignored by a cached "unregistered" address.
        area = RseqThread.current().area;
        RseqThread handle = registerIfPossible();
        area = RseqThread.current().area; // registering through librseq moves it to librseq's area
        try {
            super.run();
        } finally {
            if (handle != null && handle.registrations() > 0) {
                handle.unregister();
            }
            // glibc's area outlives run(), e.g. for an uncaught-exception handler; ours may not.
            if (handle == null || !handle.isRegistered()) {
                area = RseqMemory.UNREGISTERED_AREA;
            }
        }
    }

    /** Without rseq the thread still runs; its reads fall back to sched_getcpu(). */
    private static RseqThread registerIfPossible() {
        try {
            return RseqThread.register().thread();
        } catch (RseqException unavailable) {
            return null;
        }
    }
}
