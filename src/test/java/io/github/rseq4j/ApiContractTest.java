package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.sys.Affinity;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The public API's shape and the promises its javadoc makes: what is a resource, who can make an
 * exception, what the probe's types are, what the thread builder sets, and what the two CPU readers
 * answer in this JVM's mode (the unregistered rseq4j-owner row is {@code UnregisteredStateTest}'s).
 */
class ApiContractTest {

    @Test
    void onlyARegistrationIsAResource() {
        assertFalse(AutoCloseable.class.isAssignableFrom(RseqThread.class),
                "try (RseqThread t = RseqThread.current()) must not compile");
        assertTrue(AutoCloseable.class.isAssignableFrom(RseqThread.Registration.class));
    }

    @Test
    void closingARegistrationUndoesExactlyOneRegister() throws Exception {
        onNewThread(() -> {
            RseqThread handle = RseqThread.current();
            int base = handle.registrations();
            try (var outer = RseqThread.register()) {
                assertSame(handle, outer.thread());
                var inner = RseqThread.register();
                assertEquals(base + 2, handle.registrations());
                inner.close();
                inner.close(); // a second close is a no-op, not a second unregister
                assertEquals(base + 1, handle.registrations(), "nesting kept: the outer registration holds");
            }
            assertEquals(base, handle.registrations());
        });
    }

    @Test
    void usersCannotConstructRseqException() {
        assertTrue(Arrays.stream(RseqException.class.getDeclaredConstructors())
                .noneMatch(c -> Modifier.isPublic(c.getModifiers()) || Modifier.isProtected(c.getModifiers())));
        assertTrue(Modifier.isFinal(RseqException.class.getModifiers()));
    }

    @Test
    void perCpuImplementationIsATypeWithItsReasonApart() {
        RseqSupport support = RseqSupport.probe();
        PerCpuImplementation expected = switch (support.owner()) {
            case GLIBC -> PerCpuImplementation.SECTIONS_ON_GLIBC_AREA;
            case RSEQ4J -> PerCpuImplementation.SECTIONS_ON_OWN_AREAS;
            case NONE -> PerCpuImplementation.ATOMICS;
        };
        // Executable memory may still be refused, which makes any owner ATOMICS, with a reason.
        PerCpuImplementation actual = support.perCpuImplementation();
        assertTrue(actual == expected || actual == PerCpuImplementation.ATOMICS, support::toString);
        assertEquals(actual == PerCpuImplementation.ATOMICS, !support.perCpuFallbackReason().isEmpty(),
                support::toString);
    }

    @Test
    void builderSetsWhatThreadOfPlatformSets() throws Exception {
        Thread.UncaughtExceptionHandler handler = (t, e) -> {};
        ThreadGroup group = new ThreadGroup("rseq4j-test");
        RseqThread.Builder builder = RseqThread.ofPlatform().name("worker-", 7).daemon(true)
                .priority(Thread.MIN_PRIORITY).group(group).uncaughtExceptionHandler(handler);
        ThreadFactory factory = builder.factory();
        Thread first = factory.newThread(() -> {});
        Thread second = factory.newThread(() -> {});
        assertEquals("worker-7", first.getName());
        assertEquals("worker-8", second.getName());
        assertTrue(first.isDaemon());
        assertEquals(Thread.MIN_PRIORITY, first.getPriority());
        assertSame(group, first.getThreadGroup());
        assertSame(handler, first.getUncaughtExceptionHandler());
        assertEquals("solo", RseqThread.ofPlatform().name("solo").unstarted(() -> {}).getName());
        assertFalse(RseqThread.ofPlatform().daemon(false).unstarted(() -> {}).isDaemon());
        assertThrows(IllegalArgumentException.class, () -> RseqThread.ofPlatform().priority(0));
        assertThrows(IllegalArgumentException.class, () -> RseqThread.ofPlatform().name("x", -1));

        // The thread carries its area: registered for its whole task, wherever rseq works.
        CompletableFuture<Boolean> registered = new CompletableFuture<>();
        Thread started = builder.start(() -> registered.complete(RseqThread.current().isRegistered()));
        started.join();
        assertEquals(RseqSupport.probe().available(), registered.get(10, TimeUnit.SECONDS));
        assertTrue(started.getName().startsWith("worker-"), started.getName());
    }

    /** The table in RseqThread's javadoc, for the mode this JVM runs in. */
    @Test
    void cpuReadersAnswerWhatTheTableSays() throws Exception {
        onNewThread(() -> {
            RseqThread handle = RseqThread.current();
            int cpu = Affinity.allowed().nextSetBit(0);
            Affinity.runPinned(cpu, () -> {
                assertEquals(cpu, RseqThread.currentCpu(), "currentCpu() answers the CPU in every state");
                int unregistered = switch (RseqSupport.probe().owner()) {
                    case GLIBC -> cpu;
                    case RSEQ4J, NONE -> -1;
                };
                assertEquals(unregistered, handle.cpuId(), "cpuId() of an unregistered thread");
                if (RseqSupport.probe().available()) {
                    try (var _ = RseqThread.register()) {
                        assertEquals(cpu, handle.cpuId(), "cpuId() of a registered thread");
                        assertEquals(cpu, RseqThread.currentCpu());
                    }
                }
            });
        });
    }

    private static void onNewThread(Runnable action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                action.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        thread.join();
        done.get(30, TimeUnit.SECONDS);
    }
}
