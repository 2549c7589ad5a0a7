package io.github.rseq4j.selftests;

import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.onNewThread;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqSlice;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Syscalls;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Time-slice extensions (Linux 7.0, {@code CONFIG_RSEQ_SLICE_EXTENSION}). Where the kernel grants
 * them (the VM lane's kernel from vmtest/build-slice-kernel.sh): a request whose time slice ends
 * inside it sees {@code granted}, and ending it yields as the kernel documents. Elsewhere: a
 * request does nothing and breaks nothing. Run in this JVM (glibc owns rseq: glibc up to at least
 * 2.39 registers the original 32 bytes, which the kernel never extends) and in a JVM where rseq4j
 * registers its own 33-byte areas.
 */
class SliceExtensionTest {

    /** Inner loop polls of {@code granted} per request; no clock read inside (it may be a system call). */
    private static final long POLLS_PER_REQUEST = 20_000_000L;

    /** Slots of rseq4j's handle cache (HandleCache.SIZE): thread ids this far apart share one. */
    private static final long HANDLE_CACHE_SIZE = 4096;

    /** Well within a forked JVM's timeout (120 s; 900 s in the VM lane), start-up included. */
    private static final long EXPERIMENT_NANOS = 30_000_000_000L;

    @Test
    void unavailableRequestDoesNothing() {
        onNewThread(SliceExtensionTest::requestWithoutExtensions);
    }

    @Test
    void virtualThreadRequestDoesNothing() throws Exception {
        requestOnVirtualThread();
    }

    @Test
    void scopeMisuseIsFoundOnEveryKernel() throws Exception {
        onNewThread(SliceExtensionTest::scopeMisuse);
        scopeMisuseOnVirtualThread();
    }

    @Test
    void nestedRequestsEndAtTheOutermost() {
        onNewThread(SliceExtensionTest::nestedRequests);
    }

    @Test
    void spinLockHolderRequests() {
        onNewThread(SliceExtensionTest::holderRequests);
    }

    @Test
    void grantedInsideRequest() {
        onNewThread(SliceExtensionTest::grantObserved);
    }

    @TestFactory
    Stream<DynamicTest> ownArea() {
        return Scenario.forked(OwnArea.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    /** rseq4j registers its own areas (glibc's registration off): the case a 7.x kernel can extend. */
    static final class OwnArea {
        public static void main(String[] args) {
            Scenario.run(
                    check("unavailable request does nothing", SliceExtensionTest::requestWithoutExtensions),
                    check("virtual thread request does nothing", SliceExtensionTest::requestOnVirtualThread),
                    check("nested requests end at the outermost", SliceExtensionTest::nestedRequests),
                    check("spin lock holder requests", SliceExtensionTest::holderRequests),
                    check("misuse is refused", SliceExtensionTest::misuse),
                    check("scope misuse is found on every kernel", SliceExtensionTest::scopeMisuse),
                    check("scope misuse is found on a virtual thread", SliceExtensionTest::scopeMisuseOnVirtualThread),
                    check("yield outside a grant returns 0", SliceExtensionTest::yieldWithoutGrant),
                    check("granted inside request", SliceExtensionTest::grantObserved));
        }
    }

    private static void assumeAvailable() {
        RseqSupport support = RseqSupport.probe();
        assumeTrue(support.hasSliceExtension(),
                () -> "no time-slice extensions here: " + support.sliceExtensionReason());
    }

    /** The kernel's request byte of the calling (registered) thread. */
    private static int requestByte(RseqThread handle) {
        return RseqMemory.readField(areaOf(handle) + RseqAbi.SLICE_CTRL) & 0xff;
    }

    static void requestWithoutExtensions() {
        RseqSupport support = RseqSupport.probe();
        assumeFalse(support.hasSliceExtension(), "this kernel grants extensions");
        assertFalse(support.sliceExtensionReason().isEmpty(), "an unavailable feature must say why");
        try (RseqThread.Registration registration = registerIfPossible()) {
            try (RseqSlice outer = RseqSlice.request(); RseqSlice inner = RseqSlice.request()) {
                assertFalse(outer.isRequesting(), "nothing to request");
                assertFalse(inner.isGranted());
                if (registration != null && RseqAbi.USABLE_SIZE >= RseqAbi.SLICE_CTRL + Integer.BYTES) {
                    assertEquals(0, requestByte(registration.thread()), "the request byte must stay untouched");
                }
            }
            // Every request has a scope of its own here; the spin lock keeps working.
            RseqSlice.request().close();
            PerCpuSpinLock lock = new PerCpuSpinLock();
            int slot = lock.lock();
            assertTrue(lock.isLocked(slot));
            try (RseqSlice held = RseqSlice.request()) {
                assertFalse(held.isRequesting(), "a holder has nothing to request either");
            }
            if (registration != null && RseqAbi.USABLE_SIZE >= RseqAbi.SLICE_CTRL + Integer.BYTES) {
                assertEquals(0, requestByte(registration.thread()), "a holder leaves the request byte untouched");
            }
            lock.unlock(slot);
            assertFalse(lock.isLocked(slot));
        }
    }

    /** A registration where rseq works, else null (the request must not need one). */
    private static RseqThread.Registration registerIfPossible() {
        return RseqSupport.probe().available() ? RseqThread.register() : null;
    }

    static void requestOnVirtualThread() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try (RseqSlice scope = RseqSlice.request()) {
                assertFalse(scope.isRequesting(), "a virtual thread's request would belong to its carrier");
                Thread.sleep(5); // parks: may resume on another carrier
                assertFalse(scope.isRequesting());
            } catch (Throwable t) {
                thrown.set(t);
            }
        }).join();
        if (thrown.get() != null) {
            throw new AssertionError("on a virtual thread", thrown.get());
        }
    }

    static void nestedRequests() {
        assumeAvailable();
        try (RseqThread.Registration registration = RseqThread.register()) {
            RseqThread handle = registration.thread();
            RseqSlice outer = RseqSlice.request();
            // The request byte itself cannot be asserted while open: the kernel clears slice_ctrl
            // whenever it rewrites the thread's ids (after a preemption, for instance).
            assertTrue(outer.isRequesting(), "refused: " + outer.refusal());
            RseqSlice inner = RseqSlice.request();
            assertSame(outer, inner, "one scope per thread");
            inner.close();
            assertTrue(outer.isRequesting(), "an inner close() must not end the request");
            outer.close();
            assertEquals(0, requestByte(handle), "the outermost close() ends the request");
            assertFalse(outer.isRequesting());
            assertNotEquals(0, RseqMemory.readField(areaOf(handle) + RseqAbi.FLAGS) & RseqAbi.FLAG_SLICE_EXT_ENABLED,
                    "the first request enables extensions for the thread (flags shows ENABLED)");
        }
    }

    /**
     * A {@link PerCpuSpinLock} holder requests an extension from {@code lock()} to {@code unlock()}; an
     * inner scope shows it, as it cannot end the holder's request. An unlock of another thread's hold is refused
     * and ends nothing of the unlocking thread's.
     */
    static void holderRequests() throws InterruptedException {
        assumeAvailable();
        try (RseqThread.Registration registration = RseqThread.register()) {
            for (PerCpuIndexing indexing : PerCpuIndexing.values()) {
                PerCpuSpinLock lock = new PerCpuSpinLock(indexing);
                String which = " (" + lock.indexing() + " lock)";
                int slot = lock.lock();
                RseqSlice scope = RseqSlice.request();
                scope.close();
                assertTrue(scope.isRequesting(), "the holder's request must stay open until unlock()" + which
                        + "; refusal: " + scope.refusal());
                lock.unlock(slot);
                assertFalse(scope.isRequesting(), "unlock() on the holder's thread ends its request" + which);
                assertEquals(0, requestByte(registration.thread()), "the request byte after unlock()" + which);

                int[] held = new int[1];
                onNewThread(() -> held[0] = lock.lock()); // that thread ends holding the lock
                try (RseqSlice own = RseqSlice.request()) {
                    assertThrows(IllegalMonitorStateException.class, () -> lock.unlock(held[0]));
                    assertTrue(own.isRequesting(),
                            "a refused unlock of another thread's hold must not end this thread's request" + which);
                }
                assertTrue(lock.isLocked(held[0]));
            }

            // A thread whose id shares this thread's slot in the handle cache takes the slot during the hold.
            PerCpuSpinLock lock = new PerCpuSpinLock();
            int slot = lock.lock();
            long id = Thread.currentThread().threadId();
            Thread evicter;
            do {
                evicter = Thread.ofPlatform().unstarted(RseqThread::current);
            } while ((evicter.threadId() - id) % HANDLE_CACHE_SIZE != 0);
            evicter.start();
            evicter.join();
            lock.unlock(slot);
            RseqSlice after = RseqSlice.request();
            after.close();
            assertFalse(after.isRequesting(), "unlock() must end the holder's request after its handle left the cache");
        }
    }

    /**
     * A scope closed twice, or on another thread, throws on every kernel: where extensions work (a thread's one
     * scope counts its requests) and where a request asks nothing of the kernel (each has a scope of its own).
     */
    static void scopeMisuse() {
        try (RseqThread.Registration ignored = registerIfPossible()) {
            RseqSlice scope = RseqSlice.request();
            WrongThreadException wrongThread = assertThrows(WrongThreadException.class,
                    () -> onNewThread(scope::close), "close() on another thread");
            assertTrue(wrongThread.getMessage().contains("belongs to thread " + Thread.currentThread().threadId()),
                    wrongThread.getMessage());
            scope.close(); // the refused close() left the request open
            IllegalStateException twice = assertThrows(IllegalStateException.class, scope::close, "a second close()");
            assertTrue(twice.getMessage().contains("closed twice"), twice.getMessage());
            try (RseqSlice again = RseqSlice.request()) {
                assertFalse(again.isGranted(), "requests still work after the refused ones");
            }
        }
    }

    static void scopeMisuseOnVirtualThread() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                RseqSlice scope = RseqSlice.request();
                scope.close();
                assertThrows(IllegalStateException.class, scope::close, "a second close() on a virtual thread");
            } catch (Throwable t) {
                thrown.set(t);
            }
        }).join();
        if (thrown.get() != null) {
            throw new AssertionError("on a virtual thread", thrown.get());
        }
    }

    static void misuse() {
        assumeAvailable();
        try (RseqThread.Registration ignored = RseqThread.register()) {
            RseqSlice scope = RseqSlice.request();
            onNewThread(() -> assertThrows(WrongThreadException.class, scope::close));
            assertTrue(scope.isRequesting(), "a refused close() must not end the request");
            scope.close();
            assertThrows(IllegalStateException.class, scope::close, "close() without an open request");
        }
    }

    static void yieldWithoutGrant() {
        assumeAvailable();
        try (RseqThread.Registration ignored = RseqThread.register()) {
            assertEquals(0, Syscalls.rseqSliceYield(), "rseq_slice_yield() with no grant");
        }
    }

    /**
     * A holder and a spinner pinned to one CPU: the scheduler ends the holder's slice while it
     * polls inside a request, so the kernel grants an extension; ending the request yields.
     */
    static void grantObserved() throws InterruptedException {
        assumeAvailable();
        int cpu = Affinity.allowed().nextSetBit(0);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch spinning = new CountDownLatch(1);
        Thread spinner = Thread.ofPlatform().name("rseq4j-slice-spinner").start(() -> Affinity.runPinned(cpu, () -> {
            spinning.countDown();
            while (!stop.get()) {
                Thread.onSpinWait();
            }
        }));
        List<Integer> yields = new ArrayList<>();
        int grants = 0;
        int requests = 0;
        try (RseqThread.Registration ignored = RseqThread.register()) {
            spinning.await();
            int[] observed = new int[1];
            Affinity.runPinned(cpu, () -> {
                long deadline = System.nanoTime() + EXPERIMENT_NANOS;
                while (yields.size() < 5 && System.nanoTime() < deadline) {
                    RseqSlice scope = RseqSlice.request();
                    boolean granted = false;
                    try {
                        assertTrue(scope.isRequesting(), "refused: " + scope.refusal());
                        for (long i = 0; i < POLLS_PER_REQUEST && !granted; i++) {
                            granted = scope.isGranted();
                        }
                    } finally {
                        scope.close();
                    }
                    observed[0]++;
                    if (granted) {
                        yields.add(scope.lastYieldResult());
                    }
                }
            });
            requests = observed[0];
            grants = yields.size();
        } finally {
            stop.set(true);
            spinner.join();
        }
        System.out.println("slice extension: " + requests + " requests, " + grants + " grants observed, "
                + "rseq_slice_yield() returned " + yields);
        assertTrue(grants > 0, "no grant observed in " + requests + " requests of " + POLLS_PER_REQUEST
                + " polls each, with a spinner on the same CPU");
        for (int result : yields) {
            // -1: the grant was revoked (the extension expired) before close() could yield.
            assertTrue(result >= -1 && result <= 1, "rseq_slice_yield() returns 1 (yielded inside the grant) or 0 "
                    + "(grant revoked first), got " + result + " in " + yields);
        }
    }
}
