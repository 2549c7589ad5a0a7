package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.testing.GlibcArea;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Assumptions;
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

    /** Range ends are accepted, and a counter that starts at 0 counts in unstarted() and in factory() alike. */
    @Test
    void builderAcceptsTheEndsOfItsRanges() {
        RseqThread.Builder builder = RseqThread.ofPlatform().name("worker-", 0).priority(Thread.MAX_PRIORITY)
                .stackSize(0).daemon();
        Thread first = builder.unstarted(() -> {});
        assertEquals("worker-0", first.getName());
        assertEquals("worker-1", builder.unstarted(() -> {}).getName());
        assertEquals(Thread.MAX_PRIORITY, first.getPriority());
        assertTrue(first.isDaemon());
        assertEquals("pool-0", RseqThread.ofPlatform().name("pool-", 0).factory().newThread(() -> {}).getName());
        assertThrows(IllegalArgumentException.class, () -> RseqThread.ofPlatform().priority(Thread.MAX_PRIORITY + 1));
        assertThrows(IllegalArgumentException.class, () -> RseqThread.ofPlatform().stackSize(-1));
    }

    @Test
    void builderPassesOnInheritableThreadLocalsOnlyWhenAsked() throws Exception {
        InheritableThreadLocal<String> inherited = new InheritableThreadLocal<>();
        inherited.set("from the creator");
        CompletableFuture<String> seen = new CompletableFuture<>(), unseen = new CompletableFuture<>();
        RseqThread.ofPlatform().start(() -> seen.complete(inherited.get())).join();
        RseqThread.ofPlatform().inheritInheritableThreadLocals(false)
                .start(() -> unseen.complete(inherited.get())).join();
        assertEquals("from the creator", seen.get(10, TimeUnit.SECONDS));
        assertNull(unseen.get(10, TimeUnit.SECONDS));
    }

    /**
     * The table's glibc row when someone unregistered the thread's glibc area behind glibc's back: cpu_id reads
     * -1, so the static readers fall back to the system calls, mm_cid has nothing to read, and rseq4j's sections
     * get no area.
     */
    @Test
    void readersFallBackWhenGlibcsAreaWasUnregistered() throws Exception {
        assumeReachableGlibcArea();
        onNewThread(() -> withGlibcAreaUnregistered(area -> {
            RseqThread handle = RseqThread.current();
            for (int cpu : Affinity.allowed().stream().toArray()) {
                Affinity.runPinned(cpu, () -> {
                    assertEquals(cpu, RseqThread.currentCpu(), "currentCpu() falls back to sched_getcpu()");
                    assertEquals(-1, handle.cpuId(), "cpuId() reads the unregistered area");
                    assertEquals(0, RseqThread.registeredArea(), "no area for sections");
                    if (RseqAbi.covers(RseqAbi.MM_CID + Integer.BYTES)) {
                        assertEquals(Libc.currentNode(), RseqThread.currentNode(),
                                "currentNode() falls back to getcpu()");
                        String why = assertThrows(IllegalStateException.class, RseqThread::currentMmCid).getMessage();
                        assertTrue(why.contains("behind glibc's back"), why);
                    }
                });
            }
        }));
    }

    /**
     * Each reader reads its own field of the thread's area. On a one-node host with few CPUs the kernel writes
     * 0 to node_id and mm_cid, which a reader of the wrong offset may read too; so the test plays the kernel in
     * an area the kernel no longer writes (glibc's, unregistered) and sets fields no neighbour holds.
     */
    @Test
    void readersReadTheirOwnFieldsOfTheArea() throws Exception {
        assumeReachableGlibcArea();
        Assumptions.assumeTrue(RseqAbi.covers(RseqAbi.MM_CID + Integer.BYTES), "needs node_id and mm_cid (Linux 6.3)");
        onNewThread(() -> withGlibcAreaUnregistered(area -> {
            RseqThread handle = RseqThread.current();
            MemorySegment fields = MemorySegment.ofAddress(area).reinterpret(RseqAbi.MM_CID + Integer.BYTES);
            fields.set(ValueLayout.JAVA_INT, RseqAbi.NODE_ID, 3);
            fields.set(ValueLayout.JAVA_INT, RseqAbi.MM_CID, 5);
            assertEquals(Libc.currentNode(), RseqThread.currentNode(), "cpu_id -1: node_id is not read");
            fields.set(ValueLayout.JAVA_INT, RseqAbi.CPU_ID, 7);
            assertEquals(7, RseqThread.currentCpu());
            assertEquals(7, handle.cpuId());
            assertEquals(3, RseqThread.currentNode());
            assertEquals(3, handle.nodeId());
            assertEquals(5, RseqThread.currentMmCid());
            assertEquals(5, handle.mmCid());
            assertEquals(area, RseqThread.registeredArea());
        }));
    }

    private static void assumeReachableGlibcArea() {
        Assumptions.assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC && RseqAbi.GLIBC_AREA_UNREACHABLE.isEmpty(),
                () -> "needs glibc's rseq area, readable from Java; owner " + RseqAbi.OWNER + " "
                        + RseqAbi.GLIBC_AREA_UNREACHABLE);
    }

    /**
     * Runs {@code body} with the calling thread's glibc area unregistered, then gives the area back to glibc as
     * the kernel left it on unregistration (whatever {@code body} wrote there is undone first).
     */
    private static void withGlibcAreaUnregistered(LongConsumer body) {
        long area = RseqAbi.glibcArea();
        int length = GlibcArea.unregister(area);
        assertTrue(length > 0, "could not unregister glibc's area");
        MemorySegment registered = MemorySegment.ofAddress(area).reinterpret(length);
        byte[] reset = registered.toArray(ValueLayout.JAVA_BYTE);
        try {
            body.accept(area);
        } finally {
            MemorySegment.copy(reset, 0, registered, ValueLayout.JAVA_BYTE, 0, length);
            assertEquals(0, GlibcArea.reregister(area, length), "glibc's area registered again");
        }
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
