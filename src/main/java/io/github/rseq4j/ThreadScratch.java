package io.github.rseq4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Package-private machinery, not API: a native line per thread for what sections hand back (a popped node or
 * value), written only by that thread. The thread-local owns each line for its thread's life, so the memory a
 * section writes is never freed under it; a direct-mapped cache keyed by {@link Thread#threadId()} stands in
 * front of it, as {@link HandleCache} does for handles: one array load and one compare instead of a hash probe
 * through a weak reference, which was a sixth of a pool's acquire+release.
 *
 * <p>Ids are never reused, so an entry never answers for another thread; entries are immutable (final fields),
 * so a racy plain store publishes them safely, and a collision or a lost race only sends the reader to the
 * thread-local. At most {@link #SIZE} lines of dead threads stay reachable, until overwritten.
 */
final class ThreadScratch {
    private ThreadScratch() {}

    private static final int SIZE = 4096;

    /** The owner of every thread's line. */
    private static final ThreadLocal<MemorySegment> LINES =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(PerCpuSlots.LINE, PerCpuSlots.LINE));

    /** Plain reads and writes; see the class comment for why that is safe. */
    private static final Entry[] ENTRIES = new Entry[SIZE];

    private record Entry(long threadId, MemorySegment line, long address) {}

    /** The calling thread's line; valid while the thread lives. */
    static MemorySegment segment() {
        return entry().line;
    }

    /** The address of the calling thread's line; valid while the thread lives. */
    static long address() {
        return entry().address;
    }

    private static Entry entry() {
        long id = Thread.currentThread().threadId();
        Entry entry = ENTRIES[(int) id & (SIZE - 1)];
        if (entry != null && entry.threadId == id) {
            return entry;
        }
        MemorySegment line = LINES.get();
        entry = new Entry(id, line, line.address());
        ENTRIES[(int) id & (SIZE - 1)] = entry;
        return entry;
    }
}
