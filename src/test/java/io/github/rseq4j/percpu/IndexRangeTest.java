package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every section refuses an index at or above its limit, whatever the area holds: cpu_id -1 and -2 (unregistered),
 * the limit itself, far above it. The sections run on a hand-made, never registered area (REGISTER addressing),
 * so the kernel neither aborts them nor changes cpu_id: each result is deterministic. Cells beyond the limit are
 * guard lines that must stay untouched; an in-range index is the control that shows a write would be seen.
 */
class IndexRangeTest {

    private static final int LIMIT = 4;
    /** Cells for every index below LIMIT plus guard lines up to index LIMIT + 3. */
    private static final int LINES = LIMIT + 4;

    private static SectionLibrary lib;

    @BeforeAll
    static void link() {
        try {
            lib = SectionLibrary.link(SectionConfig.register(IndexField.CPU_ID, LIMIT), 6);
        } catch (RseqException refused) {
            assumeTrue(false, "executable memory refused: " + refused.getMessage());
        }
    }

    @ParameterizedTest(name = "cpu_id {0}")
    @ValueSource(ints = {-1, -2, LIMIT, LIMIT + 1, LIMIT + 3, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void everySectionRefusesAnIndexOutOfRange(int cpuId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(RseqAbi.REGISTRATION_LENGTH, RseqAbi.ALIGNMENT);
            area.set(ValueLayout.JAVA_INT, RseqAbi.CPU_ID, cpuId);
            MemorySegment cells = arena.allocate(Cells.LINE * LINES, Cells.LINE);
            MemorySegment scratch = arena.allocate(Cells.LINE, Cells.LINE);
            // The cell an out-of-range index would address, when it lies inside the allocation (a guard line).
            long target = cells.address() + (cpuId >= LIMIT && cpuId < LINES ? cpuId : LINES - 1) * Cells.LINE;
            long base = cells.address();
            long a = area.address();
            long node = scratch.address();
            for (int guard = LIMIT; guard < LINES; guard++) { // non-empty heads, for a pop past the limit to take
                cells.set(ValueLayout.JAVA_LONG, guard * Cells.LINE, node);
            }
            MemorySegment before = arena.allocate(cells.byteSize());
            before.copyFrom(cells);

            Map<String, Cells.Call> calls = Map.of(
                    "add", () -> (int) lib.add().invokeExact(base, 1L, a),
                    "cmpeqvStorev", () -> (int) lib.cmpeqvStorev().invokeExact(target, 0L, 1L, cpuId, a),
                    "pushRecord", () -> (int) lib.pushRecord()
                            .invokeExact(base, base, scratch, 16L, Cells.LINE, 2L, a),
                    "popRecord", () -> (int) lib.popRecord()
                            .invokeExact(base, base, scratch, 16L, Cells.LINE, 2L, a),
                    "popNode", () -> (int) (long) lib.popNode().invokeExact(base, 0L, a),
                    "pushNode", () -> (int) lib.pushNode().invokeExact(base, node + 32, -1L, a),
                    "addEach", () -> remainingTwo((int) lib.addEach().invokeExact(base, node + 16, 2L, 1L, 56L, a)));
            calls.forEach((name, call) -> {
                assertEquals(SectionTemplates.INDEX_OUT_OF_RANGE, Cells.invoke(call), name + " with cpu_id " + cpuId);
                assertEquals(-1, cells.mismatch(before), name + " with cpu_id " + cpuId + " wrote a cell");
            });
        }
    }

    /** addEach's code, if it stopped at the first of its two elements; else -1. */
    private static int remainingTwo(int result) {
        return SectionTemplates.remaining(result) == 2 ? SectionTemplates.code(result) : -1;
    }

    @ParameterizedTest(name = "cpu_id {0}")
    @ValueSource(ints = {0, LIMIT - 1})
    void anIndexInRangeCommits(int cpuId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment area = arena.allocate(RseqAbi.REGISTRATION_LENGTH, RseqAbi.ALIGNMENT);
            area.set(ValueLayout.JAVA_INT, RseqAbi.CPU_ID, cpuId);
            MemorySegment cells = arena.allocate(Cells.LINE * LINES, Cells.LINE);
            long base = cells.address();
            long a = area.address();
            assertEquals(SectionTemplates.COMMITTED, Cells.invoke(() -> (int) lib.add().invokeExact(base, 5L, a)));
            long cell = base + cpuId * Cells.LINE;
            assertEquals(SectionTemplates.COMMITTED,
                    Cells.invoke(() -> (int) lib.cmpeqvStorev().invokeExact(cell, 5L, 7L, cpuId, a)));
            assertEquals(7, cells.get(ValueLayout.JAVA_LONG, cpuId * Cells.LINE));
            assertEquals(7, Cells.sum(cells));
            MemorySegment offsets = arena.allocate(16, 8); // two offsets of 0
            assertEquals(SectionTemplates.COMMITTED, Cells.invoke(
                    () -> (int) lib.addEach().invokeExact(base, offsets.address(), 2L, 1L, 56L, a)));
            assertEquals(9, cells.get(ValueLayout.JAVA_LONG, cpuId * Cells.LINE), "both elements added");
            assertEquals(9, Cells.sum(cells));
            MemorySegment counts = arena.allocate(Cells.LINE * LINES, Cells.LINE);
            MemorySegment records = arena.allocate(Cells.LINE * LINES, Cells.LINE);
            MemorySegment record = arena.allocate(8, 8).fill((byte) 3);
            for (int n = 1; n <= 2; n++) {
                assertEquals(SectionTemplates.COMMITTED, Cells.invoke(() -> (int) lib.pushRecord()
                        .invokeExact(counts.address(), records.address(), record, 8L, Cells.LINE, 8L, a)));
                assertEquals(n, Cells.sum(counts), "one count, the index's");
            }
            assertEquals(2, counts.get(ValueLayout.JAVA_LONG, cpuId * Cells.LINE));
            assertEquals(0x0303030303030303L, records.get(ValueLayout.JAVA_LONG, cpuId * Cells.LINE + 8),
                    "the second record at 8 bytes into the index's slot");
        }
    }
}
