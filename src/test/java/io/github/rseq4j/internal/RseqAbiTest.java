package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RseqAbiTest {

    @Test
    void coversExactlyTheUsableBytes() {
        assertTrue(RseqAbi.covers(RseqAbi.USABLE_SIZE));
        assertFalse(RseqAbi.covers(RseqAbi.USABLE_SIZE + 1));
    }

    @Test
    void aReasonIsGivenExactlyWhenRseqIsUnavailable() {
        assertEquals(RseqAbi.AVAILABLE, RseqAbi.unavailableReason().isEmpty(), RseqAbi.unavailableReason());
    }
}
