package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.cs.SectionConfig.Addressing;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Structure of every emitted section, independent of any assembler. */
class SectionLayoutTest {

    /** The one committing instruction each template must end its section with. */
    private static final Map<GnuAs.Arch, Map<Operation, String>> COMMITS = Map.of(
            GnuAs.Arch.X86_64, Map.of(
                    Operation.ADD, "add %rsi, (%rdi,%rax)",
                    Operation.CMPEQV_STOREV, "mov %rdx, (%rdi)",
                    Operation.PUSH_RECORD, "mov %rdi, (%rax)",
                    Operation.POP_RECORD, "mov %rdi, (%rax)",
                    Operation.POP_NODE, "mov %r10, (%rax)",
                    Operation.PUSH_NODE, "mov %rsi, (%rax)",
                    Operation.ADD_EACH, "add %rcx, (%rdi,%rax)"),
            GnuAs.Arch.AARCH64, Map.of(
                    Operation.ADD, "str x11, [x10]",
                    Operation.CMPEQV_STOREV, "str x2, [x0]",
                    Operation.PUSH_RECORD, "stlr x4, [x10]",
                    Operation.POP_RECORD, "stlr x4, [x10]",
                    Operation.POP_NODE, "str x12, [x10]",
                    Operation.PUSH_NODE, "stlr x1, [x10]",
                    Operation.ADD_EACH, "str x11, [x10]"));

    static Stream<Arguments> sections() {
        List<Arguments> all = new ArrayList<>();
        for (GnuAs.Arch arch : GnuAs.Arch.values()) {
            for (IndexField index : IndexField.values()) {
                for (SectionConfig config : List.of(SectionConfig.register(index, 64),
                        SectionConfig.tls(-0x8d0, index, 64), SectionConfig.tls(0x9a0, index, 64))) {
                    for (int delay : new int[] {0, 500}) {
                        for (Operation op : Operation.values()) {
                            all.add(Arguments.of(arch, op, config.withDelay(delay)));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    private static ByteBuffer le(byte[] code) {
        return ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The descriptor's post_commit_offset: the section's length in bytes. */
    private static long sectionLength(EmittedSection s) {
        return s.postCommitIpOffset() - s.startIpOffset();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("sections")
    void offsetsSignatureAndDescriptorAreSane(GnuAs.Arch arch, Operation op, SectionConfig config) {
        SectionTemplates t = arch.templates(config);
        EmittedSection s = t.emit(op, 6);
        byte[] code = s.code();
        ByteBuffer bb = le(code);

        assertEquals(0, s.entryOffset());
        assertTrue(s.entryOffset() < s.startIpOffset());
        assertTrue(s.startIpOffset() < s.postCommitIpOffset());
        assertTrue(s.postCommitIpOffset() <= s.abortIpOffset() - 4, "abort_ip outside the section");
        assertEquals(t.signature(), bb.getInt(s.abortIpOffset() - 4), "signature right before abort_ip");

        assertEquals(0, s.descriptorOffset() % 32);
        assertEquals(code.length, s.descriptorOffset() + EmittedSection.RSEQ_CS_SIZE);
        int cs = s.descriptorOffset();
        assertEquals(0, bb.getInt(cs + EmittedSection.RSEQ_CS_VERSION));
        assertEquals(0, bb.getInt(cs + EmittedSection.RSEQ_CS_FLAGS));
        assertEquals(s.startIpOffset(), bb.getLong(cs + EmittedSection.RSEQ_CS_START_IP));
        assertEquals(sectionLength(s), bb.getLong(cs + EmittedSection.RSEQ_CS_POST_COMMIT_OFFSET));
        assertEquals(s.abortIpOffset(), bb.getLong(cs + EmittedSection.RSEQ_CS_ABORT_IP));
        assertEquals(t.signature(), s.signature());

        int pad = arch == GnuAs.Arch.X86_64 ? 0xcc : 0;
        // return 2: mov + ret; or with the remaining count: mov, sub, add + ret (x86), sub, add + ret (aarch64)
        int handler = op.eachElement() ? (arch == GnuAs.Arch.X86_64 ? 11 : 12) : (arch == GnuAs.Arch.X86_64 ? 6 : 8);
        int afterAbort = s.abortIpOffset() + handler;
        for (int i = afterAbort; i < cs; i++) {
            assertEquals(pad, code[i] & 0xff, "trap padding before the descriptor");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("sections")
    void sectionStartsWithTheIndexLoadAndEndsWithTheCommit(GnuAs.Arch arch, Operation op, SectionConfig config) {
        String listing = arch.templates(config).emit(op, 6).listing();
        List<String> lines = listing.lines().map(String::strip).toList();
        String load = lines.get(lines.indexOf(".Lstart:") + 1);
        int field = config.indexField().offset();
        assertTrue(load.startsWith(arch == GnuAs.Arch.X86_64 ? "mov " : "ldr w10, "), load);
        long disp = config.addressing() == Addressing.TLS && arch == GnuAs.Arch.X86_64
                ? config.rseqOffset() + field : field;
        String hexDisp = (disp < 0 ? "-0x" : "0x") + Long.toHexString(Math.abs(disp));
        assertTrue(load.contains(arch == GnuAs.Arch.X86_64 ? hexDisp : "#" + field), load);

        assertEquals(COMMITS.get(arch).get(op), lines.get(lines.indexOf(".Lpost_commit:") - 1));

        assertEquals(op != Operation.ADD, lines.contains(".Lcompare_failed:"));
        assertEquals(SectionOrderTest.takesExpectedIndex(op), lines.contains(".Lindex_mismatch:"));
        assertEquals(op.eachElement(), lines.contains(".Lnext:") && lines.contains(".Ldone:"));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("sections")
    void delayInjectionAddsTwoLoopsAndNothingWhenOff(GnuAs.Arch arch, Operation op, SectionConfig config) {
        EmittedSection off = arch.templates(config.withDelay(0)).emit(op, 6);
        EmittedSection on = arch.templates(config.withDelay(500)).emit(op, 6);
        int loopSize = arch == GnuAs.Arch.X86_64 ? 6 + 3 + 6 : 3 * 4;
        assertFalse(off.listing().contains("delay"));
        assertTrue(on.listing().contains(".Ldelay1:") && on.listing().contains(".Ldelay2:"));
        assertFalse(on.listing().contains(".Ldelay3:"));
        assertEquals(sectionLength(off) + 2 * loopSize, sectionLength(on), "both loops inside the section");
        assertEquals(off.startIpOffset(), on.startIpOffset());
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("sections")
    void relocationTouchesOnlyTheDescriptorAddresses(GnuAs.Arch arch, Operation op, SectionConfig config) {
        EmittedSection s = arch.templates(config).emit(op, 6);
        long base = 0x7f12_3456_7000L;
        byte[] code = s.code();
        byte[] moved = s.relocate(base);
        int start = s.descriptorOffset() + EmittedSection.RSEQ_CS_START_IP;
        int abort = s.descriptorOffset() + EmittedSection.RSEQ_CS_ABORT_IP;
        assertEquals(base + s.startIpOffset(), le(moved).getLong(start));
        assertEquals(base + s.abortIpOffset(), le(moved).getLong(abort));
        for (int i = 0; i < code.length; i++) {
            boolean field = (i >= start && i < start + 8) || (i >= abort && i < abort + 8);
            if (!field) {
                assertEquals(code[i], moved[i], "byte " + i + " must not depend on the base address");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> s.relocate(base + 16));
    }

    @Test
    void abortHandlerReturnsTwo() {
        SectionConfig c = SectionConfig.register(IndexField.CPU_ID, 64);
        EmittedSection x = new X86_64Sections(c).emitAdd(6);
        assertArrayEquals(new byte[] {(byte) 0xb8, 2, 0, 0, 0, (byte) 0xc3},
                java.util.Arrays.copyOfRange(x.code(), x.abortIpOffset(), x.abortIpOffset() + 6));
        EmittedSection a = new Aarch64Sections(c).emitAdd(6);
        assertEquals(0x52800040, le(a.code()).getInt(a.abortIpOffset()));
        assertEquals(0xd65f03c0, le(a.code()).getInt(a.abortIpOffset() + 4));
    }

    @Test
    void x86RefusesTlsOffsetsBeyondDisp32() {
        assertThrows(IllegalArgumentException.class,
                () -> new X86_64Sections(SectionConfig.tls(0x8000_0000L, IndexField.CPU_ID, 64)));
        assertThrows(IllegalArgumentException.class,
                () -> new X86_64Sections(SectionConfig.tls(Integer.MAX_VALUE - 23L, IndexField.MM_CID, 64)));
        new X86_64Sections(SectionConfig.tls(Integer.MAX_VALUE - 24L, IndexField.MM_CID, 64));
        new X86_64Sections(SectionConfig.tls(Integer.MIN_VALUE, IndexField.CPU_ID, 64));
        new Aarch64Sections(SectionConfig.tls(0x7000_0000_0000L, IndexField.CPU_ID, 64)).emitAdd(6);
    }

    @Test
    void validatesConfigurationAndStride() {
        assertThrows(IllegalArgumentException.class,
                () -> new SectionConfig(Addressing.REGISTER, 8, IndexField.CPU_ID, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> SectionConfig.register(IndexField.CPU_ID, 64).withDelay(-1));
        SectionTemplates t = new X86_64Sections(SectionConfig.register(IndexField.CPU_ID, 64));
        assertThrows(IllegalArgumentException.class, () -> t.emitAdd(-1));
        assertThrows(IllegalArgumentException.class, () -> t.emitAdd(SectionTemplates.MAX_STRIDE_SHIFT + 1));
        assertEquals(sectionLength(t.emitAdd(0)) + 4, sectionLength(t.emitAdd(2)), "shl only when shifting");
    }

    @Test
    void emissionIsDeterministic() {
        SectionTemplates t = new Aarch64Sections(SectionConfig.tls(-16, IndexField.MM_CID, 64).withDelay(7));
        assertEquals(t.emitPushRecord(6), t.emitPushRecord(6));
        assertNotEquals(t.emitPushRecord(6), t.emitPopRecord(6));
    }

    @Test
    void architecturesAndParameterTypes() {
        SectionConfig c = SectionConfig.register(IndexField.CPU_ID, 64);
        assertInstanceOf(X86_64Sections.class, SectionTemplates.forArchitecture("amd64", c));
        assertInstanceOf(X86_64Sections.class, SectionTemplates.forArchitecture("x86_64", c));
        assertInstanceOf(Aarch64Sections.class, SectionTemplates.forArchitecture("aarch64", c));
        assertThrows(UnsupportedOperationException.class, () -> SectionTemplates.forArchitecture("riscv64", c));
        assertEquals(List.of(long.class, long.class), Operation.ADD.parameterTypes(Addressing.TLS));
        assertEquals(List.of(long.class, long.class, long.class, long.class, long.class, long.class, long.class),
                Operation.PUSH_RECORD.parameterTypes(Addressing.REGISTER));
        assertEquals(4, Operation.CMPEQV_STOREV.baseArity());
        assertEquals(List.of(long.class, long.class, long.class),
                Operation.POP_NODE.parameterTypes(Addressing.REGISTER));
    }
}
