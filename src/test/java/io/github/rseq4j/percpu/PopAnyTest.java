package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.Pinned;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * popAny(): what pop() on one CPU cannot see, popAny() finds on another, leaving the thread's CPU mask as it
 * was; and under the param_test stress (6 threads per CPU) every value comes out exactly once.
 */
class PopAnyTest {

    /**
     * The values sit on one end of the thread's mask and the caller starts on the other, so popAny() finds the
     * local slot empty and moves. On the last CPU, it must pass an empty CPU first; on the first, it must stop
     * there and not go on to the (empty) caller's CPU.
     */
    @ParameterizedTest(name = "values on the {0} allowed CPU")
    @ValueSource(strings = {"last", "first"})
    void findsWhatAnotherCpuHolds(String end) throws Exception {
        BitSet allowed = Affinity.allowed();
        Assumptions.assumeTrue(allowed.cardinality() >= 2, "needs two allowed CPUs, this thread has " + allowed);
        int holder = end.equals("first") ? allowed.nextSetBit(0) : allowed.length() - 1;
        int caller = end.equals("first") ? allowed.length() - 1 : allowed.nextSetBit(0);
        PerCpuList list = new PerCpuList();
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        PerCpuBuffer records = new PerCpuBuffer(4, 24);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment record = arena.allocate(24).fill((byte) 44), out = arena.allocate(24);
            onPlatformThread(() -> Affinity.runPinned(holder, () -> {
                list.push(42);
                assertTrue(buffer.push(43));
                assertTrue(records.push(record));
            }));
            onPlatformThread(() -> {
                Affinity.runPinned(caller, () -> {
                    assertEquals(OptionalLong.empty(), list.pop(), "pop() sees only this CPU");
                    assertEquals(OptionalLong.empty(), buffer.pop(), "pop() sees only this CPU");
                    assertFalse(records.pop(out), "pop(dst) sees only this CPU");
                    BitSet pinned = Affinity.allowed();
                    assertEquals(OptionalLong.empty(), list.popAny(), "popAny() stays inside the thread's mask");
                    assertEquals(OptionalLong.empty(), buffer.popAny(), "popAny() stays inside the thread's mask");
                    assertFalse(records.popAny(out), "popAny(dst) stays inside the thread's mask");
                    assertEquals(pinned, Affinity.allowed());
                });
                // With the whole mask again; runPinned leaves the thread on `caller` (and popAny() on `holder`).
                assertEquals(OptionalLong.of(42), list.popAny());
                Affinity.runPinned(caller, () -> {});
                assertEquals(OptionalLong.of(43), buffer.popAny());
                Affinity.runPinned(caller, () -> {});
                assertTrue(records.popAny(out));
                assertEquals(-1, record.mismatch(out), "the record's bytes");
                assertEquals(allowed, Affinity.allowed(), "popAny() must restore the thread's CPU mask");
                assertEquals(OptionalLong.empty(), list.popAny());
                assertEquals(OptionalLong.empty(), buffer.popAny());
                assertFalse(records.popAny(out));
            });
        }
    }

    @Test
    void virtualThreadsGetAReasonInsteadOfPinningTheirCarrier() throws Exception {
        PerCpuList list = new PerCpuList();
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                list.popAny();
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        }).join();
        Throwable t = thrown.get(30, TimeUnit.SECONDS);
        // With atomics (no sections) popAny() takes locks and works on any thread.
        if (t != null) {
            assertTrue(t instanceof UnsupportedOperationException && t.getMessage().contains("platform thread"),
                    t::toString);
        }
    }

    @Test
    void listUnderStress() {
        Scenarios.listPopAny(Workers.THREADS, 4_000, Scenarios.PLAIN);
    }

    @Test
    void bufferUnderStress() {
        Scenarios.bufferPopAny(Workers.THREADS, 4_000, Scenarios.PLAIN);
    }

    private static void onPlatformThread(Runnable action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try (var _ = Pinned.registerIfNeeded()) {
                action.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }).join();
        done.get(30, TimeUnit.SECONDS);
    }
}
