package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.newArea;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static io.github.rseq4j.selftests.TestSupport.rawUnregister;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.ThreadSlots;
import io.github.rseq4j.internal.sys.Affinity;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The packaged jar loaded by two class loaders, as two applications (or two libraries that shade rseq4j) in one
 * JVM would, with rseq4j owning rseq (glibc's registration off). The copies share one registration and one count
 * per thread ({@code ThreadSlots}): whichever copy registers first, every {@code register()} of either succeeds,
 * both copies' sections run on the thread's CPU slot, and the kernel hears only the first register and the last
 * unregister. Also: a copy that finds a slot layout it does not know keeps its own registrations, and says so.
 */
class SharedRegistrationIT {

    private static final String JAR_VARIABLE = "RSEQ4J_TEST_JAR";

    private static Map<String, String> ownerModeWithJar() {
        Path jar = Path.of(System.getProperty("rseq4j.jar", "target/rseq4j.jar")).toAbsolutePath();
        assumeTrue(Files.isRegularFile(jar), "the packaged jar " + jar + " is missing: run mvn verify");
        return Map.of("GLIBC_TUNABLES", "glibc.pthread.rseq=0", JAR_VARIABLE, jar.toString());
    }

    @TestFactory
    Stream<DynamicTest> copiesShareOneRegistrationPerThread() {
        return Scenario.forked(Copies.class, ownerModeWithJar());
    }

    @TestFactory
    Stream<DynamicTest> aCopyThatFindsAnUnknownLayoutKeepsItsOwn() {
        return Scenario.forked(UnknownLayout.class, ownerModeWithJar());
    }

    /** One copy of rseq4j, driven by reflection: it shares no class with the test. */
    record Copy(String name, Class<?> thread, Class<?> lock, Object lockInstance, Class<?> counter,
                Object counterInstance) {

        static Copy load(String name) throws Exception {
            URL jar = Path.of(System.getenv(JAR_VARIABLE)).toUri().toURL();
            ClassLoader loader = new URLClassLoader(name, new URL[] {jar}, ClassLoader.getPlatformClassLoader());
            Class<?> thread = loader.loadClass("io.github.rseq4j.RseqThread");
            assertFalse(thread == io.github.rseq4j.RseqThread.class, "the copy has classes of its own");
            Class<?> lock = loader.loadClass("io.github.rseq4j.PerCpuSpinLock");
            Class<?> counter = loader.loadClass("io.github.rseq4j.PerCpuCounter");
            return new Copy(name, thread, lock, lock.getConstructor().newInstance(), counter,
                    counter.getConstructor().newInstance());
        }

        AutoCloseable register() throws Exception {
            return (AutoCloseable) invoke(thread, null, "register");
        }

        Object handle() throws Exception {
            return invoke(thread, null, "current");
        }

        int registrations() throws Exception {
            return (int) invoke(thread, handle(), "registrations");
        }

        int cpuId() throws Exception {
            return (int) invoke(thread, handle(), "cpuId");
        }

        /** The slot this copy's spin lock takes on the calling thread, released at once. */
        int lockSlot() throws Exception {
            int slot = (int) invoke(lock, lockInstance, "lock");
            lock.getMethod("unlock", int.class).invoke(lockInstance, slot);
            return slot;
        }

        void increment() throws Exception {
            invoke(counter, counterInstance, "increment");
        }

        long sum() throws Exception {
            return (long) invoke(counter, counterInstance, "sum");
        }

        private static Object invoke(Class<?> type, Object target, String method) throws Exception {
            Method m = type.getMethod(method);
            try {
                return m.invoke(target);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }

    /**
     * Every order of two copies' register and close on one thread pinned to a CPU: {@code +a} opens copy a's
     * registration, {@code -a} closes it; a close always follows its own open.
     */
    private static final List<String> ORDERS = List.of("+a +b -b -a", "+a +b -a -b", "+a -a +b -b",
            "+b +a -a -b", "+b +a -b -a", "+b -b +a -a");

    static void everyOrder() throws Exception {
        assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER);
        assumeTrue(PerCpuSections.MODE == PerCpuSections.Mode.REGISTER, "sections need a registration here");
        Copy a = Copy.load("copy-a");
        Copy b = Copy.load("copy-b");
        int cpu = Affinity.allowed().length() - 1;
        long increments = 0;
        for (String order : ORDERS) {
            List<AutoCloseable> open = new ArrayList<>(List.of(() -> {}, () -> {}));
            int outstanding = 0;
            for (String step : order.split(" ")) {
                Copy copy = step.charAt(1) == 'a' ? a : b;
                int index = copy == a ? 0 : 1;
                if (step.charAt(0) == '+') {
                    open.set(index, copy.register());
                    outstanding++;
                } else {
                    open.get(index).close();
                    outstanding--;
                }
                String where = order + ", after " + step;
                int expected = outstanding;
                long[] done = {0};
                Affinity.runPinned(cpu, () -> {
                    try {
                        for (Copy each : List.of(a, b)) {
                            assertEquals(expected, each.registrations(), where + ": " + each.name() + "'s count");
                            assertEquals(expected > 0 ? cpu : -1, each.cpuId(), where + ": " + each.name()
                                    + "'s cpu_id");
                            if (expected > 0) {
                                assertEquals(cpu, each.lockSlot(), where + ": " + each.name() + "'s lock slot");
                            }
                            for (int i = 0; i < 100; i++) {
                                each.increment();
                            }
                            done[0] += 100;
                        }
                    } catch (Exception e) {
                        throw new AssertionError(where, e);
                    }
                });
                increments += done[0];
                // What the kernel holds: a raw registration elsewhere is refused while either copy holds one.
                long probe = newArea(64).address();
                int rc = rawRegister(probe, 32);
                if (rc == 0) {
                    assertRc(0, rawUnregister(probe, 32), "undoing the probe");
                }
                assertRc(expected > 0 ? EINVAL : 0, rc, where + ": a raw registration of another area");
            }
        }
        assertEquals(increments / 2, a.sum(), "copy a's counter");
        assertEquals(increments / 2, b.sum(), "copy b's counter");
    }

    /** Threads from copy a's factory register in copy a for their whole task; copy b nests inside. */
    static void aFactoryThreadOfOneCopyRegistersInTheOther() throws Exception {
        Copy a = Copy.load("copy-a");
        Copy b = Copy.load("copy-b");
        Class<?> factoryOwner = a.thread();
        java.util.concurrent.ThreadFactory factory = (java.util.concurrent.ThreadFactory)
                factoryOwner.getMethod("threadFactory").invoke(null);
        TestSupport.onNewThread(factory, () -> {
            assertEquals(1, b.registrations(), "copy a registered the thread; copy b sees its count");
            try (AutoCloseable nested = b.register()) {
                assertEquals(2, a.registrations());
                assertTrue(b.cpuId() >= 0, "copy b reads the registered area");
            }
            assertEquals(1, a.registrations(), "copy a's registration holds");
        });
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0 and the packaged jar in RSEQ4J_TEST_JAR. */
    public static final class Copies {
        public static void main(String[] args) {
            Scenario.run(
                    check("both copies, every order of register and close", SharedRegistrationIT::everyOrder),
                    check("a factory thread of one copy registers in the other",
                            SharedRegistrationIT::aFactoryThreadOfOneCopyRegistersInTheOther));
        }
    }

    /** A layout another version of rseq4j published first. */
    private static final String FOREIGN_LAYOUT = "layout 99: a future slot; pthread key 0";

    static void unknownLayout() throws Exception {
        System.setProperty(ThreadSlots.PROPERTY, FOREIGN_LAYOUT);
        Copy a = Copy.load("copy-a");
        Copy b = Copy.load("copy-b");
        try (AutoCloseable registration = a.register()) {
            Exception refused = null;
            try (AutoCloseable second = b.register()) {
                assertTrue(false, "copy b registered a thread that copy a holds, without sharing");
            } catch (Exception e) {
                refused = e;
            }
            String message = refused.getMessage();
            assertEquals("io.github.rseq4j.RseqException", refused.getClass().getName(), refused::toString);
            assertTrue(message.contains("EINVAL") && message.contains("in a layout this copy does not know ("
                    + ThreadSlots.PROPERTY + "=" + FOREIGN_LAYOUT), message);
            assertEquals(FOREIGN_LAYOUT, System.getProperty(ThreadSlots.PROPERTY), "the other version's table");
        }
    }

    public static final class UnknownLayout {
        public static void main(String[] args) {
            Scenario.run(check("copies that do not know the published layout register on their own",
                    SharedRegistrationIT::unknownLayout));
        }
    }
}
