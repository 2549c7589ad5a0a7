package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.Pinned;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

class PerCpuSlotsTest {

    /** A CPU number becomes an address only inside the slots: never a negative one (sched_getcpu's -1). */
    @Test
    void onlyCpuNumbersBelowTheSlotCountAreCovered() {
        assertTrue(PerCpuSlots.covers(0));
        assertTrue(PerCpuSlots.covers(PerCpuSlots.CPUS - 1));
        for (int cpu : new int[] {-1, -2, Integer.MIN_VALUE, PerCpuSlots.CPUS, PerCpuSlots.SHARED + 1,
                Integer.MAX_VALUE}) {
            assertFalse(PerCpuSlots.covers(cpu), "cpu " + cpu);
        }
    }

    @Test
    void aLockedSlotIsAlwaysAValidIndex() {
        int slot = PerCpuSlots.lockedSlot(PerCpuIndexing.CPU_ID);
        assertTrue(slot >= 0 && slot < PerCpuSlots.SLOT_COUNT, "slot " + slot);
        if (PerCpuSections.MODE != PerCpuSections.Mode.ATOMIC) {
            assertEquals(PerCpuSlots.SHARED, slot);
        }
    }

    /** Each section call returns the section's status: with another CPU's index it stores nothing. */
    @Test
    void sectionsCommitOnlyUnderTheRunningCpusIndex() {
        assumeTrue(PerCpuSlots.CPUS >= 2, "needs a second CPU number");
        Pinned.onACpuRunningSections(cpu -> {
            long area = PerCpuSlots.area();
            PerCpuIndexing byCpu = PerCpuIndexing.CPU_ID;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment words = arena.allocate(Long.BYTES, Long.BYTES);
                long v = words.address();
                for (int index : new int[] {(cpu + 1) % PerCpuSlots.CPUS, cpu}) {
                    boolean own = index == cpu;
                    int status = own ? SectionTemplates.COMMITTED : SectionTemplates.INDEX_MISMATCH;
                    words.fill((byte) 0);
                    assertEquals(status, unlessAborted(() -> PerCpuSlots.cmpeqvStorev(byCpu, v, 0, 1, index, area)));
                    assertEquals(own ? 1 : 0, PerCpuSlots.get(v), "cmpeqv-storev with index " + index);
                }
            }
        });
    }

    /** The record sections find the running CPU's count and records themselves. */
    @Test
    void recordsMoveOnTheRunningCpusSlot() {
        Pinned.onACpuRunningSections(cpu -> {
            long area = PerCpuSlots.area();
            PerCpuIndexing byCpu = PerCpuIndexing.CPU_ID;
            MemorySegment counts = PerCpuSlots.allocate(Long.BYTES, byCpu);
            MemorySegment records = PerCpuSlots.allocate(PerCpuSlots.LINE, byCpu);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = arena.allocate(Long.BYTES, Long.BYTES).fill((byte) 9);
                MemorySegment out = arena.allocate(Long.BYTES, Long.BYTES);
                assertEquals(SectionTemplates.COMMITTED, unlessAborted(() -> PerCpuSlots.moveRecord(byCpu, true,
                        counts.address(), records.address(), in, 8, PerCpuSlots.LINE, 8, area)));
                for (int slot = 0; slot < PerCpuSlots.SLOT_COUNT; slot++) {
                    long line = slot * PerCpuSlots.LINE;
                    assertEquals(slot == cpu ? 1 : 0, PerCpuSlots.get(counts.address() + line), "count " + slot);
                    assertEquals(slot == cpu ? 0x0909090909090909L : 0, PerCpuSlots.get(records.address() + line),
                            "record " + slot);
                }
                assertEquals(SectionTemplates.COMMITTED, unlessAborted(() -> PerCpuSlots.moveRecord(byCpu, false,
                        counts.address(), records.address(), out, 8, PerCpuSlots.LINE, 8, area)));
                assertEquals(0x0909090909090909L, out.get(ValueLayout.JAVA_LONG, 0));
                assertEquals(0, PerCpuSlots.get(counts.address() + cpu * PerCpuSlots.LINE));
            }
        });
    }

    private static int unlessAborted(IntSupplier section) {
        int status;
        while ((status = section.getAsInt()) == SectionTemplates.ABORTED) {
            Thread.onSpinWait(); // preempted inside the section: run it again
        }
        return status;
    }

    /** The section's own index picks the cell: the pinned CPU's, no other. */
    @Test
    void addLandsOnTheRunningCpusCell() {
        Pinned.onACpuRunningSections(cpu -> {
            MemorySegment cells = PerCpuSlots.allocate(Long.BYTES, PerCpuIndexing.CPU_ID);
            assertEquals(SectionTemplates.COMMITTED,
                    unlessAborted(() ->
                            PerCpuSlots.add(PerCpuIndexing.CPU_ID, cells.address(), 5, PerCpuSlots.area())));
            for (int slot = 0; slot < PerCpuSlots.SLOT_COUNT; slot++) {
                assertEquals(slot == cpu ? 5 : 0, PerCpuSlots.get(cells.address() + slot * PerCpuSlots.LINE),
                        "slot " + slot + " after an add pinned to CPU " + cpu);
            }
        });
    }

    /**
     * Visits every allowed CPU in order until the action answers true, and says whether it did; the mask comes back.
     */
    @Test
    void onEachAllowedCpuVisitsEveryAllowedCpuAndRestoresTheMask() {
        assumeTrue(PerCpuSections.MODE != PerCpuSections.Mode.ATOMIC, "not for ATOMIC mode");
        BitSet allowed = Affinity.allowed();
        List<Integer> visited = new ArrayList<>();
        assertFalse(PerCpuSlots.onEachAllowedCpu(() -> !visited.add(RseqThread.currentCpu())));
        assertEquals(allowed.stream().filter(PerCpuSlots::covers).boxed().toList(), visited);
        assertEquals(allowed, Affinity.allowed());
        assertTrue(PerCpuSlots.onEachAllowedCpu(() -> true));
        assertEquals(allowed, Affinity.allowed());
    }
}
