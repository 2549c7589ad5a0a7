package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.internal.sys.Cpus;
import org.junit.jupiter.api.Test;

/** The process-wide decisions, called directly: the structures reach them from static initializers only. */
class PerCpuSectionsTest {

    @Test
    void mmCidSectionsAreLinkedOnceWhereMmCidIsKept() {
        if (PerCpuSections.MM_CID_UNAVAILABLE.isEmpty()) {
            assertNotNull(PerCpuSections.byMmCid());
            assertSame(PerCpuSections.byMmCid(), PerCpuSections.byMmCid());
        } else {
            assertThrows(IllegalStateException.class, PerCpuSections::byMmCid);
        }
    }

    @Test
    void implementationNamesTheMode() {
        PerCpuImplementation expected = switch (PerCpuSections.MODE) {
            case TLS -> PerCpuImplementation.SECTIONS_ON_GLIBC_AREA;
            case REGISTER -> PerCpuImplementation.SECTIONS_ON_OWN_AREAS;
            case ATOMIC -> PerCpuImplementation.ATOMICS;
        };
        assertEquals(expected, PerCpuSections.implementation());
    }

    @Test
    void doctorLinesNameTheModeAndTheSlots() {
        String mode = PerCpuSections.describe(PerCpuSections.implementation(), PerCpuSections.FALLBACK_REASON);
        if (PerCpuSections.DELAY == 0) {
            assertEquals(mode, PerCpuSections.describe(), "no delay loops in this JVM");
        }
        assertTrue(PerCpuSections.describe(PerCpuImplementation.SECTIONS_ON_GLIBC_AREA, "").contains("glibc's area"));
        assertTrue(PerCpuSections.describe(PerCpuImplementation.ATOMICS, "why not").contains("(why not)"));
        assertTrue(PerCpuSections.slotsLine().startsWith((Cpus.POSSIBLE + 1) + " "), PerCpuSections.slotsLine());
        String indexing = PerCpuSections.describeIndexing(8, 3);
        assertTrue(indexing.contains(
                PerCpuSections.MM_CID_UNAVAILABLE.isEmpty() ? "mm_cid on request (3" : "fall back"), indexing);
    }
}
