package io.github.rseq4j.internal.cs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A growable little-endian byte emitter with labels, label fixups and a parallel assembly listing.
 *
 * <p>The instruction encoders of {@link X86_64Sections} and {@link Aarch64Sections} write their bytes here
 * and record one GNU {@code as} line per instruction ({@link #asm}); {@link #bind} and {@link #align} record
 * their own lines. The listing is therefore exactly the source GNU {@code as} would need to produce the same
 * bytes, which is how the tests check every encoder and every template.
 *
 * <p>Label references are written as placeholders and resolved by {@link #toBytes()}, so a label may be
 * referenced before it is bound. Not thread-safe; one buffer builds one blob.
 */
public final class CodeBuffer {

    /** A position in the buffer: bound once, referenced any number of times. */
    public static final class Label {
        private final String name;
        private int offset = -1;
        private boolean referenced;

        private Label(String name) {
            this.name = name;
        }

        /** The assembler symbol: a {@code .L} local label, so {@code as} resolves it without relocations. */
        public String symbol() {
            return ".L" + name;
        }

        public boolean isBound() {
            return offset >= 0;
        }

        /** True once some fixup points here (lets templates drop exits nothing jumps to). */
        public boolean isReferenced() {
            return referenced;
        }

        /** Offset from the start of the buffer. */
        public int offset() {
            if (offset < 0) {
                throw new IllegalStateException("label " + name + " is not bound");
            }
            return offset;
        }

        @Override
        public String toString() {
            return symbol() + (isBound() ? "@" + offset : "");
        }
    }

    /** How a reference to a label is encoded in the four bytes at the reference site. */
    public enum Fixup {
        /**
         * x86: signed 32-bit displacement relative to the end of the four bytes. Valid where those bytes end
         * the instruction (jcc/jmp rel32, rip-relative operand without a trailing immediate).
         */
        X86_REL32,
        /** aarch64 B/BL: word offset in bits 0..25. */
        A64_IMM26,
        /** aarch64 B.cond/CBZ/CBNZ/LDR (literal): word offset in bits 5..23. */
        A64_IMM19,
        /** aarch64 TBZ/TBNZ: word offset in bits 5..18. */
        A64_IMM14,
        /** aarch64 ADR: byte offset, low two bits in 29..30, the rest in 5..23. */
        A64_ADR
    }

    private record Site(int offset, Fixup kind, Label target) {}

    private byte[] bytes = new byte[256];
    private int size;
    private final List<Site> sites = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final StringBuilder listing = new StringBuilder();

    /** A new unbound label; names must be unique within the buffer because they become assembler symbols. */
    public Label newLabel(String name) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") || !names.add(name)) {
            throw new IllegalArgumentException("bad or duplicate label name: " + name);
        }
        return new Label(name);
    }

    /** Binds {@code label} to the current position. */
    public void bind(Label label) {
        if (label.isBound()) {
            throw new IllegalStateException("label bound twice: " + label);
        }
        label.offset = size;
        listing.append(label.symbol()).append(":\n");
    }

    /** The current offset, i.e. the number of bytes emitted so far. */
    public int position() {
        return size;
    }

    /** Records one line of the listing for what was just emitted. */
    public void asm(String line) {
        listing.append('\t').append(line).append('\n');
    }

    public void emit8(int value) {
        ensure(1);
        bytes[size++] = (byte) value;
    }

    public void emit16(int value) {
        emit8(value);
        emit8(value >>> 8);
    }

    public void emit32(int value) {
        emit16(value);
        emit16(value >>> 16);
    }

    public void emit64(long value) {
        emit32((int) value);
        emit32((int) (value >>> 32));
    }

    /**
     * Emits the four bytes {@code template} (little-endian) and records that {@link #toBytes()} must merge a
     * reference to {@code target} into them, encoded as {@code kind}. For aarch64 the template is the
     * instruction word with a zero offset field; for x86 it is 0 (the displacement itself).
     */
    public void emitReference(Fixup kind, Label target, int template) {
        Objects.requireNonNull(target);
        target.referenced = true;
        sites.add(new Site(size, kind, target));
        emit32(template);
    }

    /** Pads with {@code fill} up to a multiple of {@code alignment} (a power of two). */
    public void align(int alignment, int fill) {
        if (Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        while ((size & (alignment - 1)) != 0) {
            emit8(fill);
        }
        listing.append(String.format("\t.balign %d, 0x%02x%n", alignment, fill & 0xff));
    }

    /** The listing: one GNU as line per instruction, label or directive, in emission order. */
    public String listing() {
        return listing.toString();
    }

    /** A copy of the bytes with every label reference resolved. */
    public byte[] toBytes() {
        byte[] out = Arrays.copyOf(bytes, size);
        for (Site s : sites) {
            int word = readInt(out, s.offset);
            writeInt(out, s.offset, resolve(s, word, s.target.offset() - s.offset));
        }
        return out;
    }

    private static int resolve(Site s, int word, long delta) {
        return switch (s.kind) {
            case X86_REL32 -> {
                long rel = delta - 4;
                check(s, rel, 32, 1);
                yield (int) rel;
            }
            case A64_IMM26 -> word | field(s, delta, 26, 0);
            case A64_IMM19 -> word | field(s, delta, 19, 5);
            case A64_IMM14 -> word | field(s, delta, 14, 5);
            case A64_ADR -> {
                check(s, delta, 21, 1);
                yield word | ((int) (delta & 3) << 29) | ((int) ((delta >> 2) & 0x7ffff) << 5);
            }
        };
    }

    /** A word-scaled signed offset of {@code bits} bits, placed at bit {@code shift}. */
    private static int field(Site s, long delta, int bits, int shift) {
        check(s, delta, bits + 2, 4);
        return (int) ((delta >> 2) & ((1L << bits) - 1)) << shift;
    }

    private static void check(Site s, long value, int signedBits, int granule) {
        long limit = 1L << (signedBits - 1);
        if (value < -limit || value >= limit || value % granule != 0) {
            throw new IllegalStateException(s.kind + " reference to " + s.target + " from " + s.offset
                    + " out of range or misaligned: " + value);
        }
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static void writeInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
