package io.github.rseq4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

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
    private static final VarHandle BYTE = JAVA_BYTE.varHandle();
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    /** Aligned (offset 28 of a 32-byte aligned area): unaligned handles have no opaque mode. */
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();

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

    /**
     * Opaque store of {@code slice_ctrl.request}, the one byte of slice_ctrl user space may write
     * ({@code granted} is the kernel's: a debug kernel kills writers of it).
     */
    public static void sliceRequest(long area, boolean request) {
        BYTE.setOpaque(ALL, area + RseqAbi.SLICE_REQUEST, (byte) (request ? 1 : 0));
    }

    /** Opaque read of {@code slice_ctrl.granted}. */
    public static boolean sliceGranted(long area) {
        return (byte) BYTE.getOpaque(ALL, area + RseqAbi.SLICE_GRANTED) != 0;
    }

    /**
     * Clears {@code request} and answers whether {@code granted} is set. The read covers the byte
     * just stored, so neither the JIT nor the CPU can move it before the store: a grant needs
     * {@code request} set, so none can arrive after the read without being seen.
     */
    public static boolean endSliceRequest(long area) {
        sliceRequest(area, false);
        return (short) SHORT.getOpaque(ALL, area + RseqAbi.SLICE_CTRL) != 0;
    }

    /** Plain read of a slot's registration count; only its owner thread writes it. */
    public static int refcount(long slot) {
        return (int) INT.get(ALL, slot + AreaPool.REFCOUNT_OFFSET);
    }

    public static void refcount(long slot, int value) {
        INT.set(ALL, slot + AreaPool.REFCOUNT_OFFSET, value);
    }

    /** Plain read of who made a slot's registration ({@link ThreadSlots}); only its owner thread writes it. */
    public static int registrar(long slot) {
        return (int) INT.get(ALL, slot + AreaPool.REGISTRAR_OFFSET);
    }

    public static void registrar(long slot, int registrar) {
        INT.set(ALL, slot + AreaPool.REGISTRAR_OFFSET, registrar);
    }

    /** Plain read of the {@link Thread#threadId()} a slot belongs to ({@link ThreadSlots}); written once. */
    public static long owner(long slot) {
        return (long) LONG.get(ALL, slot + AreaPool.OWNER_OFFSET);
    }

    public static void owner(long slot, long threadId) {
        LONG.set(ALL, slot + AreaPool.OWNER_OFFSET, threadId);
    }

    public static MemorySegment slot(long slot) {
        return ALL.asSlice(slot, AreaPool.SLOT_SIZE);
    }
}
