package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** PerCpuCounter stays exact whichever path each thread takes: section, or fallback. */
class PerCpuCounterTest {

    static final int THREADS = 12;
    static final int PER_THREAD = Workers.repetitions(200_000);

    @Test
    void glibcModeUsesSectionsOnEveryThreadKind() throws Exception {
        Assumptions.assumeTrue(RseqSupport.probe().owner() == Owner.GLIBC, "needs glibc to own rseq");
        assertEquals(PerCpuSections.Mode.TLS, PerCpuSections.MODE);
        PerCpuCounter counter = new PerCpuCounter();
        hammer(counter, Thread.ofPlatform().factory());
        hammer(counter, Thread.ofVirtual().factory());
        hammer(counter, RseqThread.threadFactory());
        assertEquals(3L * THREADS * PER_THREAD, counter.sum());
    }

    @Test
    void sumThenResetCountsEveryUpdateOnce() throws Exception {
        PerCpuCounter counter = new PerCpuCounter();
        long[] handedOut = new long[1];
        Thread resetter = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 200; i++) {
                handedOut[0] += counter.sumThenReset();
                Thread.yield();
            }
        });
        hammer(counter, Thread.ofPlatform().factory());
        resetter.join();
        assertEquals((long) THREADS * PER_THREAD, handedOut[0] + counter.sumThenReset());
        assertEquals(0, counter.sum());
    }

    @Test
    void addTakesAnyValue() {
        PerCpuCounter counter = new PerCpuCounter();
        counter.add(Long.MAX_VALUE);
        counter.add(-5);
        counter.increment();
        assertEquals(Long.MAX_VALUE - 4, counter.sum());
        assertTrue(counter.nativeBytes() >= 64, "one cache line per CPU");
    }

    @Test
    void ownModeMixesRegisteredAndUnregisteredThreads() {
        ForkedJvm.Result result = ForkedJvm.run(OwnMode.class, ForkedJvm.GLIBC_RSEQ_OFF);
        assertEquals(0, result.exitCode(), result::describe);
    }

    /** Forked with glibc's registration off: registered threads run sections, the rest the fallback. */
    public static final class OwnMode {
        public static void main(String[] args) throws Exception {
            check(RseqSupport.probe().owner() == Owner.RSEQ4J, "owner is " + RseqSupport.probe().owner());
            check(PerCpuSections.MODE == PerCpuSections.Mode.REGISTER, "mode is " + PerCpuSections.MODE);
            PerCpuCounter counter = new PerCpuCounter();
            ThreadFactory registered = task -> Thread.ofPlatform().unstarted(() -> {
                try (var _ = RseqThread.register()) {
                    task.run();
                }
            });
            hammer(counter, registered);
            hammer(counter, Thread.ofPlatform().factory());
            hammer(counter, Thread.ofVirtual().factory());
            hammer(counter, RseqThread.threadFactory());
            long expected = 4L * THREADS * PER_THREAD;
            check(counter.sum() == expected, "sum " + counter.sum() + " != " + expected);
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                System.out.println("FAIL: " + message);
                System.exit(1);
            }
        }
    }

    static void hammer(PerCpuCounter counter, ThreadFactory factory) throws InterruptedException {
        hammer(counter::increment, factory);
    }

    /** {@link #THREADS} threads from {@code factory}, each running {@code update} {@link #PER_THREAD} times. */
    static void hammer(Runnable update, ThreadFactory factory) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(factory.newThread(() -> {
                for (int i = 0; i < PER_THREAD; i++) {
                    update.run();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /**
     * Increments only, so every sum is >= 0, while another thread resets as fast as it can: a sum() that read the
     * cells before a reset and the handed-out total after it would be negative.
     */
    @Test
    void sumStaysConsistentWithConcurrentResets() throws InterruptedException {
        PerCpuCounter counter = new PerCpuCounter();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong handed = new java.util.concurrent.atomic.AtomicLong();
        Thread incrementer = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                counter.increment();
            }
        });
        Thread resetter = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                handed.addAndGet(counter.sumThenReset());
            }
        });
        long lowest = 0;
        try {
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline && lowest >= 0) {
                lowest = Math.min(lowest, counter.sum());
            }
        } finally {
            stop.set(true);
            incrementer.join();
            resetter.join();
        }
        assertTrue(lowest >= 0, "sum() returned " + lowest + " while only increments ran");
        assertTrue(handed.get() > 0, "the resetter handed nothing out");
    }

    /** Issue 20: LongAdder's API: a Number, decrement, reset, and serialization as its sum. */
    @Test
    void behavesAsLongAdder() throws Exception {
        PerCpuCounter counter = new PerCpuCounter();
        Number number = counter;
        counter.add(5_000_000_000L);
        counter.decrement();
        counter.decrement();
        assertEquals(4_999_999_998L, number.longValue());
        assertEquals((int) 4_999_999_998L, number.intValue(), "narrowed as a cast");
        assertEquals(4_999_999_998.0, number.doubleValue());
        assertEquals(4_999_999_998f, number.floatValue());
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(counter);
        }
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            PerCpuCounter read = (PerCpuCounter) in.readObject();
            assertEquals(4_999_999_998L, read.sum(), "deserialized as its sum");
            read.increment();
            assertEquals(4_999_999_999L, read.sum(), "a working counter");
        }
        counter.reset();
        assertEquals(0, counter.sum());
        counter.decrement();
        assertEquals(-1, counter.sum());
    }
}
