package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A careless user of {@link PerCpuList} and {@link PerCpuBuffer}: null and throwing consumers, records from
 * another thread's confined arena, closed arenas, an arena closed while pushes run, and views kept past a
 * drain. Each gets the exception FFM or the javadoc promises, and no element is lost.
 */
class ListAndBufferMisuseTest {

    private static final int RECORD = 16;

    @Test
    void listDrainOfNullTakesNothing() {
        PerCpuList list = new PerCpuList();
        list.push(1);
        list.push(2);
        assertThrows(NullPointerException.class, () -> list.drain(null));
        assertEquals(List.of(1L, 2L), drained(list), "both elements are still in the list");
    }

    @Test
    void listDrainKeepsTheElementItsConsumerThrewOn() {
        PerCpuList list = new PerCpuList();
        for (long v = 1; v <= 3; v++) {
            list.push(v);
        }
        List<Long> seen = new ArrayList<>();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> list.drain(v -> {
            seen.add(v);
            if (seen.size() == 2) {
                throw new IllegalStateException("consumer failed");
            }
        }));
        assertEquals("consumer failed", thrown.getMessage());
        List<Long> rest = drained(list);
        assertEquals(2, rest.size(), "the element handed over when the consumer threw, and the one not reached, stay");
        assertTrue(rest.contains(seen.get(1)), "the element the consumer threw on stays: " + rest + " after " + seen);
        List<Long> all = new ArrayList<>(rest);
        all.add(seen.get(0));
        assertEquals(List.of(1L, 2L, 3L), all.stream().sorted().toList());
    }

    @Test
    void bufferDrainOfNullTakesNothing() {
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        assertThrows(NullPointerException.class, () -> buffer.drain(null), "even when empty");
        assertTrue(buffer.push(7));
        assertThrows(NullPointerException.class, () -> buffer.drain(null));
        assertEquals(1, buffer.size());
    }

    @Test
    void bufferDrainKeepsTheRecordItsConsumerThrewOn() {
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        int pushed = 0;
        for (long v = 1; v <= 3; v++) {
            pushed += buffer.push(v) ? 1 : 0;
        }
        long total = buffer.size();
        assertEquals(pushed, total);
        AtomicLong calls = new AtomicLong();
        assertThrows(IllegalStateException.class, () -> buffer.drain(r -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("consumer failed");
            }
        }));
        assertEquals(total - 1, buffer.size(), "only the record whose call returned was taken");
    }

    /** Pinned, so that the action's push lands on the slot being drained. */
    @Test
    void bufferDrainRefusesAnActionThatPushesToTheDrainedSlot() {
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        Affinity.runPinned(Affinity.allowed().nextSetBit(0), () -> {
            assertTrue(buffer.push(1));
            IllegalStateException reentered = assertThrows(IllegalStateException.class,
                    () -> buffer.drain(r -> buffer.push(2)));
            assertTrue(reentered.getMessage().contains("stays in the buffer"), reentered.getMessage());
            List<Long> values = new ArrayList<>();
            buffer.drain(r -> values.add(r.get(ValueLayout.JAVA_LONG, 0)));
            assertEquals(List.of(1L, 2L), values.stream().sorted().toList(), "both records kept");
        });
    }

    @Test
    void drainedViewsFailAfterTheirCall() {
        PerCpuBuffer buffer = new PerCpuBuffer(4);
        assertTrue(buffer.push(42));
        List<MemorySegment> views = new ArrayList<>();
        assertEquals(1, buffer.drain(r -> {
            assertEquals(42, r.get(ValueLayout.JAVA_LONG, 0), "readable during the call");
            views.add(r);
        }));
        assertTrue(buffer.push(43));
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> views.getFirst().get(ValueLayout.JAVA_LONG, 0), "a view used after its call");
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertFalse(views.getFirst().scope().isAlive());
    }

    @Test
    void recordOfAnotherThreadsConfinedArenaIsRefused() throws InterruptedException {
        PerCpuBuffer buffer = new PerCpuBuffer(4, RECORD);
        try (Arena own = Arena.ofConfined()) {
            assertTrue(buffer.push(own.allocate(RECORD)));
        }
        AtomicReference<MemorySegment> foreign = new AtomicReference<>();
        CountDownLatch made = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread owner = Thread.ofPlatform().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                foreign.set(arena.allocate(RECORD));
                made.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        made.await();
        try {
            MemorySegment segment = foreign.get();
            assertThrows(WrongThreadException.class, () -> buffer.push(segment), "push");
            assertThrows(WrongThreadException.class, () -> buffer.pop(segment), "pop");
            assertThrows(WrongThreadException.class, () -> buffer.popAny(segment), "popAny");
            assertThrows(WrongThreadException.class, () -> new PerCpuBuffer(4, RECORD).pop(segment),
                    "pop from an empty buffer checks too");
            assertEquals(1, buffer.size(), "nothing moved by the refused calls");
        } finally {
            done.countDown();
            owner.join();
        }
    }

    @Test
    void closedRecordIsRefusedAsFfmRefusesIt() {
        PerCpuBuffer buffer = new PerCpuBuffer(4, RECORD);
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(RECORD);
            assertTrue(buffer.push(closed));
        }
        assertThrows(IllegalStateException.class, () -> buffer.push(closed), "push");
        assertThrows(IllegalStateException.class, () -> buffer.pop(closed), "pop");
        assertThrows(IllegalStateException.class, () -> buffer.popAny(closed), "popAny");
        assertEquals(1, buffer.size(), "nothing moved by the refused calls");
    }

    @Test
    void nullIndexingIsRefused() {
        assertThrows(NullPointerException.class, () -> new PerCpuList(null));
        assertThrows(NullPointerException.class, () -> new PerCpuBuffer(1, null));
        assertThrows(NullPointerException.class, () -> new PerCpuBuffer(1, 16, null));
    }

    @Test
    void nullAndUnfitRecordsAreRefused() {
        PerCpuBuffer buffer = new PerCpuBuffer(4, RECORD);
        assertThrows(NullPointerException.class, () -> buffer.push(null));
        assertThrows(NullPointerException.class, () -> buffer.pop(null));
        assertThrows(NullPointerException.class, () -> buffer.popAny(null));
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> buffer.popAny(arena.allocate(RECORD).asReadOnly()));
            assertThrows(IllegalArgumentException.class, () -> buffer.popAny(arena.allocate(RECORD - 1)));
        }
        assertEquals(0, buffer.size());
    }

    /** A heap record is what FFM copies anywhere; the section reads it in place (a critical downcall). */
    @Test
    void heapRecordsRoundTrip() {
        PerCpuBuffer buffer = new PerCpuBuffer(4, RECORD);
        long[] in = {0x1122334455667788L, -3};
        assertTrue(buffer.push(MemorySegment.ofArray(in)));
        long[] out = new long[2];
        assertTrue(buffer.pop(MemorySegment.ofArray(out))
                || buffer.drain(r -> MemorySegment.ofArray(out).copyFrom(r)) == 1);
        assertEquals(in[0], out[0]);
        assertEquals(in[1], out[1]);
    }

    /**
     * Pushes and pops on records of a shared arena that another thread closes meanwhile: each call moves a
     * whole record or throws IllegalStateException, the JVM never touches the records after the close (they lie
     * in a file mapping that the close unmaps, so a copy after it would crash the JVM), and every record taken
     * out was whole.
     */
    @Test
    void sharedArenaClosedWhilePushesRun(@TempDir Path dir) throws Exception {
        PerCpuBuffer buffer = new PerCpuBuffer(1024, RECORD);
        for (int round = 0; round < 10; round++) {
            Arena arena = Arena.ofShared();
            MemorySegment block;
            try (FileChannel file = FileChannel.open(dir.resolve("records-" + round), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                block = file.map(FileChannel.MapMode.READ_WRITE, 0, 1 << 16, arena);
            }
            for (long i = 0; i < block.byteSize() / Long.BYTES; i++) {
                block.setAtIndex(ValueLayout.JAVA_LONG, i, 0x5eed_0000_0000L + round);
            }
                        AtomicLong moved = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            List<Thread> workers = new ArrayList<>();
            CountDownLatch running = new CountDownLatch(2);
            for (int t = 0; t < 2; t++) {
                int worker = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    MemorySegment record = block.asSlice(worker * 4096L, RECORD);
                    MemorySegment out = block.asSlice(8192 + worker * 4096L, RECORD);
                    // Registered, so that where rseq4j owns rseq the copies run in sections too.
                    try (var _ = RseqThread.register()) {
                        for (int i = 0;; i++) {
                            if (i == 100) {
                                running.countDown();
                            }
                            if (buffer.push(record)) {
                                moved.incrementAndGet();
                            }
                            if (buffer.pop(out)) {
                                moved.decrementAndGet();
                            }
                        }
                    } catch (IllegalStateException expected) {
                        if (block.scope().isAlive()) { // thrown for another reason than the close
                            unexpected.add(expected);
                        }
                    } catch (Throwable other) {
                        unexpected.add(other);
                    } finally {
                        running.countDown(); // at most twice a worker; the count only has to reach 0
                    }
                }));
            }
            running.await(); // both workers are pushing and popping
            for (;;) {
                try {
                    arena.close();
                    break;
                } catch (IllegalStateException acquiredByACall) {
                    Thread.onSpinWait(); // a push or pop holds the arena for its copy; close after it
                }
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertTrue(unexpected.isEmpty(), () -> "unexpected: " + unexpected);
            assertEquals(moved.get(), buffer.size(), "every push and pop counted moved a whole record");
            long expected = 0x5eed_0000_0000L + round;
            buffer.drain(r -> {
                assertEquals(expected, r.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(expected, r.get(ValueLayout.JAVA_LONG, 8));
            });
        }
    }

    @Test
    void nativeBytesCountsCountsAndRecords() {
        int slots = new PerCpuBuffer(1).indexing().sectionSlots() + 1;
        assertEquals(slots * 64L + slots * 64L, new PerCpuBuffer(8).nativeBytes(), "8 longs: one line a slot");
        assertEquals(slots * 64L + slots * 128L, new PerCpuBuffer(3, 40).nativeBytes(), "120 bytes: two lines");
        PerCpuList list = new PerCpuList();
        long heads = list.nativeBytes();
        list.push(1);
        assertEquals(heads + 2730 * 24, list.nativeBytes(), "the first node's chunk counts: 2730 nodes of 24 bytes");
    }

    /** The constructors' javadoc says so: their memory is direct memory, bounded by -XX:MaxDirectMemorySize. */
    @Test
    void nativeMemoryCountsAgainstMaxDirectMemorySize() {
        ForkedJvm.Result result = ForkedJvm.run(TooLarge.class, Map.of(),
                List.of("-XX:MaxDirectMemorySize=" + (1 << 20)));
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.output().contains("buffer refused: Cannot reserve"), result.describe());
        assertTrue(result.output().contains("list refused: Cannot reserve"), result.describe());
    }

    /** In a JVM with 1 MiB of direct memory: a buffer and a list that need more. */
    public static final class TooLarge {
        public static void main(String[] args) {
            try {
                new PerCpuBuffer(1024, PerCpuBuffer.MAX_RECORD_BYTES);
                System.out.println("buffer made");
            } catch (OutOfMemoryError refused) {
                System.out.println("buffer refused: " + refused.getMessage());
            }
            PerCpuList list = new PerCpuList();
            try {
                for (long i = 0; i < 1 << 17; i++) {
                    list.push(i);
                }
                System.out.println("list filled");
            } catch (OutOfMemoryError refused) {
                System.out.println("list refused: " + refused.getMessage());
            }
        }
    }

    private static List<Long> drained(PerCpuList list) {
        List<Long> values = new ArrayList<>();
        list.drain(values::add);
        return values.stream().sorted().toList();
    }
}
