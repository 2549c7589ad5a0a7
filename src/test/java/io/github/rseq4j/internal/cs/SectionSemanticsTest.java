package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Cpus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What each operation does, return code by return code, run on this machine: sections linked afresh by each
 * test (glibc's area, TLS addressing) and called by one thread pinned to one CPU, so every result is known in
 * advance. An aborted call (preemption) is simply repeated. The structures' tests run the same operations
 * under load; this one pins down every exit of every template.
 */
class SectionSemanticsTest {

    private static final long LINE = 64;

    private SectionLibrary sections;
    private Arena arena;

    @BeforeEach
    void link() {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "runs x86_64 code; os.arch is " + arch);
        Assumptions.assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC, "needs glibc's rseq area; owner is " + RseqAbi.OWNER);
        sections = SectionLibrary.link(SectionConfig.tls(RseqAbi.GLIBC_OFFSET, IndexField.CPU_ID, Cpus.POSSIBLE), 6);
        arena = Arena.ofAuto();
    }

    interface Call {
        int run() throws Throwable;
    }

    /** Runs {@code call} until the kernel lets it finish (ABORTED only after a preemption) and returns its code. */
    private static int finish(Call call) {
        try {
            for (;;) {
                int rc = call.run();
                if (rc != SectionTemplates.ABORTED) {
                    return rc;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static void pinned(IntConsumer onCpu) {
        int cpu = Affinity.allowed().nextSetBit(0);
        Affinity.runPinned(cpu, () -> onCpu.accept(cpu));
    }

    private MemorySegment longs(long... values) {
        MemorySegment s = arena.allocate(8L * values.length, LINE);
        for (int i = 0; i < values.length; i++) {
            s.setAtIndex(ValueLayout.JAVA_LONG, i, values[i]);
        }
        return s;
    }

    private static long at(MemorySegment s, int index) {
        return s.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    @Test
    void addAddsToTheRunningCpusLineOnly() {
        MemorySegment cells = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMMITTED,
                    finish(() -> (int) sections.add().invokeExact(cells.address(), 5L)));
            assertEquals(SectionTemplates.COMMITTED,
                    finish(() -> (int) sections.add().invokeExact(cells.address(), -2L)));
            for (int c = 0; c < Cpus.POSSIBLE; c++) {
                assertEquals(c == cpu ? 3 : 0, cells.get(ValueLayout.JAVA_LONG, c * LINE), "line " + c);
            }
        });
    }

    @Test
    void cmpeqvStorevChecksIndexThenValueThenStores() {
        MemorySegment v = longs(7);
        pinned(cpu -> {
            assertEquals(SectionTemplates.INDEX_MISMATCH,
                    finish(() -> (int) sections.cmpeqvStorev().invokeExact(v.address(), 7L, 9L, cpu + 1)));
            assertEquals(SectionTemplates.COMPARE_FAILED,
                    finish(() -> (int) sections.cmpeqvStorev().invokeExact(v.address(), 8L, 9L, cpu)));
            assertEquals(7, at(v, 0), "nothing stored by a failed check");
            assertEquals(SectionTemplates.COMMITTED,
                    finish(() -> (int) sections.cmpeqvStorev().invokeExact(v.address(), 7L, 9L, cpu)));
            assertEquals(9, at(v, 0));
        });
    }

    @Test
    void pushRecordAndPopRecordCopyExactlyLenBytesAboveTheRunningCpusCount() {
        long len = 13, slotBytes = 64, capacity = 2;
        byte[] first = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
        byte[] second = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33};
        MemorySegment counts = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        MemorySegment records = arena.allocate(Cpus.POSSIBLE * slotBytes, LINE);
        MemorySegment src = arena.allocate(16), dst = arena.allocate(16);
        Call push = () -> (int) sections.pushRecord().invokeExact(counts.address(), records.address(), src, len,
                slotBytes, capacity);
        Call pop = () -> (int) sections.popRecord().invokeExact(counts.address(), records.address(), dst, len,
                slotBytes, capacity);
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(pop), "empty");
            assertArrayEquals(new byte[16], dst.toArray(ValueLayout.JAVA_BYTE), "nothing copied from an empty slot");
            MemorySegment.copy(first, 0, src, ValueLayout.JAVA_BYTE, 0, first.length);
            assertEquals(SectionTemplates.COMMITTED, finish(push));
            MemorySegment.copy(second, 0, src, ValueLayout.JAVA_BYTE, 0, second.length);
            assertEquals(SectionTemplates.COMMITTED, finish(push));
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(push), "full at capacity");
            for (int c = 0; c < Cpus.POSSIBLE; c++) {
                assertEquals(c == cpu ? 2 : 0, counts.get(ValueLayout.JAVA_LONG, c * LINE), "count of line " + c);
            }
            byte[] slot = records.asSlice(cpu * slotBytes, slotBytes).toArray(ValueLayout.JAVA_BYTE);
            byte[] expected = new byte[(int) slotBytes];
            System.arraycopy(first, 0, expected, 0, first.length);
            System.arraycopy(second, 0, expected, (int) len, second.length);
            assertArrayEquals(expected, slot, "records at n * len in the running CPU's slot, nothing past them");
            assertEquals(SectionTemplates.COMMITTED, finish(pop));
            byte[] popped = new byte[16];
            System.arraycopy(second, 0, popped, 0, second.length);
            assertArrayEquals(popped, dst.toArray(ValueLayout.JAVA_BYTE), "the top record, 13 bytes, rest untouched");
            assertEquals(SectionTemplates.COMMITTED, finish(pop));
            assertEquals(1, dst.get(ValueLayout.JAVA_BYTE, 0), "then the one below it");
            assertEquals(0, counts.get(ValueLayout.JAVA_LONG, cpu * LINE));
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(pop), "empty again");
            counts.set(ValueLayout.JAVA_LONG, cpu * LINE, capacity + 1);
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(push), "a count above capacity never addresses");
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(pop), "likewise for the pop");
            assertEquals(capacity + 1, counts.get(ValueLayout.JAVA_LONG, cpu * LINE), "and is left as it was");
        });
    }

    /**
     * Lengths made of every mix of the copy's 16-byte blocks, 8-byte words and single bytes: each record moves
     * exactly {@code len} bytes, in and out, and nothing around it changes.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 8, 15, 16, 17, 24, 31, 32, 33, 45, 64, 100})
    void recordsMoveExactlyTheirLengthWhateverItIs(long len) {
        long slotBytes = 256, capacity = 2;
        byte untouched = 0x5a;
        MemorySegment counts = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        MemorySegment records = arena.allocate(Cpus.POSSIBLE * slotBytes, LINE).fill(untouched);
        MemorySegment src = arena.allocate(len + 16), dst = arena.allocate(len + 16).fill(untouched);
        for (int i = 0; i < src.byteSize(); i++) {
            src.set(ValueLayout.JAVA_BYTE, i, (byte) (i + 1));
        }
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushRecord()
                    .invokeExact(counts.address(), records.address(), src, len, slotBytes, capacity)));
            byte[] slot = records.asSlice(cpu * slotBytes, slotBytes).toArray(ValueLayout.JAVA_BYTE);
            byte[] expected = new byte[(int) slotBytes];
            Arrays.fill(expected, untouched);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, expected, 0, (int) len);
            assertArrayEquals(expected, slot, len + " bytes pushed, no more");
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.popRecord()
                    .invokeExact(counts.address(), records.address(), dst, len, slotBytes, capacity)));
            byte[] popped = new byte[(int) dst.byteSize()];
            Arrays.fill(popped, untouched);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, popped, 0, (int) len);
            assertArrayEquals(popped, dst.toArray(ValueLayout.JAVA_BYTE), len + " bytes popped, no more");
        });
    }

    /** Runs a popNode until the kernel lets it finish and returns its result: the node, or a code. */
    private long popNode(long heads) {
        try {
            for (;;) {
                long result = (long) sections.popNode().invokeExact(heads, 0L);
                if (result != SectionTemplates.ABORTED) {
                    return result;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Test
    void recordsOfWholeWordsAndOfNoBytes() {
        MemorySegment counts = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        MemorySegment records = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        MemorySegment word = longs(0x1122334455667788L), out = longs(0);
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushRecord()
                    .invokeExact(counts.address(), records.address(), word, 8L, LINE, 8L)));
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.popRecord()
                    .invokeExact(counts.address(), records.address(), out, 8L, LINE, 8L)));
            assertEquals(0x1122334455667788L, at(out, 0));
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushRecord()
                    .invokeExact(counts.address(), records.address(), word, 0L, LINE, 8L)));
            assertEquals(1, counts.get(ValueLayout.JAVA_LONG, cpu * LINE), "a 0-byte record is counted");
        });
    }

    @Test
    void popNodeReturnsTheRunningCpusHead() {
        MemorySegment second = longs(0, 222), first = arena.allocate(16, 8);
        first.set(ValueLayout.JAVA_LONG, 0, second.address());
        MemorySegment heads = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMPARE_FAILED, popNode(heads.address()), "an empty stack");
            heads.set(ValueLayout.JAVA_LONG, cpu * LINE, first.address());
            assertEquals(first.address(), popNode(heads.address()), "the popped node");
            assertEquals(second.address(), heads.get(ValueLayout.JAVA_LONG, cpu * LINE), "the new head is its next");
            assertEquals(second.address(), popNode(heads.address()));
            assertEquals(SectionTemplates.COMPARE_FAILED, popNode(heads.address()), "empty again");
        });
    }

    @Test
    void pushNodeLinksCountsAndRefusesPastTheLimit() {
        MemorySegment heads = arena.allocate(Cpus.POSSIBLE * LINE, LINE);
        MemorySegment a = longs(-1, -1, 7), b = longs(-1, -1), c = longs(-1, -1);
        pinned(cpu -> {
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushNode()
                    .invokeExact(heads.address(), a.address(), 2L)));
            assertEquals(0, at(a, 0), "the first node ends the stack");
            assertEquals(1, at(a, 1), "depth 1");
            assertEquals(7, at(a, 2), "the node's own words untouched");
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushNode()
                    .invokeExact(heads.address(), b.address(), 2L)));
            assertEquals(a.address(), at(b, 0));
            assertEquals(2, at(b, 1));
            assertEquals(SectionTemplates.COMPARE_FAILED, finish(() -> (int) sections.pushNode()
                    .invokeExact(heads.address(), c.address(), 2L)));
            assertEquals(-1, at(c, 0), "a refused node untouched");
            assertEquals(-1, at(c, 1));
            for (int other = 0; other < Cpus.POSSIBLE; other++) {
                assertEquals(other == cpu ? b.address() : 0, heads.get(ValueLayout.JAVA_LONG, other * LINE),
                        "head of CPU " + other);
            }
            assertEquals(SectionTemplates.COMMITTED, finish(() -> (int) sections.pushNode()
                    .invokeExact(heads.address(), c.address(), -1L)), "-1: no limit, unsigned");
            assertEquals(3, at(c, 1));
        });
    }

    /** addEach of {@code count} offsets at {@code offsets}, resumed after aborts where it stopped; its last result. */
    private int addEach(long base, MemorySegment offsets, int count, long value, long maxOffset) {
        long cursor = offsets.address();
        for (;;) {
            long at = cursor;
            int left = count;
            int result =
                    finishOnce(() -> (int) sections.addEach().invokeExact(base, at, (long) left, value, maxOffset));
            if (SectionTemplates.code(result) != SectionTemplates.ABORTED) {
                return result;
            }
            int remaining = SectionTemplates.remaining(result);
            cursor += (long) (count - remaining) * Long.BYTES;
            count = remaining;
        }
    }

    private static int finishOnce(Call call) {
        try {
            return call.run();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Test
    void addEachAddsEveryElementToTheRunningCpusLineAndStopsAtAnOffsetOutOfBounds() {
        MemorySegment cells = arena.allocate(2 * Cpus.POSSIBLE * LINE, LINE);
        long maxOffset = Cpus.POSSIBLE * LINE + 56;
        pinned(cpu -> {
            long line = cpu * LINE, far = Cpus.POSSIBLE * LINE;
            assertEquals(SectionTemplates.COMMITTED, addEach(cells.address(), longs(0, 8, 0, far), 4, 5, maxOffset));
            assertEquals(SectionTemplates.COMMITTED, addEach(cells.address(), longs(99), 0, 5, maxOffset),
                    "count 0 reads nothing");
            assertEquals(10, cells.get(ValueLayout.JAVA_LONG, line));
            assertEquals(5, cells.get(ValueLayout.JAVA_LONG, line + 8));
            assertEquals(5, cells.get(ValueLayout.JAVA_LONG, far + line));

            int result = addEach(cells.address(), longs(16, maxOffset + 1, 16), 3, 7, maxOffset);
            assertEquals(SectionTemplates.COMPARE_FAILED, SectionTemplates.code(result));
            assertEquals(2, SectionTemplates.remaining(result), "stopped at the second element");
            assertEquals(7, cells.get(ValueLayout.JAVA_LONG, line + 16), "the first element only");
            assertEquals(SectionTemplates.COMPARE_FAILED,
                    SectionTemplates.code(addEach(cells.address(), longs(-8), 1, 7, maxOffset)), "unsigned bound");

            long total = 0;
            for (int c = 0; c < 2 * Cpus.POSSIBLE * LINE / 8; c++) {
                total += cells.getAtIndex(ValueLayout.JAVA_LONG, c);
            }
            assertEquals(10 + 5 + 5 + 7, total, "nothing written anywhere else");
        });
    }
}
