package io.github.rseq4j;

/**
 * Package-private machinery, not API.
 * A direct-mapped cache from platform thread to its {@link RseqThread} handle, in front of the
 * thread-local: one array load and one compare instead of a hash probe through a weak
 * reference, which keeps {@link RseqThread#currentCpu()} and nested registration short.
 *
 * <p>Keyed by {@link Thread#threadId()}, which the JVM never reuses, so an entry never answers
 * for another thread, and a handle holds its thread's id rather than the Thread. Handles are
 * immutable where read here (final fields), so a racy plain store publishes them safely; a
 * lost race or a collision only sends the reader to the thread-local. Virtual threads are never
 * entered: their area changes with the carrier. At most {@link #SIZE} handles of dead threads
 * stay reachable, until overwritten.
 */
final class HandleCache {
    private HandleCache() {}

    private static final int SIZE = 4096;

    /** Plain reads and writes; see the class comment for why that is safe. */
    private static final RseqThread[] HANDLES = new RseqThread[SIZE];

    /** The cached handle of {@code thread}, or null. */
    static RseqThread lookup(Thread thread) {
        long id = thread.threadId();
        RseqThread handle = HANDLES[(int) id & (SIZE - 1)];
        return handle != null && handle.threadId() == id ? handle : null;
    }

    /** Caches the handle of a platform thread, for lookups by that thread. */
    static void remember(RseqThread handle) {
        HANDLES[(int) handle.threadId() & (SIZE - 1)] = handle;
    }
}
