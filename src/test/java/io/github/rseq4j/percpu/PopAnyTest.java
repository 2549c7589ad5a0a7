package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.internal.sys.Affinity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * popAny(): what pop() on one CPU cannot see, popAny() finds on another, leaving the thread's CPU mask as it
 * was; and under the param_test stress (6 threads per CPU) every value comes out exactly once.
 */
class PopAnyTest {

    /**
     * The values sit on the last allowed CPU and the caller starts on the first, so popAny() must find the
     * local slot empty, visit an empty CPU, and go on to the one that holds them.
     */
    @Test
    void findsWhatAnotherCpuHolds() throws Exception {
        BitSet allowed = Affinity.allowed();
        Assumptions.assumeTrue(allowed.cardinality() >= 2, "needs two allowed CPUs, this thread has " + allowed);
        int first = allowed.nextSetBit(0);
        int last = allowed.length() - 1;
        PerCpuList list = new PerCpuList();
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        PerCpuBuffer records = new PerCpuBuffer(4, 24);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment record = arena.allocate(24).fill((byte) 44), out = arena.allocate(24);
            onPlatformThread(() -> Affinity.runPinned(last, () -> {
                list.push(42);
                assertTrue(buffer.push(43));
                assertTrue(records.push(record));
            }));
            onPlatformThread(() -> {
                Affinity.runPinned(first, () -> {
                    assertEquals(OptionalLong.empty(), list.pop(), "pop() sees only this CPU");
                    assertEquals(OptionalLong.empty(), buffer.pop(), "pop() sees only this CPU");
                    assertFalse(records.pop(out), "pop(dst) sees only this CPU");
                    BitSet pinned = Affinity.allowed();
                    assertEquals(OptionalLong.empty(), list.popAny(), "popAny() stays inside the thread's mask");
                    assertEquals(OptionalLong.empty(), buffer.popAny(), "popAny() stays inside the thread's mask");
                    assertFalse(records.popAny(out), "popAny(dst) stays inside the thread's mask");
                    assertEquals(pinned, Affinity.allowed());
                });
                // With the whole mask again; runPinned leaves the thread on `first` (and popAny() on `last`).
                assertEquals(OptionalLong.of(42), list.popAny());
                Affinity.runPinned(first, () -> {});
                assertEquals(OptionalLong.of(43), buffer.popAny());
                Affinity.runPinned(first, () -> {});
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
            try {
                action.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }).join();
        done.get(30, TimeUnit.SECONDS);
    }
}
