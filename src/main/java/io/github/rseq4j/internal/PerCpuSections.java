package io.github.rseq4j.internal;

import io.github.rseq4j.Owner;
import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.sys.Cpus;

/**
 * How this process runs per-CPU operations, decided once: rseq sections addressing glibc's
 * area through the thread pointer (any thread, virtual ones included), rseq sections given
 * rseq4j's area (registered platform threads), or atomics when rseq or run-time code is
 * unavailable. All fields are static final, so safely published and folded by the JIT.
 */
public final class PerCpuSections {
    private PerCpuSections() {}

    public enum Mode {
        /** Sections find glibc's area at thread pointer + __rseq_offset, baked into the code. */
        TLS,
        /** Sections are handed the calling thread's own rseq4j area. */
        REGISTER,
        /** No sections: rseq is unavailable or executable memory is refused. */
        ATOMIC
    }

    /** log2 of a per-CPU cell's stride: one 64-byte cache line per CPU. */
    public static final int STRIDE_SHIFT = 6;

    private static final Linked LINKED = link();

    public static final Mode MODE = LINKED.mode;

    /** Sections indexed by cpu_id; null in {@link Mode#ATOMIC}. */
    public static final SectionLibrary BY_CPU = LINKED.library;

    /** Why {@link Mode#ATOMIC} was chosen; empty otherwise. */
    public static final String FALLBACK_REASON = LINKED.reason;

    private record Linked(Mode mode, SectionLibrary library, String reason) {}

    private static Linked link() {
        if (RseqAbi.OWNER == Owner.NONE) {
            return new Linked(Mode.ATOMIC, null, "rseq unavailable: " + RseqAbi.unavailableReason());
        }
        SectionConfig config = RseqAbi.OWNER == Owner.GLIBC
                ? SectionConfig.tls(RseqAbi.GLIBC_OFFSET, IndexField.CPU_ID)
                : SectionConfig.register(IndexField.CPU_ID);
        try {
            SectionLibrary library = SectionLibrary.link(config, STRIDE_SHIFT);
            return new Linked(RseqAbi.OWNER == Owner.GLIBC ? Mode.TLS : Mode.REGISTER, library, "");
        } catch (RseqException refused) {
            return new Linked(Mode.ATOMIC, null, refused.getMessage());
        }
    }

    /** {@link #MODE} as the API names it. */
    public static PerCpuImplementation implementation() {
        return switch (MODE) {
            case TLS -> PerCpuImplementation.SECTIONS_ON_GLIBC_AREA;
            case REGISTER -> PerCpuImplementation.SECTIONS_ON_OWN_AREAS;
            case ATOMIC -> PerCpuImplementation.ATOMICS;
        };
    }

    /** One line for this process, as the doctor prints it. */
    public static String describe() {
        return describe(implementation(), FALLBACK_REASON);
    }

    /**
     * The slots a per-CPU structure has, as {@code PerCpuSpinLock.slots()} counts them, for the doctor: users
     * size per-slot arrays by it, and the shared slot is where unregistered threads meet.
     */
    public static String slotsLine() {
        int cpus = Cpus.POSSIBLE;
        return (cpus + 1) + " (PerCpuSpinLock.slots()): " + cpus + " possible CPUs, then slot " + cpus
                + ", shared by the threads that cannot run sections";
    }

    /** One line for the doctor. */
    public static String describe(PerCpuImplementation implementation, String fallbackReason) {
        return switch (implementation) {
            case SECTIONS_ON_GLIBC_AREA -> "rseq critical sections on glibc's area (all threads, virtual included)";
            case SECTIONS_ON_OWN_AREAS -> "rseq critical sections on rseq4j's areas (registered platform threads; "
                    + "unregistered and virtual threads all share the one extra slot, atomically or under a lock, "
                    + "so for them each structure is one global lock or counter)";
            case ATOMICS -> "atomics (" + fallbackReason + ")";
        };
    }
}
