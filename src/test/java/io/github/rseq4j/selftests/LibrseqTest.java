package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.newArea;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static io.github.rseq4j.selftests.TestSupport.rawUnregister;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Librseq;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * librseq preloaded into a JVM running rseq4j, in both glibc modes and both orders on a thread. With glibc's
 * registration on, both adopt glibc's area. With it off, rseq4j never registers an area of its own where librseq
 * is present: it adopts librseq's registration of a thread, or registers the thread through librseq, so both read
 * one area and librseq's own calls never fail (librseq calls {@code abort()} when one fails after one succeeded).
 * Skipped where librseq cannot be had (see {@link Librseq}).
 */
class LibrseqTest {

    /** 128 + SIGABRT: how a JVM killed by abort() exits. */
    private static final int ABORTED = 134;

    private static final String LIBRARY = "RSEQ4J_TEST_LIBRSEQ";

    /**
     * librseq keeps its area in initial-exec TLS aligned to 1024, more than glibc's static TLS block, so a
     * {@code dlopen} (System.load, SymbolLookup) refuses it ("cannot allocate memory in static TLS block"): a
     * JVM gets librseq at start-up, as a native launcher linked with it would, here through LD_PRELOAD.
     */
    private static Map<String, String> preloading(Map<String, String> environment) {
        Librseq.Lookup lookup = Librseq.find();
        assumeTrue(lookup.library().isPresent(), lookup.reason());
        String library = lookup.library().get().toAbsolutePath().toString();
        Map<String, String> preloaded = new HashMap<>(environment);
        preloaded.put("LD_PRELOAD", library);
        preloaded.put(LIBRARY, library);
        return preloaded;
    }

    @TestFactory
    Stream<DynamicTest> withGlibcsRegistrationOn() {
        return Scenario.forked(GlibcOwner.class, preloading(Map.of()));
    }

    @TestFactory
    Stream<DynamicTest> withGlibcsRegistrationOff() {
        return Scenario.forked(Rseq4jOwner.class, preloading(ForkedJvm.GLIBC_RSEQ_OFF));
    }

    /**
     * What rseq4j cannot prevent, so README and the doctor warn of it: librseq's registration of a thread that is
     * registered already (here through librseq itself, by rseq4j) fails with EBUSY, and librseq then aborts.
     */
    @Test
    void librseqAbortsOnASecondRegistrationOfAThread() {
        ForkedJvm.Result r = ForkedJvm.run(SecondRegistration.class, preloading(ForkedJvm.GLIBC_RSEQ_OFF));
        assertTrue(r.output().contains("LIBRSEQ REGISTERS A REGISTERED THREAD"), r.describe());
        assertEquals(ABORTED, r.exitCode(), r::describe);
    }

    /** librseq's calls and published symbols, bound by name from the preloaded library. */
    private record Bound(MethodHandle register, MethodHandle unregister, MemorySegment offset, MemorySegment size) {
        static Bound load() {
            SymbolLookup symbols = SymbolLookup.libraryLookup(Path.of(System.getenv(LIBRARY)), Arena.global());
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor intOfNothing = FunctionDescriptor.of(JAVA_INT);
            return new Bound(linker.downcallHandle(symbols.findOrThrow("rseq_register_current_thread"), intOfNothing),
                    linker.downcallHandle(symbols.findOrThrow("rseq_unregister_current_thread"), intOfNothing),
                    symbols.findOrThrow("rseq_offset").reinterpret(8), symbols.findOrThrow("rseq_size").reinterpret(4));
        }

        int registerThread() throws Throwable {
            return (int) register.invokeExact();
        }

        int unregisterThread() throws Throwable {
            return (int) unregister.invokeExact();
        }

        /** The calling thread's librseq area (glibc's, when glibc owns rseq). */
        long area() {
            return RseqAbi.ARCH.threadPointer() + offset.get(JAVA_LONG, 0);
        }

        /** What the kernel wrote in librseq's area: a CPU while the thread is registered, else -1. */
        int cpuId() {
            return MemorySegment.ofAddress(area()).reinterpret(64).get(JAVA_INT, RseqAbi.CPU_ID);
        }
    }

    private static final PerCpuCounter COUNTER = new PerCpuCounter();
    private static long expected;

    /**
     * On the calling thread, pinned to its highest allowed CPU: rseq4j's handle and librseq's area both read that
     * CPU, a spin lock takes that CPU's slot (a section ran), and 1000 increments land.
     */
    private static void bothSeeTheCpu(Bound librseq) {
        int cpu = Affinity.allowed().length() - 1;
        Affinity.runPinned(cpu, () -> {
            RseqThread handle = RseqThread.current();
            assertEquals(cpu, handle.cpuId(), "rseq4j's cpu_id");
            assertEquals(cpu, librseq.cpuId(), "librseq's cpu_id");
            assertEquals(librseq.area(), TestSupport.areaOf(handle), "rseq4j reads librseq's area");
            if (PerCpuSections.MODE != PerCpuSections.Mode.ATOMIC) {
                PerCpuSpinLock lock = new PerCpuSpinLock();
                int slot = lock.lock();
                lock.unlock(slot);
                assertEquals(cpu, slot, "a section ran on the CPU's slot, not the shared one");
            }
            for (int i = 0; i < 1000; i++) {
                COUNTER.increment();
            }
        });
        expected += 1000;
    }

    /** The kernel holds no registration of the calling thread: a raw one of another area succeeds. */
    private static void assertThreadFree(String when) {
        long probe = newArea(64).address();
        assertRc(0, rawRegister(probe, 32), when + ": the thread should be free");
        assertRc(0, rawUnregister(probe, 32), "undoing the probe");
    }

    static void librseqFirst() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(() -> {
            assertEquals(0, librseq.registerThread(), "librseq registers the thread");
            try (var registration = RseqThread.register()) {
                assertEquals(1, registration.thread().registrations());
                bothSeeTheCpu(librseq);
            }
            assertTrue(librseq.cpuId() >= 0, "rseq4j's last close leaves librseq's registration alone");
            assertEquals(0, librseq.unregisterThread(), "librseq unregisters its own registration");
            assertThreadFree("after librseq's unregistration");
        });
    }

    static void rseq4jFirst() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(() -> {
            try (var registration = RseqThread.register()) {
                try (var nested = RseqThread.register()) {
                    bothSeeTheCpu(librseq);
                }
                bothSeeTheCpu(librseq);
            }
            assertThreadFree("after rseq4j's last close");
            assertEquals(0, librseq.registerThread(), "librseq registers the thread rseq4j left");
            try (var registration = RseqThread.register()) {
                bothSeeTheCpu(librseq);
            }
            assertEquals(0, librseq.unregisterThread());
        });
    }

    /** librseq has registered a thread (so a failure now aborts): rseq4j must find the taken thread itself. */
    static void aThreadSomeoneElseRegisteredIsRefusedWithoutAskingLibrseq() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(() -> assertEquals(0, librseq.registerThread(), "arms librseq's abort()"));
        TestSupport.onNewThread(() -> {
            long foreign = newArea(64).address();
            assertRc(0, rawRegister(foreign, 32), "a native library's own registration");
            try {
                RseqException refused = assertThrows(RseqException.class, RseqThread::register);
                assertEquals(EINVAL, refused.errno(), refused::getMessage);
            } finally {
                assertRc(0, rawUnregister(foreign, 32), "the native library's unregistration");
            }
        });
    }

    static void factoryThreadsRegisterThroughLibrseq() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(RseqThread.threadFactory(), () -> {
            assertEquals(1, RseqThread.current().registrations(), "factory threads run registered");
            bothSeeTheCpu(librseq);
        });
    }

    public static final class Rseq4jOwner {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq, librseq is present", () -> {
                        assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER);
                        assertTrue(io.github.rseq4j.internal.Librseq.PRESENT, "rseq4j finds the preloaded librseq");
                    }),
                    check("librseq registers first, rseq4j adopts", LibrseqTest::librseqFirst),
                    check("rseq4j registers first, through librseq", LibrseqTest::rseq4jFirst),
                    check("a thread another user registered is refused, no abort()",
                            LibrseqTest::aThreadSomeoneElseRegisteredIsRefusedWithoutAskingLibrseq),
                    check("factory threads", LibrseqTest::factoryThreadsRegisterThroughLibrseq),
                    check("exact totals", () -> assertEquals(expected, COUNTER.sum())),
                    check("otherUsers() names librseq and the safe order", () -> assertTrue(
                            RseqSupport.otherUsers().stream().anyMatch(user -> user.name().equals("librseq")
                                    && user.detail().contains("native code must register a thread before rseq4j")),
                            () -> String.valueOf(RseqSupport.otherUsers()))));
        }
    }

    public static final class GlibcOwner {
        public static void main(String[] args) {
            Scenario.runAfter(() -> assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC,
                            "glibc does not register rseq here (owner " + RseqAbi.OWNER + ")"),
                    check("librseq first, then rseq4j", LibrseqTest::librseqFirstOnGlibc),
                    check("rseq4j first, then librseq", LibrseqTest::rseq4jFirstOnGlibc),
                    check("exact totals", () -> assertEquals(expected, COUNTER.sum())));
        }
    }

    static void librseqFirstOnGlibc() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(() -> {
            assertEquals(0, librseq.registerThread(), "librseq's registration of a thread glibc registered");
            assertEquals(RseqAbi.GLIBC_OFFSET, librseq.offset().get(JAVA_LONG, 0), "librseq's rseq_offset");
            try (var registration = RseqThread.register()) {
                bothSeeTheCpu(librseq);
            }
            assertEquals(0, librseq.unregisterThread());
        });
    }

    static void rseq4jFirstOnGlibc() throws Throwable {
        Bound librseq = Bound.load();
        TestSupport.onNewThread(() -> {
            try (var registration = RseqThread.register()) {
                assertEquals(0, librseq.registerThread(), "librseq counts glibc's registration as its own");
                bothSeeTheCpu(librseq);
                assertEquals(0, librseq.unregisterThread());
            }
            bothSeeTheCpu(librseq);
        });
    }

    /** rseq4j registers a thread (through librseq), then librseq is asked to register it again. */
    public static final class SecondRegistration {
        public static void main(String[] args) throws Throwable {
            Bound librseq = Bound.load();
            TestSupport.onNewThread(() -> {
                try (var registration = RseqThread.register()) {
                    System.out.println("LIBRSEQ REGISTERS A REGISTERED THREAD");
                    System.out.flush();
                    System.out.println("librseq returned " + librseq.registerThread() + " instead of aborting");
                }
            });
            System.exit(1);
        }
    }
}
