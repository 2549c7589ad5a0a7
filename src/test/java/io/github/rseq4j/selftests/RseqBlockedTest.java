package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.internal.sys.Errno.ENOSYS;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.onNewThread;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.doctor.Doctor;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Syscalls;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Seccomp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * rseq blocked by a seccomp filter, as container runtimes with an old profile do (the
 * selftests' rseq_available() returning false, and their fallback to sched_getcpu()): rseq4j
 * must report rseq unavailable, refuse register() with ENOSYS and a hint at seccomp, keep
 * every reader working through its fallback, let threads start, and the doctor must say why.
 */
class RseqBlockedTest {

    @TestFactory
    Stream<DynamicTest> rseqBlockedBySeccomp() {
        return Scenario.forked(Blocked.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    /** rseq(NULL, 0, 0, sig): EINVAL where rseq works, ENOSYS where it does not; changes nothing. */
    private static int probe() {
        return Syscalls.rseq(0, 0, 0, Arch.current().rseqSignature());
    }

    /** Runs before anything initializes RseqAbi, which decides once whether rseq works. */
    static void blockRseq() throws Exception {
        int before = probe();
        Assumptions.assumeTrue(before == -EINVAL,
                () -> "this kernel has no usable rseq to block: " + TestSupport.describeRc(before));
        CountDownLatch installed = new CountDownLatch(1);
        FutureTask<Integer> olderThread = new FutureTask<>(() -> {
            installed.await();
            return probe();
        });
        Thread.ofPlatform().start(olderThread);
        Seccomp.blockRseq();
        installed.countDown();
        assertRc(ENOSYS, probe(), "rseq probe on the thread that installed the filter");
        assertRc(ENOSYS, olderThread.get(), "rseq probe on a thread started before the filter (TSYNC)");
    }

    static void abiSeesRseqUnavailable() {
        assertFalse(RseqAbi.AVAILABLE, "RseqAbi.AVAILABLE");
        assertEquals(ENOSYS, RseqAbi.UNAVAILABLE_ERRNO);
        assertEquals(AreaOwner.NONE, RseqAbi.OWNER);
        assertTrue(RseqAbi.unavailableReason().contains("seccomp"), RseqAbi::unavailableReason);
    }

    static void registerIsRefused() {
        RseqException e = assertThrows(RseqException.class, RseqThread::register);
        assertEquals(ENOSYS, e.errno(), e::getMessage);
        assertEquals("ENOSYS", e.errnoName());
        assertTrue(e.getMessage().contains("seccomp"), () -> "message should mention seccomp: " + e.getMessage());
        // A refused register() leaves the thread exactly as unregistered as before.
        UnregisteredStateTest.assertUnregistered(RseqThread.current(), "after the refused register()");
    }

    /** Plain, rseq4j-factory and virtual threads all start, run and read a CPU they may use. */
    static void threadsStartAndReadCpus() {
        BitSet allowed = Affinity.allowed();
        List<ThreadFactory> factories = List.of(
                Thread.ofPlatform().factory(), RseqThread.threadFactory(), Thread.ofVirtual().factory());
        for (ThreadFactory factory : factories) {
            onNewThread(factory, () -> {
                int cpu = RseqThread.currentCpu();
                assertTrue(cpu >= 0 && allowed.get(cpu),
                        () -> "currentCpu() " + cpu + " not in " + allowed + " on " + Thread.currentThread());
                if (!Thread.currentThread().isVirtual()) {
                    assertEquals(0, RseqThread.current().registrations(), "no registration can have happened");
                }
            });
        }
    }

    /** The doctor (java -jar rseq4j.jar --json) must explain the failure, not just report it. */
    static void doctorExplains() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = Doctor.run(new String[] {"--json"},
                new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8));
        String json = out.toString(UTF_8);
        String both = "stdout:\n" + json + "\nstderr:\n" + err.toString(UTF_8);
        assertNotEquals(0, exitCode, () -> "doctor must fail where rseq is unavailable; " + both);
        assertTrue(Pattern.compile("\"available\"\\s*:\\s*false").matcher(json).find(),
                () -> "\"available\": false; " + both);
        assertTrue(Pattern.compile("\"owner\"\\s*:\\s*\"none\"").matcher(json).find(),
                () -> "\"owner\": \"none\"; " + both);
        assertTrue(both.toLowerCase(Locale.ROOT).contains("seccomp"),
                () -> "doctor should name seccomp as the likely cause; " + both);
    }

    /** In a JVM with glibc's registration off (else glibc would have registered before the filter). */
    public static final class Blocked {
        public static void main(String[] args) {
            Scenario.runAfter(RseqBlockedTest::blockRseq,
                    check("RseqAbi sees rseq unavailable", RseqBlockedTest::abiSeesRseqUnavailable),
                    check("register() fails with ENOSYS naming seccomp", RseqBlockedTest::registerIsRefused),
                    check("readers fall back to sched_getcpu()/getcpu()",
                            () -> UnregisteredStateTest.assertUnregistered(RseqThread.current(), "with rseq blocked")),
                    check("threads start and read CPUs", RseqBlockedTest::threadsStartAndReadCpus),
                    check("doctor --json reports rseq unavailable because of seccomp",
                            RseqBlockedTest::doctorExplains));
        }
    }
}
