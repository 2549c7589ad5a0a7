package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.rseq4j.PerCpuDoubleAdder;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Seccomp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

/**
 * PerCpuDoubleAdder loses no add whichever path each thread takes. Every add is 0.25, so every partial sum is a
 * multiple of 0.25 below 2^53 and exact in a double: any lost or doubled add shows in the total.
 */
class PerCpuDoubleAdderTest {

    private static final int THREADS = PerCpuCounterTest.THREADS;
    private static final int PER_THREAD = PerCpuCounterTest.PER_THREAD;
    private static final double QUARTER = 0.25;

    @Test
    void noAddIsLostOnAnyThreadKind() throws Exception {
        for (PerCpuIndexing indexing : PerCpuIndexing.values()) {
            PerCpuDoubleAdder adder = new PerCpuDoubleAdder(indexing);
            hammer(adder, Thread.ofPlatform().factory());
            hammer(adder, Thread.ofVirtual().factory());
            hammer(adder, RseqThread.threadFactory());
            assertEquals(3.0 * THREADS * PER_THREAD * QUARTER, adder.sum(), indexing.toString());
        }
    }

    @Test
    void ownModeMixesRegisteredAndUnregisteredThreads() {
        ForkedJvm.Result result = ForkedJvm.run(Child.class, ForkedJvm.GLIBC_RSEQ_OFF, "own");
        assertEquals(0, result.exitCode(), result::describe);
    }

    @Test
    void atomicFallbackWhereNoSectionRuns() {
        ForkedJvm.Result result = ForkedJvm.run(Child.class, Map.of(), "deny-exec");
        assertEquals(0, result.exitCode(), result::describe);
    }

    /** Forked: with glibc's registration off (sections and the shared cell), or with no sections at all. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            PerCpuSections.Mode expected = switch (args[0]) {
                case "own" -> PerCpuSections.Mode.REGISTER;
                case "deny-exec" -> {
                    Seccomp.denyExecutableMprotect();
                    yield PerCpuSections.Mode.ATOMIC;
                }
                default -> throw new IllegalArgumentException(args[0]);
            };
            check(PerCpuSections.MODE == expected, "mode is " + PerCpuSections.MODE);
            PerCpuDoubleAdder adder = new PerCpuDoubleAdder();
            ThreadFactory registered = task -> Thread.ofPlatform().unstarted(() -> {
                try (var _ = RseqThread.register()) {
                    task.run();
                }
            });
            hammer(adder, registered);
            hammer(adder, Thread.ofPlatform().factory());
            hammer(adder, Thread.ofVirtual().factory());
            double want = 3.0 * THREADS * PER_THREAD * QUARTER;
            check(adder.sum() == want, "sum " + adder.sum() + " != " + want);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                System.out.println("FAIL: " + message);
                System.exit(1);
            }
        }
    }

    private static void hammer(PerCpuDoubleAdder adder, ThreadFactory factory) throws InterruptedException {
        PerCpuCounterTest.hammer(() -> adder.add(QUARTER), factory);
    }

    @Test
    void behavesAsDoubleAdder() throws Exception {
        PerCpuDoubleAdder adder = new PerCpuDoubleAdder();
        Number number = adder;
        adder.add(1e10);
        adder.add(0.5);
        adder.add(-0.25);
        assertEquals(1e10 + 0.25, number.doubleValue());
        assertEquals(10_000_000_000L, number.longValue());
        assertEquals((int) (1e10 + 0.25), number.intValue(), "narrowed as a cast");
        assertEquals((float) (1e10 + 0.25), number.floatValue());
        assertEquals(Double.toString(1e10 + 0.25), adder.toString());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var out = new ObjectOutputStream(bytes)) {
            out.writeObject(adder);
        }
        try (var in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            PerCpuDoubleAdder read = (PerCpuDoubleAdder) in.readObject();
            assertEquals(1e10 + 0.25, read.sum(), "deserialized as its sum");
            read.add(1);
            assertEquals(1e10 + 1.25, read.sum(), "a working adder");
        }
        adder.reset();
        assertEquals(0.0, adder.sum());
        adder.add(Double.NaN);
        assertEquals(Double.NaN, adder.sum(), "NaN propagates, as in DoubleAdder");
        assertEquals((PerCpuIndexing.CPU_ID.sectionSlots() + 1) * 64L, adder.nativeBytes(), "a line per slot");
        assertEquals(PerCpuIndexing.CPU_ID, adder.indexing());
        assertThrows(NullPointerException.class, () -> new PerCpuDoubleAdder(null));
    }
}
