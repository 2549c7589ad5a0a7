package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every template x addressing mode x index field x delay on/off: the emitted blob (code, labels, signature,
 * padding, descriptor) equals what GNU as makes of the section's own listing, byte for byte.
 */
class SectionsMatchGnuAsTest {

    /** TLS offsets per architecture: typical, zero, and the edges of each materialization path. */
    private static final long[] X86_TLS_OFFSETS = {0x9a0, 0, -0x80000000L, 0x7fffffffL - 24};
    private static final long[] A64_TLS_OFFSETS = {-0x20, 0, 0xfff, 0x1000, -0x1_2345_6789L};
    /** Delay counts: off, 16-bit, and one needing the upper halfword (movk on aarch64). */
    private static final int[] DELAYS = {0, 1000, 0x12345};
    /**
     * Index limits: the edges of x86's imm8 and eax-imm32 forms and of aarch64's imm12, movz-only and movz+movk
     * materializations.
     */
    private static final int[] LIMITS = {1, 127, 128, 4095, 4096, 0x10000, 0x12345};

    static Stream<Arguments> sections() {
        List<Arguments> all = new ArrayList<>();
        for (GnuAs.Arch arch : GnuAs.Arch.values()) {
            List<SectionConfig> configs = new ArrayList<>();
            for (IndexField index : IndexField.values()) {
                configs.add(SectionConfig.register(index, 64));
                for (long offset : arch == GnuAs.Arch.X86_64 ? X86_TLS_OFFSETS : A64_TLS_OFFSETS) {
                    configs.add(SectionConfig.tls(offset, index, 64));
                }
            }
            for (SectionConfig base : configs) {
                for (int delay : DELAYS) {
                    SectionConfig config = base.withDelay(delay);
                    for (Operation op : Operation.values()) {
                        all.add(Arguments.of(arch, op, config, 6));
                    }
                    if (delay == 0 && base.addressing() == SectionConfig.Addressing.REGISTER) {
                        for (int limit : LIMITS) {
                            SectionConfig limited = new SectionConfig(base.addressing(), base.rseqOffset(),
                                    base.indexField(), limit, 0);
                            for (Operation op : Operation.values()) {
                                all.add(Arguments.of(arch, op, limited, 6));
                            }
                        }
                    }
                    if (delay == 0) { // other strides: no shift, the short x86 shift form, the largest
                        for (int shift : new int[] {0, 1, SectionTemplates.MAX_STRIDE_SHIFT}) {
                            all.add(Arguments.of(arch, Operation.ADD, config, shift));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    /**
     * One assembler run per architecture: the sections' listings, labels renamed apart, assembled together (each
     * blob is a whole number of 32-byte units, so each starts where the previous one ends, aligned as alone);
     * then every section's slice is compared, and each one that differs is named.
     */
    @ParameterizedTest
    @EnumSource(GnuAs.Arch.class)
    void blobEqualsGnuAsOutput(GnuAs.Arch arch, @TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(arch);
        List<Object[]> cases = sections().map(Arguments::get).filter(c -> c[0] == arch).toList();
        List<EmittedSection> emitted = new ArrayList<>();
        StringBuilder listing = new StringBuilder();
        for (Object[] c : cases) {
            EmittedSection s = arch.templates((SectionConfig) c[2]).emit((Operation) c[1], (int) c[3]);
            listing.append(s.listing().replace(".L", ".Ls" + emitted.size() + "_"));
            emitted.add(s);
        }
        byte[] assembled = as.assemble(listing.toString(), dir);
        List<String> differing = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < cases.size(); i++) {
            EmittedSection s = emitted.get(i);
            byte[] expected = Arrays.copyOfRange(assembled, offset, offset + s.size());
            offset += s.size();
            String got = arch == GnuAs.Arch.AARCH64 ? Aarch64EncoderTest.words(s.code()) : GnuAs.hex(s.code());
            String want = arch == GnuAs.Arch.AARCH64 ? Aarch64EncoderTest.words(expected) : GnuAs.hex(expected);
            if (!want.equals(got)) {
                Object[] c = cases.get(i);
                differing.add(c[1] + " " + c[2] + " shift=" + c[3] + "\n  as:   " + want + "\n  ours: " + got
                        + (differing.isEmpty() ? "\n" + s.listing() : ""));
            }
        }
        assertEquals(List.of(), differing, differing.size() + " of " + cases.size() + " sections differ");
        assertEquals(offset, assembled.length, "nothing else assembled");
    }
}
