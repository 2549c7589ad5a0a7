package io.github.rseq4j.internal;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Cpus;

/**
 * How this process runs per-CPU operations, decided once: rseq sections addressing glibc's
 * area through the thread pointer (any thread, virtual ones included), rseq sections given
 * rseq4j's area (registered platform threads), or atomics when rseq or run-time code is
 * unavailable. All fields are static final, so safely published and folded by the JIT.
 *
 * <p>Test-only: the system property {@value #DELAY_PROPERTY}, read once here, links every section with
 * delay loops of that many iterations (see {@link SectionConfig#delayIterations()}), so the kernel aborts
 * sections often and every structure built on these sections meets aborts at its own call sites. Set it only
 * in a JVM started for such a test; {@link SectionLibrary#injectedAborts()} then counts the aborts.
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

    /** Test-only system property: delay-loop iterations in every section (default 0, none). */
    public static final String DELAY_PROPERTY = "rseq4j.internal.sectionDelay";

    /** Delay-loop iterations the sections were linked with; 0 outside forced-abort tests. */
    public static final int DELAY = Integer.getInteger(DELAY_PROPERTY, 0);

    /** log2 of a per-CPU cell's stride: one cache line per CPU. */
    public static final int STRIDE_SHIFT = RseqLayout.CACHE_LINE_SHIFT;

    private static final Linked LINKED = link();

    public static final Mode MODE = LINKED.mode;

    /** Sections indexed by cpu_id; null in {@link Mode#ATOMIC}. */
    public static final SectionLibrary BY_CPU = LINKED.library;

    /** Why {@link Mode#ATOMIC} was chosen; empty otherwise. */
    public static final String FALLBACK_REASON = LINKED.reason;

    /** Why structures asked for mm_cid indexing fall back to cpu_id; empty when they get it. */
    public static final String MM_CID_UNAVAILABLE = MODE == Mode.ATOMIC ? "no rseq sections run here"
            : RseqAbi.USABLE_SIZE < RseqAbi.MM_CID + Integer.BYTES ? "the kernel does not keep mm_cid current in "
                    + "this area (usable size " + RseqAbi.USABLE_SIZE + " < 28: Linux < 6.3, or glibc publishes "
                    + "only 20 bytes)"
            : "";

    /** Sections indexed by mm_cid, linked on first use; only where {@link #MM_CID_UNAVAILABLE} is empty. */
    public static SectionLibrary byMmCid() {
        if (!MM_CID_UNAVAILABLE.isEmpty()) {
            throw new IllegalStateException("mm_cid sections unavailable: " + MM_CID_UNAVAILABLE);
        }
        return ByMmCid.LIBRARY;
    }

    /** Holder: the second mapping is made only by processes that ask for mm_cid indexing. */
    private static final class ByMmCid {
        static final SectionLibrary LIBRARY =
                SectionLibrary.link(config(RseqAbi.OWNER == AreaOwner.GLIBC,
                        IndexField.MM_CID), STRIDE_SHIFT);
    }

    /**
     * Section slots of an mm_cid-indexed structure: the CPUs this process may run on, as the kernel bounds
     * mm_cid (and never more than the possible CPUs).
     */
    public static final int MM_CID_SLOTS = Math.min(Cpus.POSSIBLE, Math.max(1, allowedCpus()));

    private static int allowedCpus() {
        try {
            return Affinity.allowed().cardinality();
        } catch (RuntimeException unreadable) {
            return Cpus.POSSIBLE;
        }
    }

    /**
     * Both indexings link alike: the same addressing, and the test-only {@link #DELAY}; each with its slot count
     * as the sections' index limit.
     */
    private static SectionConfig config(boolean tls, IndexField index) {
        int limit = index == IndexField.CPU_ID ? Cpus.POSSIBLE : MM_CID_SLOTS;
        return (tls ? SectionConfig.tls(RseqAbi.GLIBC_OFFSET, index, limit) : SectionConfig.register(index, limit))
                .withDelay(DELAY);
    }

    private record Linked(Mode mode, SectionLibrary library, String reason) {}

    private static Linked link() {
        if (RseqAbi.OWNER == AreaOwner.NONE) {
            return new Linked(Mode.ATOMIC, null, "rseq unavailable: " + RseqAbi.unavailableReason());
        }
        if (!Cpus.UNKNOWN_REASON.isEmpty()) {
            return new Linked(Mode.ATOMIC, null, Cpus.UNKNOWN_REASON);
        }
        SectionConfig config = config(RseqAbi.OWNER == AreaOwner.GLIBC, IndexField.CPU_ID);
        try {
            SectionLibrary library = SectionLibrary.link(config, STRIDE_SHIFT);
            return new Linked(RseqAbi.OWNER == AreaOwner.GLIBC ? Mode.TLS : Mode.REGISTER, library, "");
        } catch (RseqException refused) {
            return new Linked(Mode.ATOMIC, null, refused.getMessage());
        }
    }

    /** {@link #MODE} and why, with the test-only delay loops, for tests' messages. */
    public static String describe() {
        String mode = MODE == Mode.ATOMIC ? MODE + " (" + FALLBACK_REASON + ")" : MODE.toString();
        return MODE != Mode.ATOMIC && DELAY > 0
                ? mode + "; TEST BUILD: delay loops of " + DELAY + " iterations force aborts" : mode;
    }
}
