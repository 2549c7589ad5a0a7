package io.github.rseq4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The ways to ask libc or the kernel for the current CPU through FFM, as a user of the plain
 * JDK would. Handles live in static finals so that C2 treats them as constants and inlines the
 * downcall stub, which is what a careful library does too.
 */
final class NativeCpu {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemorySegment SCHED_GETCPU_ADDR = LINKER.defaultLookup().findOrThrow("sched_getcpu");
    private static final FunctionDescriptor RETURNS_INT = FunctionDescriptor.of(JAVA_INT);

    private static final MethodHandle SCHED_GETCPU = LINKER.downcallHandle(SCHED_GETCPU_ADDR, RETURNS_INT);

    /** critical(false): no thread-state transition, allowed because sched_getcpu neither blocks nor calls back. */
    private static final MethodHandle SCHED_GETCPU_CRITICAL =
            LINKER.downcallHandle(SCHED_GETCPU_ADDR, RETURNS_INT, Linker.Option.critical(false));

    /**
     * {@code long syscall(long number, ...)}: variadic from the second argument, and every variadic
     * argument passed as a full register-width long, as C's default promotions would for a pointer.
     * Default linkage on purpose, so that against {@link #schedGetcpu()} only the syscall differs.
     */
    private static final MethodHandle SYSCALL_3 = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private static final long SYS_GETCPU = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 309;
        case "aarch64" -> 168;
        default -> throw new ExceptionInInitializerError("SYS_getcpu unknown for " + System.getProperty("os.arch"));
    };

    private NativeCpu() {}

    static int schedGetcpu() {
        try {
            return (int) SCHED_GETCPU.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int schedGetcpuCritical() {
        try {
            return (int) SCHED_GETCPU_CRITICAL.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getcpu(&cpu, NULL, NULL) as a real syscall: what every read costs without vDSO or rseq. */
    static int getcpuSyscall(MemorySegment cpuOut) {
        long rc;
        try {
            rc = (long) SYSCALL_3.invokeExact(SYS_GETCPU, cpuOut.address(), 0L, 0L);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (rc != 0) {
            throw new IllegalStateException("getcpu syscall failed: " + rc);
        }
        return cpuOut.get(JAVA_INT, 0);
    }
}
