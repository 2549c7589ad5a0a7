package io.github.rseq4j.internal.cs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.arch.Aarch64;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The aarch64 thread-pointer stub is the code GNU as makes of its listing. */
class ThreadPointerStubTest {

    @Test
    void matchesGnuAs(@TempDir Path dir) throws Exception {
        GnuAs as = GnuAs.forArch(GnuAs.Arch.AARCH64);
        byte[] expected = as.assemble("\tmrs x0, tpidr_el0\n\tret\n", dir);
        int[] words = Aarch64.threadPointerStub();
        ByteBuffer emitted = ByteBuffer.allocate(words.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : words) {
            emitted.putInt(word);
        }
        assertEquals(GnuAs.hex(expected), GnuAs.hex(emitted.array()));
    }
}
