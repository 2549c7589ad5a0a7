package io.github.rseq4j.internal.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.binding.RseqNative;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Raw system calls through libc's variadic {@code syscall()}, with errno captured. Every
 * variadic argument is passed as a 64-bit long: {@code syscall()} reads them with
 * {@code va_arg(ap, long)}, so a 32-bit int would leave the upper half undefined.
 * Results follow the kernel's convention: a non-negative value, or {@code -errno}.
 */
public final class Syscalls {
    private Syscalls() {}

    private static final MethodHandle SYSCALL = Native.downcallWithErrno(
            RseqNative.syscall.address(),
            FunctionDescriptor.of(JAVA_LONG,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    /** {@code syscall(471)} with no argument, errno not captured: see {@link #rseqSliceYield()}. */
    private static final MethodHandle SLICE_YIELD = Native.downcall(
            RseqNative.syscall.address(), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.critical(false));

    /** A system call with four arguments; the fifth and sixth are 0 (syscall() passes all six). */
    public static long call(long number, long a0, long a1, long a2, long a3) {
        return call(number, a0, a1, a2, a3, 0);
    }

    /** A system call with five arguments; the sixth is 0. */
    public static long call(long number, long a0, long a1, long a2, long a3, long a4) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            long result = (long) SYSCALL.invokeExact(state, number, a0, a1, a2, a3, a4, 0L);
            return result == -1 ? -Native.errno(state) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** rseq(2): 0, or -errno. */
    public static int rseq(long area, int length, int flags, int signature) {
        return (int) call(Arch.current().rseqSyscall(), area, length, flags, Integer.toUnsignedLong(signature));
    }

    /** prctl(2) with all four further arguments (unused ones 0, which some options check): result or -errno. */
    public static long prctl(int option, long a1, long a2, long a3, long a4) {
        return call(Arch.current().prctlSyscall(), option, a1, a2, a3, a4);
    }

    /**
     * rseq_slice_yield(2) (Linux 7.0): 1 if the thread gave the CPU back inside a granted time-slice
     * extension, 0 if no extension was granted or it had been revoked already (expired, another
     * system call, preempted); -1 on kernels without it (errno ENOSYS, not captured). A critical downcall: the call
     * never blocks (the kernel reschedules on the way in, before this returns) and it sets no errno we need.
     */
    public static int rseqSliceYield() {
        try {
            return (int) (long) SLICE_YIELD.invokeExact(Arch.current().rseqSliceYieldSyscall());
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * tgkill(2): sends {@code signal} to thread {@code tid} of thread group {@code tgid} (signal 0 only checks
     * that the thread exists); 0, or -errno.
     */
    public static int tgkill(int tgid, int tid, int signal) {
        return (int) call(Arch.current().tgkillSyscall(), tgid, tid, signal, 0);
    }

    /** membarrier(2): the command's result, or -errno. */
    public static long membarrier(int command, int flags, int cpu) {
        return call(Arch.current().membarrierSyscall(), command, flags, cpu, 0);
    }
}
