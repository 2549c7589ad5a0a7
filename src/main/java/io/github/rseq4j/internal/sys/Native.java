package io.github.rseq4j.internal.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Every restricted FFM method rseq4j's own code calls lives here, so a reviewer can audit
 * native access in one file. (The generated binding makes its own restricted calls.)
 */
public final class Native {
    private Native() {}

    /**
     * Why this JVM refuses rseq4j's restricted calls, or null when it allows them. Found by the first restricted
     * call rseq4j makes, before any other class of it or of the binding can make one: so the JDK's warning (with
     * {@code --illegal-native-access=warn}, JDK 25's default) names this class. The denial is an
     * {@link IllegalCallerException} from that call; it is kept rather than thrown, so that this class, and every
     * class that checks with {@link #requireNativeAccess()} before it touches the binding, initializes either way
     * and each use gets the same clear error (a failed class initialization would make every later use a
     * {@link NoClassDefFoundError} that names only the class).
     */
    private static final IllegalCallerException DENIED;

    /**
     * The whole address space, for reading memory the kernel writes at addresses we learn at
     * run time (another owner's rseq area). Bounds are the caller's duty; the global scope
     * means no liveness check on the hot path. Null when native access is denied.
     */
    public static final MemorySegment ALL_MEMORY;

    static {
        MemorySegment all = null;
        IllegalCallerException denied = null;
        try {
            all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
        } catch (IllegalCallerException e) {
            denied = e;
        }
        ALL_MEMORY = all;
        DENIED = denied;
    }

    private static final Linker LINKER = Linker.nativeLinker();

    /** Layout of the call state a downcall captures; only {@code errno} is used. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    /**
     * Throws the clear error when this JVM denies rseq4j native access; otherwise nothing. Every public entry
     * point calls it before it touches a class that needs native access, so such a class is never initialized,
     * and never left failed, where access is denied. A constant check once compiled.
     *
     * @throws UnsatisfiedLinkError a new one on each call, naming the flag that grants access for the way rseq4j
     *                              was loaded
     */
    public static void requireNativeAccess() {
        if (DENIED != null) {
            throw denial();
        }
    }

    /** Whether this JVM denies rseq4j native access. */
    public static boolean accessDenied() {
        return DENIED != null;
    }

    /** What the user must do to grant native access; only meaningful when {@link #accessDenied()}. */
    public static String accessHint() {
        return nativeAccessHint(Native.class.getModule());
    }

    private static UnsatisfiedLinkError denial() {
        // An Error, like a missing native library's, so code that catches RuntimeException to fall back does
        // not hide a misconfigured JVM.
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(accessHint());
        error.initCause(DENIED);
        return error;
    }

    /** What a user whose JVM denies rseq4j native access must do, for the way rseq4j was loaded. */
    static String nativeAccessHint(Module module) {
        String start = "rseq4j needs native access (it calls the kernel through the FFM API), and this JVM denies it "
                + "(--illegal-native-access=deny). ";
        return module.isNamed()
                ? start + "rseq4j is on the module path, as module " + module.getName() + ": run java with "
                        + "--enable-native-access=" + module.getName() + " (or add it to the --enable-native-access "
                        + "list you already pass; the class path's flag does not cover a named module)."
                : start + "rseq4j is on the class path (in the unnamed module): run java with "
                        + "--enable-native-access=ALL-UNNAMED, or, for an executable JAR started with java -jar, "
                        + "put the line 'Enable-Native-Access: ALL-UNNAMED' in its manifest (rseq4j's own jar has "
                        + "it, so java -jar rseq4j.jar needs no flag).";
    }

    public static MethodHandle downcall(MemorySegment function, FunctionDescriptor descriptor,
                                        Linker.Option... options) {
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

    /**
     * A C library function by name: from the JDK's default lookup (libc), else, for glibc before 2.34, which
     * keeps the pthread functions apart, from the {@code libpthread.so.0} this JVM has loaded already.
     *
     * @throws java.util.NoSuchElementException if neither has it
     */
    public static MemorySegment libcFunction(String name) {
        return LINKER.defaultLookup().find(name)
                .or(() -> SymbolLookup.libraryLookup("libpthread.so.0", Arena.global()).find(name))
                .orElseThrow();
    }

    /** A view of {@code size} bytes at a native address that outlives any arena of ours. */
    public static MemorySegment at(long address, long size) {
        return MemorySegment.ofAddress(address).reinterpret(size);
    }
}
