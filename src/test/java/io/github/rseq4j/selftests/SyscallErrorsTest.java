package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EBUSY;
import static io.github.rseq4j.internal.sys.Errno.EFAULT;
import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.internal.sys.Errno.EPERM;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.CPU_ID_UNINITIALIZED;
import static io.github.rseq4j.selftests.TestSupport.RSEQ_FLAG_UNREGISTER;
import static io.github.rseq4j.selftests.TestSupport.allowedCpus;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.newArea;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static io.github.rseq4j.selftests.TestSupport.rawUnregister;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Syscalls;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Port of tools/testing/selftests/rseq/syscall_errors_test.c, extended to every error rule
 * of sys_rseq() in kernel/rseq.c, on areas this test allocates (so glibc's registration must
 * be off: a forked JVM). The rules, in the kernel's order:
 * <ul>
 *   <li>unregister: a flag other than RSEQ_FLAG_UNREGISTER, another (or no) registered
 *       address, or another length: EINVAL; another signature: EPERM;
 *   <li>register while registered: any flag, another address or another length: EINVAL;
 *       another signature: EPERM; otherwise EBUSY;
 *   <li>register while unregistered: any flag, a length below 32, or misalignment: EINVAL;
 *       an address outside user space: EFAULT. Since Linux 6.3 (which publishes
 *       AT_RSEQ_FEATURE_SIZE) a length other than 32 is accepted when it covers the feature
 *       size on a 32-aligned area; older kernels accept only 32.
 * </ul>
 * Plus the library's side: RseqThread.register() on a thread someone else registered fails
 * with EINVAL, a hint naming the other rseq users it may be, and no change to the count.
 */
class SyscallErrorsTest {

    @TestFactory
    Stream<DynamicTest> syscallErrors() {
        return Scenario.forked(Errors.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    private static final int LENGTH = 32;
    private static final int SIGNATURE = RseqAbi.SIGNATURE;
    /**
     * A flag bit no kernel defines. Not 2: Linux 7.x accepts it as RSEQ_FLAG_SLICE_EXT_DEFAULT_ON
     * (the VM lane's 7.x guests registered with it).
     */
    private static final int UNKNOWN_FLAG = 1 << 30;

    private static int rseq(long area, int length, int flags, int signature) {
        return Syscalls.rseq(area, length, flags, signature);
    }

    private static int cpuIdOf(long area) {
        return RseqMemory.readField(area + RseqAbi.CPU_ID);
    }

    static void errorsWhileUnregistered() {
        long area = newArea(128).address();
        assertRc(EINVAL, rseq(area, LENGTH, UNKNOWN_FLAG, SIGNATURE), "register with unknown flag 1 << 30");
        assertRc(EINVAL, rseq(area, LENGTH, -1, SIGNATURE), "flags -1 (the kernel selftest's invalid flag)");
        assertRc(EINVAL, rawRegister(area, 31), "register with length 31");
        assertRc(EINVAL, rawRegister(area + 8, LENGTH), "register an area misaligned by 8");
        assertRc(EINVAL, rawRegister(area + 1, LENGTH), "register an area misaligned by 1");
        assertRc(EFAULT, rawRegister(-4096L, LENGTH), "register an area outside user space");
        assertRc(EINVAL, rawUnregister(area, LENGTH), "unregister while not registered");
        assertEquals(CPU_ID_UNINITIALIZED, cpuIdOf(area), "no failed call may have registered the area");
    }

    static void errorsWhileRegistered() {
        int cpu = allowedCpus().getFirst();
        long area = newArea(128).address();
        long other = newArea(128).address();
        Affinity.runPinned(cpu, () -> {
            assertRc(0, rawRegister(area, LENGTH), "register");
            int unregistered;
            try {
                assertEquals(cpu, cpuIdOf(area), "cpu_id the kernel wrote after registering");
                assertRc(EBUSY, rawRegister(area, LENGTH), "identical re-registration");
                assertRc(EPERM, rseq(area, LENGTH, 0, SIGNATURE + 1), "re-register with another signature");
                assertRc(EINVAL, rawRegister(other, LENGTH), "register another area");
                assertRc(EINVAL, rawRegister(area, 2 * LENGTH), "re-register with another length");
                assertRc(EINVAL, rseq(area, LENGTH, UNKNOWN_FLAG, SIGNATURE), "re-register with unknown flag 1 << 30");
                assertRc(EINVAL, rawUnregister(other, LENGTH), "unregister another area");
                assertRc(EINVAL, rseq(other, LENGTH, RSEQ_FLAG_UNREGISTER, SIGNATURE + 1),
                        "unregister another area with another signature (address is checked first)");
                assertRc(EINVAL, rawUnregister(area, 2 * LENGTH), "unregister with another length");
                assertRc(EPERM, rseq(area, LENGTH, RSEQ_FLAG_UNREGISTER, SIGNATURE + 1),
                        "unregister with another signature");
                assertRc(EINVAL, rseq(area, LENGTH, RSEQ_FLAG_UNREGISTER | UNKNOWN_FLAG, SIGNATURE),
                        "unregister with unknown flag 1 << 30");
                assertEquals(cpu, cpuIdOf(area), "the failed calls must leave the registration in force");
            } finally {
                unregistered = rawUnregister(area, LENGTH);
            }
            assertRc(0, unregistered, "unregister");
            // The kernel resets the area so that later readers see "not registered".
            assertEquals(CPU_ID_UNINITIALIZED, cpuIdOf(area), "cpu_id after unregistration");
            assertEquals(0, RseqMemory.readField(area + RseqAbi.CPU_ID_START), "cpu_id_start after unregistration");
            assertRc(EINVAL, rawUnregister(area, LENGTH), "double unregistration");
        });
    }

    static void otherLengths() {
        long area = newArea(128).address();
        boolean extensible = Libc.getauxval(RseqNative.AT_RSEQ_FEATURE_SIZE()) != 0;
        if (!extensible) {
            assertRc(EINVAL, rawRegister(area, LENGTH + 1), "length 33 before Linux 6.3");
            return;
        }
        // 33 >= AT_RSEQ_FEATURE_SIZE on a 32-aligned area: accepted, and remembered.
        assertRc(0, rawRegister(area, LENGTH + 1), "register with length 33 (Linux 6.3 rules)");
        int unregistered;
        try {
            assertRc(EBUSY, rawRegister(area, LENGTH + 1), "identical re-registration with length 33");
            assertRc(EINVAL, rawRegister(area, LENGTH), "re-register with length 32 after 33");
            assertRc(EINVAL, rawUnregister(area, LENGTH), "unregister with length 32 after registering 33");
        } finally {
            unregistered = rawUnregister(area, LENGTH + 1);
        }
        assertRc(0, unregistered, "unregister with length 33");
    }

    /** rseq4j meets a thread that another library registered at another address. */
    static void registerOverForeignRegistration() {
        long foreign = newArea(128).address();
        RseqThread handle = RseqThread.current();
        assertRc(0, rawRegister(foreign, LENGTH), "foreign registration");
        int unregistered;
        try {
            RseqException e = assertThrows(RseqException.class, RseqThread::register);
            assertEquals(EINVAL, e.errno(), e::getMessage);
            assertEquals("EINVAL", e.errnoName());
            assertTrue(e.getMessage().contains("another rseq user registered this thread"),
                    () -> "message should say that another rseq user holds the thread: " + e.getMessage());
            assertEquals(0, handle.registrations(), "a failed register() must not count");
            assertFalse(handle.isRegistered());
            assertRc(EBUSY, rawRegister(foreign, LENGTH), "the foreign registration must be untouched");
        } finally {
            unregistered = rawUnregister(foreign, LENGTH);
        }
        assertRc(0, unregistered, "foreign unregistration");
        // Nothing was left half-done: the next register() works normally.
        try (var registration = RseqThread.register()) {
            RseqThread registered = registration.thread();
            assertEquals(1, registered.registrations());
            assertRc(EBUSY, rawRegister(areaOf(registered), RseqAbi.REGISTRATION_LENGTH),
                    "rseq4j's area is registered");
        }
        assertEquals(0, handle.registrations());
        assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId());
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0, so the test's own areas can be registered. */
    public static final class Errors {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER)),
                    check("errors while unregistered", SyscallErrorsTest::errorsWhileUnregistered),
                    check("errors while registered, then unregister", SyscallErrorsTest::errorsWhileRegistered),
                    check("lengths other than 32", SyscallErrorsTest::otherLengths),
                    check("register() over a foreign registration",
                            SyscallErrorsTest::registerOverForeignRegistration));
        }
    }
}
