package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EBUSY;
import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.CPU_ID_UNINITIALIZED;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.hasNodeAndMmCid;
import static io.github.rseq4j.selftests.TestSupport.newArea;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static io.github.rseq4j.selftests.TestSupport.rawUnregister;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqUsers;
import io.github.rseq4j.testing.ForkedJvm;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * rseq4j owns rseq (glibc's registration off, as under glibc before 2.35) and meets another rseq user:
 * a native library that registered a thread with a raw rseq(2) call, a second copy of rseq4j in another class
 * loader, and code that unregisters rseq4j's own area behind its back. Every message must be true: name the
 * candidates, never suggest the tunable that is already set, never tell the user to call a register() that
 * the kernel refuses; and isRegistered() must say what the kernel does. librseq is in {@link LibrseqTest}.
 */
class OtherRseqUsersTest {

    @TestFactory
    Stream<DynamicTest> otherRseqUsers() {
        return Scenario.forked(Users.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    private static final int LENGTH = RseqAbi.REGISTRATION_LENGTH;

    /** A native library registered this thread (simulated with the raw system call) before rseq4j tried. */
    static void nativeLibraryOwnsTheThread() {
        long foreign = newArea(128).address();
        RseqThread handle = RseqThread.current();
        assertRc(0, rawRegister(foreign, 32), "the native library's registration");
        int unregistered;
        try {
            RseqException refused = assertThrows(RseqException.class, RseqThread::register);
            assertEquals(EINVAL, refused.errno(), refused::getMessage);
            String hint = refused.getMessage();
            assertContains(hint, "another rseq user registered this thread");
            assertContains(hint, "its registration is off (GLIBC_TUNABLES=glibc.pthread.rseq=0)");
            assertContains(hint, "Neither librseq (no librseq.so in /proc/self/maps) nor a copy of rseq4j that "
                    + "keeps registrations of its own (none named itself in the system property "
                    + "io.github.rseq4j.registrars; copies that share thread slots use this copy's area) is in this "
                    + "process, so it is most likely a native library (JNI or FFM code) calling rseq(2) itself");
            assertFalse(hint.contains("set GLIBC_TUNABLES") || hint.contains("If glibc owns rseq"),
                    () -> "suggests the tunable that turned glibc's registration off already: " + hint);
            assertFalse(handle.isRegistered());
            assertEquals(0, handle.registrations(), "a refused register() must not count");
            if (hasNodeAndMmCid()) {
                for (Executable reader : new Executable[] {RseqThread::currentMmCid, handle::mmCid, handle::nodeId}) {
                    String message = assertThrows(IllegalStateException.class, reader).getMessage();
                    assertFalse(message.contains("call RseqThread.register()"),
                            () -> "tells the user to call a register() that the kernel refuses: " + message);
                    assertContains(message, "RseqThread.register() is refused on this thread with EINVAL");
                    assertContains(message, "a native library");
                }
            }
            assertRc(EBUSY, rawRegister(foreign, 32), "the native library's registration must be untouched");
        } finally {
            unregistered = rawUnregister(foreign, 32);
        }
        assertRc(0, unregistered, "the native library's unregistration");
        if (hasNodeAndMmCid()) {
            // The thread is free now: the message says so, and asking left nothing registered.
            assertContains(assertThrows(IllegalStateException.class, RseqThread::currentMmCid).getMessage(),
                    "call RseqThread.register() on this platform thread first");
            assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), "asking the kernel must leave the area unregistered");
        }
        try (var registration = RseqThread.register()) {
            assertTrue(registration.thread().isRegistered());
        }
    }

    /** Someone unregisters rseq4j's own area with a raw rseq(..., RSEQ_FLAG_UNREGISTER). */
    static void areaUnregisteredBehindRseq4jsBack() {
        RseqThread handle = RseqThread.current();
        try (var registration = RseqThread.register()) {
            long area = areaOf(handle);
            assertRc(0, rawUnregister(area, LENGTH), "raw unregistration of rseq4j's area");
            assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), "the kernel reset the area");
            assertFalse(handle.isRegistered(), "isRegistered() while the kernel writes nothing to the area");
            assertEquals(1, handle.registrations(), "register() calls not undone");
            if (hasNodeAndMmCid()) {
                for (Executable reader : new Executable[] {RseqThread::currentMmCid, handle::mmCid, handle::nodeId}) {
                    assertContains(assertThrows(IllegalStateException.class, reader).getMessage(),
                            "its area was unregistered behind rseq4j's back");
                }
            }
            assertTrue(RseqThread.currentCpu() >= 0, "currentCpu() falls back to sched_getcpu()");
            PerCpuCounter counter = new PerCpuCounter();
            for (int i = 0; i < 1000; i++) {
                counter.increment();
            }
            assertEquals(1000, counter.sum(), "increments without a registered area (shared slot)");
            try (var again = RseqThread.register()) {
                assertTrue(handle.isRegistered(), "a nested register() registers the area again");
                assertEquals(2, handle.registrations());
                assertRc(EBUSY, rawRegister(area, LENGTH), "rseq4j's area is registered again");
            }
            assertTrue(handle.isRegistered(), "the outer registration holds");
            assertRc(0, rawUnregister(area, LENGTH), "a second raw unregistration");
        } // the last close finds nothing to unregister: no exception
        assertEquals(0, handle.registrations());
        assertFalse(handle.isRegistered());
        try (var registration = RseqThread.register()) {
            assertTrue(handle.isRegistered(), "registers normally afterwards");
        }
    }

    /**
     * rseq4j's classes loaded twice, as two applications in one JVM each bundling it would: the copies share the
     * thread's registration, so neither is refused (every order, and the packaged jar: {@link SharedRegistrationIT}).
     */
    static void secondCopyInAnotherClassLoader() throws Exception {
        try (URLClassLoader first = copyOfRseq4j("copy-a"); URLClassLoader second = copyOfRseq4j("copy-b")) {
            try (AutoCloseable outer = (AutoCloseable) call(first, RseqThread.class, "register");
                    AutoCloseable inner = (AutoCloseable) call(second, RseqThread.class, "register")) {
                Object handle = call(second, RseqThread.class, "current");
                assertEquals(2, handle.getClass().getMethod("registrations").invoke(handle), "one shared count");
                assertEquals(true, handle.getClass().getMethod("isRegistered").invoke(handle));
                String hint = RseqUsers.otherRegistrationHint();
                assertTrue(hint.contains("Neither librseq"), () -> "copies that share are no cause: " + hint);
            }
            assertRc(0, rawRegister(newArea(64).address(), 32), "the last close left the thread free");
        }
    }

    /** A copy of rseq4j: its classes loaded again, from where this JVM loaded them, by a loader of their own. */
    static URLClassLoader copyOfRseq4j(String name) {
        URL classes = RseqThread.class.getProtectionDomain().getCodeSource().getLocation();
        return new URLClassLoader(name, new URL[] {classes}, ClassLoader.getPlatformClassLoader());
    }

    /** Calls the public static no-argument {@code method} of {@code copy}'s version of {@code type}. */
    static Object call(ClassLoader copy, Class<?> type, String method) throws ReflectiveOperationException {
        Class<?> copied = copy.loadClass(type.getName());
        assertFalse(copied == type, "the copy has classes of its own");
        return copied.getMethod(method).invoke(null);
    }

    private static void assertContains(String text, String part) {
        assertTrue(text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0. */
    public static final class Users {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER)),
                    check("a native library registered the thread", OtherRseqUsersTest::nativeLibraryOwnsTheThread),
                    check("rseq4j's area unregistered behind its back",
                            OtherRseqUsersTest::areaUnregisteredBehindRseq4jsBack),
                    check("a second copy of rseq4j in another class loader",
                            OtherRseqUsersTest::secondCopyInAnotherClassLoader));
        }
    }
}
