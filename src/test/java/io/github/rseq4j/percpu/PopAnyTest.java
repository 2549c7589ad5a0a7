package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.internal.sys.Affinity;
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

    @Test
    void findsWhatAnotherCpuHolds() throws Exception {
        BitSet allowed = Affinity.allowed();
        Assumptions.assumeTrue(allowed.cardinality() >= 2, "needs two allowed CPUs, this thread has " + allowed);
        int first = allowed.nextSetBit(0);
        int second = allowed.nextSetBit(first + 1);
        PerCpuList list = new PerCpuList();
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        onPlatformThread(() -> Affinity.runPinned(first, () -> {
            list.push(42);
            assertTrue(buffer.push(43));
        }));
        onPlatformThread(() -> {
            Affinity.runPinned(second, () -> {
                assertEquals(OptionalLong.empty(), list.pop(), "pop() sees only this CPU");
                assertEquals(OptionalLong.empty(), buffer.pop(), "pop() sees only this CPU");
            });
            // Pinned to `second` popAny() could not move; with the whole mask it reaches `first`.
            Affinity.set(allowed);
            Affinity.runPinned(second, () -> {
                BitSet pinned = Affinity.allowed();
                assertEquals(OptionalLong.empty(), list.popAny(), "popAny() stays inside the thread's mask");
                assertEquals(pinned, Affinity.allowed());
            });
            assertEquals(OptionalLong.of(42), list.popAny());
            assertEquals(OptionalLong.of(43), buffer.popAny());
            assertEquals(allowed, Affinity.allowed(), "popAny() must restore the thread's CPU mask");
            assertEquals(OptionalLong.empty(), list.popAny());
            assertEquals(OptionalLong.empty(), buffer.popAny());
        });
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
