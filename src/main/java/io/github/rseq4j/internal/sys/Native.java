package io.github.rseq4j.internal.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Every restricted FFM method rseq4j's own code calls lives here, so a reviewer can audit
 * native access in one file. (The generated binding makes its own restricted calls.)
 */
public final class Native {
    private Native() {}

    private static final Linker LINKER = Linker.nativeLinker();

    /**
     * The whole address space, for reading memory the kernel writes at addresses we learn at
     * run time (another owner's rseq area). Bounds are the caller's duty; the global scope
     * means no liveness check on the hot path.
     */
    public static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Layout of the call state a downcall captures; only {@code errno} is used. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    public static MethodHandle downcall(MemorySegment function, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(function, descriptor, options);
    }

    /**
     * A downcall whose first parameter is a {@link #CALL_STATE} segment that receives errno,
     * for the calls whose failure we must explain.
     */
    public static MethodHandle downcallWithErrno(MemorySegment function, FunctionDescriptor descriptor,
                                                 Linker.Option... options) {
        Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(function, descriptor, all);
    }

    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** A view of {@code size} bytes at a native address that outlives any arena of ours. */
    public static MemorySegment at(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }
}
