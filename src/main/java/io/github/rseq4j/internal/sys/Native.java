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

    /**
     * The first restricted call rseq4j makes, before any other class of it or of the binding can make one: so
     * the JDK's warning (with {@code --illegal-native-access=warn}, the default) names this class, and a denial
     * becomes one error that says which flag the user needs.
     */
    private static final MemorySegment ALL_ADDRESSES = allAddresses();

    private static final Linker LINKER = Linker.nativeLinker();

    /**
     * The whole address space, for reading memory the kernel writes at addresses we learn at
     * run time (another owner's rseq area). Bounds are the caller's duty; the global scope
     * means no liveness check on the hot path.
     */
    public static final MemorySegment ALL_MEMORY = ALL_ADDRESSES;

    /** Layout of the call state a downcall captures; only {@code errno} is used. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    /**
     * Runs this class's initialization, and so the native-access check, first: the public classes call it
     * before anything that reaches the binding.
     */
    public static void requireNativeAccess() {
        // Nothing more: initializing Native is the check.
    }

    private static MemorySegment allAddresses() {
        try {
            return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
        } catch (IllegalCallerException denied) {
            // An Error, like a missing native library's: it leaves class initialization as it is, where a
            // RuntimeException would reach the user wrapped in ExceptionInInitializerError.
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(nativeAccessHint(Native.class.getModule()));
            error.initCause(denied);
            throw error;
        }
    }

    /** What a user whose JVM denies rseq4j native access must do, for the way rseq4j was loaded. */
    static String nativeAccessHint(Module module) {
        String start = "rseq4j needs native access (it calls the kernel through the FFM API), and this JVM denies it "
                + "(--illegal-native-access=deny). ";
        return module.isNamed()
                ? start + "rseq4j is on the module path: run java with --enable-native-access=" + module.getName()
                        + " (or add that module to the --enable-native-access list you already pass)."
                : start + "rseq4j is on the class path: run java with --enable-native-access=ALL-UNNAMED, or, "
                        + "for an executable JAR started with java -jar, put the line "
                        + "'Enable-Native-Access: ALL-UNNAMED' in its manifest.";
    }

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
