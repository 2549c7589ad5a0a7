package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.cs.CodeBuffer.Fixup;
import io.github.rseq4j.internal.cs.CodeBuffer.Label;
import org.junit.jupiter.api.Test;

class CodeBufferTest {

    @Test
    void emitsLittleEndianAndGrows() {
        CodeBuffer buf = new CodeBuffer();
        buf.emit8(0x1ff);
        buf.emit16(0x0302);
        buf.emit32(0x07060504);
        buf.emit64(0x0f0e0d0c0b0a0908L);
        assertArrayEquals(new byte[] {-1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, buf.toBytes());
        for (int i = 0; i < 1000; i++) {
            buf.emit8(i);
        }
        assertEquals(1015, buf.position());
        assertEquals((byte) 999, buf.toBytes()[1014]);
    }

    @Test
    void alignsWithFillAndListsTheDirective() {
        CodeBuffer buf = new CodeBuffer();
        buf.emit8(1);
        buf.align(8, 0xcc);
        assertArrayEquals(new byte[] {1, -52, -52, -52, -52, -52, -52, -52}, buf.toBytes());
        buf.align(8, 0xcc);
        assertEquals(8, buf.position(), "already aligned: no padding");
        assertEquals("\t.balign 8, 0xcc\n\t.balign 8, 0xcc\n", buf.listing());
        assertThrows(IllegalArgumentException.class, () -> buf.align(12, 0));
    }

    @Test
    void x86Rel32IsRelativeToTheEndOfTheField() {
        CodeBuffer buf = new CodeBuffer();
        Label back = buf.newLabel("back");
        Label fwd = buf.newLabel("fwd");
        buf.bind(back);
        buf.emitReference(Fixup.X86_REL32, back, 0); // -4
        buf.emitReference(Fixup.X86_REL32, fwd, 0);  // +2
        buf.emit16(0);
        buf.bind(fwd);
        assertArrayEquals(new byte[] {-4, -1, -1, -1, 2, 0, 0, 0, 0, 0}, buf.toBytes());
    }

    @Test
    void aarch64FixupsMergeIntoTheTemplate() {
        CodeBuffer buf = new CodeBuffer();
        Label target = buf.newLabel("target");
        buf.emitReference(Fixup.A64_IMM26, target, 0x14000000);       // b      +16
        buf.emitReference(Fixup.A64_IMM19, target, 0x54000001);       // b.ne   +12
        buf.emitReference(Fixup.A64_IMM14, target, 0x36000000);       // tbz w0, #0, +8
        buf.emitReference(Fixup.A64_ADR, target, 0x1000000f);         // adr x15, +4
        buf.bind(target);
        buf.emitReference(Fixup.A64_IMM19, target, 0xb4000000);       // cbz x0, -0: self
        buf.emitReference(Fixup.A64_IMM26, target, 0x14000000);       // b -4
        buf.emitReference(Fixup.A64_ADR, target, 0x1000000f);         // adr x15, -8
        assertEquals("14000004 54000061 36000040 1000002f b4000000 17ffffff 10ffffcf",
                Aarch64EncoderTest.words(buf.toBytes()));
    }

    @Test
    void adrKeepsByteGranularity() {
        CodeBuffer buf = new CodeBuffer();
        Label target = buf.newLabel("t");
        buf.emitReference(Fixup.A64_ADR, target, 0x10000000);
        buf.emit8(0);
        buf.bind(target); // +5: immlo = 1, immhi = 1
        assertEquals(0x30000020, java.nio.ByteBuffer.wrap(buf.toBytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getInt());
    }

    @Test
    void rejectsOutOfRangeAndMisalignedReferences() {
        CodeBuffer far = new CodeBuffer();
        Label t = far.newLabel("t");
        far.emitReference(Fixup.A64_IMM14, t, 0x36000000);
        for (int i = 0; i < (1 << 13); i++) {
            far.emit32(0);
        }
        far.bind(t); // 2^13 words ahead: one past imm14's reach
        assertThrows(IllegalStateException.class, far::toBytes);

        CodeBuffer odd = new CodeBuffer();
        Label u = odd.newLabel("u");
        odd.emitReference(Fixup.A64_IMM19, u, 0x54000001);
        odd.emit8(0);
        odd.bind(u);
        assertThrows(IllegalStateException.class, odd::toBytes);
    }

    @Test
    void labelsAreBoundOnceAndNamedUniquely() {
        CodeBuffer buf = new CodeBuffer();
        Label a = buf.newLabel("a");
        assertFalse(a.isBound());
        assertFalse(a.isReferenced());
        assertThrows(IllegalStateException.class, a::offset);
        assertThrows(IllegalArgumentException.class, () -> buf.newLabel("a"));
        assertThrows(IllegalArgumentException.class, () -> buf.newLabel("1x"));
        buf.emitReference(Fixup.X86_REL32, a, 0);
        assertTrue(a.isReferenced());
        assertThrows(IllegalStateException.class, buf::toBytes, "unbound label");
        buf.bind(a);
        assertThrows(IllegalStateException.class, () -> buf.bind(a));
        assertEquals(".La:\n", buf.listing());
        assertEquals(".La", a.symbol());
    }
}
