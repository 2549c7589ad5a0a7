package io.github.rseq4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * Reads of kernel-written fields and of slot counters, by address. Kernel fields are read
 * opaque: never hoisted out of a loop, never torn, and no fence the reader does not need.
 */
public final class RseqMemory {
    private RseqMemory() {}

    private static final MemorySegment ALL = Native.ALL_MEMORY;
    private static final VarHandle INT = JAVA_INT.varHandle();

    /**
     * An area no kernel registration points at: cpu_id reads RSEQ_CPU_ID_UNINITIALIZED, which
     * sends readers to their fallback. Stands in for threads that have no area to read.
     */
    public static final long UNREGISTERED_AREA = unregisteredArea();

    private static long unregisteredArea() {
        MemorySegment area = java.lang.foreign.Arena.global().allocate(RseqAbi.REGISTRATION_LENGTH, RseqAbi.ALIGNMENT);
        area.set(JAVA_INT, RseqAbi.CPU_ID, -1);
        return area.address();
    }

    /** Opaque read of a 32-bit field the kernel updates behind the JIT's back. */
    public static int readField(long address) {
        return (int) INT.getOpaque(ALL, address);
    }

    /** Plain read of a slot's registration count; only its owner thread writes it. */
    public static int refcount(long slot) {
        return (int) INT.get(ALL, slot + AreaPool.REFCOUNT_OFFSET);
    }

    public static void refcount(long slot, int value) {
        INT.set(ALL, slot + AreaPool.REFCOUNT_OFFSET, value);
    }

    public static MemorySegment slot(long slot) {
        return ALL.asSlice(slot, AreaPool.SLOT_SIZE);
    }
}
