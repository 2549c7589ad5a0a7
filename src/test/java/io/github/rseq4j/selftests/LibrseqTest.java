package io.github.rseq4j.selftests;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Librseq;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * librseq (Debian's librseq0) in the same process as rseq4j, loaded with {@link SymbolLookup#libraryLookup}
 * in a forked JVM. Where glibc registers rseq, both adopt glibc's area. With glibc's registration off each
 * registers an area of its own, so whoever comes second on a thread is refused: rseq4j says librseq did it;
 * librseq calls {@code abort()} once it has registered any other thread. Skipped where librseq cannot be had.
 */
class LibrseqTest {

    /** 128 + SIGABRT: how a JVM killed by abort() exits. */
    private static final int ABORTED = 134;

    private static Path librseq() {
        Librseq.Lookup lookup = Librseq.find();
        assumeTrue(lookup.library().isPresent(), lookup.reason());
        return lookup.library().get().toAbsolutePath();
    }

    @Test
    void withGlibcsRegistrationBothAdoptGlibcsArea() {
        Path library = librseq();
        ForkedJvm.Result r = ForkedJvm.run(GlibcOwner.class, preloading(library, Map.of()), library.toString());
        assumeFalse(r.output().contains("SKIP:"), r.output());
        assertTrue(r.exitCode() == 0 && r.output().contains("BOTH USE GLIBC'S AREA"), r.describe());
    }

    @Test
    void withGlibcsRegistrationOffTheSecondUserOfAThreadIsRefused() {
        Path library = librseq();
        ForkedJvm.Result r = ForkedJvm.run(Rseq4jOwner.class, preloading(library, ForkedJvm.GLIBC_RSEQ_OFF),
                library.toString());
        assertTrue(r.output().contains("RSEQ4J REFUSED, NAMING LIBRSEQ"), r.describe());
        assertTrue(r.output().contains("LIBRSEQ REGISTERS AFTER RSEQ4J"), r.describe());
        assertEquals(ABORTED, r.exitCode(), () -> "librseq should abort() when its registration fails after an "
                + "earlier one succeeded, " + r.describe());
    }

    /**
     * librseq keeps its area in initial-exec TLS aligned to 1024, more than glibc's static TLS block, so a
     * {@code dlopen} (System.load, SymbolLookup) refuses it ("cannot allocate memory in static TLS block"): a
     * JVM gets librseq at start-up, as a native launcher linked with it would, here through LD_PRELOAD.
     */
    private static Map<String, String> preloading(Path library, Map<String, String> environment) {
        Map<String, String> preloaded = new java.util.HashMap<>(environment);
        preloaded.put("LD_PRELOAD", library.toString());
        return preloaded;
    }

    /** librseq's calls, bound by name from the (preloaded) library at args[0]. */
    private record Bound(MethodHandle register, MethodHandle unregister, SymbolLookup symbols) {
        static Bound load(String path) {
            SymbolLookup symbols = SymbolLookup.libraryLookup(Path.of(path), Arena.global());
            Linker linker = Linker.nativeLinker();
            FunctionDescriptor intOfNothing = FunctionDescriptor.of(JAVA_INT);
            return new Bound(linker.downcallHandle(symbols.findOrThrow("rseq_register_current_thread"), intOfNothing),
                    linker.downcallHandle(symbols.findOrThrow("rseq_unregister_current_thread"), intOfNothing),
                    symbols);
        }

        int registerThread() throws Throwable {
            return (int) register.invokeExact();
        }

        int unregisterThread() throws Throwable {
            return (int) unregister.invokeExact();
        }
    }

    public static final class GlibcOwner {
        public static void main(String[] args) throws Throwable {
            if (RseqAbi.OWNER != AreaOwner.GLIBC) {
                System.out.println("SKIP: glibc does not register rseq here (owner " + RseqAbi.OWNER + ")");
                return;
            }
            Bound librseq = Bound.load(args[0]);
            TestSupport.onNewThread(() -> {
                assertEquals(0, librseq.registerThread(), "librseq's registration of a thread glibc registered");
                long offset = librseq.symbols().findOrThrow("rseq_offset").reinterpret(8).get(JAVA_LONG, 0);
                assertEquals(RseqAbi.GLIBC_OFFSET, offset, "librseq's rseq_offset is glibc's __rseq_offset");
                try (var registration = RseqThread.register()) {
                    assertEquals(RseqAbi.ARCH.threadPointer() + offset, TestSupport.areaOf(registration.thread()));
                    assertTrue(registration.thread().isRegistered());
                }
                assertEquals(0, librseq.unregisterThread());
            });
            System.out.println("BOTH USE GLIBC'S AREA");
        }
    }

    public static final class Rseq4jOwner {
        public static void main(String[] args) throws Throwable {
            assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER);
            Bound librseq = Bound.load(args[0]);
            TestSupport.onNewThread(() -> {
                assertEquals(0, librseq.registerThread(), "librseq registers its own area");
                RseqException refused = assertThrows(RseqException.class,
                        RseqThread::register);
                assertTrue(refused.getMessage().contains("librseq, loaded from "), refused::getMessage);
                System.out.println("RSEQ4J REFUSED, NAMING LIBRSEQ: " + refused.getMessage());
                assertEquals(0, librseq.unregisterThread());
            });
            TestSupport.onNewThread(() -> {
                try (var registration = RseqThread.register()) {
                    System.out.println("LIBRSEQ REGISTERS AFTER RSEQ4J");
                    System.out.flush();
                    System.out.println("librseq returned " + librseq.registerThread() + " instead of aborting");
                }
            });
            System.exit(1);
        }
    }
}
