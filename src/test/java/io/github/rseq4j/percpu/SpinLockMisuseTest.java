package io.github.rseq4j.percpu;

import static java.util.concurrent.TimeUnit.DAYS;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.sys.Affinity;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link PerCpuSpinLock} used as a careless user would: a second lock() by the holder, unlocks of free slots,
 * second unlocks and unlocks by another thread, and tryLock. Every thread of a test runs pinned to one CPU, so
 * that all take the same slot (its CPU's, or the shared slot where they cannot run sections). A lock() that
 * would spin forever fails the test at its time limit instead.
 */
class SpinLockMisuseTest {

    /** Far above any correct run; only a lock() spinning on its own hold gets near it. */
    private static final Duration LIMIT = Duration.ofSeconds(20);

    @Test
    void aSecondLockOfTheHeldSlotThrowsInsteadOfSpinning() {
        onOneCpu(() -> {
            PerCpuSpinLock lock = new PerCpuSpinLock();
            int slot = lock.lock();
            IllegalStateException refused = assertThrows(IllegalStateException.class, lock::lock);
            assertTrue(refused.getMessage().contains("not reentrant") && refused.getMessage().contains("slot " + slot),
                    refused.getMessage());
            assertTrue(lock.isLocked(slot), "a refused lock() leaves the hold alone");
            lock.unlock(slot);
            assertEquals(slot, lock.lock(), "the slot is free again");
            lock.unlock(slot);
        });
    }

    @Test
    void unlockOfASlotNotHeldThrows() {
        onOneCpu(() -> {
            PerCpuSpinLock lock = new PerCpuSpinLock();
            for (int slot = 0; slot < lock.slotCount(); slot++) {
                int free = slot;
                IllegalMonitorStateException e = assertThrows(IllegalMonitorStateException.class,
                        () -> lock.unlock(free), "unlock of free slot " + free);
                assertTrue(e.getMessage().contains("free"), e.getMessage());
                assertFalse(lock.isLocked(free), "a refused unlock changes nothing");
            }
            int slot = lock.lock();
            lock.unlock(slot);
            assertThrows(IllegalMonitorStateException.class, () -> lock.unlock(slot), "a second unlock");
            assertEquals(slot, lock.lock(), "the lock still works after refused unlocks");
            lock.unlock(slot);
        });
    }

    /** Once, any thread could unlock: then a third thread got in while the holder still held the slot. */
    @Test
    void anotherThreadsUnlockIsRefusedAndLetsNobodyIn() {
        onOneCpu(() -> {
            PerCpuSpinLock lock = new PerCpuSpinLock();
            int slot = lock.lock();
            Throwable refused = thrownOnAnotherThread(() -> {
                lock.unlock(slot);
                return null;
            });
            assertInstanceOf(IllegalMonitorStateException.class, refused, "unlock by a thread that does not hold it");
            assertTrue(refused.getMessage().contains("thread " + Thread.currentThread().threadId() + " holds it"),
                    refused.getMessage());
            assertTrue(lock.isLocked(slot), "the holder still holds");
            assertEquals(-1, (int) onAnotherThread(lock::tryLock), "a third thread must not get the held slot");
            lock.unlock(slot);
        });
    }

    @Test
    void tryLockTakesAFreeSlotAndGivesUpOnAHeldOne() {
        onOneCpu(() -> {
            PerCpuSpinLock lock = new PerCpuSpinLock();
            int slot = lock.tryLock();
            assertTrue(slot >= 0 && slot < lock.slotCount() && lock.isLocked(slot),
                    "tryLock() of a free slot: " + slot);
            assertThrows(IllegalStateException.class, lock::tryLock, "tryLock() by the holder");
            assertThrows(IllegalStateException.class, () -> lock.tryLock(1, SECONDS), "tryLock(1 s) by the holder");
            assertEquals(-1, (int) onAnotherThread(lock::tryLock), "tryLock() of a held slot");
            assertEquals(-1, (int) onAnotherThread(() -> lock.tryLock(0, NANOSECONDS)), "tryLock(0) of a held slot");
            assertEquals(-1, (int) onAnotherThread(() -> lock.tryLock(-1, DAYS)), "a negative timeout tries once");
            assertEquals(-1, (int) onAnotherThread(() -> lock.tryLock(20, MILLISECONDS)),
                    "tryLock(20 ms) of a held slot");
            assertThrows(NullPointerException.class, () -> lock.tryLock(1, null));
            lock.unlock(slot);
            assertEquals(slot, (int) onAnotherThread(() -> {
                int taken = lock.tryLock(1, DAYS);
                lock.unlock(taken);
                return taken;
            }), "tryLock(1 day) of a free slot");
        });
    }

    @Test
    void tryLockWithATimeoutIsInterruptible() {
        onOneCpu(() -> {
            PerCpuSpinLock lock = new PerCpuSpinLock();
            Throwable onEntry = thrownOnAnotherThread(() -> {
                Thread.currentThread().interrupt();
                return lock.tryLock(1, DAYS);
            });
            assertInstanceOf(InterruptedException.class, onEntry, "interrupted before the call, with the slot free");
            for (int slot = 0; slot < lock.slotCount(); slot++) {
                assertFalse(lock.isLocked(slot), "an interrupted tryLock() holds nothing");
            }
            int slot = lock.lock();
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> whileWaiting = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread waiter = Thread.ofPlatform().start(() -> {
                started.countDown();
                try {
                    whileWaiting.set(new AssertionError("tryLock(1 day) returned " + lock.tryLock(1, DAYS)));
                } catch (Throwable t) {
                    whileWaiting.set(t);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            started.await();
            waiter.interrupt(); // most often while it spins; else on entry, which throws too
            waiter.join();
            assertInstanceOf(InterruptedException.class, whileWaiting.get(), "interrupted while the slot is held");
            assertFalse(stillInterrupted.get(), "the exception clears the interrupt status, as ReentrantLock's does");
            assertTrue(lock.isLocked(slot));
            lock.unlock(slot);
        });
    }

    /** Runs {@code body} pinned to one CPU (threads it starts inherit that), within {@link #LIMIT}. */
    private static void onOneCpu(Executable body) {
        assertTimeoutPreemptively(LIMIT, () -> {
            BitSet before = Affinity.allowed();
            BitSet one = new BitSet();
            one.set(before.length() - 1);
            Affinity.set(one);
            try {
                body.execute();
            } finally {
                Affinity.set(before);
            }
        });
    }

    private static <T> T onAnotherThread(Callable<T> body) throws Throwable {
        AtomicReference<T> result = new AtomicReference<>();
        Throwable thrown = thrownOnAnotherThread(() -> {
            result.set(body.call());
            return null;
        });
        if (thrown != null) {
            throw thrown;
        }
        return result.get();
    }

    /** What {@code body} threw on a new platform thread, or null. */
    private static Throwable thrownOnAnotherThread(Callable<?> body) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                body.call();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        thread.join();
        return thrown.get();
    }
}
