package io.github.rseq4j.selftests;

import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.allowedCpus;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.assertFieldsOnPinnedCpu;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.assumeOwner;
import static io.github.rseq4j.selftests.TestSupport.hasNodeAndMmCid;
import static io.github.rseq4j.selftests.TestSupport.onNewThread;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Port of tools/testing/selftests/rseq/basic_test.c: pinned to each allowed CPU in turn,
 * cpu_id, cpu_id_start, sched_getcpu() and RseqThread.currentCpu() all name that CPU;
 * node_id is getcpu()'s node and mm_cid is in range. Once with glibc's area (this JVM) and
 * once with rseq4j's own (a JVM with glibc's registration off).
 */
class BasicTest {

    @Test
    void glibcAreaOnEveryCpu() {
        assumeOwner(Owner.GLIBC);
        onNewThread(BasicTest::fieldsOnEveryCpu);
    }

    @TestFactory
    Stream<DynamicTest> ownArea() {
        return Scenario.forked(OwnArea.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    /** basic_test.c's test_cpu_pointer(), between register() and unregister(). */
    static void fieldsOnEveryCpu() {
        try (var registration = RseqThread.register()) {
            RseqThread handle = registration.thread();
            // The kernel holds exactly the area the handle reads: same address, length and
            // signature make a second registration EBUSY, anything else EINVAL or EPERM.
            assertRc(Errno.EBUSY, rawRegister(areaOf(handle), RseqAbi.REGISTRATION_LENGTH),
                    "re-registering the area RseqThread reads");
            for (int cpu : allowedCpus()) {
                Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
            }
            if (!hasNodeAndMmCid()) {
                // Before Linux 6.3 (or with a libc that publishes only 20 bytes) the fields
                // are not kept current; the library must say so instead of returning junk.
                assertThrows(UnsupportedOperationException.class, handle::nodeId);
                assertThrows(UnsupportedOperationException.class, handle::mmCid);
                for (Executable reader : new Executable[] {RseqThread::currentNode, RseqThread::currentMmCid}) {
                    String message = assertThrows(UnsupportedOperationException.class, reader).getMessage();
                    assertTrue(message.contains("Linux 6.3"), message);
                }
            }
        }
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0. */
    public static final class OwnArea {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER,
                            "with glibc's registration off rseq4j must register its own areas")),
                    check("own area on every CPU", BasicTest::fieldsOnEveryCpu));
        }
    }
}
