package io.github.rseq4j.percpu;

import static io.github.rseq4j.percpu.Cells.LINE;
import static io.github.rseq4j.percpu.Cells.addUntilCommitted;
import static io.github.rseq4j.percpu.Cells.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.testing.Signals;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kernel aborts a thread's rseq critical section when it sets up a signal handler frame for that thread
 * (rseq_signal_deliver). A counting no-op SIGURG handler is installed and a signaller thread tgkill()s the
 * workers while they run delay-injected sections (glibc's area, TLS addressing): the sections are aborted,
 * restarted by the retry loop, and every total stays exact.
 */
class SignalAbortTest {


    /** Short sections for the many-thread run (as AbortInjectionTest). */
    private static final int SHORT_DELAY = 5_000;
    private static final int REPS = 10_000;
    /** Long sections for the single pinned worker: a signal almost always lands inside one. */
    private static final int LONG_DELAY = 100_000;
    private static final int PINNED_SECTIONS = 1_500;

    private static SectionLibrary shortSections, longSections;

    private Signals.Handler handler;

    @BeforeAll
    static void link() {
        Assumptions.assumeTrue(Signals.SUPPORTED, "the signal handler stub and struct sigaction layout are x86_64 "
                + "only; os.arch is " + System.getProperty("os.arch"));
        Assumptions.assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC, "needs glibc's rseq area (TLS addressing); owner is "
                + RseqAbi.OWNER);
        SectionConfig tls = SectionConfig.tls(RseqAbi.GLIBC_OFFSET, IndexField.CPU_ID, Cpus.POSSIBLE);
        shortSections = SectionLibrary.link(tls.withDelay(SHORT_DELAY), 6);
        longSections = SectionLibrary.link(tls.withDelay(LONG_DELAY), 6);
    }

    @BeforeEach
    void installHandler() {
        long before = Signals.currentHandler(Signals.SIGURG);
        Assumptions.assumeTrue(before == 0 || before == 1, "SIGURG already has a handler (" + before
                + "); not replacing it");
        handler = Signals.installCountingHandler(Signals.SIGURG);
        assertNotEquals(before, Signals.currentHandler(Signals.SIGURG), "handler not installed");
    }

    @AfterEach
    void restoreHandler() {
        if (handler != null) {
            long ours = Signals.currentHandler(Signals.SIGURG);
            handler.close();
            long now = Signals.currentHandler(Signals.SIGURG);
            assertNotEquals(ours, now, "previous SIGURG disposition not restored");
            assertTrue(now == 0 || now == 1, "SIGURG disposition after restore: " + now);
        }
    }

    /** The handler runs in the targeted thread (sanity check of the helper itself). */
    @Test
    void handlerRunsOnTgkill() {
        long before = handler.invocations();
        assertEquals(0, Signals.tgkill(Libc.gettid(), Signals.SIGURG));
        // A signal sent to oneself is delivered before tgkill returns to user space.
        assertEquals(before + 1, handler.invocations(), "handler invocations");
    }

    /** Many workers add to per-CPU cells while a signaller hits them with SIGURG: exact, with aborts. */
    @Test
    void addStaysExactUnderSignalAborts() {
        int threads = Workers.THREADS;
        MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * LINE, LINE);
        long base = cells.address();
        MethodHandle add = shortSections.add();
        LongAdder aborts = new LongAdder();
        AtomicIntegerArray tids = new AtomicIntegerArray(threads);
        CountDownLatch finished = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> signallerFailure = new AtomicReference<>();
        long handledBefore = handler.invocations();

        // Workers stay alive (parked on release) until the signaller has stopped: a tid is never signalled
        // after its thread exited, when the kernel could give it to another thread.
        Thread signaller = Thread.ofPlatform().name("sigurg-signaller").start(() -> {
            try {
                while (finished.getCount() > 0) {
                    for (int i = 0; i < threads; i++) {
                        int tid = tids.get(i);
                        if (tid != 0) {
                            long rc = Signals.tgkill(tid, Signals.SIGURG);
                            if (rc != 0) {
                                throw new AssertionError("tgkill(" + tid + ") = " + rc);
                            }
                            sent.incrementAndGet();
                        }
                    }
                    LockSupport.parkNanos(20_000);
                }
            } catch (Throwable t) {
                signallerFailure.set(t);
            } finally {
                release.countDown();
            }
        });
        try {
            Workers.run(threads, i -> {
                try {
                    tids.set(i, Libc.gettid());
                    for (int r = 0; r < REPS; r++) {
                        aborts.add(addUntilCommitted(add, base));
                    }
                } finally {
                    finished.countDown();
                    awaitUninterruptibly(release);
                }
            });
        } finally {
            join(signaller);
        }
        if (signallerFailure.get() != null) {
            throw new AssertionError("signaller failed", signallerFailure.get());
        }
        long handled = handler.invocations() - handledBefore;
        System.out.printf("signals: %d workers, %d sent, %d handled; total %d, aborts %d%n", threads, sent.get(),
                handled, sum(cells), aborts.sum());
        assertEquals((long) threads * REPS, sum(cells), "total");
        assertTrue(handled > 0, "no SIGURG was handled; the signaller did not reach the workers");
        assertTrue(aborts.sum() > 0, "no section was aborted");
    }

    /**
     * One worker pinned to one CPU runs long sections, first alone, then with the signaller (on another CPU
     * where there is one) sending one SIGURG after each commit. Only "aborts with signals > 0" is asserted;
     * both counts are printed.
     */
    @Test
    void signalAbortsASectionOfAPinnedWorker() throws InterruptedException {
        BitSet allowed = Affinity.allowed();
        int workerCpu = allowed.nextSetBit(0);
        int signallerCpu = allowed.nextSetBit(workerCpu + 1);

        long quiet = runPinned(workerCpu, signallerCpu, false);
        long handledBefore = handler.invocations();
        long signalled = runPinned(workerCpu, signallerCpu, true);
        long handled = handler.invocations() - handledBefore;
        System.out.printf("pinned worker on CPU %d, %d sections of delay %d: aborts without signals %d, "
                        + "with signals %d (%d signals handled; signaller on CPU %s)%n", workerCpu, PINNED_SECTIONS,
                LONG_DELAY, quiet, signalled, handled, signallerCpu < 0 ? "any" : signallerCpu);
        assertTrue(handled > 0, "no SIGURG was handled");
        assertTrue(signalled > 0, "signals were handled but no section was aborted");
    }

    /** Returns the worker's abort count. */
    private static long runPinned(int workerCpu, int signallerCpu, boolean signal) throws InterruptedException {
        MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * LINE, LINE);
        long base = cells.address();
        MethodHandle add = longSections.add();
        AtomicLong commits = new AtomicLong();
        AtomicLong aborts = new AtomicLong();
        AtomicBoolean workerDone = new AtomicBoolean();
        AtomicBoolean signallerDone = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] tid = new int[1];

        Thread worker = Thread.ofPlatform().name("pinned-worker").start(() -> {
            try {
                tid[0] = Libc.gettid();
                started.countDown();
                Affinity.runPinned(workerCpu, () -> {
                    for (int r = 0; r < PINNED_SECTIONS; r++) {
                        aborts.addAndGet(addUntilCommitted(add, base));
                        commits.incrementAndGet();
                    }
                });
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                workerDone.set(true);
                // Stay alive until the signaller stops: its tid must not be reused while it may be signalled.
                while (!signallerDone.get()) {
                    LockSupport.parkNanos(100_000);
                }
            }
        });
        started.await();
        if (signal) {
            Runnable signaller = () -> {
                long lastSignalled = -1;
                while (!workerDone.get()) {
                    long c = commits.get();
                    if (c != lastSignalled) { // one signal per committed section: the worker always progresses
                        lastSignalled = c;
                        long rc = Signals.tgkill(tid[0], Signals.SIGURG);
                        if (rc != 0) {
                            throw new AssertionError("tgkill = " + rc);
                        }
                    }
                    Thread.onSpinWait();
                }
            };
            try {
                if (signallerCpu >= 0) {
                    Affinity.runPinned(signallerCpu, signaller);
                } else {
                    signaller.run();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }
        signallerDone.set(true);
        worker.join();
        if (failure.get() != null) {
            throw new AssertionError("pinned run failed", failure.get());
        }
        assertEquals(PINNED_SECTIONS, sum(cells), "total");
        return aborts.get();
    }




    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        for (;;) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
