package io.github.rseq4j.selftests;

import static io.github.rseq4j.selftests.TestSupport.assumeOwner;
import static io.github.rseq4j.selftests.TestSupport.hasNodeAndMmCid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Virtual threads, which the kernel selftests cannot have: a virtual thread has no area of its
 * own and may change carrier at every park, so the static readers must read the carrier's
 * area at the moment of the call (never a cached one) and register()/current() must refuse.
 */
class VirtualThreadTest {

    private static final int THREADS = 32;
    private static final int READS_PER_THREAD = 150;
    /** A read that disagrees with sched_getcpu() on both sides is retried this often before it counts. */
    private static final int CONFIRMATIONS = 3;

    @Test
    void currentCpuFollowsTheCarrier() {
        BitSet allowed = Affinity.allowed();
        AtomicInteger reads = new AtomicInteger();
        AtomicInteger mismatches = new AtomicInteger();
        Queue<String> examples = new ConcurrentLinkedQueue<>();
        onVirtualThreads(() -> {
            for (int i = 0; i < READS_PER_THREAD; i++) {
                int cpu = RseqThread.currentCpu();
                assertTrue(cpu >= 0 && allowed.get(cpu), () -> "currentCpu() " + cpu + " not in " + allowed);
                String mismatch = disagreementWithSchedGetcpu();
                if (mismatch != null && mismatches.incrementAndGet() <= 5) {
                    examples.add(mismatch);
                }
                reads.incrementAndGet();
                park(i);
            }
        });
        assertEquals(THREADS * READS_PER_THREAD, reads.get());
        assertEquals(0, mismatches.get(), () -> "currentCpu() named another CPU than sched_getcpu() read right before "
                + "and right after it, " + CONFIRMATIONS + " times in a row; e.g. " + examples);
    }

    /**
     * A description when currentCpu() disagrees with sched_getcpu() read just before and just
     * after it while those two agree (the carrier did not visibly move), on every one of
     * {@link #CONFIRMATIONS} tries: the carrier's OS thread may migrate and come back within
     * one try, but not systematically. Null when they agree.
     */
    private static String disagreementWithSchedGetcpu() {
        String last = null;
        for (int i = 0; i < CONFIRMATIONS; i++) {
            int before = Libc.schedGetcpu();
            int cpu = RseqThread.currentCpu();
            int after = Libc.schedGetcpu();
            if (before != after || cpu == before) {
                return null;
            }
            last = "currentCpu() " + cpu + " between sched_getcpu() " + before + " and " + after
                    + " on " + Thread.currentThread();
        }
        return last;
    }

    @Test
    void registrationIsRefused() {
        onVirtualThreads(() -> {
            var register = assertThrows(UnsupportedOperationException.class, RseqThread::register);
            var current = assertThrows(UnsupportedOperationException.class, RseqThread::current);
            for (var e : List.of(register, current)) {
                assertTrue(e.getMessage().contains("virtual thread"),
                        () -> "message should name virtual threads: " + e.getMessage());
            }
        });
    }

    @Test
    void nodeAndMmCidReadTheCarriersArea() {
        assumeOwner(Owner.GLIBC);
        Assumptions.assumeTrue(hasNodeAndMmCid(), "node_id and mm_cid need Linux 6.3 and a libc publishing them");
        int nodes = TestSupport.possibleNodes();
        onVirtualThreads(() -> {
            for (int i = 0; i < READS_PER_THREAD / 10; i++) {
                int node = RseqThread.currentNode();
                assertTrue(node >= 0 && node < nodes, () -> "currentNode() " + node + " not in [0, " + nodes + ")");
                TestSupport.assertMmCidInRange(RseqThread.currentMmCid(), "currentMmCid() on a virtual thread");
                park(i);
            }
        });
    }

    /** Unmounts the virtual thread, alternating the two ways it parks. */
    private static void park(int i) throws InterruptedException {
        if (i % 2 == 0) {
            Thread.sleep(1);
        } else {
            LockSupport.parkNanos(50_000);
        }
    }

    /** Runs {@code body} on {@link #THREADS} virtual threads at once and rethrows the first failure. */
    private static void onVirtualThreads(Executable body) {
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    body.execute();
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        threads.forEach(TestSupport::join);
        TestSupport.rethrow(failures.peek());
    }
}
