package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each aarch64 encoder against known instruction words, and (when installed) against GNU as. */
class Aarch64EncoderTest {

    /** {@code words}: the expected instruction words, in hex, space separated. */
    record Case(String asm, String words, Consumer<CodeBuffer> emit) {
        @Override
        public String toString() {
            return asm;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("ldr w10, [x9, #4]", "b940052a", b -> Aarch64Sections.ldr(b, false, 10, 9, 4)),
                new Case("ldr w10, [x7, #24]", "b94018ea",
                        b -> Aarch64Sections.ldr(b, false, 10, 7, 24)),
                new Case("ldr x11, [x0]", "f940000b", b -> Aarch64Sections.ldr(b, true, 11, 0, 0)),
                new Case("ldr x1, [x2, #32760]", "f97ffc41", b -> Aarch64Sections.ldr(b, true, 1, 2, 32760)),
                new Case("str x15, [x9, #8]", "f900052f", b -> Aarch64Sections.str(b, 15, 9, 8)),
                new Case("str x2, [x0]", "f9000002", b -> Aarch64Sections.str(b, 2, 0)),
                new Case("stlr x4, [x0]", "c89ffc04", b -> Aarch64Sections.stlr(b, 4, 0)),
                new Case("stlr x4, [x2]", "c89ffc44", b -> Aarch64Sections.stlr(b, 4, 2)),
                new Case("ldrb w12, [x3], #1", "3840146c",
                        b -> Aarch64Sections.movePostIncrement(b, true, 1, 12, 3)),
                new Case("strb w12, [x2], #1", "3800144c",
                        b -> Aarch64Sections.movePostIncrement(b, false, 1, 12, 2)),
                new Case("ldr q0, [x2], #16", "3cc10440",
                        b -> Aarch64Sections.movePostIncrement(b, true, 16, 0, 2)),
                new Case("str q0, [x1], #16", "3c810420",
                        b -> Aarch64Sections.movePostIncrement(b, false, 16, 0, 1)),
                new Case("add x10, x0, x10, lsl #6", "8b0a180a",
                        b -> Aarch64Sections.addShifted(b, 10, 0, 10, 6)),
                new Case("add x11, x11, x1", "8b01016b", b -> Aarch64Sections.addShifted(b, 11, 11, 1, 0)),
                new Case("madd x11, x10, x4, x1", "9b04054b", b -> Aarch64Sections.madd(b, 11, 10, 4, 1)),
                new Case("madd x1, x4, x3, x11", "9b032c81", b -> Aarch64Sections.madd(b, 1, 4, 3, 11)),
                new Case("sub x9, x9, x15", "cb0f0129", b -> Aarch64Sections.addSubShifted(b, false, 9, 9, 15, 0)),
                new Case("add x9, x9, #0x10", "91004129", b -> Aarch64Sections.addSubImm(b, true, 9, 9, 16)),
                new Case("sub x9, x9, #0xfff", "d13ffd29", b -> Aarch64Sections.addSubImm(b, false, 9, 9, 4095)),
                new Case("subs w13, w13, #1", "710005ad", b -> Aarch64Sections.subsImm(b, false, 13, 13, 1)),
                new Case("subs x4, x4, #1", "f1000484", b -> Aarch64Sections.subsImm(b, true, 4, 4, 1)),
                new Case("cmp w10, w3", "6b03015f", b -> Aarch64Sections.cmp(b, false, 10, 3)),
                new Case("cmp x11, x1", "eb01017f", b -> Aarch64Sections.cmp(b, true, 11, 1)),
                new Case("movz w0, #0x2", "52800040", b -> Aarch64Sections.movz(b, false, 0, 2, 0)),
                new Case("movz x15, #0x1234, lsl #16", "d2a2468f", b -> Aarch64Sections.movz(b, true, 15, 0x1234, 1)),
                new Case("movk x15, #0xffff, lsl #48", "f2ffffef",
                        b -> Aarch64Sections.movk(b, true, 15, 0xffff, 3)),
                new Case("movk w13, #0xf, lsl #16", "72a001ed", b -> Aarch64Sections.movk(b, false, 13, 0xf, 1)),
                new Case("movz x15, #0x5678", "d28acf0f",
                        b -> Aarch64Sections.movImm64(b, 15, 0x5678)),
                new Case("movk x15, #0x1234, lsl #32", "d28acf0f f2c2468f",
                        b -> Aarch64Sections.movImm64(b, 15, 0x1234_0000_5678L)),
                new Case("movz x15, #0x0", "d280000f", b -> Aarch64Sections.movImm64(b, 15, 0)),
                new Case("b.ne .Lself", "54000001", b -> {
                    Label self = b.newLabel("self");
                    b.bind(self);
                    Aarch64Sections.bne(b, self);
                }),
                new Case("b.ne .Lback", "d503201f 54ffffe1", b -> {
                    Label back = b.newLabel("back");
                    b.bind(back);
                    b.emit32(0xd503201f);
                    b.asm("nop");
                    Aarch64Sections.bne(b, back);
                }),
                new Case("cbz x4, .Lfwd", "b4000044 d503201f", b -> {
                    Label fwd = b.newLabel("fwd");
                    Aarch64Sections.cbz(b, 4, fwd);
                    b.emit32(0xd503201f);
                    b.asm("nop");
                    b.bind(fwd);
                }),
                new Case("mrs x9, tpidr_el0", "d53bd049 91008129", b -> sections(0x20).emitPrologue(b, Operation.ADD)),
                new Case("sub x9, x9, #0x20", "d53bd049 d1008129", b -> sections(-0x20).emitPrologue(b, Operation.ADD)),
                new Case("sub x9, x9, x15", "d53bd049 d2a0002f cb0f0129",
                        b -> sections(-0x10000).emitPrologue(b, Operation.ADD)),
                new Case("adr x15, .Lrseq_cs", "100000af f900052f d503201f d503201f d503201f", b -> {
                    Label cs = b.newLabel("rseq_cs");
                    sections(0x200).emitStoreRseqCs(b, Operation.ADD, cs);
                    for (int i = 0; i < 3; i++) {
                        b.emit32(0xd503201f);
                        b.asm("nop");
                    }
                    b.bind(cs);
                }),
                new Case("ret", "52800060 d65f03c0", b -> sections(0).emitReturn(b, 3)),
                new Case(".inst 0xd428bc00", "d428bc00", b -> sections(0).emitSignature(b)));
    }

    private static Aarch64Sections sections(long rseqOffset) {
        return new Aarch64Sections(SectionConfig.tls(rseqOffset, SectionConfig.IndexField.CPU_ID, 64));
    }

    static String words(byte[] bytes) {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (bb.remaining() >= 4) {
            out.add(String.format("%08x", bb.getInt()));
        }
        assertEquals(0, bb.remaining(), "not a whole number of words");
        return String.join(" ", out);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void knownEncoding(Case c) {
        CodeBuffer buf = new CodeBuffer();
        c.emit.accept(buf);
        assertEquals(c.words, words(buf.toBytes()), buf.listing());
        assertTrue(buf.listing().contains("\t" + c.asm), buf::listing);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesGnuAs(Case c, @TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(GnuAs.Arch.AARCH64);
        CodeBuffer buf = new CodeBuffer();
        c.emit.accept(buf);
        assertEquals(words(as.assemble(buf.listing(), dir)), words(buf.toBytes()), buf.listing());
    }

    @Test
    void rejectsUnencodableOperands() {
        CodeBuffer buf = new CodeBuffer();
        assertThrows(IllegalArgumentException.class, () -> Aarch64Sections.ldr(buf, false, 1, 2, 6));
        assertThrows(IllegalArgumentException.class, () -> Aarch64Sections.ldr(buf, true, 1, 2, 8 * 4096));
        assertThrows(IllegalArgumentException.class, () -> Aarch64Sections.addSubImm(buf, true, 1, 2, 4096));
        assertThrows(IllegalArgumentException.class, () -> Aarch64Sections.movz(buf, false, 1, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> Aarch64Sections.cmp(buf, true, 31, 1));
    }
}
