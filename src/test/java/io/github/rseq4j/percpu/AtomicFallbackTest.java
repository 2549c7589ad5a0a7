package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.doctor.Doctor;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Seccomp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where rseq or run-time machine code is refused, every per-CPU structure runs over atomics,
 * stays exact, and the probe and the doctor say so. Each case is a forked JVM whose seccomp
 * filter is installed before rseq4j decides anything.
 */
class AtomicFallbackTest {

    @Test
    void executableMemoryRefused() {
        ForkedJvm.Result result = ForkedJvm.run(Child.class, Map.of(), "deny-exec");
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.output().contains("mprotect") && result.output().contains("EACCES (13)"), result::describe);
    }

    @Test
    void rseqBlocked() {
        ForkedJvm.Result result = ForkedJvm.run(Child.class, ForkedJvm.GLIBC_RSEQ_OFF, "block-rseq");
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.output().contains("rseq unavailable"), result::describe);
    }

    public static final class Child {
        public static void main(String[] args) {
            switch (args[0]) {
                case "deny-exec" -> Seccomp.denyExecutableMprotect();
                case "block-rseq" -> Seccomp.blockRseq();
                default -> throw new IllegalArgumentException(args[0]);
            }
            RseqSupport support = RseqSupport.probe();
            System.out.println(
                    "implementation: " + support.perCpuImplementation() + ", " + support.perCpuFallbackReason());
            check(PerCpuSections.MODE == PerCpuSections.Mode.ATOMIC, "mode is " + PerCpuSections.MODE);
            check(support.perCpuImplementation() == PerCpuImplementation.ATOMICS, "probe says " + support);
            check(!support.perCpuFallbackReason().isEmpty(), "no reason given: " + support);
            // aarch64 finds glibc's area through a tpidr_el0 stub in executable memory: the
            // readers must fall back to sched_getcpu() rather than throw.
            int cpu = RseqThread.currentCpu();
            check(cpu >= 0 && cpu < Runtime.getRuntime().availableProcessors() * 64, "currentCpu() " + cpu);
            if (args[0].equals("deny-exec")) {
                // Registered first: where rseq4j owns rseq, an unregistered thread's cpuId() is -1.
                try (var _ = RseqThread.register()) {
                    check(RseqThread.current().cpuId() >= 0, "cpuId() " + RseqThread.current().cpuId());
                }
            }

            int threads = Workers.THREADS, repetitions = Workers.repetitions(20_000), few = Workers.repetitions(2_000);
            Scenarios.spinlock(threads, repetitions, Scenarios.PLAIN);
            Scenarios.list(threads, repetitions, Scenarios.PLAIN);
            Scenarios.buffer(threads, repetitions, Scenarios.PLAIN);
            Scenarios.memcpyBuffer(threads, repetitions, Scenarios.PLAIN);
            Scenarios.increment(threads, repetitions, Scenarios.PLAIN);
            Scenarios.longArray(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
            Scenarios.pool(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
            check(!PerCpuIndexing.MM_CID.isAvailable(), "mm_cid claimed available without sections");
            check(new PerCpuCounter(PerCpuIndexing.MM_CID).indexing() == PerCpuIndexing.CPU_ID, "no mm_cid fallback");
            Scenarios.longArray(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
            Scenarios.pool(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
            Scenarios.histogram(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.CPU_ID);
            Scenarios.histogram(threads, repetitions, Scenarios.PLAIN, PerCpuIndexing.MM_CID);
            Scenarios.listPopAny(threads, few, Scenarios.PLAIN);
            Scenarios.bufferPopAny(threads, few, Scenarios.PLAIN);

            ByteArrayOutputStream json = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(json, true, StandardCharsets.UTF_8);
            Doctor.run(new String[] {"--json"}, out, out);
            String report = json.toString(StandardCharsets.UTF_8);
            check(report.contains("\"perCpu\": \"atomics ("), "doctor says:\n" + report);
            check(report.contains("mm_cid requests fall back to cpu_id (no rseq sections run here)"),
                    "doctor's indexing:\n" + report);
            System.out.println("ALL EXACT");
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                System.out.println("FAIL: " + message);
                System.exit(1);
            }
        }
    }
}
