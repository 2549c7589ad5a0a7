package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.PerCpuSections;
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
        int slot = PerCpuSlots.lockedSlot();
        assertTrue(slot >= 0 && slot < PerCpuSlots.SLOTS, "slot " + slot);
        if (PerCpuSections.MODE != PerCpuSections.Mode.ATOMIC) {
            assertEquals(PerCpuSlots.SHARED, slot);
        }
    }
}
