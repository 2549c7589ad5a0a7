package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
