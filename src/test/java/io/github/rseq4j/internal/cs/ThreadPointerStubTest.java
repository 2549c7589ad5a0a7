package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.arch.Aarch64;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aarch64 stubs (thread pointer, instruction cache maintenance) are the code GNU as makes of their listings. */
class ThreadPointerStubTest {

    @Test
    void matchesGnuAs(@TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(GnuAs.Arch.AARCH64);
        byte[] expected = as.assemble("\tmrs x0, tpidr_el0\n\tret\n", dir);
        assertEquals(GnuAs.hex(expected), GnuAs.hex(bytes(Aarch64.threadPointerStub())));
    }

    @Test
    void cacheSyncMatchesGnuAs(@TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(GnuAs.Arch.AARCH64);
        String listing = """
                \tmrs x3, ctr_el0
                \tmov x5, #4
                \tubfx x4, x3, #16, #4
                \tlsl x4, x5, x4
                \tsub x6, x4, #1
                \tbic x7, x0, x6
                1:
                \tdc cvau, x7
                \tadd x7, x7, x4
                \tcmp x7, x1
                \tb.lo 1b
                \tdsb ish
                \tand x4, x3, #0xf
                \tlsl x4, x5, x4
                \tsub x6, x4, #1
                \tbic x7, x0, x6
                2:
                \tic ivau, x7
                \tadd x7, x7, x4
                \tcmp x7, x1
                \tb.lo 2b
                \tdsb ish
                \tisb
                \tret
                """;
        assertEquals(GnuAs.hex(as.assemble(listing, dir)), GnuAs.hex(bytes(Aarch64.instructionCacheSyncStub())));
    }

    private static byte[] bytes(int[] words) {
        ByteBuffer emitted = ByteBuffer.allocate(words.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : words) {
            emitted.putInt(word);
        }
        return emitted.array();
    }
}
