package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.RseqLayout;
import io.github.rseq4j.internal.arch.Aarch64;
import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.arch.X86_64;
import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The rseq critical sections of one architecture, with the frame they all share (specified, with the return codes
 * below, in the {@linkplain io.github.rseq4j.internal.cs package documentation}; each operation in
 * {@link Operation}).
 *
 * <p>Each {@code emit*} method returns a fresh {@link EmittedSection}: a complete C-ABI leaf function (System V
 * AMD64 or AAPCS64) followed by its {@code struct rseq_cs}. Instances are immutable and thread-safe; every call
 * builds a new buffer.
 */
public abstract sealed class SectionTemplates permits X86_64Sections, Aarch64Sections {

    /** Return codes of every section: their meanings are tabled in the package documentation. */
    public static final int COMMITTED = 0, COMPARE_FAILED = 1, ABORTED = 2, INDEX_MISMATCH = 3,
            INDEX_OUT_OF_RANGE = 4;

    /**
     * Bits of a result below the remaining count of an {@link Operation#eachElement()} operation: 3, so that the
     * count of 8-byte elements left shifted into place is their byte length, which the code returns as it is.
     */
    private static final int CODE_BITS = 3;

    /** The return code of a section's result (for most operations the result itself). */
    public static int code(int result) {
        return result & ((1 << CODE_BITS) - 1);
    }

    /** Elements an {@link Operation#eachElement()} operation did not commit, the one it stopped at included. */
    public static int remaining(int result) {
        return result >>> CODE_BITS;
    }

    /** Offset of {@code u64 rseq_cs} in {@code struct rseq}: the field every section arms. */
    protected static final int RSEQ_CS_FIELD = RseqLayout.RSEQ_CS;

    /** Largest {@code add} stride shift: keeps {@code index << shift} well inside 64 bits. */
    public static final int MAX_STRIDE_SHIFT = 32;

    protected final SectionConfig config;

    protected SectionTemplates(SectionConfig config) {
        this.config = Objects.requireNonNull(config);
    }

    /**
     * The templates for {@code osArch} (the {@code os.arch} system property's spelling, mapped by
     * {@link Arch#named}).
     */
    public static SectionTemplates forArchitecture(String osArch, SectionConfig config) {
        return forArchitecture(Arch.named(osArch), config);
    }

    /** The templates for the running JVM's architecture. */
    public static SectionTemplates forCurrentArchitecture(SectionConfig config) {
        return forArchitecture(Arch.current(), config);
    }

    private static SectionTemplates forArchitecture(Arch arch, SectionConfig config) {
        return switch (arch) {
            case X86_64 _ -> new X86_64Sections(config);
            case Aarch64 _ -> new Aarch64Sections(config);
        };
    }

    public final SectionConfig config() {
        return config;
    }

    /** The rseq signature these sections carry; rseq must be registered with the same value. */
    public abstract int signature();

    /**
     * {@link Operation#ADD}.
     *
     * @param strideShift log2 of the per-index stride in bytes (6 = one 64-byte cache line per index)
     */
    public abstract EmittedSection emitAdd(int strideShift);

    /** {@link Operation#CMPEQV_STOREV}. */
    public abstract EmittedSection emitCmpeqvStorev();

    /**
     * {@link Operation#PUSH_RECORD}.
     *
     * @param strideShift as for {@link #emitAdd}
     */
    public abstract EmittedSection emitPushRecord(int strideShift);

    /**
     * {@link Operation#POP_RECORD}.
     *
     * @param strideShift as for {@link #emitAdd}
     */
    public abstract EmittedSection emitPopRecord(int strideShift);

    /**
     * {@link Operation#POP_NODE}.
     *
     * @param strideShift as for {@link #emitAdd}
     */
    public abstract EmittedSection emitPopNode(int strideShift);

    /**
     * {@link Operation#PUSH_NODE}.
     *
     * @param strideShift as for {@link #emitAdd}
     */
    public abstract EmittedSection emitPushNode(int strideShift);

    /**
     * {@link Operation#ADD_EACH}.
     *
     * @param strideShift as for {@link #emitAdd}
     */
    public abstract EmittedSection emitAddEach(int strideShift);

    /** Emits {@code op}; {@code strideShift} is used by the operations that find their word from the index. */
    public final EmittedSection emit(Operation op, int strideShift) {
        return switch (op) {
            case ADD -> emitAdd(strideShift);
            case CMPEQV_STOREV -> emitCmpeqvStorev();
            case PUSH_RECORD -> emitPushRecord(strideShift);
            case POP_RECORD -> emitPopRecord(strideShift);
            case POP_NODE -> emitPopNode(strideShift);
            case PUSH_NODE -> emitPushNode(strideShift);
            case ADD_EACH -> emitAddEach(strideShift);
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
        Label next = op.eachElement() ? buf.newLabel("next") : null;
        Label done = op.eachElement() ? buf.newLabel("done") : null;
        if (op.eachElement()) {
            emitLoopStart(buf);
            buf.bind(next);
            emitLoopTest(buf, done);
        }
        emitStoreRseqCs(buf, op, descriptor);
        buf.bind(start);
        body.accept(b);
        buf.bind(postCommit);
        if (op.eachElement()) {
            emitLoopAdvance(buf, next);
            buf.bind(done);
        }
        if (op.returnsNode()) {
            emitReturnNode(buf);
        } else {
            emitReturn(buf, COMMITTED);
        }
        if (!b.indexOutOfRange.isReferenced()) {
            throw new IllegalStateException(op + " has no index range check");
        }
        Label[] exits = {b.compareFailed, b.indexMismatch, b.indexOutOfRange};
        int[] codes = {COMPARE_FAILED, INDEX_MISMATCH, INDEX_OUT_OF_RANGE};
        for (int i = 0; i < exits.length; i++) {
            if (exits[i].isReferenced()) {
                buf.bind(exits[i]);
                emitReturn(buf, op, codes[i]);
            }
        }
        emitSignature(buf);
        buf.bind(abort);
        emitReturn(buf, op, ABORTED);

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

    /** {@code return head}: {@link Operation#POP_NODE}'s committed result, from the register its body keeps it in. */
    protected abstract void emitReturnNode(CodeBuffer buf);

    /** {@code return code}, with the remaining count above it for an {@link Operation#eachElement()} operation. */
    private void emitReturn(CodeBuffer buf, Operation op, int code) {
        if (op.eachElement()) {
            emitReturnRemaining(buf, code);
        } else {
            emitReturn(buf, code);
        }
    }

    // The loop of an eachElement() operation: its cursor is argument 1, its count argument 2 (then its end).

    /** {@code end = cursor + count * 8}, in the count's register. */
    protected abstract void emitLoopStart(CodeBuffer buf);

    /** {@code if (cursor >= end) goto done} (unsigned). */
    protected abstract void emitLoopTest(CodeBuffer buf, Label done);

    /** {@code cursor += 8; goto next}. */
    protected abstract void emitLoopAdvance(CodeBuffer buf, Label next);

    /** {@code return code | (end - cursor) / 8 << 3}, i.e. {@code code + end - cursor}. */
    protected abstract void emitReturnRemaining(CodeBuffer buf, int code);

    /** The 4-byte signature, ending exactly where the abort handler starts. */
    protected abstract void emitSignature(CodeBuffer buf);

    /** A count-down loop of {@code iterations} on a scratch register the bodies leave alone. */
    protected abstract void emitDelay(CodeBuffer buf, Label loop, int iterations);

    /** Filler between the code and the descriptor: a trapping instruction pattern. */
    protected abstract int padByte();
}
