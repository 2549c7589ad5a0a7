package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.arch.X86_64;
import io.github.rseq4j.internal.cs.CodeBuffer.Fixup;
import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import io.github.rseq4j.internal.cs.SectionConfig.Addressing;

/**
 * x86_64 rseq critical sections (System V AMD64 ABI), and the few instruction encoders they need.
 *
 * <p>Arguments arrive in rdi, rsi, rdx, rcx, r8, r9, then on the stack at 8(%rsp), 16(%rsp), ... (the
 * sections push nothing, so those offsets hold throughout). The result is in eax. The sections use only
 * caller-saved registers: rax (index, scratch), r10 (area, when it came on the stack), r11 (delay counter),
 * xmm0 (the record sections' 16-byte copies), and register arguments once consumed (each body says which).
 *
 * <p>Area addressing: TLS mode uses {@code %fs:disp32} absolute operands (glibc's %fs base is the thread
 * pointer), so the area needs no register; REGISTER mode uses the area argument as a base register.
 *
 * <p>All branches use rel32 forms (the listing says {@code {disp32}}): sizes never depend on distances, which
 * keeps the emitter single-pass. On x86 every store is a release store (TSO), so no fences are needed.
 */
public final class X86_64Sections extends SectionTemplates {

    /** {@code RSEQ_SIG}: emitted as the disp32 of {@code ud1 0x53053053(%rip),%edi} before each abort handler. */
    public static final int SIGNATURE = new X86_64().rseqSignature();

    /** {@link #copy}'s 16-byte blocks: their size, and the SSE register (%xmm0) that carries them (SSE is part of
     * every x86_64). */
    private static final int BLOCK = 16, COPIED_BLOCK = 0;

    /** Where popNode keeps the head it takes, which it returns. */
    private static final Reg POPPED = Reg.RCX;

    public X86_64Sections(SectionConfig config) {
        super(config);
        if (config.addressing() == Addressing.TLS) {
            area(config.indexField().offset()); // refuses offsets that do not fit disp32
            area(RSEQ_CS_FIELD);
        }
    }

    @Override
    public int signature() {
        return SIGNATURE;
    }

    // ---------------------------------------------------------------------------------------------------
    // Sections: each specified in its Operation constant; here only where things live. "area" is
    // %fs:__rseq_offset (TLS mode) or the area argument (REGISTER mode); the index is loaded into %eax.

    /* add: base = %rdi, value = %rsi [, area = %rdx]; slot = %rdi + %rax; the commit is one add to memory. */
    @Override
    public EmittedSection emitAdd(int strideShift) {
        checkStrideShift(strideShift);
        return section(Operation.ADD, b -> {
            loadIndex(b, Operation.ADD);
            b.injectDelay();
            if (strideShift != 0) {
                shl64(b.buf, Reg.RAX, strideShift);
            }
            b.injectDelay();
            addStore64(b.buf, Mem.indexed(Reg.RDI, Reg.RAX), Reg.RSI);
        });
    }

    /* cmpeqvStorev: v = %rdi, expect = %rsi, newv = %rdx, expectedIdx = %ecx [, area = %r8]. */
    @Override
    public EmittedSection emitCmpeqvStorev() {
        Operation op = Operation.CMPEQV_STOREV;
        return section(op, b -> {
            checkIndexAndValue(b, op);
            b.injectDelay();
            movStore64(b.buf, Mem.at(Reg.RDI, 0), Reg.RDX);
        });
    }

    /*
     * pushRecord: counts = %rdi, records = %rsi, src = %rdx, len = %rcx, slotBytes = %r8, capacity = %r9
     * [, area = 8(%rsp), loaded into %r10 before the section]; the index's records in %r8, v in %rax, n in %rdi,
     * the top record in %r9, the copied data in %xmm0 and %rsi. TSO makes the plain commit a release store.
     */
    @Override
    public EmittedSection emitPushRecord(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.PUSH_RECORD;
        return section(op, b -> {
            loadCountAndTop(b, op, strideShift, false);
            copy(b, Reg.RDX, Reg.R9);
            aluImm8(b.buf, Alu.ADD, Reg.RDI, 1);
            b.injectDelay();
            movStore64(b.buf, Mem.at(Reg.RAX, 0), Reg.RDI);
        });
    }

    /* popRecord: as pushRecord, dst = %rdx; n (the count after the pop) in %rdi. */
    @Override
    public EmittedSection emitPopRecord(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.POP_RECORD;
        return section(op, b -> {
            loadCountAndTop(b, op, strideShift, true);
            copy(b, Reg.R9, Reg.RDX);
            b.injectDelay();
            movStore64(b.buf, Mem.at(Reg.RAX, 0), Reg.RDI);
        });
    }

    /**
     * The record sections' head: {@code %r8 = records + idx * slotBytes}, {@code %rax = v}, {@code %rdi = n}
     * ({@code *v}, less one for a pop), out to compare_failed unless {@code n < capacity} (unsigned), then
     * {@code %r9 = %r8 + n * len}, the top record.
     */
    private void loadCountAndTop(Body b, Operation op, int strideShift, boolean pop) {
        loadIndex(b, op);
        b.injectDelay();
        imul64(b.buf, Reg.R8, Reg.RAX);
        alu64(b.buf, Alu.ADD, Reg.R8, Reg.RSI);
        if (strideShift != 0) {
            shl64(b.buf, Reg.RAX, strideShift);
        }
        alu64(b.buf, Alu.ADD, Reg.RAX, Reg.RDI);
        movLoad64(b.buf, Reg.RDI, Mem.at(Reg.RAX, 0));
        if (pop) {
            aluImm8(b.buf, Alu.SUB, Reg.RDI, 1);
        }
        cmp64(b.buf, Reg.RDI, Reg.R9);
        jcc(b.buf, Cond.AE, b.compareFailed);
        movReg64(b.buf, Reg.R9, Reg.RDI);
        imul64(b.buf, Reg.R9, Reg.RCX);
        alu64(b.buf, Alu.ADD, Reg.R9, Reg.R8);
    }

    /**
     * Copies {@code %rcx} bytes from {@code src} to {@code dst}: 16-byte blocks through %xmm0, then 8-byte words
     * through %rsi, then single bytes, advancing both and counting %rcx down.
     */
    private static void copy(Body b, Reg src, Reg dst) {
        Label blocks = b.buf.newLabel("blocks");
        Label words = b.buf.newLabel("words");
        Label word = b.buf.newLabel("word");
        Label bytes = b.buf.newLabel("bytes");
        Label copy = b.buf.newLabel("copy");
        Label copied = b.buf.newLabel("copied");
        aluImm8(b.buf, Alu.CMP, Reg.RCX, BLOCK);
        jcc(b.buf, Cond.B, words);
        b.buf.bind(blocks);
        movupsLoad(b.buf, COPIED_BLOCK, Mem.at(src, 0));
        movupsStore(b.buf, Mem.at(dst, 0), COPIED_BLOCK);
        step(b, src, dst, BLOCK, blocks);
        b.buf.bind(words);
        aluImm8(b.buf, Alu.CMP, Reg.RCX, Long.BYTES);
        jcc(b.buf, Cond.B, bytes);
        b.buf.bind(word);
        movLoad64(b.buf, Reg.RSI, Mem.at(src, 0));
        movStore64(b.buf, Mem.at(dst, 0), Reg.RSI);
        step(b, src, dst, Long.BYTES, word);
        b.buf.bind(bytes);
        test64(b.buf, Reg.RCX, Reg.RCX);
        jcc(b.buf, Cond.E, copied);
        b.buf.bind(copy);
        movzxLoad8(b.buf, Reg.RSI, Mem.at(src, 0));
        movStore8(b.buf, Mem.at(dst, 0), Reg.RSI);
        incDec64(b.buf, src, true);
        incDec64(b.buf, dst, true);
        incDec64(b.buf, Reg.RCX, false);
        jcc(b.buf, Cond.NE, copy);
        b.buf.bind(copied);
    }

    /** {@link #copy}'s advance by {@code size} bytes, back to {@code loop} while {@code size} or more are left. */
    private static void step(Body b, Reg src, Reg dst, int size, Label loop) {
        aluImm8(b.buf, Alu.ADD, src, size);
        aluImm8(b.buf, Alu.ADD, dst, size);
        aluImm8(b.buf, Alu.SUB, Reg.RCX, size);
        aluImm8(b.buf, Alu.CMP, Reg.RCX, size);
        jcc(b.buf, Cond.AE, loop);
    }

    /* popNode: base = %rdi, voffp = %rsi [, area = %rdx]; v in %rax, head in %rcx (the result), next in %r10. */
    @Override
    public EmittedSection emitPopNode(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.POP_NODE;
        return section(op, b -> {
            loadIndexedWord(b, op, strideShift);
            movLoad64(b.buf, POPPED, Mem.at(Reg.RAX, 0));
            test64(b.buf, POPPED, POPPED);
            jcc(b.buf, Cond.E, b.compareFailed);
            movLoad64(b.buf, Reg.R10, Mem.indexed(POPPED, Reg.RSI));
            b.injectDelay();
            movStore64(b.buf, Mem.at(Reg.RAX, 0), Reg.R10);
        });
    }

    /*
     * pushNode: base = %rdi, node = %rsi, depthLimit = %rdx [, area = %rcx]; v in %rax, head in %r10, depth in
     * %r8. TSO makes the plain commit a release store.
     */
    @Override
    public EmittedSection emitPushNode(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.PUSH_NODE;
        return section(op, b -> {
            Label counted = b.buf.newLabel("counted");
            loadIndexedWord(b, op, strideShift);
            movLoad64(b.buf, Reg.R10, Mem.at(Reg.RAX, 0));
            movImm32(b.buf, Reg.R8, 1);
            test64(b.buf, Reg.R10, Reg.R10);
            jcc(b.buf, Cond.E, counted);
            movLoad64(b.buf, Reg.R8, Mem.at(Reg.R10, Long.BYTES));
            aluImm8(b.buf, Alu.ADD, Reg.R8, 1);
            b.buf.bind(counted);
            cmp64(b.buf, Reg.R8, Reg.RDX);
            jcc(b.buf, Cond.A, b.compareFailed);
            movStore64(b.buf, Mem.at(Reg.RSI, 0), Reg.R10);
            movStore64(b.buf, Mem.at(Reg.RSI, Long.BYTES), Reg.R8);
            b.injectDelay();
            movStore64(b.buf, Mem.at(Reg.RAX, 0), Reg.RSI);
        });
    }

    /*
     * addEach: base = %rdi, offsets (the cursor) = %rsi, count = %rdx (then the end), value = %rcx,
     * maxOffset = %r8 [, area = %r9]; the offset in %r10, then the slot's offset from base in %rax.
     */
    @Override
    public EmittedSection emitAddEach(int strideShift) {
        checkStrideShift(strideShift);
        Operation op = Operation.ADD_EACH;
        return section(op, b -> {
            loadIndex(b, op);
            b.injectDelay();
            movLoad64(b.buf, Reg.R10, Mem.at(Reg.RSI, 0));
            cmp64(b.buf, Reg.R10, Reg.R8);
            jcc(b.buf, Cond.A, b.compareFailed);
            if (strideShift != 0) {
                shl64(b.buf, Reg.RAX, strideShift);
            }
            alu64(b.buf, Alu.ADD, Reg.RAX, Reg.R10);
            b.injectDelay();
            addStore64(b.buf, Mem.indexed(Reg.RDI, Reg.RAX), Reg.RCX);
        });
    }

    /** Shared head of the cmpeqv family: {@link #checkIndex}, then branch out on *v != expect. */
    private void checkIndexAndValue(Body b, Operation op) {
        checkIndex(b, op);
        cmp64(b.buf, Mem.at(Reg.RDI, 0), Reg.RSI);
        jcc(b.buf, Cond.NE, b.compareFailed);
    }

    /**
     * Load the index, range-check it, inject, branch out on an index mismatch (expectedIdx is the last argument
     * before the area: a register, or a stack slot compared in place).
     */
    private void checkIndex(Body b, Operation op) {
        loadIndex(b, op);
        b.injectDelay();
        switch (argument(op.baseArity() - 1)) {
            case Reg r -> cmp32(b.buf, Reg.RAX, r);
            case Mem m -> cmp32(b.buf, Reg.RAX, m);
        }
        jcc(b.buf, Cond.NE, b.indexMismatch);
    }

    /** {@link #loadIndex}, inject, then {@code %rax = base (%rdi) + (idx << strideShift)}: the index's word. */
    private void loadIndexedWord(Body b, Operation op, int strideShift) {
        loadIndex(b, op);
        b.injectDelay();
        if (strideShift != 0) {
            shl64(b.buf, Reg.RAX, strideShift);
        }
        alu64(b.buf, Alu.ADD, Reg.RAX, Reg.RDI);
    }

    /** {@code %eax = area->INDEX}, then out to index_out_of_range unless it is below the limit (unsigned). */
    private void loadIndex(Body b, Operation op) {
        movLoad32(b.buf, Reg.RAX, areaOf(op, config.indexField().offset()));
        cmpImm32(b.buf, Reg.RAX, config.indexLimit());
        jcc(b.buf, Cond.AE, b.indexOutOfRange);
    }

    // ---------------------------------------------------------------------------------------------------
    // Frame pieces.

    /** System V integer argument registers; later arguments are on the stack. */
    private static final Reg[] ARGUMENT_REGISTERS = {Reg.RDI, Reg.RSI, Reg.RDX, Reg.RCX, Reg.R8, Reg.R9};

    /** Where argument {@code i} is found at entry: a register, or its stack slot above the return address. */
    private static Operand argument(int i) {
        return i < ARGUMENT_REGISTERS.length ? ARGUMENT_REGISTERS[i]
                : Mem.at(Reg.RSP, 8 * (i - ARGUMENT_REGISTERS.length + 1));
    }

    /** The area's field at {@code fieldOffset}, as addressed inside the function. */
    private Mem areaOf(Operation op, int fieldOffset) {
        if (config.addressing() == Addressing.TLS) {
            return area(fieldOffset);
        }
        return Mem.at(argument(op.baseArity()) instanceof Reg r ? r : Reg.R10, fieldOffset);
    }

    /** TLS mode: {@code %fs:(__rseq_offset + fieldOffset)}, which must fit a signed 32-bit displacement. */
    private Mem area(int fieldOffset) {
        long disp = config.rseqOffset() + fieldOffset;
        if (disp != (int) disp) {
            throw new IllegalArgumentException("__rseq_offset " + config.rseqOffset()
                    + " does not fit a %fs:disp32 operand; use REGISTER addressing");
        }
        return Mem.fsAbsolute((int) disp);
    }

    @Override
    protected void emitPrologue(CodeBuffer buf, Operation op) {
        // A stack-passed area argument is loaded once, before the section, into a scratch register.
        if (config.addressing() == Addressing.REGISTER && argument(op.baseArity()) instanceof Mem slot) {
            movLoad64(buf, Reg.R10, slot);
        }
    }

    /*
     *     lea rseq_cs(%rip), %rax
     *     mov %rax, area->rseq_cs
     */
    @Override
    protected void emitStoreRseqCs(CodeBuffer buf, Operation op, Label descriptor) {
        lea(buf, Reg.RAX, descriptor);
        movStore64(buf, areaOf(op, RSEQ_CS_FIELD), Reg.RAX);
    }

    @Override
    protected void emitReturn(CodeBuffer buf, int code) {
        if (code == 0) {
            xor32(buf, Reg.RAX, Reg.RAX);
        } else {
            movImm32(buf, Reg.RAX, code);
        }
        ret(buf);
    }

    /*
     *     shl $3, %rdx
     *     add %rsi, %rdx
     */
    @Override
    protected void emitLoopStart(CodeBuffer buf) {
        shl64(buf, Reg.RDX, 3);
        alu64(buf, Alu.ADD, Reg.RDX, Reg.RSI);
    }

    /*
     *     cmp %rdx, %rsi
     *     jae done
     */
    @Override
    protected void emitLoopTest(CodeBuffer buf, Label done) {
        cmp64(buf, Reg.RSI, Reg.RDX);
        jcc(buf, Cond.AE, done);
    }

    /*
     *     add $8, %rsi
     *     jmp next
     */
    @Override
    protected void emitLoopAdvance(CodeBuffer buf, Label next) {
        aluImm8(buf, Alu.ADD, Reg.RSI, Long.BYTES);
        jmp(buf, next);
    }

    /*
     *     mov %rdx, %rax
     *     sub %rsi, %rax
     *     add $code, %rax
     *     ret
     */
    @Override
    protected void emitReturnRemaining(CodeBuffer buf, int code) {
        movReg64(buf, Reg.RAX, Reg.RDX);
        alu64(buf, Alu.SUB, Reg.RAX, Reg.RSI);
        if (code != 0) {
            aluImm8(buf, Alu.ADD, Reg.RAX, code);
        }
        ret(buf);
    }

    /* mov %rcx, %rax ; ret */
    @Override
    protected void emitReturnNode(CodeBuffer buf) {
        movReg64(buf, Reg.RAX, POPPED);
        ret(buf);
    }

    /** {@code ud1 0x53053053(%rip),%edi}: traps if ever executed, and keeps disassemblers in sync. */
    @Override
    protected void emitSignature(CodeBuffer buf) {
        buf.emit8(0x0f);
        buf.emit8(0xb9);
        buf.emit8(modrm(0, Reg.RDI.low3(), 5));
        buf.emit32(SIGNATURE);
        buf.asm(String.format("ud1 0x%08x(%%rip), %%edi", SIGNATURE));
    }

    /*
     *     mov $iterations, %r11d
     * loop:
     *     dec %r11d
     *     jnz loop
     */
    @Override
    protected void emitDelay(CodeBuffer buf, Label loop, int iterations) {
        movImm32(buf, Reg.R11, iterations);
        buf.bind(loop);
        dec32(buf, Reg.R11);
        jcc(buf, Cond.NE, loop);
    }

    /** int3. */
    @Override
    protected int padByte() {
        return 0xcc;
    }

    // ---------------------------------------------------------------------------------------------------
    // Encoders: just the forms used above. Operand order in method names is Intel's (destination first);
    // the listing is AT&T, as GNU as reads it.

    /** Where a value lives: a register or memory. */
    sealed interface Operand permits Reg, Mem {}

    /** General-purpose registers in encoding order. */
    enum Reg implements Operand {
        RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15;

        private static final String[] LEGACY = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};

        int low3() {
            return ordinal() & 7;
        }

        boolean extended() {
            return ordinal() >= 8;
        }

        String q() {
            return extended() ? "%r" + ordinal() : "%r" + LEGACY[ordinal()];
        }

        String d() {
            return extended() ? "%r" + ordinal() + "d" : "%e" + LEGACY[ordinal()];
        }

        String b() {
            return extended() ? "%r" + ordinal() + "b"
                    : ordinal() < 4 ? "%" + LEGACY[ordinal()].charAt(0) + "l" : "%" + LEGACY[ordinal()] + "l";
        }
    }

    /** Condition codes (the low nibble of jcc). */
    enum Cond {
        B(0x2, "jb"), AE(0x3, "jae"), E(0x4, "je"), NE(0x5, "jne"), A(0x7, "ja");

        final int code;
        final String mnemonic;

        Cond(int code, String mnemonic) {
            this.code = code;
            this.mnemonic = mnemonic;
        }
    }

    /**
     * A memory operand: {@code [fs:] disp(base[, index])}, {@code %fs:disp} (no base) or {@code label(%rip)}.
     */
    record Mem(boolean fs, Reg base, Reg index, int disp, Label rip) implements Operand {

        static Mem at(Reg base, int disp) {
            return new Mem(false, base, null, disp, null);
        }

        static Mem indexed(Reg base, Reg index) {
            if (index == Reg.RSP) {
                throw new IllegalArgumentException("%rsp cannot be an index");
            }
            return new Mem(false, base, index, 0, null);
        }

        static Mem fsAbsolute(int disp) {
            return new Mem(true, null, null, disp, null);
        }

        static Mem ripRelative(Label target) {
            return new Mem(false, null, null, 0, target);
        }

        int rex() {
            return (index != null && index.extended() ? 0x2 : 0) | (base != null && base.extended() ? 0x1 : 0);
        }

        @Override
        public String toString() {
            if (rip != null) {
                return rip.symbol() + "(%rip)";
            }
            String d = disp < 0 ? "-0x" + Integer.toHexString(-disp) : "0x" + Integer.toHexString(disp);
            if (base == null) {
                return (fs ? "%fs:" : "") + d;
            }
            return (fs ? "%fs:" : "") + (disp != 0 ? d : "")
                    + "(" + base.q() + (index != null ? "," + index.q() : "") + ")";
        }
    }

    private static int modrm(int mod, int reg, int rm) {
        return mod << 6 | (reg & 7) << 3 | (rm & 7);
    }

    /**
     * Emits [fs] [REX] opcode ModRM [SIB] [disp] for {@code reg} (a register number or /digit) and memory
     * operand {@code m}. {@code w}: REX.W; {@code byteReg}: {@code reg} is an 8-bit register (spl..dil need
     * a REX prefix to be told from ah..bh).
     */
    private static void memOp(CodeBuffer buf, boolean w, boolean byteReg, int reg, Mem m, int... opcode) {
        if (m.fs) {
            buf.emit8(0x64);
        }
        int rex = (w ? 0x8 : 0) | (reg >= 8 ? 0x4 : 0) | m.rex();
        if (rex != 0 || (byteReg && reg >= 4)) {
            buf.emit8(0x40 | rex);
        }
        for (int op : opcode) {
            buf.emit8(op);
        }
        if (m.rip != null) {
            buf.emit8(modrm(0, reg, 5));
            buf.emitReference(Fixup.X86_REL32, m.rip, 0);
        } else if (m.base == null) {
            // mod=00 rm=100 with SIB base=101, index=100: absolute disp32 (rm=101 alone would be rip-relative).
            buf.emit8(modrm(0, reg, 4));
            buf.emit8(0x25);
            buf.emit32(m.disp);
        } else {
            // rbp/r13 as base have no mod=00 form; rsp/r12 as base need a SIB byte.
            int mod = m.disp == 0 && m.base.low3() != 5 ? 0 : m.disp == (byte) m.disp ? 1 : 2;
            boolean sib = m.index != null || m.base.low3() == 4;
            buf.emit8(modrm(mod, reg, sib ? 4 : m.base.low3()));
            if (sib) {
                buf.emit8(modrm(0, m.index != null ? m.index.low3() : 4, m.base.low3()));
            }
            if (mod == 1) {
                buf.emit8(m.disp);
            } else if (mod == 2) {
                buf.emit32(m.disp);
            }
        }
    }

    /** Register-direct form: [REX] opcode ModRM(11, reg, rm). */
    private static void regOp(CodeBuffer buf, boolean w, int reg, Reg rm, int... opcode) {
        int rex = (w ? 0x8 : 0) | (reg >= 8 ? 0x4 : 0) | (rm.extended() ? 0x1 : 0);
        if (rex != 0) {
            buf.emit8(0x40 | rex);
        }
        for (int op : opcode) {
            buf.emit8(op);
        }
        buf.emit8(modrm(3, reg, rm.low3()));
    }

    /** {@code lea label(%rip), dst}. */
    static void lea(CodeBuffer buf, Reg dst, Label target) {
        Mem m = Mem.ripRelative(target);
        memOp(buf, true, false, dst.ordinal(), m, 0x8d);
        buf.asm("lea " + m + ", " + dst.q());
    }

    /** {@code mov m32, dst32} (zero-extends into the 64-bit register). */
    static void movLoad32(CodeBuffer buf, Reg dst, Mem src) {
        memOp(buf, false, false, dst.ordinal(), src, 0x8b);
        buf.asm("mov " + src + ", " + dst.d());
    }

    /** {@code mov m64, dst}. */
    static void movLoad64(CodeBuffer buf, Reg dst, Mem src) {
        memOp(buf, true, false, dst.ordinal(), src, 0x8b);
        buf.asm("mov " + src + ", " + dst.q());
    }

    /** {@code mov src, m64}. */
    static void movStore64(CodeBuffer buf, Mem dst, Reg src) {
        memOp(buf, true, false, src.ordinal(), dst, 0x89);
        buf.asm("mov " + src.q() + ", " + dst);
    }

    /** {@code movups m128, %xmmN}: an unaligned 16-byte load. */
    static void movupsLoad(CodeBuffer buf, int xmm, Mem src) {
        memOp(buf, false, false, xmm, src, 0x0f, 0x10);
        buf.asm("movups " + src + ", %xmm" + xmm);
    }

    /** {@code movups %xmmN, m128}: an unaligned 16-byte store. */
    static void movupsStore(CodeBuffer buf, Mem dst, int xmm) {
        memOp(buf, false, false, xmm, dst, 0x0f, 0x11);
        buf.asm("movups %xmm" + xmm + ", " + dst);
    }

    /** {@code mov src8, m8}. */
    static void movStore8(CodeBuffer buf, Mem dst, Reg src) {
        memOp(buf, false, true, src.ordinal(), dst, 0x88);
        buf.asm("mov " + src.b() + ", " + dst);
    }

    /** {@code movzbl m8, dst32}. */
    static void movzxLoad8(CodeBuffer buf, Reg dst, Mem src) {
        memOp(buf, false, false, dst.ordinal(), src, 0x0f, 0xb6);
        buf.asm("movzbl " + src + ", " + dst.d());
    }

    /** {@code add src, m64}: the read-modify-write commit of {@code add}. */
    static void addStore64(CodeBuffer buf, Mem dst, Reg src) {
        memOp(buf, true, false, src.ordinal(), dst, 0x01);
        buf.asm("add " + src.q() + ", " + dst);
    }

    /** Flags from {@code left - right} (32-bit): {@code cmp right, left}. */
    static void cmp32(CodeBuffer buf, Reg left, Reg right) {
        regOp(buf, false, right.ordinal(), left, 0x39);
        buf.asm("cmp " + right.d() + ", " + left.d());
    }

    /** Flags from {@code left - [right]} (32-bit): {@code cmp m32, left}. */
    static void cmp32(CodeBuffer buf, Reg left, Mem right) {
        memOp(buf, false, false, left.ordinal(), right, 0x3b);
        buf.asm("cmp " + right + ", " + left.d());
    }

    /** Flags from {@code [left] - right} (64-bit): {@code cmp right, m64}. */
    static void cmp64(CodeBuffer buf, Mem left, Reg right) {
        memOp(buf, true, false, right.ordinal(), left, 0x39);
        buf.asm("cmp " + right.q() + ", " + left);
    }

    /** Flags from {@code left - right} (64-bit): {@code cmp right, left}. */
    static void cmp64(CodeBuffer buf, Reg left, Reg right) {
        regOp(buf, true, right.ordinal(), left, 0x39);
        buf.asm("cmp " + right.q() + ", " + left.q());
    }

    /** Flags from {@code reg - imm} (32-bit): {@code cmp $imm, reg}, in the shortest form, as GNU as picks. */
    static void cmpImm32(CodeBuffer buf, Reg reg, int imm) {
        if (imm == (byte) imm) {
            regOp(buf, false, 7, reg, 0x83);
            buf.emit8(imm);
        } else {
            if (reg == Reg.RAX) {
                buf.emit8(0x3d);
            } else {
                regOp(buf, false, 7, reg, 0x81);
            }
            buf.emit32(imm);
        }
        buf.asm("cmp $" + imm + ", " + reg.d());
    }

    /** The group-1 operations used: the ModRM /digit of the immediate form, which is also bits 3..5 of the
     * register form's opcode. */
    enum Alu {
        ADD(0, "add"), SUB(5, "sub"), CMP(7, "cmp");

        final int digit;
        final String mnemonic;

        Alu(int digit, String mnemonic) {
            this.digit = digit;
            this.mnemonic = mnemonic;
        }
    }

    /** {@code imul src, dst} (64-bit registers): {@code dst = dst * src}, the low 64 bits. */
    static void imul64(CodeBuffer buf, Reg dst, Reg src) {
        regOp(buf, true, dst.ordinal(), src, 0x0f, 0xaf);
        buf.asm("imul " + src.q() + ", " + dst.q());
    }

    /** {@code op src, dst} (64-bit registers): {@code dst = dst op src}. */
    static void alu64(CodeBuffer buf, Alu op, Reg dst, Reg src) {
        regOp(buf, true, src.ordinal(), dst, op.digit << 3 | 0x01);
        buf.asm(op.mnemonic + " " + src.q() + ", " + dst.q());
    }

    /** {@code mov src, dst} (64-bit registers). */
    static void movReg64(CodeBuffer buf, Reg dst, Reg src) {
        regOp(buf, true, src.ordinal(), dst, 0x89);
        buf.asm("mov " + src.q() + ", " + dst.q());
    }

    /** {@code op $imm8, reg} (64-bit, sign-extended 8-bit immediate). */
    static void aluImm8(CodeBuffer buf, Alu op, Reg reg, int imm8) {
        if (imm8 != (byte) imm8) {
            throw new IllegalArgumentException("imm8 out of range: " + imm8);
        }
        regOp(buf, true, op.digit, reg, 0x83);
        buf.emit8(imm8);
        buf.asm(op.mnemonic + " $" + imm8 + ", " + reg.q());
    }

    /** {@code test a, b} (64-bit). */
    static void test64(CodeBuffer buf, Reg a, Reg b) {
        regOp(buf, true, b.ordinal(), a, 0x85);
        buf.asm("test " + b.q() + ", " + a.q());
    }

    /** {@code shl $count, reg} (64-bit); a count of 1 has its own opcode, as GNU as picks. */
    static void shl64(CodeBuffer buf, Reg reg, int count) {
        if (count < 1 || count > 63) {
            throw new IllegalArgumentException("shift count " + count);
        }
        if (count == 1) {
            regOp(buf, true, 4, reg, 0xd1);
        } else {
            regOp(buf, true, 4, reg, 0xc1);
            buf.emit8(count);
        }
        buf.asm("shl $" + count + ", " + reg.q());
    }

    /** {@code inc reg} / {@code dec reg} (64-bit). */
    static void incDec64(CodeBuffer buf, Reg reg, boolean increment) {
        regOp(buf, true, increment ? 0 : 1, reg, 0xff);
        buf.asm((increment ? "inc " : "dec ") + reg.q());
    }

    /** {@code dec reg32}. */
    static void dec32(CodeBuffer buf, Reg reg) {
        regOp(buf, false, 1, reg, 0xff);
        buf.asm("dec " + reg.d());
    }

    /** {@code xor b32, a32}. */
    static void xor32(CodeBuffer buf, Reg a, Reg b) {
        regOp(buf, false, b.ordinal(), a, 0x31);
        buf.asm("xor " + b.d() + ", " + a.d());
    }

    /** {@code mov $imm, reg32}. */
    static void movImm32(CodeBuffer buf, Reg reg, int imm) {
        if (reg.extended()) {
            buf.emit8(0x41);
        }
        buf.emit8(0xb8 + reg.low3());
        buf.emit32(imm);
        buf.asm("mov $" + imm + ", " + reg.d());
    }

    /** {@code jcc rel32} (forced long: see the class comment). */
    static void jcc(CodeBuffer buf, Cond cond, Label target) {
        buf.emit8(0x0f);
        buf.emit8(0x80 | cond.code);
        buf.emitReference(Fixup.X86_REL32, target, 0);
        buf.asm("{disp32} " + cond.mnemonic + " " + target.symbol());
    }

    /** {@code jmp rel32} (forced long, as {@link #jcc}). */
    static void jmp(CodeBuffer buf, Label target) {
        buf.emit8(0xe9);
        buf.emitReference(Fixup.X86_REL32, target, 0);
        buf.asm("{disp32} jmp " + target.symbol());
    }

    /** {@code ret}. */
    static void ret(CodeBuffer buf) {
        buf.emit8(0xc3);
        buf.asm("ret");
    }
}
