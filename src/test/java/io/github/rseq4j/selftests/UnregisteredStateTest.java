package io.github.rseq4j.selftests;

import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.CPU_ID_UNINITIALIZED;
import static io.github.rseq4j.selftests.TestSupport.allowedCpus;
import static io.github.rseq4j.selftests.TestSupport.assertFieldsOnPinnedCpu;
import static io.github.rseq4j.selftests.TestSupport.hasNodeAndMmCid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * What a thread sees while it has no registration, when rseq4j owns rseq (forked JVM with
 * glibc's registration off): the kernel's "uninitialized" values, exceptions for the fields
 * that only exist while registered, and working static readers (they fall back to
 * sched_getcpu()/getcpu()). Checked before the first register() and again after
 * unregister(), where the values come from the kernel's reset, not from rseq4j's zeroing.
 * The selftests' rseq.c helpers (rseq_current_cpu() falling back to sched_getcpu()) are the
 * kernel-side counterpart.
 */
class UnregisteredStateTest {

    @TestFactory
    Stream<DynamicTest> unregisteredState() {
        return Scenario.forked(Unregistered.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    static void assertUnregistered(RseqThread handle, String when) {
        assertFalse(handle.isRegistered(), when + ": isRegistered()");
        assertEquals(0, handle.registrations(), when + ": registrations()");
        assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), when + ": cpu_id must read RSEQ_CPU_ID_UNINITIALIZED");
        assertEquals(0, handle.cpuIdStart(), when + ": cpu_id_start");
        // Before Linux 6.3 the fields do not exist, registered or not: that answer comes first.
        boolean fields = hasNodeAndMmCid();
        Class<? extends RuntimeException> missing =
                fields ? IllegalStateException.class : UnsupportedOperationException.class;
        assertThrows(missing, handle::nodeId, when + ": nodeId()");
        assertThrows(missing, handle::mmCid, when + ": mmCid()");
        assertThrows(missing, RseqThread::currentMmCid, when + ": currentMmCid()");
        if (!fields) {
            assertThrows(UnsupportedOperationException.class, RseqThread::currentNode, when + ": currentNode()");
        }
        for (int cpu : allowedCpus()) {
            Affinity.runPinned(cpu, () -> {
                assertEquals(cpu, RseqThread.currentCpu(), when + ": currentCpu() fallback on CPU " + cpu);
                if (fields) {
                    assertEquals(Libc.currentNode(), RseqThread.currentNode(),
                            when + ": currentNode() fallback on CPU " + cpu);
                }
                // Still not registered: the kernel must not have written the area meanwhile.
                assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), when + ": cpu_id after running on CPU " + cpu);
            });
        }
    }

    static void beforeAndAfterRegistration() {
        RseqThread handle = RseqThread.current();
        assertUnregistered(handle, "before register()");
        try (var registration = RseqThread.register()) {
            RseqThread registered = registration.thread();
            int cpu = allowedCpus().getFirst();
            Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(registered, cpu));
        }
        assertUnregistered(handle, "after unregister()");
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0. */
    public static final class Unregistered {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER)),
                    check("unregistered state before register() and after unregister()",
                            UnregisteredStateTest::beforeAndAfterRegistration));
        }
    }
}
