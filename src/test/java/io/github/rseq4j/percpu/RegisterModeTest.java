package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.testing.ForkedJvm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The structures in REGISTER mode (glibc's rseq off, so rseq4j owns rseq): even workers register and run
 * sections, odd ones stay unregistered and take the locked fallback slot; every result stays exact.
 */
class RegisterModeTest {

    @Test
    void registeredAndUnregisteredThreadsMixExactly() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, ForkedJvm.GLIBC_RSEQ_OFF);
        Assumptions.assumeFalse(r.output().contains("SKIP:"), r::output);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ALL EXACT"), r::describe);
    }

    public static final class Child {
        public static void main(String[] args) {
            if (PerCpuSections.MODE != PerCpuSections.Mode.REGISTER) {
                System.out.println("SKIP: mode is " + PerCpuSections.MODE + " (" + PerCpuSections.describe() + ")");
                return;
            }
            Scenarios.Wrap half = (worker, body) -> {
                if (worker % 2 == 0) {
                    try (var _ = RseqThread.register()) {
                        body.run();
                    }
                } else {
                    body.run();
                }
            };
            int threads = Workers.THREADS;
            Scenarios.spinlock(threads, 50_000, half);
            Scenarios.list(threads, 50_000, half);
            Scenarios.buffer(threads, 50_000, half);
            Scenarios.memcpyBuffer(threads, 50_000, half);
            Scenarios.increment(threads, 50_000, half);
            Scenarios.longArray(threads, 50_000, half, PerCpuIndexing.CPU_ID);
            Scenarios.pool(threads, 50_000, half, PerCpuIndexing.CPU_ID);
            System.out.println("mm_cid: " + PerCpuIndexing.MM_CID.unavailableReason());
            Scenarios.increment(threads, 50_000, half, PerCpuIndexing.MM_CID);
            Scenarios.longArray(threads, 50_000, half, PerCpuIndexing.MM_CID);
            Scenarios.list(threads, 50_000, half, PerCpuIndexing.MM_CID);
            Scenarios.pool(threads, 50_000, half, PerCpuIndexing.MM_CID);
            Scenarios.histogram(threads, 50_000, half, PerCpuIndexing.CPU_ID);
            Scenarios.histogram(threads, 50_000, half, PerCpuIndexing.MM_CID);
            Scenarios.listPopAny(threads, 2_000, half);
            Scenarios.bufferPopAny(threads, 2_000, half);
            System.out.println("ALL EXACT");
        }
    }
}
