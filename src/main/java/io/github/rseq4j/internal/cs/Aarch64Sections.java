package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.arch.Aarch64;
import io.github.rseq4j.internal.cs.CodeBuffer.Fixup;
import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import io.github.rseq4j.internal.cs.SectionConfig.Addressing;

/**
 * aarch64 (little-endian) rseq critical sections (AAPCS64), and the few instruction encoders they need.
 *
 * <p>Arguments arrive in x0..x7 (every operation fits, area included); the result is in w0 (x0 for popNode).
 * The sections use only caller-saved temporaries: x9 (area, TLS mode), x10 (index, slot address), x11 (loaded
 * value; popNode's head; a record slot's base), x12 (copied word or byte; addEach's offset; pushNode's depth;
 * popNode's next), x13 (delay counter), x14 (index limit above 4095), x15 (descriptor address, TLS offset), v0
 * (copied 16-byte block), and register arguments once consumed (each body says which). x16/x17/x18 are left
 * alone.
 *
 * <p>Area addressing: TLS mode computes the area once, before the section, as {@code tpidr_el0 +
 * __rseq_offset} into x9; REGISTER mode uses the area argument. Fields are then {@code [area, #field]}.
 *
 * <p>Unlike x86, a plain store does not order earlier stores before it: commits that must publish earlier
 * stores or loads (pushNode's links, the record sections' copies) are {@code stlr} release stores.
 */
public final class Aarch64Sections extends SectionTemplates {

    /** {@code RSEQ_SIG}: the word {@code brk #0x45e0}, emitted raw before each abort handler. */
    public static final int SIGNATURE = new Aarch64().rseqSignature();

    /**
     * Register numbers (the encoders take numbers, as the instruction fields do): the result, then the
     * caller-saved temporaries named in the class comment.
     */
    private static final int RESULT = 0, AREA_TLS = 9, IDX = 10, VAL = 11, COPIED = 12, DELAY = 13, LIMIT = 14,
            TMP = 15;

    /** {@link #copy}'s 16-byte blocks: their size, and the SIMD register (v0, caller-saved) that carries them. */
    private static final int BLOCK = 16, COPIED_BLOCK = 0;

    /** AAPCS64 passes the first eight integer arguments in x0..x7; every operation fits, area included. */
    private static final int ARGUMENT_REGISTERS = 8;

    public Aarch64Sections(SectionConfig config) {
        super(config);
    }

    @Override
    public int signature() {
        return SIGNATURE;
    }

    // ---------------------------------------------------------------------------------------------------
    // Sections: each specified in its Operation constant; here only where things live. Arguments are in
    // argument(i) = x<i>; "area" is x9 (TLS mode) or the area argument (REGISTER mode); the index is loaded
    // into w10.

    /* add: base = x0, value = x1 [, area = x2]; slot address in x10, its value in x11. */
    @Override
    public EmittedSection emitAdd(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.ADD;
        int value = argument(1);
        return section(op, b -> {
            loadIndexedWord(b, op, strideShift);
            ldr(b.buf, true, VAL, IDX, 0);
            addShifted(b.buf, VAL, VAL, value, 0);
            b.injectDelay();
            str(b.buf, VAL, IDX);
        });
    }

    /* cmpeqvStorev: v = x0, expect = x1, newv = x2, expectedIdx = w3 [, area = x4]. */
    @Override
    public EmittedSection emitCmpeqvStorev() {
        Operation op = Operation.CMPEQV_STOREV;
        int v = argument(0), newv = argument(2);
        return section(op, b -> {
            checkIndexAndValue(b, op);
            b.injectDelay();
            str(b.buf, newv, v);
        });
    }

    /*
     * pushRecord: counts = x0, records = x1, src = x2, len = x3, slotBytes = x4, capacity = x5 [, area = x6]; the
     * index's records in x11, v in x10, n in x4, the top record in x1, the copied data in v0 and x12. The commit
     * is stlr: it orders the copy before it.
     */
    @Override
    public EmittedSection emitPushRecord(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.PUSH_RECORD;
        int top = argument(1), src = argument(2), n = argument(4);
        return section(op, b -> {
            loadCountAndTop(b, op, strideShift, false);
            copy(b, src, top);
            addSubImm(b.buf, true, n, n, 1);
            b.injectDelay();
            stlr(b.buf, n, IDX);
        });
    }

    /* popRecord: as pushRecord, dst = x2; n (the count after the pop) in x4. */
    @Override
    public EmittedSection emitPopRecord(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.POP_RECORD;
        int top = argument(1), dst = argument(2), n = argument(4);
        return section(op, b -> {
            loadCountAndTop(b, op, strideShift, true);
            copy(b, top, dst);
            b.injectDelay();
            stlr(b.buf, n, IDX);
        });
    }

    /**
     * The record sections' head: {@code x11 = records + idx * slotBytes}, {@code x10 = v}, {@code x4 = n}
     * ({@code *v}, less one for a pop), out to compare_failed unless {@code n < capacity} (unsigned), then
     * {@code x1 = x11 + n * len}, the top record.
     */
    private void loadCountAndTop(Body b, Operation op, int strideShift, boolean pop) {
        int records = argument(1), len = argument(3), slotBytes = argument(4), n = slotBytes, capacity = argument(5);
        loadIndex(b, op);
        b.injectDelay();
        madd(b.buf, VAL, IDX, slotBytes, records);
        addShifted(b.buf, IDX, argument(0), IDX, strideShift);
        ldr(b.buf, true, n, IDX, 0);
        if (pop) {
            addSubImm(b.buf, false, n, n, 1);
        }
        cmp(b.buf, true, n, capacity);
        bcond(b.buf, Cond.HS, b.compareFailed);
        madd(b.buf, records, n, len, VAL);
    }

    /**
     * Copies x3 bytes from {@code src} to {@code dst}: 16-byte blocks through q0, then 8-byte words through x12,
     * then single bytes, both advanced (post-indexed) and x3 counted down.
     */
    private static void copy(Body b, int src, int dst) {
        Label blocks = b.buf.newLabel("blocks");
        Label words = b.buf.newLabel("words");
        Label word = b.buf.newLabel("word");
        Label bytes = b.buf.newLabel("bytes");
        Label copy = b.buf.newLabel("copy");
        Label copied = b.buf.newLabel("copied");
        int len = argument(3);
        cmpImm(b.buf, true, len, BLOCK);
        bcond(b.buf, Cond.LO, words);
        b.buf.bind(blocks);
        movePostIncrement(b.buf, true, BLOCK, COPIED_BLOCK, src);
        movePostIncrement(b.buf, false, BLOCK, COPIED_BLOCK, dst);
        step(b, BLOCK, blocks);
        b.buf.bind(words);
        cmpImm(b.buf, true, len, Long.BYTES);
        bcond(b.buf, Cond.LO, bytes);
        b.buf.bind(word);
        movePostIncrement(b.buf, true, Long.BYTES, COPIED, src);
        movePostIncrement(b.buf, false, Long.BYTES, COPIED, dst);
        step(b, Long.BYTES, word);
        b.buf.bind(bytes);
        cbz(b.buf, len, copied);
        b.buf.bind(copy);
        movePostIncrement(b.buf, true, 1, COPIED, src);
        movePostIncrement(b.buf, false, 1, COPIED, dst);
        subsImm(b.buf, true, len, len, 1);
        bne(b.buf, copy);
        b.buf.bind(copied);
    }

    /** {@link #copy}'s count-down of x3 by {@code size}, back to {@code loop} while {@code size} or more are left. */
    private static void step(Body b, int size, Label loop) {
        int len = argument(3);
        addSubImm(b.buf, false, len, len, size);
        cmpImm(b.buf, true, len, size);
        bcond(b.buf, Cond.HS, loop);
    }

    /* popNode: base = x0, voffp = x1 [, area = x2]; v in x10, head in x11 (the result), next in x12. */
    @Override
    public EmittedSection emitPopNode(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.POP_NODE;
        int voffp = argument(1);
        return section(op, b -> {
            loadIndexedWord(b, op, strideShift);
            ldr(b.buf, true, VAL, IDX, 0);
            cbz(b.buf, VAL, b.compareFailed);
            ldrIndexed(b.buf, COPIED, VAL, voffp);
            b.injectDelay();
            str(b.buf, COPIED, IDX);
        });
    }

    /*
     * pushNode: base = x0, node = x1, depthLimit = x2 [, area = x3]; v in x10, head in x11, depth in x12. The
     * commit is stlr: it orders the node's two words before it.
     */
    @Override
    public EmittedSection emitPushNode(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.PUSH_NODE;
        int node = argument(1), depthLimit = argument(2);
        return section(op, b -> {
            Label counted = b.buf.newLabel("counted");
            loadIndexedWord(b, op, strideShift);
            ldr(b.buf, true, VAL, IDX, 0);
            movz(b.buf, true, COPIED, 1, 0);
            cbz(b.buf, VAL, counted);
            ldr(b.buf, true, COPIED, VAL, Long.BYTES);
            addSubImm(b.buf, true, COPIED, COPIED, 1);
            b.buf.bind(counted);
            cmp(b.buf, true, COPIED, depthLimit);
            bcond(b.buf, Cond.HI, b.compareFailed);
            str(b.buf, VAL, node);
            str(b.buf, COPIED, node, Long.BYTES);
            b.injectDelay();
            stlr(b.buf, node, IDX);
        });
    }

    /*
     * addEach: base = x0, offsets (the cursor) = x1, count = x2 (then the end), value = x3, maxOffset = x4
     * [, area = x5]; the offset in x12, the slot address in x10, its value in x11.
     */
    @Override
    public EmittedSection emitAddEach(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.ADD_EACH;
        int base = argument(0), cursor = argument(1), value = argument(3), maxOffset = argument(4);
        return section(op, b -> {
            loadIndex(b, op);
            b.injectDelay();
            ldr(b.buf, true, COPIED, cursor, 0);
            cmp(b.buf, true, COPIED, maxOffset);
            bcond(b.buf, Cond.HI, b.compareFailed);
            addShifted(b.buf, IDX, COPIED, IDX, strideShift);
            addShifted(b.buf, IDX, base, IDX, 0);
            ldr(b.buf, true, VAL, IDX, 0);
            addShifted(b.buf, VAL, VAL, value, 0);
            b.injectDelay();
            str(b.buf, VAL, IDX);
        });
    }

    /** Shared head of the cmpeqv family: {@link #checkIndex}, then branch out on *v != expect. */
    private void checkIndexAndValue(Body b, Operation op) {
        checkIndex(b, op);
        ldr(b.buf, true, VAL, argument(0), 0);
        cmp(b.buf, true, VAL, argument(1));
        bne(b.buf, b.compareFailed);
    }

    /**
     * Load the index, range-check it, inject, branch out on an index mismatch (expectedIdx is the last argument
     * before the area).
     */
    private void checkIndex(Body b, Operation op) {
        loadIndex(b, op);
        b.injectDelay();
        cmp(b.buf, false, IDX, argument(op.baseArity() - 1));
        bne(b.buf, b.indexMismatch);
    }

    /** {@link #loadIndex}, inject, then {@code x10 = base (x0) + (idx << strideShift)}: the index's word. */
    private void loadIndexedWord(Body b, Operation op, int strideShift) {
        loadIndex(b, op);
        b.injectDelay();
        addShifted(b.buf, IDX, argument(0), IDX, strideShift);
    }

    /*
     *     ldr w10, [area, #INDEX]
     *     cmp w10, #indexLimit       // limits above 4095: movz/movk w14 first, then cmp w10, w14
     *     b.hs index_out_of_range    // unsigned: -1 and -2 (unregistered) are above any limit
     */
    private void loadIndex(Body b, Operation op) {
        ldr(b.buf, false, IDX, area(op), config.indexField().offset());
        int limit = config.indexLimit();
        if (limit < 4096) {
            cmpImm(b.buf, false, IDX, limit);
        } else {
            movz(b.buf, false, LIMIT, limit & 0xffff, 0);
            if (limit >>> 16 != 0) {
                movk(b.buf, false, LIMIT, limit >>> 16, 1);
            }
            cmp(b.buf, false, IDX, LIMIT);
        }
        bcond(b.buf, Cond.HS, b.indexOutOfRange);
    }

    // ---------------------------------------------------------------------------------------------------
    // Frame pieces.

    /** The register argument {@code i} arrives in. */
    private static int argument(int i) {
        if (i < 0 || i >= ARGUMENT_REGISTERS) {
            throw new IllegalArgumentException("argument " + i + " would be passed on the stack");
        }
        return i;
    }

    /** The register holding the area's address inside the function. */
    private int area(Operation op) {
        return config.addressing() == Addressing.TLS ? AREA_TLS : argument(op.baseArity());
    }

    /*
     * TLS mode:
     *     mrs x9, tpidr_el0
     *     x9 += __rseq_offset        // add/sub #imm12, or movz/movk |offset| into x15, then add/sub
     */
    @Override
    protected void emitPrologue(CodeBuffer buf, Operation op) {
        if (config.addressing() != Addressing.TLS) {
            return;
        }
        inst(buf, Aarch64.MRS_TPIDR_EL0 | AREA_TLS, "mrs " + x(AREA_TLS) + ", tpidr_el0");
        long offset = config.rseqOffset();
        long magnitude = Math.absExact(offset);
        if (magnitude == 0) {
            return;
        }
        if (magnitude < 4096) {
            addSubImm(buf, offset > 0, AREA_TLS, AREA_TLS, (int) magnitude);
        } else {
            movImm64(buf, TMP, magnitude);
            addSubShifted(buf, offset > 0, AREA_TLS, AREA_TLS, TMP, 0);
        }
    }

    /*
     *     adr x15, rseq_cs
     *     str x15, [area, #8]
     */
    @Override
    protected void emitStoreRseqCs(CodeBuffer buf, Operation op, Label descriptor) {
        buf.emitReference(Fixup.A64_ADR, descriptor, 0x10000000 | TMP);
        buf.asm("adr " + x(TMP) + ", " + descriptor.symbol());
        str(buf, TMP, area(op), RSEQ_CS_FIELD);
    }

    @Override
    protected void emitReturn(CodeBuffer buf, int code) {
        movz(buf, false, RESULT, code, 0);
        inst(buf, Aarch64.RET, "ret");
    }

    /* add x2, x1, x2, lsl #3 */
    @Override
    protected void emitLoopStart(CodeBuffer buf) {
        addShifted(buf, argument(2), argument(1), argument(2), 3);
    }

    /*
     *     cmp x1, x2
     *     b.hs done
     */
    @Override
    protected void emitLoopTest(CodeBuffer buf, Label done) {
        cmp(buf, true, argument(1), argument(2));
        bcond(buf, Cond.HS, done);
    }

    /*
     *     add x1, x1, #8
     *     b next
     */
    @Override
    protected void emitLoopAdvance(CodeBuffer buf, Label next) {
        addSubImm(buf, true, argument(1), argument(1), Long.BYTES);
        b(buf, next);
    }

    /*
     *     sub x0, x2, x1
     *     add x0, x0, #code
     *     ret
     */
    @Override
    protected void emitReturnRemaining(CodeBuffer buf, int code) {
        addSubShifted(buf, false, RESULT, argument(2), argument(1), 0);
        if (code != 0) {
            addSubImm(buf, true, RESULT, RESULT, code);
        }
        inst(buf, Aarch64.RET, "ret");
    }

    /* mov x0, x11 ; ret */
    @Override
    protected void emitReturnNode(CodeBuffer buf) {
        movReg(buf, RESULT, VAL);
        inst(buf, Aarch64.RET, "ret");
    }

    @Override
    protected void emitSignature(CodeBuffer buf) {
        inst(buf, SIGNATURE, String.format(".inst 0x%08x\t/* rseq signature: brk #0x45e0 */", SIGNATURE));
    }

    /*
     *     movz w13, #lo16 ; [movk w13, #hi16, lsl #16]
     * loop:
     *     subs w13, w13, #1
     *     b.ne loop
     */
    @Override
    protected void emitDelay(CodeBuffer buf, Label loop, int iterations) {
        movz(buf, false, DELAY, iterations & 0xffff, 0);
        if (iterations >>> 16 != 0) {
            movk(buf, false, DELAY, iterations >>> 16, 1);
        }
        buf.bind(loop);
        subsImm(buf, false, DELAY, DELAY, 1);
        bne(buf, loop);
    }

    /** Zero words: {@code udf #0}, a permanently undefined instruction. */
    @Override
    protected int padByte() {
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------
    // Encoders: just the forms used above. Register numbers 0..30; 31 (sp/zr) is never used.

    static String x(int r) {
        return "x" + reg(r);
    }

    static String w(int r) {
        return "w" + reg(r);
    }

    private static int reg(int r) {
        if (r < 0 || r > 30) {
            throw new IllegalArgumentException("register " + r);
        }
        return r;
    }

    private static void inst(CodeBuffer buf, int word, String text) {
        buf.emit32(word);
        buf.asm(text);
    }

    private static int imm(long value, int bits, String what) {
        if (value < 0 || value >= 1L << bits) {
            throw new IllegalArgumentException(what + " out of range: " + value);
        }
        return (int) value;
    }

    private static String offset(int offset) {
        return offset == 0 ? "]" : ", #" + offset + "]";
    }

    /** {@code ldr wt|xt, [xn, #offset]} (unsigned, scaled offset). */
    static void ldr(CodeBuffer buf, boolean is64, int rt, int rn, int offset) {
        int scale = is64 ? 8 : 4;
        if (offset % scale != 0) {
            throw new IllegalArgumentException("misaligned offset " + offset);
        }
        int word = (is64 ? 0xf9400000 : 0xb9400000) | imm(offset / scale, 12, "offset") << 10;
        inst(buf, word | reg(rn) << 5 | reg(rt),
                "ldr " + (is64 ? x(rt) : w(rt)) + ", [" + x(rn) + offset(offset));
    }

    /** {@code ldr xt, [xn, xm]} (register offset, unscaled). */
    static void ldrIndexed(CodeBuffer buf, int rt, int rn, int rm) {
        inst(buf, 0xf8606800 | reg(rm) << 16 | reg(rn) << 5 | reg(rt),
                "ldr " + x(rt) + ", [" + x(rn) + ", " + x(rm) + "]");
    }

    /** {@code str xt, [xn, #offset]} (unsigned, scaled offset). */
    static void str(CodeBuffer buf, int rt, int rn, int offset) {
        if (offset % 8 != 0) {
            throw new IllegalArgumentException("misaligned offset " + offset);
        }
        inst(buf, 0xf9000000 | imm(offset / 8, 12, "offset") << 10 | reg(rn) << 5 | reg(rt),
                "str " + x(rt) + ", [" + x(rn) + offset(offset));
    }

    /** {@code str xt, [xn]}. */
    static void str(CodeBuffer buf, int rt, int rn) {
        str(buf, rt, rn, 0);
    }

    /** {@code stlr xt, [xn]}: store-release. */
    static void stlr(CodeBuffer buf, int rt, int rn) {
        inst(buf, 0xc89ffc00 | reg(rn) << 5 | reg(rt), "stlr " + x(rt) + ", [" + x(rn) + "]");
    }

    /**
     * Load or store, then post-increment xn by the size: {@code ldrb wt, [xn], #1} / {@code strb wt, [xn], #1}
     * ({@code size} 1), {@code ldr xt, [xn], #8} / {@code str xt, [xn], #8} ({@code size} 8), or, with {@code rt}
     * a SIMD register, {@code ldr qt, [xn], #16} / {@code str qt, [xn], #16} ({@code size} 16).
     */
    static void movePostIncrement(CodeBuffer buf, boolean load, int size, int rt, int rn) {
        int opcode = switch (size) {
            case 1 -> load ? 0x38400400 : 0x38000400;
            case 8 -> load ? 0xf8400400 : 0xf8000400;
            case 16 -> load ? 0x3cc00400 : 0x3c800400;
            default -> throw new IllegalArgumentException("size " + size);
        };
        String target = switch (size) {
            case 1 -> "b " + w(rt);
            case 8 -> " " + x(rt);
            default -> " q" + reg(rt);
        };
        inst(buf, opcode | size << 12 | reg(rn) << 5 | reg(rt),
                (load ? "ldr" : "str") + target + ", [" + x(rn) + "], #" + size);
    }

    /** {@code mov xd, xm}, i.e. {@code orr xd, xzr, xm}. */
    static void movReg(CodeBuffer buf, int rd, int rm) {
        inst(buf, 0xaa0003e0 | reg(rm) << 16 | reg(rd), "mov " + x(rd) + ", " + x(rm));
    }

    /** {@code add xd, xn, xm[, lsl #shift]}. */
    static void addShifted(CodeBuffer buf, int rd, int rn, int rm, int shift) {
        addSubShifted(buf, true, rd, rn, rm, shift);
    }

    /** {@code madd xd, xn, xm, xa}: {@code xd = xa + xn * xm}, the low 64 bits. */
    static void madd(CodeBuffer buf, int rd, int rn, int rm, int ra) {
        inst(buf, 0x9b000000 | reg(rm) << 16 | reg(ra) << 10 | reg(rn) << 5 | reg(rd),
                "madd " + x(rd) + ", " + x(rn) + ", " + x(rm) + ", " + x(ra));
    }

    /** {@code add|sub xd, xn, xm[, lsl #shift]}. */
    static void addSubShifted(CodeBuffer buf, boolean add, int rd, int rn, int rm, int shift) {
        inst(buf, (add ? 0x8b000000 : 0xcb000000) | reg(rm) << 16 | imm(shift, 6, "shift") << 10 | reg(rn) << 5
                | reg(rd), (add ? "add " : "sub ") + x(rd) + ", " + x(rn) + ", " + x(rm)
                + (shift != 0 ? ", lsl #" + shift : ""));
    }

    /** {@code add xd, xn, #imm12} or {@code sub xd, xn, #imm12}. */
    static void addSubImm(CodeBuffer buf, boolean add, int rd, int rn, int imm12) {
        inst(buf, (add ? 0x91000000 : 0xd1000000) | imm(imm12, 12, "imm12") << 10 | reg(rn) << 5 | reg(rd),
                (add ? "add " : "sub ") + x(rd) + ", " + x(rn) + ", #0x" + Integer.toHexString(imm12));
    }

    /** {@code subs rd, rn, #imm12} (32- or 64-bit). */
    static void subsImm(CodeBuffer buf, boolean is64, int rd, int rn, int imm12) {
        inst(buf, (is64 ? 0xf1000000 : 0x71000000) | imm(imm12, 12, "imm12") << 10 | reg(rn) << 5 | reg(rd),
                "subs " + (is64 ? x(rd) + ", " + x(rn) : w(rd) + ", " + w(rn)) + ", #" + imm12);
    }

    /** {@code cmp rn, rm} (32- or 64-bit), i.e. {@code subs zr, rn, rm}. */
    static void cmp(CodeBuffer buf, boolean is64, int rn, int rm) {
        inst(buf, (is64 ? 0xeb00001f : 0x6b00001f) | reg(rm) << 16 | reg(rn) << 5,
                "cmp " + (is64 ? x(rn) + ", " + x(rm) : w(rn) + ", " + w(rm)));
    }

    /** {@code cmp rn, #imm12} (32- or 64-bit), i.e. {@code subs zr, rn, #imm12}. */
    static void cmpImm(CodeBuffer buf, boolean is64, int rn, int imm12) {
        inst(buf, (is64 ? 0xf100001f : 0x7100001f) | imm(imm12, 12, "imm12") << 10 | reg(rn) << 5,
                "cmp " + (is64 ? x(rn) : w(rn)) + ", #" + imm12);
    }

    /** {@code movz rd, #imm16, lsl #(16 * hw)}. */
    static void movz(CodeBuffer buf, boolean is64, int rd, int imm16, int hw) {
        moveWide(buf, is64 ? 0xd2800000 : 0x52800000, "movz ", is64, rd, imm16, hw);
    }

    /** {@code movk rd, #imm16, lsl #(16 * hw)}. */
    static void movk(CodeBuffer buf, boolean is64, int rd, int imm16, int hw) {
        moveWide(buf, is64 ? 0xf2800000 : 0x72800000, "movk ", is64, rd, imm16, hw);
    }

    private static void moveWide(CodeBuffer buf, int opcode, String mnemonic, boolean is64, int rd, int imm16,
            int hw) {
        if (hw < 0 || hw > (is64 ? 3 : 1)) {
            throw new IllegalArgumentException("hw " + hw);
        }
        inst(buf, opcode | hw << 21 | imm(imm16, 16, "imm16") << 5 | reg(rd),
                mnemonic + (is64 ? x(rd) : w(rd)) + ", #0x" + Integer.toHexString(imm16)
                        + (hw != 0 ? ", lsl #" + 16 * hw : ""));
    }

    /** {@code xd = value}: movz for the lowest non-zero halfword, movk for the others. */
    static void movImm64(CodeBuffer buf, int rd, long value) {
        boolean first = true;
        for (int hw = 0; hw < 4; hw++) {
            int half = (int) (value >>> (16 * hw)) & 0xffff;
            if (half != 0 || (value == 0 && hw == 0)) {
                if (first) {
                    movz(buf, true, rd, half, hw);
                } else {
                    movk(buf, true, rd, half, hw);
                }
                first = false;
            }
        }
    }

    /** Condition codes of {@code b.cond}: the low nibble of the instruction. */
    enum Cond {
        EQ(0x0), NE(0x1), HS(0x2), LO(0x3), HI(0x8);

        final int code;

        Cond(int code) {
            this.code = code;
        }
    }

    /** {@code b.cond label}. */
    static void bcond(CodeBuffer buf, Cond cond, Label target) {
        buf.emitReference(Fixup.A64_IMM19, target, 0x54000000 | cond.code);
        buf.asm("b." + cond.name().toLowerCase(java.util.Locale.ROOT) + " " + target.symbol());
    }

    /** {@code b.ne label}. */
    static void bne(CodeBuffer buf, Label target) {
        bcond(buf, Cond.NE, target);
    }

    /** {@code b.eq label}. */
    static void beq(CodeBuffer buf, Label target) {
        bcond(buf, Cond.EQ, target);
    }

    /** {@code b label}. */
    static void b(CodeBuffer buf, Label target) {
        buf.emitReference(Fixup.A64_IMM26, target, 0x14000000);
        buf.asm("b " + target.symbol());
    }

    /** {@code cbz xt, label}. */
    static void cbz(CodeBuffer buf, int rt, Label target) {
        buf.emitReference(Fixup.A64_IMM19, target, 0xb4000000 | reg(rt));
        buf.asm("cbz " + x(rt) + ", " + target.symbol());
    }
}
