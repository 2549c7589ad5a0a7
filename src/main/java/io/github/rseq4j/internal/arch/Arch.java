package io.github.rseq4j.internal.arch;

import java.util.Locale;

/**
 * The machine-specific facts rseq4j needs, one implementation per architecture.
 *
 * <p>System call numbers and the abort signature differ between architectures, and the
 * generated binding was made from x86_64 headers, so none of them may come from there.
 */
public sealed interface Arch permits X86_64, Aarch64 {

    /** The architecture of the running JVM, or an exception naming it when unsupported. */
    static Arch current() {
        return Holder.CURRENT;
    }

    /** Name as the kernel spells it ({@code uname -m}). */
    String name();

    long rseqSyscall();

    long membarrierSyscall();

    long getcpuSyscall();

    long seccompSyscall();

    long mprotectSyscall();

    long tgkillSyscall();

    long prctlSyscall();

    /** {@code rseq_slice_yield()} (Linux 7.0): 471 in every architecture's table. */
    default long rseqSliceYieldSyscall() {
        return 471;
    }

    /** The 32-bit word the kernel checks right before every abort handler. */
    int rseqSignature();

    /** {@code AUDIT_ARCH_*} value a seccomp filter sees in {@code seccomp_data.arch}. */
    int auditArch();

    /** Address the thread register points at (x86_64 {@code fs} base, aarch64 {@code tpidr_el0}). */
    long threadPointer();

    /**
     * Makes instructions just written with data stores to {@code [start, start + length)} visible to
     * instruction fetch on every CPU, before they run. x86_64 keeps its caches coherent (nothing to do).
     */
    void syncInstructionCache(long start, long length);

    /**
     * The architecture {@code osArch} names, in the spelling of the {@code os.arch} system property (the one place
     * rseq4j maps it). Needs no native access.
     *
     * @throws UnsupportedOperationException if it is neither x86_64 nor aarch64
     */
    static Arch named(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> new X86_64();
            case "aarch64", "arm64" -> new Aarch64();
            default -> throw new UnsupportedOperationException(
                    "rseq4j supports x86_64 and aarch64 Linux; this JVM runs on " + osArch);
        };
    }

    /** Lazily detected, so that merely loading this interface never fails. */
    final class Holder {
        private Holder() {}

        static final Arch CURRENT = named(System.getProperty("os.arch"));
    }
}
