package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Pinned;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * mm_cid-indexed structures whose slots are fewer than the ids the kernel hands out: a JVM that starts on one
 * CPU sizes them for one id, then lets its workers run on every CPU. Threads with a larger id must take the
 * shared slot, and every result stays exact.
 */
class MmCidIndexingTest {

    @Test
    void idsPastTheSlotsTakeTheSharedSlot() {
        Assumptions.assumeTrue(Affinity.allowed().cardinality() >= 2, "needs two CPUs to see an mm_cid of 1");
        ForkedJvm.Result r = ForkedJvm.run(Child.class, Map.of());
        Assumptions.assumeFalse(r.output().contains("SKIP:"), r::output);
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ALL EXACT"), r::describe);
    }

    public static final class Child {
        public static void main(String[] args) {
            BitSet all = Affinity.allowed();
            BitSet first = new BitSet();
            first.set(all.nextSetBit(0));
            Affinity.set(first);
            int slots = PerCpuIndexing.MM_CID.sectionSlots(); // sized now, from the one-CPU mask
            Affinity.set(all);
            if (!PerCpuIndexing.MM_CID.isAvailable()) {
                System.out.println("SKIP: " + PerCpuIndexing.MM_CID.unavailableReason());
                return;
            }
            if (slots != 1) {
                throw new AssertionError("mm_cid slots sized from a one-CPU mask: " + slots);
            }
            AtomicInteger largest = new AtomicInteger();
            Scenarios.Wrap watch = (worker, body) -> {
                try (var _ = Pinned.registerIfNeeded()) {
                    body.run();
                    largest.accumulateAndGet(RseqThread.currentMmCid(), Math::max);
                }
            };
            int threads = Workers.THREADS;
            Scenarios.spinlock(threads, 100_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.buffer(threads, 50_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.memcpyBuffer(threads, 50_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.increment(threads, 100_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.longArray(threads, 100_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.list(threads, 50_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.pool(threads, 50_000, watch, PerCpuIndexing.MM_CID);
            Scenarios.histogram(threads, 50_000, watch, PerCpuIndexing.MM_CID);
            System.out.println("largest mm_cid seen at a worker's end: " + largest.get() + ", slots " + slots);
            System.out.println("ALL EXACT");
        }
    }
}
