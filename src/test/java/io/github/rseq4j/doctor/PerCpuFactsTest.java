package io.github.rseq4j.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.RseqAbi;
import org.junit.jupiter.api.Test;

/** The report's per-CPU lines, from the API's answers; and the one ABI fact the doctor states itself. */
class PerCpuFactsTest {

    @Test
    void linesNameTheModeTheSlotsAndTheIndexing() {
        assertTrue(PerCpuFacts.describe(PerCpuImplementation.SECTIONS_ON_GLIBC_AREA, "").contains("glibc's area"));
        assertTrue(PerCpuFacts.describe(PerCpuImplementation.ATOMICS, "why not").contains("(why not)"));
        assertTrue(PerCpuFacts.slots().startsWith(PerCpuSpinLock.maxSlotCount() + " "), PerCpuFacts.slots());
        assertTrue(PerCpuFacts.indexing(8, 3, "").contains("mm_cid on request (3"));
        assertTrue(PerCpuFacts.indexing(8, 3, "too old").contains("fall back to cpu_id (too old)"));
        String here = PerCpuFacts.indexing();
        assertTrue(here.contains(PerCpuIndexing.MM_CID.isAvailable() ? "mm_cid on request" : "fall back"), here);
    }

    @Test
    void mmCidEndsWhereTheLayoutSays() {
        assertEquals(RseqAbi.MM_CID + Integer.BYTES, Checks.MM_CID_END);
    }
}
