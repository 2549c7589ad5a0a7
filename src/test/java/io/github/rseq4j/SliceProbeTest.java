package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.sys.Errno;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The runtime gate {@code rseq_slice_ext=} is read the way the kernel's kstrtobool() reads it, and the reason
 * for missing extensions names only causes the facts leave open, on machines this host is not (Linux 7.x).
 */
class SliceProbeTest {

    private static final Optional<String> UNREADABLE = Optional.empty();
    private static final Optional<String> PLAIN_CMDLINE = Optional.of("BOOT_IMAGE=/vmlinuz root=/dev/vda rw\n");

    /** Linux 7.x (feature size 33) refused extensions with ENOTSUPP. */
    private static String refused(Owner owner, int glibcRseqSize, Optional<String> config, Optional<String> cmdline) {
        return SliceProbe.explain(Errno.ENOTSUPP,
                new SliceProbe.Facts("", 33, owner, glibcRseqSize, 33, config, cmdline));
    }

    @Test
    void debiansKernelWithGlibc241DoesNotBlameGlibcsRegistrationOf33Bytes() {
        // Debian's 7.3 arm64 guest: trixie's glibc 2.41 registered max(32, 33) = 33 bytes, no config readable.
        String reason = refused(Owner.GLIBC, 33, UNREADABLE, PLAIN_CMDLINE);
        assertFalse(reason.contains("GLIBC_TUNABLES"), reason);
        assertFalse(reason.contains("32-byte"), reason);
        assertTrue(reason.contains("33-byte registration"), reason);
        assertTrue(reason.contains("built without CONFIG_RSEQ_SLICE_EXTENSION"), reason);
        assertTrue(reason.contains("/proc/config.gz") && reason.contains("/boot/config-$(uname -r)"), reason);
        // /proc/cmdline was read and has no rseq_slice_ext=: the gate is on, so it is ruled out, not a cause.
        assertTrue(reason.contains("not booted with rseq_slice_ext=0 (/proc/cmdline)"), reason);
        assertFalse(reason.contains(": either"), reason);
    }

    @Test
    void withNothingReadableBothKernelCausesRemainWithHowToTellThemApart() {
        String reason = refused(Owner.RSEQ4J, 0, UNREADABLE, UNREADABLE);
        assertTrue(reason.contains("built without CONFIG_RSEQ_SLICE_EXTENSION"), reason);
        assertTrue(reason.contains("booted with rseq_slice_ext=0"), reason);
        assertTrue(reason.contains("/proc/config.gz") && reason.contains("/proc/cmdline"), reason);
        assertFalse(reason.contains("glibc"), reason);
    }

    @Test
    void glibcIsBlamedOnlyWhenItsRegistrationWas32Bytes() {
        for (int oldGlibc : new int[] {20, 32}) {
            String reason = refused(Owner.GLIBC, oldGlibc, UNREADABLE, PLAIN_CMDLINE);
            assertTrue(reason.startsWith("glibc registered the original 32-byte rseq area (__rseq_size " + oldGlibc
                    + ")"), reason);
            assertTrue(reason.contains("GLIBC_TUNABLES=glibc.pthread.rseq=0"), reason);
        }
    }

    @Test
    void aConfigOrGateThatWasReadIsTheCause() {
        assertTrue(refused(Owner.GLIBC, 33, Optional.of("not set"), PLAIN_CMDLINE)
                .startsWith("the kernel was built without CONFIG_RSEQ_SLICE_EXTENSION"));
        assertTrue(refused(Owner.GLIBC, 33, Optional.of("y"), Optional.of("quiet rseq_slice_ext=off"))
                .startsWith("the kernel was booted with rseq_slice_ext=off"));
    }

    @Test
    void whenEveryKnownCauseIsRuledOutTheReasonSaysSo() {
        String reason = refused(Owner.GLIBC, 33, Optional.of("y"), PLAIN_CMDLINE);
        assertTrue(reason.contains("CONFIG_RSEQ_SLICE_EXTENSION=y") && reason.contains("report"), reason);
        assertFalse(reason.contains("GLIBC_TUNABLES"), reason);
    }

    @Test
    void olderKernelsAndBlockedPrctlKeepTheirReasons() {
        SliceProbe.Facts linux618 = new SliceProbe.Facts("", 28, Owner.GLIBC, 20, 32, UNREADABLE, PLAIN_CMDLINE);
        assertEquals("time-slice extensions need Linux 7.0 or later (rseq feature size 33; this kernel's is 28)",
                SliceProbe.explain(-1, linux618));
        assertTrue(SliceProbe.explain(Errno.EPERM, linux618).endsWith("a seccomp filter blocks prctl"));
        assertTrue(SliceProbe.explain(-1, new SliceProbe.Facts("blocked", 33, Owner.NONE, 0, 33, UNREADABLE,
                UNREADABLE)).startsWith("rseq is unavailable: blocked"));
    }

    @Test
    void gateIsFoundAnywhereOnTheCommandLine() {
        assertEquals(Optional.of("0"), SliceProbe.gateIn("root=/dev/vda rseq_slice_ext=0 quiet"));
        assertEquals(Optional.of("n"), SliceProbe.gateIn("rseq_slice_ext=n"));
        assertEquals(Optional.empty(), SliceProbe.gateIn("root=/dev/vda xrseq_slice_ext=0"));
    }

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
