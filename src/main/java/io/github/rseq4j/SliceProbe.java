package io.github.rseq4j;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Native;
import io.github.rseq4j.internal.sys.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Package-private machinery, not API.
 * Whether the kernel grants time-slice extensions (Linux 7.0) to this process's threads, decided
 * once. Kept apart from {@link RseqSlice} so that making a thread's slice state never waits for
 * the probe, which may register a thread of its own. All fields are {@code static final}.
 *
 * <p>The decisive test is {@code prctl(PR_RSEQ_SLICE_EXTENSION, GET)} and, when that reads 0,
 * {@code SET} with the same value 0, on a registered thread: both have no effect, and the kernel
 * checks its build option, its boot-time gate ({@code rseq_slice_ext=} on the command line) and the
 * thread's registration (longer than the original 32 bytes) before it answers.
 */
final class SliceProbe {
    private SliceProbe() {}

    /** Kernel command-line parameter that turns the feature off at boot ("0", "off", "n"...). */
    static final String GATE_PARAMETER = "rseq_slice_ext";

    /** The kernel command line; empty when it cannot be read. */
    private static final Optional<String> CMDLINE = readCmdline();

    /** "y", "not set", or empty when the kernel's configuration cannot be read. */
    private static final Optional<String> CONFIG = kernelConfig("CONFIG_RSEQ_SLICE_EXTENSION");

    /** 0 when extensions are granted, else the errno of the prctl probe (or -1 when it was not made). */
    static final int ERRNO = probe();

    static final boolean AVAILABLE = ERRNO == 0;

    /** Empty when available, else why not and what to do. */
    static final String REASON = AVAILABLE ? ""
            : Native.accessDenied() ? Native.accessHint() : explain(ERRNO, Facts.ofThisProcess());

    /**
     * -1 where the probe cannot be made: rseq4j has no native access, rseq is unavailable, or the kernel predates 7.0.
     */
    private static int probe() {
        if (Native.accessDenied() || !RseqAbi.AVAILABLE || RseqAbi.FEATURE_SIZE < RseqAbi.SLICE_FEATURE_SIZE) {
            return -1;
        }
        if (RseqAbi.OWNER == AreaOwner.GLIBC) {
            return Prober.probeCallingThread();
        }
        // rseq4j registers on demand: probe on a thread of our own, registered for the purpose.
        Prober prober = new Prober();
        Thread thread = Thread.ofPlatform().name("rseq4j-slice-probe").start(prober);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return prober.errno.get();
    }

    /**
     * The prober thread's task. A class of its own, never a lambda or method of SliceProbe: the
     * prober runs while SliceProbe is being initialized, and touching SliceProbe would make it
     * wait for that initialization, which waits for the prober (found in the VM lane: a hang).
     */
    private static final class Prober implements Runnable {
        final AtomicInteger errno = new AtomicInteger(-1);

        @Override
        public void run() {
            try (RseqThread.Registration ignored = RseqThread.register()) {
                errno.set(probeCallingThread());
            } catch (RseqException e) {
                errno.set(e.errno());
            }
        }

        /** 0 if the calling thread's registration can have extensions, else the errno; changes nothing. */
        static int probeCallingThread() {
            long enabled =
                    Syscalls.prctl(RseqAbi.PR_RSEQ_SLICE_EXTENSION, RseqAbi.PR_RSEQ_SLICE_EXTENSION_GET, 0, 0, 0);
            if (enabled != 0) {
                return enabled > 0 ? 0 : (int) -enabled;
            }
            long unchanged =
                    Syscalls.prctl(RseqAbi.PR_RSEQ_SLICE_EXTENSION, RseqAbi.PR_RSEQ_SLICE_EXTENSION_SET, 0, 0, 0);
            return (int) -unchanged;
        }
    }

    /**
     * What the reason for missing extensions depends on, apart from the probe's errno: gathered once from this
     * process, or made up by a test for a machine this one is not.
     *
     * @param rseqUnavailable empty when rseq is available, else why not
     * @param featureSize     the kernel's rseq feature size
     * @param owner           who registered the threads' areas
     * @param glibcRseqSize   glibc's {@code __rseq_size}; 0 when glibc registered nothing
     * @param registrationLength the length rseq4j registers its own areas with
     * @param config          CONFIG_RSEQ_SLICE_EXTENSION as {@link #kernelConfig} read it; empty when unreadable
     * @param cmdline         the kernel command line; empty when unreadable
     */
    record Facts(String rseqUnavailable, int featureSize, Owner owner, int glibcRseqSize, int registrationLength,
                 Optional<String> config, Optional<String> cmdline) {

        static Facts ofThisProcess() {
            return new Facts(RseqAbi.unavailableReason(), RseqAbi.FEATURE_SIZE, RseqSupport.owner(RseqAbi.OWNER),
                    RseqAbi.GLIBC_SIZE, RseqAbi.REGISTRATION_LENGTH, CONFIG, CMDLINE);
        }

        Optional<String> gate() {
            return cmdline.flatMap(SliceProbe::gateIn);
        }
    }

    static String explain(int errno, Facts facts) {
        if (!facts.rseqUnavailable().isEmpty()) {
            return "rseq is unavailable: " + facts.rseqUnavailable();
        }
        if (errno == -1 || errno == Errno.EINVAL) {
            return "time-slice extensions need Linux 7.0 or later (rseq feature size " + RseqAbi.SLICE_FEATURE_SIZE
                    + "; this kernel's is " + facts.featureSize() + ")";
        }
        if (errno != Errno.ENOTSUPP) {
            return "prctl(PR_RSEQ_SLICE_EXTENSION) failed with " + Errno.describe(errno)
                    + (errno == Errno.ENOSYS || errno == Errno.EPERM ? ": a seccomp filter blocks prctl" : "");
        }
        if (facts.config().isPresent() && !facts.config().get().equals("y")) {
            return "the kernel was built without CONFIG_RSEQ_SLICE_EXTENSION (Debian's 7.x kernels are); boot a "
                    + "kernel built with it (vmtest/build-slice-kernel.sh builds one)";
        }
        Optional<String> gate = facts.gate();
        if (gate.isPresent() && isOff(gate.get())) {
            return "the kernel was booted with " + GATE_PARAMETER + "=" + gate.get()
                    + ", which turns extensions off; remove it from the kernel command line";
        }
        // glibc registers max(32, __rseq_size) bytes: only below 33 is its registration too short to extend.
        if (facts.owner() == Owner.GLIBC && facts.glibcRseqSize() < RseqAbi.SLICE_FEATURE_SIZE) {
            return "glibc registered the original 32-byte rseq area (__rseq_size " + facts.glibcRseqSize()
                    + "), and the kernel extends only longer registrations; start the JVM with "
                    + "GLIBC_TUNABLES=glibc.pthread.rseq=0 "
                    + "so that rseq4j registers " + facts.registrationLength() + " bytes (threads then register "
                    + "through RseqThread.register() or RseqThread.ofPlatform())";
        }
        return kernelRefuses(facts, gate);
    }

    /** ENOTSUPP for a registration long enough to extend: the kernel's build or boot, whichever was not ruled out. */
    private static String kernelRefuses(Facts facts, Optional<String> gate) {
        int registered = facts.owner() == Owner.GLIBC ? facts.glibcRseqSize() : facts.registrationLength();
        String refused = "the kernel refuses them (ENOTSUPP) for this " + registered + "-byte registration, so its "
                + "length is not the cause";
        boolean configUnread = facts.config().isEmpty();
        boolean gateUnread = facts.cmdline().isEmpty();
        String build = "it was built without CONFIG_RSEQ_SLICE_EXTENSION (Debian's 7.x kernels are; 'zgrep "
                + "CONFIG_RSEQ_SLICE_EXTENSION /proc/config.gz' or 'grep CONFIG_RSEQ_SLICE_EXTENSION "
                + "/boot/config-$(uname -r)' shows it, neither is readable here; vmtest/build-slice-kernel.sh builds "
                + "a kernel with it)";
        String boot = "it was booted with " + GATE_PARAMETER + "=0 (/proc/cmdline shows it, unreadable here)";
        if (configUnread && gateUnread) {
            return refused + ": either " + build + " or " + boot;
        }
        if (configUnread) {
            return refused + ", and it was not booted with " + GATE_PARAMETER + "=0 (/proc/cmdline): most likely "
                    + build;
        }
        if (gateUnread) {
            return refused + ", and it was built with CONFIG_RSEQ_SLICE_EXTENSION=y: most likely " + boot;
        }
        return refused + ", although it was built with CONFIG_RSEQ_SLICE_EXTENSION=y and not booted with "
                + GATE_PARAMETER + "=0 (/proc/cmdline: " + gate.map(value -> GATE_PARAMETER + "=" + value)
                .orElse("no " + GATE_PARAMETER + "=") + "); report this output at https://github.com/rseq4j/rseq4j/issues";
    }

    /**
     * Whether the kernel reads a boolean parameter as off, as its kstrtobool() does: by the first
     * character (0, n, f) or the first two (of). Anything it cannot parse leaves the gate on.
     */
    static boolean isOff(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.startsWith("0") || lower.startsWith("n") || lower.startsWith("f") || lower.startsWith("of");
    }

    private static Optional<String> readCmdline() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/cmdline")));
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /** The value of {@code rseq_slice_ext=} on {@code cmdline}, if it is there. */
    static Optional<String> gateIn(String cmdline) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(GATE_PARAMETER) + "=(\\S*)").matcher(cmdline);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** From /proc/config.gz (CONFIG_IKCONFIG_PROC) or /boot/config-RELEASE (Debian and most distributions). */
    private static Optional<String> kernelConfig(String option) {
        Path[] files = {Path.of("/proc/config.gz"), Path.of("/boot/config-" + System.getProperty("os.version"))};
        for (Path file : files) {
            try (InputStream raw = Files.newInputStream(file);
                 InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
                String config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return Optional.of(config.contains("\n" + option + "=y") ? "y" : "not set");
            } catch (IOException | RuntimeException unreadable) {
                // try the next place
            }
        }
        return Optional.empty();
    }
}
