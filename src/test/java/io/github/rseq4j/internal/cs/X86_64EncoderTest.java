package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import io.github.rseq4j.internal.cs.X86_64Sections.Cond;
import io.github.rseq4j.internal.cs.X86_64Sections.Mem;
import io.github.rseq4j.internal.cs.X86_64Sections.Reg;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each x86_64 encoder against known encodings, and (when installed) against GNU as. */
class X86_64EncoderTest {

    record Case(String asm, String hex, Consumer<CodeBuffer> emit) {
        @Override
        public String toString() {
            return asm;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("lea .Lhere(%rip), %rax", "488d05f9ffffff", b -> {
                    Label here = b.newLabel("here");
                    b.bind(here);
                    X86_64Sections.lea(b, Reg.RAX, here);
                }),
                new Case("mov %fs:0x10, %eax", "648b042510000000",
                        b -> X86_64Sections.movLoad32(b, Reg.RAX, Mem.fsAbsolute(0x10))),
                new Case("mov %fs:-0x80000000, %eax", "648b042500000080",
                        b -> X86_64Sections.movLoad32(b, Reg.RAX, Mem.fsAbsolute(Integer.MIN_VALUE))),
                new Case("mov 0x18(%r10), %eax", "418b4218",
                        b -> X86_64Sections.movLoad32(b, Reg.RAX, Mem.at(Reg.R10, 24))),
                new Case("mov 0x4(%r8), %r9d", "458b4804",
                        b -> X86_64Sections.movLoad32(b, Reg.R9, Mem.at(Reg.R8, 4))),
                new Case("mov 0x10(%rsp), %r10", "4c8b542410",
                        b -> X86_64Sections.movLoad64(b, Reg.R10, Mem.at(Reg.RSP, 16))),
                new Case("mov %rax, %fs:-0x100", "6448890425" + "00ffffff",
                        b -> X86_64Sections.movStore64(b, Mem.fsAbsolute(-0x100), Reg.RAX)),
                new Case("mov %rax, 0x8(%rdx)", "48894208",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.RDX, 8), Reg.RAX)),
                new Case("mov %r9, (%rdi)", "4c890f",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.RDI, 0), Reg.R9)),
                new Case("mov %rax, (%r13)", "49894500",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.R13, 0), Reg.RAX)),
                new Case("mov %rax, (%rbp)", "48894500",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.RBP, 0), Reg.RAX)),
                new Case("mov %rcx, 0x1000(%r12)", "49898c2400100000",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.R12, 0x1000), Reg.RCX)),
                new Case("mov %rcx, -0x8(%rsp)", "48894c24f8",
                        b -> X86_64Sections.movStore64(b, Mem.at(Reg.RSP, -8), Reg.RCX)),
                new Case("mov %al, (%rdx)", "8802",
                        b -> X86_64Sections.movStore8(b, Mem.at(Reg.RDX, 0), Reg.RAX)),
                new Case("mov %sil, (%rdi)", "408837",
                        b -> X86_64Sections.movStore8(b, Mem.at(Reg.RDI, 0), Reg.RSI)),
                new Case("mov %spl, (%rdx)", "408822", // the first byte register that needs an empty REX
                        b -> X86_64Sections.movStore8(b, Mem.at(Reg.RDX, 0), Reg.RSP)),
                new Case("mov %r11b, (%r9)", "458819",
                        b -> X86_64Sections.movStore8(b, Mem.at(Reg.R9, 0), Reg.R11)),
                new Case("movups (%rdx), %xmm0", "0f1002",
                        b -> X86_64Sections.movupsLoad(b, 0, Mem.at(Reg.RDX, 0))),
                new Case("movups 0x10(%rsp), %xmm0", "0f10442410",
                        b -> X86_64Sections.movupsLoad(b, 0, Mem.at(Reg.RSP, 16))),
                new Case("movups %xmm0, (%r9)", "410f1101",
                        b -> X86_64Sections.movupsStore(b, Mem.at(Reg.R9, 0), 0)),
                new Case("movups %xmm0, (%r13)", "410f114500",
                        b -> X86_64Sections.movupsStore(b, Mem.at(Reg.R13, 0), 0)),
                new Case("movzbl (%rcx), %eax", "0fb601",
                        b -> X86_64Sections.movzxLoad8(b, Reg.RAX, Mem.at(Reg.RCX, 0))),
                new Case("movzbl (%r8), %r12d", "450fb620",
                        b -> X86_64Sections.movzxLoad8(b, Reg.R12, Mem.at(Reg.R8, 0))),
                new Case("add %rsi, (%rdi,%rax)", "48013407",
                        b -> X86_64Sections.addStore64(b, Mem.indexed(Reg.RDI, Reg.RAX), Reg.RSI)),
                new Case("add %r11, (%r8,%r9)", "4f011c08",
                        b -> X86_64Sections.addStore64(b, Mem.indexed(Reg.R8, Reg.R9), Reg.R11)),
                new Case("add %rsi, (%r13,%rax)", "49017405" + "00",
                        b -> X86_64Sections.addStore64(b, Mem.indexed(Reg.R13, Reg.RAX), Reg.RSI)),
                new Case("cmp %ecx, %eax", "39c8", b -> X86_64Sections.cmp32(b, Reg.RAX, Reg.RCX)),
                new Case("cmp %r9d, %eax", "4439c8", b -> X86_64Sections.cmp32(b, Reg.RAX, Reg.R9)),
                new Case("cmp 0x8(%rsp), %eax", "3b442408",
                        b -> X86_64Sections.cmp32(b, Reg.RAX, Mem.at(Reg.RSP, 8))),
                new Case("cmp %rsi, (%rdi)", "483937",
                        b -> X86_64Sections.cmp64(b, Mem.at(Reg.RDI, 0), Reg.RSI)),
                new Case("test %r8, %r8", "4d85c0", b -> X86_64Sections.test64(b, Reg.R8, Reg.R8)),
                new Case("shl $6, %rax", "48c1e006", b -> X86_64Sections.shl64(b, Reg.RAX, 6)),
                new Case("imul %rax, %r8", "4c0fafc0", b -> X86_64Sections.imul64(b, Reg.R8, Reg.RAX)),
                new Case("imul %rcx, %r9", "4c0fafc9", b -> X86_64Sections.imul64(b, Reg.R9, Reg.RCX)),
                new Case("shl $1, %rax", "48d1e0", b -> X86_64Sections.shl64(b, Reg.RAX, 1)),
                new Case("inc %rcx", "48ffc1", b -> X86_64Sections.incDec64(b, Reg.RCX, true)),
                new Case("dec %r8", "49ffc8", b -> X86_64Sections.incDec64(b, Reg.R8, false)),
                new Case("dec %r11d", "41ffcb", b -> X86_64Sections.dec32(b, Reg.R11)),
                new Case("xor %eax, %eax", "31c0", b -> X86_64Sections.xor32(b, Reg.RAX, Reg.RAX)),
                new Case("mov $3, %eax", "b803000000", b -> X86_64Sections.movImm32(b, Reg.RAX, 3)),
                new Case("mov $1000, %r11d", "41bbe8030000", b -> X86_64Sections.movImm32(b, Reg.R11, 1000)),
                new Case("{disp32} jne .Lback", "0f85faffffff", b -> {
                    Label back = b.newLabel("back");
                    b.bind(back);
                    X86_64Sections.jcc(b, Cond.NE, back);
                }),
                new Case("{disp32} je .Lfwd", "0f840100000090", b -> {
                    Label fwd = b.newLabel("fwd");
                    X86_64Sections.jcc(b, Cond.E, fwd);
                    b.emit8(0x90);
                    b.asm("nop");
                    b.bind(fwd);
                }),
                new Case("ret", "c3", X86_64Sections::ret),
                new Case("ud1 0x53053053(%rip), %edi", "0fb93d53300553",
                        b -> new X86_64Sections(SectionConfig.register(SectionConfig.IndexField.CPU_ID, 64))
                                .emitSignature(b)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void knownEncoding(Case c) {
        CodeBuffer buf = new CodeBuffer();
        c.emit.accept(buf);
        assertEquals(c.hex, GnuAs.hex(buf.toBytes()));
        assertTrue(buf.listing().contains("\t" + c.asm + "\n"), buf::listing);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesGnuAs(Case c, @TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(GnuAs.Arch.X86_64);
        CodeBuffer buf = new CodeBuffer();
        c.emit.accept(buf);
        assertEquals(GnuAs.hex(as.assemble(buf.listing(), dir)), GnuAs.hex(buf.toBytes()), buf.listing());
    }
}
