package io.github.rseq4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Package-private machinery, not API: native memory per thread, written only by that thread and by the sections
 * it calls. {@link #LINE} is where a {@code long} record of {@link PerCpuBuffer} passes between Java and a
 * section; {@link #OFFSETS} is where a bulk add lists its elements for {@link PerCpuSlots#addEach}. A
 * thread-local owns each thread's block for the thread's life, so the memory a section reads or writes is never
 * freed under it; a direct-mapped cache keyed by {@link Thread#threadId()} stands in front of it, as
 * {@link HandleCache} does for handles: one array load and one compare instead of a hash probe through a weak
 * reference, which was a sixth of a pool's acquire+release.
 *
 * <p>Ids are never reused, so an entry never answers for another thread; entries are immutable (final fields),
 * so a racy plain store publishes them safely, and a collision or a lost race only sends the reader to the
 * thread-local. At most {@link #SIZE} blocks of dead threads stay reachable per kind, until overwritten.
 */
final class ThreadScratch {

    /** A line, for a record a section copies in or out. */
    static final ThreadScratch LINE = new ThreadScratch(PerCpuSlots.LINE);
    /** {@link PerCpuSlots#BATCH} offsets of a bulk add; made only for threads that add in bulk. */
    static final ThreadScratch OFFSETS = new ThreadScratch(PerCpuSlots.BATCH * (long) Long.BYTES);

    private static final int SIZE = 4096;

    /** The owner of every thread's block. */
    private final ThreadLocal<MemorySegment> blocks;

    /** Plain reads and writes; see the class comment for why that is safe. */
    private final Entry[] entries = new Entry[SIZE];

    private record Entry(long threadId, MemorySegment block, long address) {}

    private ThreadScratch(long bytes) {
        this.blocks = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(bytes, PerCpuSlots.LINE));
    }

    /** The calling thread's block; valid while the thread lives. */
    MemorySegment segment() {
        return entry().block;
    }

    /** The address of the calling thread's block; valid while the thread lives. */
    long address() {
        return entry().address;
    }

    private Entry entry() {
        long id = Thread.currentThread().threadId();
        Entry entry = entries[(int) id & (SIZE - 1)];
        if (entry != null && entry.threadId == id) {
            return entry;
        }
        MemorySegment block = blocks.get();
        entry = new Entry(id, block, block.address());
        entries[(int) id & (SIZE - 1)] = entry;
        return entry;
    }
}
