package io.github.rseq4j;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Native;
import io.github.rseq4j.internal.sys.Syscalls;

/**
 * Aborts the rseq critical sections of this process from the outside, with membarrier(2)'s rseq commands
 * (Linux 5.10+): when {@link #abortAll()} or {@link #abortOn(int)} returns, every section that was in flight on
 * the targeted CPUs has been aborted (restarted at its abort handler), and the kernel issued a full memory
 * barrier on them.
 *
 * <p>What that guarantees: a grace period, not exclusion. Any section that commits after the call returns
 * started after the call began, so it sees every store made before the call (e.g. a pointer swapped to new
 * per-CPU data, or a flag that sends new operations elsewhere); no section still working from the old state
 * can commit. It does not stop sections: one can start, on any CPU, right after the call returns. So it does
 * not make it safe to write a CPU's cells from another CPU (reset them, say) while sections may run: first
 * redirect the sections (publish new cells or a flag they check), then call it, then the old cells are
 * quiescent.
 *
 * <p>{@link #register()} must have been called once in the process first.
 */
public final class RseqBarrier {
    private RseqBarrier() {}

    /**
     * Declares the intent to use {@link #abortAll()}; idempotent, process-wide.
     *
     * @throws RseqException if the kernel lacks membarrier's rseq commands (Linux &lt; 5.10) or
     *                       membarrier is blocked, with the errno and what to do
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static void register() {
        Native.requireNativeAccess();
        check("membarrier(REGISTER_PRIVATE_EXPEDITED_RSEQ)",
                Syscalls.membarrier(RseqNative.MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ(), 0, 0));
    }

    /**
     * Aborts every section in flight on any CPU running a thread of this process, before returning.
     *
     * @throws RseqException if {@link #register()} was not called (EPERM) or the kernel refuses
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static void abortAll() {
        Native.requireNativeAccess();
        check("membarrier(PRIVATE_EXPEDITED_RSEQ)",
                Syscalls.membarrier(RseqNative.MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ(), 0, 0));
    }

    /**
     * Aborts the section in flight on {@code cpu}, if any runs a thread of this process, before returning.
     * An offline CPU runs no section, so there is nothing to do.
     *
     * @param cpu a possible CPU
     * @throws IllegalArgumentException if {@code cpu} is not a possible CPU of this machine (the kernel would
     *                                  silently ignore it)
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static void abortOn(int cpu) {
        Native.requireNativeAccess();
        if (cpu < 0 || cpu >= Cpus.POSSIBLE) {
            throw new IllegalArgumentException("cpu must be in [0, " + Cpus.POSSIBLE + "), the possible CPUs: " + cpu);
        }
        check("membarrier(PRIVATE_EXPEDITED_RSEQ, FLAG_CPU, " + cpu + ")",
                Syscalls.membarrier(RseqNative.MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ(),
                        RseqNative.MEMBARRIER_CMD_FLAG_CPU(), cpu));
    }

    private static void check(String operation, long result) {
        if (result < 0) {
            int errno = (int) -result;
            throw new RseqException(operation, errno, hint(errno));
        }
    }

    private static String hint(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "the kernel lacks membarrier's rseq commands (Linux < 5.10, or CONFIG_RSEQ off)";
            case Errno.EPERM -> "call RseqBarrier.register() first";
            case Errno.ENOSYS -> "membarrier is unavailable: a seccomp filter (container runtime) or a kernel without "
                    + "CONFIG_MEMBARRIER blocks it";
            default -> "unexpected; see membarrier(2)";
        };
    }
}
