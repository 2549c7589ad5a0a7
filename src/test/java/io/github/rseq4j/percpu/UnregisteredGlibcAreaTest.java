package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuLongArray;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.GlibcArea;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * glibc owns rseq, but one thread's area is unregistered behind glibc's back with a raw
 * {@code rseq(..., RSEQ_FLAG_UNREGISTER)}: its cpu_id reads -1, which must never become an address. That thread
 * and registered threads then use every structure and reader at once; the results must be exact and the JVM
 * alive. Forked, since the child re-registers the area before the thread ends but a crash must not take the
 * test JVM with it. The long array's adds and the buffer's shared slot also run in-process, where PIT mutates
 * them.
 */
class UnregisteredGlibcAreaTest {

    @Test
    void anUnregisteredThreadStaysExactAndInBounds() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, Map.of());
        assumeFalse(r.output().contains("SKIP:"), r.output());
        assertTrue(r.exitCode() == 0 && r.output().contains("ALL EXACT"), r.describe());
    }

    /**
     * The sections refuse cpu_id -1 before touching a cell ({@link IndexRangeTest}), so an unregistered thread's
     * adds go to the shared slot, atomically: each counts once, in its own element, next to the registered
     * thread's adds to its CPU's slot.
     */
    @Test
    void anUnregisteredThreadsLongArrayAddsLandInTheSharedSlot() throws InterruptedException {
        int length = 11; // two groups of eight
        PerCpuLongArray array = new PerCpuLongArray(length);
        long[] expected = new long[length];
        for (int i = 0; i < length; i++) {
            array.add(i, 100);
            expected[i] = 100 + i + 1;
        }
        assertEquals(List.of(), onAnUnregisteredThread(failures -> {
            for (int i = 0; i < length; i++) {
                array.add(i, i + 1);
            }
        }));
        assertArrayEquals(expected, array.sums());
    }

    /**
     * An unregistered thread's pushes fill the shared slot under its monitor, up to its capacity and no further,
     * and its pops take that slot's top; a registered thread whose own CPU's buffer is empty then pops the
     * rest from the shared slot.
     */
    @Test
    void anUnregisteredThreadsBufferUsesTheSharedSlot() throws InterruptedException {
        PerCpuBuffer longs = new PerCpuBuffer(3);
        PerCpuBuffer records = new PerCpuBuffer(2, 24);
        assertEquals(List.of(), onAnUnregisteredThread(failures -> {
            try (Arena arena = Arena.ofConfined()) {
                for (long v = 1; v <= 3; v++) {
                    expect(failures, "push " + v, true, longs.push(v));
                }
                expect(failures, "push into a full shared slot", false, longs.push(4));
                expect(failures, "pop", OptionalLong.of(3), longs.pop());
                MemorySegment record = arena.allocate(24, 8);
                for (long v = 1; v <= 3; v++) {
                    fill(record, v);
                    expect(failures, "record push " + v, v <= 2, records.push(record));
                }
                record.fill((byte) 0);
                expect(failures, "record pop", true, records.pop(record));
                expect(failures, "popped record", 2L, first(record));
                expect(failures, "record's other words", true, whole(record));
            }
        }));
        assertEquals(2, longs.size());
        assertEquals(OptionalLong.of(2), longs.pop());
        assertEquals(OptionalLong.of(1), longs.pop());
        assertEquals(OptionalLong.empty(), longs.pop());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(24, 8);
            assertTrue(records.pop(out));
            assertEquals(1, first(out));
            assertTrue(whole(out));
            assertFalse(records.pop(out));
        }
    }

    /** The handle tells the truth about an area the kernel no longer writes, and reads nothing stale from it. */
    @Test
    void theHandleSaysTheAreaIsUnregistered() throws InterruptedException {
        assertEquals(List.of(), onAnUnregisteredThread(failures -> {
            RseqThread handle = RseqThread.current();
            expect(failures, "isRegistered()", false, handle.isRegistered());
            expect(failures, "cpuId()", -1, handle.cpuId());
            if (RseqAbi.covers(RseqAbi.MM_CID + Integer.BYTES)) {
                try {
                    failures.add("mmCid() " + handle.mmCid() + " from an area the kernel no longer writes");
                } catch (IllegalStateException expected) {
                    expect(failures, "mmCid()'s message names the cause", true,
                            expected.getMessage().contains("unregistered behind glibc's back"));
                }
            }
        }));
    }

    /**
     * Runs {@code body} on a new platform thread whose glibc area is unregistered (and registered again after),
     * after checking that its cpu_id reads -1.
     *
     * @return what went wrong, empty if nothing did
     */
    private static List<String> onAnUnregisteredThread(Consumer<List<String>> body) throws InterruptedException {
        assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC, "glibc does not own rseq here");
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Thread.ofPlatform().start(() -> {
            long area = RseqAbi.glibcArea();
            int registered = GlibcArea.unregister(area);
            try {
                if (registered == 0) {
                    failures.add("could not unregister glibc's area");
                    return;
                }
                if (MemorySegment.ofAddress(area).reinterpret(8).get(ValueLayout.JAVA_INT, RseqAbi.CPU_ID) != -1) {
                    failures.add("cpu_id not -1 after unregistering");
                }
                body.accept(failures);
            } catch (Throwable e) {
                failures.add(e.toString());
            } finally {
                if (registered > 0 && GlibcArea.reregister(area, registered) != 0) {
                    failures.add("re-registration failed");
                }
            }
        }).join();
        return failures;
    }

    private static void expect(List<String> failures, String what, Object want, Object got) {
        if (!want.equals(got)) {
            failures.add(what + ": " + got + ", expected " + want);
        }
    }

    /** A 24-byte record {@code v, 2v, 3v}, so that a torn copy shows. */
    private static void fill(MemorySegment record, long v) {
        for (int i = 0; i < 3; i++) {
            record.set(ValueLayout.JAVA_LONG, 8L * i, (i + 1) * v);
        }
    }

    private static long first(MemorySegment record) {
        return record.get(ValueLayout.JAVA_LONG, 0);
    }

    private static boolean whole(MemorySegment record) {
        long v = first(record);
        return record.get(ValueLayout.JAVA_LONG, 8) == 2 * v && record.get(ValueLayout.JAVA_LONG, 16) == 3 * v;
    }

    public static final class Child {
        private static final int ROUNDS = 20_000;
        private static final int THREADS = 3; // the unregistered one and two registered ones

        public static void main(String[] args) throws Exception {
            if (RseqAbi.OWNER != AreaOwner.GLIBC) {
                System.out.println("SKIP: glibc does not own rseq here (owner " + RseqAbi.OWNER + ")");
                return;
            }
            PerCpuCounter counter = new PerCpuCounter();
            PerCpuSpinLock lock = new PerCpuSpinLock();
            long[] guarded = new long[PerCpuSpinLock.maxSlotCount()];
            PerCpuList list = new PerCpuList();
            PerCpuBuffer longs = new PerCpuBuffer(ROUNDS * THREADS);
            PerCpuBuffer records = new PerCpuBuffer(ROUNDS * THREADS, 24);
            AtomicLong listSum = new AtomicLong(), buffered = new AtomicLong(), recordSum = new AtomicLong();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            CyclicBarrier start = new CyclicBarrier(THREADS);

            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                boolean unregister = t == 0;
                threads.add(new Thread(() -> {
                    long area = RseqAbi.glibcArea();
                    int length = unregister ? GlibcArea.unregister(area) : 0;
                    if (unregister && length == 0) {
                        failures.add("could not unregister glibc's area (sched_getcpu " + Libc.schedGetcpu() + ")");
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        if (unregister) {
                            int cpu = RseqThread.currentCpu();
                            if (cpu < 0 || MemorySegment.ofAddress(area).reinterpret(8)
                                    .get(ValueLayout.JAVA_INT, RseqAbi.CPU_ID) != -1) {
                                failures.add("unregistered thread: currentCpu() " + cpu + ", cpu_id not -1");
                            }
                            if (RseqAbi.covers(RseqAbi.MM_CID + Integer.BYTES)) {
                                if (RseqThread.currentNode() < 0) {
                                    failures.add("unregistered thread: currentNode() " + RseqThread.currentNode());
                                }
                                try {
                                    failures.add("unregistered thread: currentMmCid() " + RseqThread.currentMmCid()
                                            + " from an area the kernel no longer updates");
                                } catch (IllegalStateException expected) {
                                    // mm_cid exists only for a registered thread
                                }
                            }
                        }
                        MemorySegment record = arena.allocate(24, 8), out = arena.allocate(24, 8);
                        start.await();
                        for (int i = 1; i <= ROUNDS; i++) {
                            counter.increment();
                            int slot = lock.lock();
                            guarded[slot]++;
                            lock.unlock(slot);
                            list.push(i);
                            // A pop sees the calling CPU's stack (then the shared slot): after a migration it may
                            // come back empty; what stays behind is drained at the end.
                            listSum.addAndGet(list.pop().orElse(0));
                            if (!longs.push(i)) {
                                failures.add("buffer full");
                            }
                            buffered.addAndGet(longs.pop().orElse(0));
                            fill(record, i);
                            if (!records.push(record)) {
                                failures.add("record buffer full");
                            }
                            out.fill((byte) 0);
                            records.pop(out);
                            long a = first(out);
                            if (!whole(out)) {
                                failures.add("torn record " + a);
                            }
                            recordSum.addAndGet(a);
                        }
                    } catch (Throwable e) {
                        failures.add(Thread.currentThread() + ": " + e);
                    } finally {
                        if (length > 0) {
                            // Give the thread back to glibc as it left it: registered, same length and signature.
                            int rc = GlibcArea.reregister(area, length);
                            if (rc != 0) {
                                failures.add("re-registration failed: " + rc);
                            }
                        }
                    }
                }, unregister ? "unregistered" : "registered-" + t));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            long perThread = (long) ROUNDS * (ROUNDS + 1) / 2;
            long locked = 0;
            for (long g : guarded) {
                locked += g;
            }
            check(failures, "counter", counter.sum(), (long) ROUNDS * THREADS);
            check(failures, "lock-guarded increments", locked, (long) ROUNDS * THREADS);
            list.drain(listSum::addAndGet);
            longs.drain(r -> buffered.addAndGet(r.get(ValueLayout.JAVA_LONG, 0)));
            records.drain(r -> recordSum.addAndGet(r.get(ValueLayout.JAVA_LONG, 0)));
            check(failures, "list values popped and drained", listSum.get(), perThread * THREADS);
            check(failures, "buffer values popped and drained", buffered.get(), perThread * THREADS);
            check(failures, "records popped and drained", recordSum.get(), perThread * THREADS);
            if (!failures.isEmpty()) {
                System.out.println("FAILURES: " + failures);
                System.exit(1);
            }
            System.out.println("ALL EXACT");
        }

        private static void check(List<String> failures, String what, long got, long want) {
            if (got != want) {
                failures.add(what + ": " + got + ", expected " + want);
            }
        }
    }
}
