package io.github.rseq4j.selftests;

import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.CPU_ID_UNINITIALIZED;
import static io.github.rseq4j.selftests.TestSupport.hasNodeAndMmCid;
import static io.github.rseq4j.selftests.TestSupport.possibleCpus;
import static io.github.rseq4j.selftests.TestSupport.slotOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Many threads registering at once, and thousands of short-lived threads, some of which die
 * registered. The first is the registration side of param_test.c, whose worker threads
 * (-t, 200 by default) each register on start and unregister on exit, some left unregistered
 * (-D); the churn goes further, since a JVM starts and drops threads all the time. Run in this
 * JVM (glibc's areas) and in one with glibc's registration off (rseq4j's own areas, whose
 * slots of threads that died registered may only be reused once the kernel has reaped them).
 */
class ConcurrencyTest {

    private static final int THREADS = 48;
    private static final int BATCHES = 3;
    private static final int ROUNDS = 100;

    private static final int CHURN_THREADS = 3000;
    private static final int WAVE = 100;
    /**
     * Distinct slots a churn may use: the slab carved before it plus a few waves' worth (threads that
     * died registered wait for the kernel to reap them), far below one per thread (3000).
     */
    private static final long SLOT_BOUND = 7 * 64;

    @Test
    void manyThreadsRegisterAtOnce() {
        concurrentRegistration();
    }

    @Test
    void threadChurnKeepsSlotsBounded() {
        churn();
    }

    @TestFactory
    Stream<DynamicTest> ownArea() {
        return Scenario.forked(OwnArea.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    /** Half plain platform threads, half from rseq4j's factory (which run registered once already). */
    private static ThreadFactory factory(int index) {
        return index % 2 == 0 ? Thread.ofPlatform().factory() : RseqThread.threadFactory();
    }

    static void concurrentRegistration() {
        BitSet allowed = Affinity.allowed();
        int cpus = possibleCpus();
        for (int batch = 0; batch < BATCHES; batch++) {
            CountDownLatch go = new CountDownLatch(1);
            runAll(THREADS, ConcurrencyTest::factory, i -> () -> {
                go.await();
                RseqThread handle = RseqThread.current();
                int base = handle.registrations();
                for (int round = 0; round < ROUNDS; round++) {
                    try (var outerRegistration = RseqThread.register(); var innerRegistration = RseqThread.register()) {
                        RseqThread inner = innerRegistration.thread();
                        assertSame(outerRegistration.thread(), inner, "one handle per thread");
                        assertEquals(base + 2, handle.registrations());
                        int cpu = inner.cpuId();
                        assertTrue(cpu >= 0 && allowed.get(cpu), () -> "cpu_id " + cpu + " not in " + allowed);
                        int current = RseqThread.currentCpu();
                        assertTrue(allowed.get(current), () -> "currentCpu() " + current + " not in " + allowed);
                        if (hasNodeAndMmCid()) {
                            int cid = inner.mmCid();
                            assertTrue(cid >= 0 && cid < cpus, () -> "mm_cid " + cid + " not in [0, " + cpus + ")");
                        }
                    }
                    assertEquals(base, handle.registrations());
                    if (base == 0 && RseqAbi.OWNER == AreaOwner.RSEQ4J) {
                        assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), "cpu_id after the last unregister()");
                    }
                }
            }, go::countDown);
        }
    }

    /**
     * {@link #CHURN_THREADS} threads in waves of {@link #WAVE}: by index, plain or factory
     * threads that either leave one registration behind or end balanced.
     */
    static void churn() {
        BitSet allowed = Affinity.allowed();
        boolean ownAreas = RseqAbi.OWNER == AreaOwner.RSEQ4J;
        Set<Long> slots = ConcurrentHashMap.newKeySet();
        for (int started = 0; started < CHURN_THREADS; started += WAVE) {
            int first = started;
            runAll(WAVE, i -> factory((first + i) / 2), i -> () -> {
                boolean plain = (first + i) / 2 % 2 == 0;
                boolean dieRegistered = (first + i) % 2 == 0;
                RseqThread handle = RseqThread.current();
                slots.add(slotOf(handle));
                if (ownAreas && plain) {
                    // A recycled slot is zeroed, and no registration of a dead thread writes it any more.
                    assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), "cpu_id of a fresh slot");
                    assertEquals(0, handle.cpuIdStart(), "cpu_id_start of a fresh slot");
                }
                int base = handle.registrations();
                assertEquals(plain ? 0 : 1, base, "registrations at start");
                RseqThread.register();
                int cpu = handle.cpuId();
                assertTrue(cpu >= 0 && allowed.get(cpu), () -> "cpu_id " + cpu + " not in " + allowed);
                if (!dieRegistered) {
                    handle.unregister();
                }
                // A factory thread undoes one registration on exit; either way one may be left.
            }, () -> {});
        }
        int used = slots.size();
        System.out.println("churn of " + CHURN_THREADS + " threads used " + used + " slots (owner "
                + RseqAbi.OWNER + ")");
        assertTrue(used <= SLOT_BOUND, () -> CHURN_THREADS + " short-lived threads used " + used
                + " distinct slots; expected at most " + SLOT_BOUND + " (slots of dead threads must be reused)");
    }

    interface Task {
        Executable forIndex(int index);
    }

    interface Factories {
        ThreadFactory forIndex(int index);
    }

    /**
     * Starts {@code count} threads, runs {@code started} once all are started, joins them and rethrows the first
     * failure.
     */
    private static void runAll(int count, Factories factories, Task task, Runnable started) {
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Executable body = task.forIndex(i);
            Thread thread = factories.forIndex(i).newThread(() -> {
                try {
                    body.execute();
                } catch (Throwable t) {
                    failures.add(t);
                }
            });
            thread.start();
            threads.add(thread);
        }
        started.run();
        threads.forEach(TestSupport::join);
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError(
                    failures.size() + " of " + count + " threads failed; first: " + failures.peek());
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0. */
    public static final class OwnArea {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER)),
                    check("many threads register at once", ConcurrencyTest::concurrentRegistration),
                    check("thread churn keeps slots bounded", ConcurrencyTest::churn));
        }
    }
}
