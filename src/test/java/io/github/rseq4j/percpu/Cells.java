package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.internal.cs.SectionTemplates;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** Per-line counter cells that the raw-section tests add to, and the calls they make. */
final class Cells {
    private Cells() {}

    /** One cache line per cell, the stride the sections are linked with. */
    static final long LINE = 64;

    static final VarHandle CELL = ValueLayout.JAVA_LONG.varHandle();

    /** A section call through {@code invokeExact}, which declares Throwable. */
    interface Call {
        int run() throws Throwable;
    }

    static int invoke(Call call) {
        try {
            return call.run();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Runs an {@code add(base, 1)} section until it commits and returns how often the kernel
     * aborted it first; any other return code fails the test.
     */
    static int addUntilCommitted(MethodHandle add, long base) {
        for (int aborts = 0; ; aborts++) {
            int rc = invoke(() -> (int) add.invokeExact(base, 1L));
            if (rc == SectionTemplates.COMMITTED) {
                return aborts;
            }
            assertEquals(SectionTemplates.ABORTED, rc);
        }
    }

    /** Sum of every cell, read opaque. */
    static long sum(MemorySegment cells) {
        long sum = 0;
        for (long off = 0; off < cells.byteSize(); off += LINE) {
            sum += (long) CELL.getOpaque(cells, off);
        }
        return sum;
    }
}
