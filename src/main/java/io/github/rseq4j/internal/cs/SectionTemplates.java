package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The rseq critical sections of one architecture, with the shape they all share.
 *
 * <p>Each {@code emit*} method returns a fresh {@link EmittedSection}: a complete C-ABI leaf function (System V
 * AMD64 or AAPCS64) followed by its {@code struct rseq_cs}. Every function has the same frame, built here:
 * <pre>
 * entry:
 *     [prologue: make the area reachable]
 *     area-&gt;rseq_cs = &amp;descriptor             // arms the section (pc-relative address)
 * start_ip:
 *     idx = area-&gt;index                        // cpu_id or mm_cid
 *     if ((u32) idx &gt;= indexLimit) goto index_out_of_range   // every section, before any store
 *     ... operation (arch file), at most one store visible outside ...
 *     final store                              // the commit
 * post_commit_ip:
 *     return COMMITTED
 * compare_failed:   return COMPARE_FAILED      // only if the operation compares
 * index_mismatch:   return INDEX_MISMATCH      // only if the operation takes an expected index
 * index_out_of_range: return INDEX_OUT_OF_RANGE
 *     .long SIGNATURE                          // kernel checks it at abort_ip - 4
 * abort_ip:
 *     return ABORTED                           // kernel moved the pc here: preempted, migrated or signalled
 *     .balign 32
 * descriptor: {0, 0, start_ip, post_commit_ip - start_ip, abort_ip}
 * </pre>
 * Leaving the section through a branch (compare failed, index mismatch) needs nothing: the kernel only acts
 * when it interrupts the thread with the pc inside [start_ip, post_commit_ip).
 *
 * <p>The range check makes the code safe whatever the area holds: an unregistered thread's cpu_id (-1, or -2
 * after a failed registration) is above any limit when compared unsigned, and a CPU number at or above the
 * caller's slot count (a possible-CPU count that was too small) never becomes an address.
 *
 * <p>Instances are immutable and thread-safe; every call builds a new buffer.
 */
public abstract sealed class SectionTemplates permits X86_64Sections, Aarch64Sections {

    /** Return codes of every section. */
    public static final int COMMITTED = 0, COMPARE_FAILED = 1, ABORTED = 2, INDEX_MISMATCH = 3;
    /**
     * The area's index is not below {@link SectionConfig#indexLimit()}: the thread is not registered (cpu_id -1
     * or -2) or runs on a CPU the slots do not cover. Nothing was stored; retrying cannot help, so callers take
     * their locked path.
     */
    public static final int INDEX_OUT_OF_RANGE = 4;

    /** Offset of {@code u64 rseq_cs} in {@code struct rseq}. */
    protected static final int RSEQ_CS_FIELD = 8;

    /** Largest {@code add} stride shift: keeps {@code index << shift} well inside 64 bits. */
    public static final int MAX_STRIDE_SHIFT = 32;

    protected final SectionConfig config;

    protected SectionTemplates(SectionConfig config) {
        this.config = Objects.requireNonNull(config);
    }

    /** The templates for {@code osArch} (the {@code os.arch} system property's spelling). */
    public static SectionTemplates forArchitecture(String osArch, SectionConfig config) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> new X86_64Sections(config);
            case "aarch64", "arm64" -> new Aarch64Sections(config);
            default -> throw new UnsupportedOperationException("no rseq section templates for " + osArch);
        };
    }

    /** The templates for the running JVM's architecture. */
    public static SectionTemplates forCurrentArchitecture(SectionConfig config) {
        return forArchitecture(System.getProperty("os.arch"), config);
    }

    public final SectionConfig config() {
        return config;
    }

    /** The rseq signature these sections carry; rseq must be registered with the same value. */
    public abstract int signature();

    /**
     * {@code int add(long base, long value[, long area])}: {@code *(long*)(base + (idx << strideShift)) += value};
     * returns {@link #COMMITTED}, {@link #ABORTED} or {@link #INDEX_OUT_OF_RANGE}.
     *
     * @param strideShift log2 of the per-index stride in bytes (6 = one 64-byte cache line per index)
     */
    public abstract EmittedSection emitAdd(int strideShift);

    /**
     * {@code int cmpeqvStorev(long v, long expect, long newv, int expectedIdx[, long area])}: if idx !=
     * expectedIdx return 3; if *v != expect return 1; *v = newv (commit); return 0.
     */
    public abstract EmittedSection emitCmpeqvStorev();

    /**
     * {@code int cmpeqvStorevStorev(long v, long expect, long v2, long newv2, long newv, int expectedIdx[,
     * long area])}: as {@link #emitCmpeqvStorev()} but stores *v2 = newv2 first; the commit *v = newv is a
     * release store, ordered after the store to *v2.
     */
    public abstract EmittedSection emitCmpeqvStorevStorev();

    /**
     * {@code int cmpeqvTrymemcpyStorev(long v, long expect, long dst, long src, long len, long newv, int
     * expectedIdx[, long area])}: after the checks, copies len bytes src to dst (8-byte words, then the
     * remaining bytes), then commits *v = newv with release semantics. The copy runs inside the section, so
     * callers bound len (see PerCpuBuffer's record-size cap).
     */
    public abstract EmittedSection emitCmpeqvTrymemcpyStorev();

    /**
     * {@code int cmpnevStoreoffpLoad(long v, long expectnot, long voffp, long load, int expectedIdx[, long
     * area])}: if idx != expectedIdx return 3; if *v == expectnot return 1; *load = *v; *v = *(*v + voffp)
     * (commit); return 0. The pop of a per-index linked stack: head and head-&gt;next are read, and the head
     * replaced, inside one section, so no other update of that index can come in between (no ABA).
     */
    public abstract EmittedSection emitCmpnevStoreoffpLoad();

    /** Emits {@code op}; {@code strideShift} is used by {@link Operation#ADD} only. */
    public final EmittedSection emit(Operation op, int strideShift) {
        return switch (op) {
            case ADD -> emitAdd(strideShift);
            case CMPEQV_STOREV -> emitCmpeqvStorev();
            case CMPEQV_STOREV_STOREV -> emitCmpeqvStorevStorev();
            case CMPEQV_TRYMEMCPY_STOREV -> emitCmpeqvTrymemcpyStorev();
            case CMPNEV_STOREOFFP_LOAD -> emitCmpnevStoreoffpLoad();
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // The common frame; the architecture supplies the pieces below.

    /** What an operation body sees while it is emitted between start_ip and post_commit_ip. */
    protected final class Body {
        /** The buffer to emit into. */
        public final CodeBuffer buf;
        /** Branch here when the compared value differs (returns {@link #COMPARE_FAILED}). */
        public final Label compareFailed;
        /** Branch here when the area's index differs from the expected one (returns {@link #INDEX_MISMATCH}). */
        public final Label indexMismatch;
        /** Branch here when the loaded index is not below the limit (returns {@link #INDEX_OUT_OF_RANGE}). */
        public final Label indexOutOfRange;
        private int delays;

        private Body(CodeBuffer buf) {
            this.buf = buf;
            this.compareFailed = buf.newLabel("compare_failed");
            this.indexMismatch = buf.newLabel("index_mismatch");
            this.indexOutOfRange = buf.newLabel("index_out_of_range");
        }

        /** Abort injection point: a delay loop when {@link SectionConfig#delayIterations()} is positive. */
        public void injectDelay() {
            if (config.delayIterations() > 0) {
                emitDelay(buf, buf.newLabel("delay" + ++delays), config.delayIterations());
            }
        }
    }

    /** Builds one section: the frame above around {@code body}, which must end with the committing store. */
    protected final EmittedSection section(Operation op, Consumer<Body> body) {
        CodeBuffer buf = new CodeBuffer();
        Label entry = buf.newLabel("entry");
        Label start = buf.newLabel("start");
        Label postCommit = buf.newLabel("post_commit");
        Label abort = buf.newLabel("abort");
        Label descriptor = buf.newLabel("rseq_cs");
        Body b = new Body(buf);

        buf.bind(entry);
        emitPrologue(buf, op);
        emitStoreRseqCs(buf, op, descriptor);
        buf.bind(start);
        body.accept(b);
        buf.bind(postCommit);
        emitReturn(buf, COMMITTED);
        if (!b.indexOutOfRange.isReferenced()) {
            throw new IllegalStateException(op + " has no index range check");
        }
        Label[] exits = {b.compareFailed, b.indexMismatch, b.indexOutOfRange};
        int[] codes = {COMPARE_FAILED, INDEX_MISMATCH, INDEX_OUT_OF_RANGE};
        for (int i = 0; i < exits.length; i++) {
            if (exits[i].isReferenced()) {
                buf.bind(exits[i]);
                emitReturn(buf, codes[i]);
            }
        }
        emitSignature(buf);
        buf.bind(abort);
        emitReturn(buf, ABORTED);

        buf.align(EmittedSection.BASE_ALIGNMENT, padByte());
        buf.bind(descriptor);
        data32(buf, 0, "version");
        data32(buf, 0, "flags");
        data64(buf, start.offset() - entry.offset(), start.symbol() + " - " + entry.symbol(), "start_ip");
        data64(buf, postCommit.offset() - start.offset(), postCommit.symbol() + " - " + start.symbol(),
                "post_commit_offset");
        data64(buf, abort.offset() - entry.offset(), abort.symbol() + " - " + entry.symbol(), "abort_ip");

        return new EmittedSection(op, config, signature(), buf.toBytes(), entry.offset(), start.offset(),
                postCommit.offset(), abort.offset(), descriptor.offset(), buf.listing());
    }

    private static void data32(CodeBuffer buf, int value, String comment) {
        buf.emit32(value);
        buf.asm(".long " + value + "\t/* " + comment + " */");
    }

    private static void data64(CodeBuffer buf, long value, String expression, String comment) {
        buf.emit64(value);
        buf.asm(".quad " + expression + "\t/* " + comment + " */");
    }

    /** Validates an {@code add} stride shift. */
    protected static int checkStrideShift(int strideShift) {
        if (strideShift < 0 || strideShift > MAX_STRIDE_SHIFT) {
            throw new IllegalArgumentException("strideShift must be in [0, " + MAX_STRIDE_SHIFT + "]: " + strideShift);
        }
        return strideShift;
    }

    /** Whatever must happen before the area can be addressed (TLS base, stack-passed area argument). */
    protected abstract void emitPrologue(CodeBuffer buf, Operation op);

    /** {@code area->rseq_cs = &descriptor}, pc-relative. */
    protected abstract void emitStoreRseqCs(CodeBuffer buf, Operation op, Label descriptor);

    /** {@code return code}. */
    protected abstract void emitReturn(CodeBuffer buf, int code);

    /** The 4-byte signature, ending exactly where the abort handler starts. */
    protected abstract void emitSignature(CodeBuffer buf);

    /** A count-down loop of {@code iterations} on a scratch register the bodies leave alone. */
    protected abstract void emitDelay(CodeBuffer buf, Label loop, int iterations);

    /** Filler between the code and the descriptor: a trapping instruction pattern. */
    protected abstract int padByte();
}
