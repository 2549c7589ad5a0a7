package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The handle cache answers only for the thread a handle belongs to. */
class HandleCacheTest {

    @Test
    void answersForTheOwnerOnly() throws Exception {
        RseqThread mine = RseqThread.current();
        assertSame(mine, HandleCache.lookup(Thread.currentThread()));
        AtomicReference<RseqThread> seen = new AtomicReference<>(mine);
        Thread other = Thread.ofPlatform().start(() -> seen.set(HandleCache.lookup(Thread.currentThread())));
        other.join();
        assertNull(seen.get(), "a new thread must not find another thread's handle");
    }

    @Test
    void collidingThreadIdsDoNotShareAnEntry() throws Exception {
        RseqThread mine = RseqThread.current();
        // Threads until one maps to this thread's slot (ids are dense), each entering itself.
        long target = Thread.currentThread().threadId() & 4095;
        AtomicReference<RseqThread> collider = new AtomicReference<>();
        while (collider.get() == null) {
            Thread t = Thread.ofPlatform().start(() -> {
                if ((Thread.currentThread().threadId() & 4095) == target) {
                    collider.set(RseqThread.current());
                }
            });
            t.join();
        }
        assertNull(HandleCache.lookup(Thread.currentThread()), "the collider evicted this thread's entry");
        assertSame(mine, RseqThread.current(), "after a miss the thread-local still answers");
        assertSame(mine, HandleCache.lookup(Thread.currentThread()), "and the entry is back");
    }

    /** A virtual thread's reads go to its carrier of the moment, so it never gets an entry (nor a handle). */
    @Test
    void virtualThreadsAreNeverEntered() throws Exception {
        AtomicReference<RseqThread> seen = new AtomicReference<>();
        Thread virtual = Thread.ofVirtual().start(() -> {
            RseqThread.currentCpu();
            seen.set(HandleCache.lookup(Thread.currentThread()));
        });
        virtual.join();
        assertNull(seen.get());
    }
}
