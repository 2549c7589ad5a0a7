package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.RseqBarrier;
import io.github.rseq4j.RseqException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Port of the kernel's param_test types with run_param_test.sh's thread count (6 per allowed CPU): every
 * result is exact. Repetitions keep the class well under a minute on two CPUs.
 */
class ParamTest {

    static final int THREADS = Workers.THREADS;

    @Test
    void spinlock() {
        Scenarios.spinlock(THREADS, Workers.repetitions(200_000), Scenarios.PLAIN);
    }

    @Test
    void list() {
        Scenarios.list(THREADS, Workers.repetitions(100_000), Scenarios.PLAIN);
    }

    @Test
    void buffer() {
        Scenarios.buffer(THREADS, Workers.repetitions(100_000), Scenarios.PLAIN);
    }

    @Test
    void memcpyBuffer() {
        Scenarios.memcpyBuffer(THREADS, Workers.repetitions(100_000), Scenarios.PLAIN);
    }

    @Test
    void increment() {
        Scenarios.increment(THREADS, Workers.repetitions(200_000), Scenarios.PLAIN);
    }

    @Test
    void longArray() {
        Scenarios.longArray(THREADS, 100_000, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
    }

    @Test
    void pool() {
        Scenarios.pool(THREADS, 100_000, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
    }

    @Test
    void histogram() {
        Scenarios.histogram(THREADS, 100_000, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
    }

    /** The same types indexed by mm_cid (or its cpu_id fallback, which the test prints). */
    @Test
    void mmCidIndexed() {
        System.out.println("mm_cid indexing: " + (PerCpuIndexing.MM_CID.isAvailable() ? "available, "
                + PerCpuIndexing.MM_CID.sectionSlots() + " slots" : PerCpuIndexing.MM_CID.unavailableReason()));
        Scenarios.spinlock(THREADS, 100_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.buffer(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.memcpyBuffer(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.increment(THREADS, 100_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.longArray(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.list(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.pool(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
        Scenarios.histogram(THREADS, 50_000, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
    }

    /** membarrier: abortAll() in a loop while list workers run; no error, still exact. */
    @Test
    void membarrier() {
        registerBarrierOrSkip();
        AtomicLong barriers = new AtomicLong();
        Workers.whileRepeating(() -> {
            RseqBarrier.abortAll();
            RseqBarrier.abortOn((int) (barriers.getAndIncrement() % Runtime.getRuntime().availableProcessors()));
        }, () -> {
            Scenarios.list(THREADS, Workers.repetitions(10_000), Scenarios.PLAIN);
            return null;
        });
        assertTrue(barriers.get() > 0);
    }

    static void registerBarrierOrSkip() {
        try {
            RseqBarrier.register();
        } catch (RseqException e) {
            Assumptions.assumeTrue(false, "membarrier rseq commands unavailable: " + e.getMessage());
        }
    }

    /** The list type again with nothing popped by the workers: conservation under pure push load. */
    @Test
    void listPushOnly() {
        PerCpuList list = new PerCpuList();
        Workers.run(THREADS, i -> {
            for (int r = 0; r < 10_000; r++) {
                list.push((long) i * 10_000 + r);
            }
        });
        java.util.List<Long> out = new java.util.ArrayList<>();
        list.drain(out::add);
        Scenarios.assertDistinctRange(out.stream().mapToLong(Long::longValue).toArray());
        org.junit.jupiter.api.Assertions.assertEquals(THREADS * 10_000L, out.size());
    }
}
