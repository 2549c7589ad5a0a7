package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The runtime gate {@code rseq_slice_ext=} is read the way the kernel's kstrtobool() reads it. */
class SliceProbeTest {

    @Test
    void gateValuesTheKernelReadsAsOff() {
        for (String off : new String[] {"0", "n", "N", "no", "f", "false", "off", "OFF"}) {
            assertTrue(SliceProbe.isOff(off), off);
        }
    }

    @Test
    void gateValuesThatLeaveItOn() {
        for (String on : new String[] {"1", "y", "yes", "on", "true", "", "o", "x"}) {
            assertFalse(SliceProbe.isOff(on), on);
        }
    }
}
