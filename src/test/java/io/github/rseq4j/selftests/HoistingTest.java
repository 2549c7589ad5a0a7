package io.github.rseq4j.selftests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * A JIT-compiled loop that polls cpu_id must see the kernel change it. Another thread moves the
 * polling thread with sched_setaffinity(tid); a read hoisted out of the loop, or a value cached
 * in Java, would spin forever (this test then fails on its join timeout). Today's C2 keeps even
 * plain off-heap reads in the loop; the opaque read guarantees it for any compiler.
 */
class HoistingTest {

    /** Long enough for C2 to compile the polling loop (OSR) before the move. */
    private static final long WARM_MILLIS = 1500;

    @Test
    void staticReaderSeesMigration() throws Exception {
        pollUntilMoved(RseqThread::currentCpu);
    }

    @Test
    void handleReaderSeesMigration() throws Exception {
        pollUntilMoved(() -> RseqThread.current().cpuId());
    }

    private static void pollUntilMoved(IntSupplier reader) throws Exception {
        List<Integer> cpus = TestSupport.assumeCpus(2);
        int from = cpus.get(0);
        int to = cpus.get(1);
        AtomicInteger tid = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger(-1);
        AtomicLong spun = new AtomicLong();
        CountDownLatch polling = new CountDownLatch(1);
        Thread poller = Thread.ofPlatform().daemon().start(() -> {
            BitSet only = new BitSet();
            only.set(from);
            Affinity.set(only);
            tid.set(Libc.gettid());
            // Where rseq4j owns rseq (glibc before 2.35), an unregistered thread's cpu_id reads -1.
            try (var _ = RseqThread.register()) {
                polling.countDown();
                int cpu;
                long spins = 0;
                // No onSpinWait(): the loop body must give the JIT every chance to hoist the read.
                while ((cpu = reader.getAsInt()) == from) {
                    spins++;
                }
                seen.set(cpu);
                spun.set(spins);
            }
        });
        polling.await();
        Thread.sleep(WARM_MILLIS);
        moveThread(tid.get(), to);
        poller.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(!poller.isAlive(), "the polling loop never saw cpu_id change: was the read hoisted?");
        assertEquals(to, seen.get());
        assertTrue(spun.get() > 1000, "the loop ran compiled for a while first: " + spun.get() + " spins");
    }

    /** sched_setaffinity on another thread, which the kernel migrates at once. */
    private static void moveThread(int tid, int cpu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128, Long.BYTES);
            mask.set(ValueLayout.JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            assertEquals(0, RseqNative.sched_setaffinity(tid, mask.byteSize(), mask), "sched_setaffinity");
        }
    }
}
