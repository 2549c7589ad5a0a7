package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EBUSY;
import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.selftests.TestSupport.allowedCpus;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.assertFieldsOnPinnedCpu;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.newArea;
import static io.github.rseq4j.selftests.TestSupport.onNewThread;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * rseq4j next to glibc's registration (glibc 2.35+ registers every thread), the situation the
 * selftests handle through glibc's __rseq_offset/__rseq_size in rseq.c: rseq4j must detect
 * glibc as the owner, read glibc's area, and never register or unregister with the kernel.
 */
class CoexistenceTest {

    @BeforeAll
    static void needsGlibcRegistration() {
        String glibc = Libc.glibcVersion();
        Assumptions.assumeTrue(glibc != null && compareVersions(glibc, "2.35") >= 0,
                "glibc registers rseq since 2.35; this libc is " + glibc);
        String tunables = System.getenv("GLIBC_TUNABLES");
        Assumptions.assumeFalse(tunables != null && tunables.contains("rseq=0"),
                "glibc's registration is turned off here: GLIBC_TUNABLES=" + tunables);
    }

    @Test
    void glibcIsTheOwner() {
        assertEquals(AreaOwner.GLIBC, RseqAbi.OWNER, "glibc " + Libc.glibcVersion() + " registers every thread");
        assertTrue(RseqAbi.GLIBC_SIZE >= RseqAbi.ORIGINAL_FEATURE_SIZE, "__rseq_size = " + RseqAbi.GLIBC_SIZE);
        assertTrue(RseqAbi.USABLE_SIZE >= RseqAbi.ORIGINAL_FEATURE_SIZE, "usable size = " + RseqAbi.USABLE_SIZE);
    }

    @Test
    void registerAdoptsGlibcsArea() {
        onNewThread(() -> {
            long foreign = newArea(128).address();
            try (var registration = RseqThread.register()) {
                RseqThread handle = registration.thread();
                long area = areaOf(handle);
                assertEquals(RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET, area,
                        "thread pointer + __rseq_offset");
                // glibc's registration is the one in force, at exactly the area rseq4j reads:
                assertRc(EINVAL, rawRegister(foreign, RseqAbi.REGISTRATION_LENGTH), "registering another area");
                assertRc(EBUSY, rawRegister(area, RseqAbi.REGISTRATION_LENGTH), "registering glibc's area again");
                for (int cpu : allowedCpus()) {
                    Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
                }
            }
            // unregister() left glibc's registration alone: the kernel still holds and writes it.
            RseqThread handle = RseqThread.current();
            assertRc(EBUSY, rawRegister(areaOf(handle), RseqAbi.REGISTRATION_LENGTH),
                    "glibc's area after unregister()");
            int cpu = allowedCpus().getLast();
            Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
        });
    }

    /** A thread from rseq4j's factory registers itself; with glibc owning rseq that is glibc's area too. */
    @Test
    void factoryThreadsReadGlibcsArea() {
        onNewThread(RseqThread.threadFactory(), () -> {
            RseqThread handle = RseqThread.current();
            assertEquals(1, handle.registrations(), "factory threads run registered");
            assertEquals(RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET, areaOf(handle));
            for (int cpu : allowedCpus()) {
                Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
            }
        });
    }

    /** Two copies of rseq4j (two class loaders) on one thread: both adopt glibc's area, neither is refused. */
    @Test
    void twoCopiesOfRseq4jBothAdoptGlibcsArea() {
        onNewThread(() -> {
            try (URLClassLoader first = OtherRseqUsersTest.copyOfRseq4j("copy-a");
                    URLClassLoader second = OtherRseqUsersTest.copyOfRseq4j("copy-b");
                    var a = (AutoCloseable) OtherRseqUsersTest.call(first, RseqThread.class, "register");
                    var b = (AutoCloseable) OtherRseqUsersTest.call(second, RseqThread.class, "register")) {
                Object handle = OtherRseqUsersTest.call(second, RseqThread.class, "current");
                assertEquals(true, handle.getClass().getMethod("isRegistered").invoke(handle),
                        "the second copy's handle");
                assertEquals(RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET, areaOf(RseqThread.current()),
                        "this copy reads glibc's area too");
            }
        });
    }

    private static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0,
                    i < y.length ? Integer.parseInt(y[i]) : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
