package io.github.rseq4j.percpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    /** Sum of every cell, read opaque. */
    static long sum(MemorySegment cells) {
        long sum = 0;
        for (long off = 0; off < cells.byteSize(); off += LINE) {
            sum += (long) CELL.getOpaque(cells, off);
        }
        return sum;
    }
}
