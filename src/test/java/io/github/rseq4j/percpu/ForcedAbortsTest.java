package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Pinned;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The param_test workloads through the public structures, in a JVM whose library links every section with
 * delay loops ({@link PerCpuSections#DELAY_PROPERTY}): the kernel aborts sections at every structure's own
 * call sites (PerCpuCounter, PerCpuSpinLock, PerCpuList, PerCpuBuffer, PerCpuLongArray, PerCpuHistogram,
 * PerCpuPool, by cpu_id and by mm_cid, and any structure built on {@link PerCpuSections}). Each workload must
 * see aborts and still be exact.
 */
class ForcedAbortsTest {

    /** About 2 x 2 us of delay per section here: a preemption lands inside one almost every time. */
    private static final int DELAY = 5_000;
    private static final int REPS = 5_000;

    @Test
    void structuresStayExactUnderForcedAbortsOnGlibcsArea() {
        expectExact(Map.of(), "TLS");
    }

    @Test
    void structuresStayExactUnderForcedAbortsOnOwnAreas() {
        expectExact(ForkedJvm.GLIBC_RSEQ_OFF, "REGISTER");
    }

    private static void expectExact(Map<String, String> environment, String mode) {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, environment,
                List.of("-D" + PerCpuSections.DELAY_PROPERTY + "=" + DELAY), mode);
        Assumptions.assumeFalse(r.output().contains("SKIP:"), r::output);
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ALL EXACT"), r::describe);
    }

    public static final class Child {
        public static void main(String[] args) {
            Mode wanted = Mode.valueOf(args[0]);
            if (PerCpuSections.MODE != wanted) {
                System.out.println("SKIP: wanted " + wanted + ", mode is " + PerCpuSections.MODE + " ("
                        + PerCpuSections.describe() + ")");
                return;
            }
            if (PerCpuSections.DELAY != DELAY) {
                throw new AssertionError("the delay property did not reach PerCpuSections: " + PerCpuSections.DELAY);
            }
            System.out.println(PerCpuSections.describe());
            // Every worker runs sections, so every call site can be aborted.
            Scenarios.Wrap wrap = (worker, body) -> {
                try (var _ = Pinned.registerIfNeeded()) {
                    body.run();
                }
            };
            int threads = Workers.THREADS;
            withAborts("spinlock", () -> Scenarios.spinlock(threads, REPS, wrap));
            withAborts("list", () -> Scenarios.list(threads, REPS, wrap));
            withAborts("buffer", () -> Scenarios.buffer(threads, REPS, wrap));
            withAborts("memcpy buffer", () -> Scenarios.memcpyBuffer(threads, REPS, wrap));
            withAborts("increment", () -> Scenarios.increment(threads, REPS, wrap));
            withAborts("long array", () -> Scenarios.longArray(threads, REPS, wrap, PerCpuIndexing.CPU_ID));
            withAborts("histogram", () -> Scenarios.histogram(threads, REPS, wrap, PerCpuIndexing.CPU_ID));
            withAborts("pool", () -> Scenarios.pool(threads, REPS, wrap, PerCpuIndexing.CPU_ID));
            if (PerCpuIndexing.MM_CID.isAvailable()) {
                withAborts("mm_cid spinlock", () -> Scenarios.spinlock(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid buffer", () -> Scenarios.buffer(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid memcpy buffer",
                        () -> Scenarios.memcpyBuffer(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid increment", () -> Scenarios.increment(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid long array",
                        () -> Scenarios.longArray(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid histogram",
                        () -> Scenarios.histogram(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid list", () -> Scenarios.list(threads, REPS, wrap, PerCpuIndexing.MM_CID));
                withAborts("mm_cid pool", () -> Scenarios.pool(threads, REPS, wrap, PerCpuIndexing.MM_CID));
            } else {
                System.out.println("mm_cid structures not run: " + PerCpuIndexing.MM_CID.unavailableReason());
            }
            System.out.println("ALL EXACT");
        }

        /** Runs an exact workload and requires that the kernel aborted some of its sections. */
        private static void withAborts(String workload, Runnable exact) {
            long before = SectionLibrary.injectedAborts();
            long start = System.nanoTime();
            exact.run();
            long aborts = SectionLibrary.injectedAborts() - before;
            System.out.printf("%s: exact, %d sections aborted (%d ms)%n", workload, aborts,
                    (System.nanoTime() - start) / 1_000_000);
            if (aborts == 0) {
                throw new AssertionError(workload + ": no section was aborted; the injection did not work");
            }
        }
    }
}
