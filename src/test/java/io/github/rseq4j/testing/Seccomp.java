package io.github.rseq4j.testing;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.binding.sock_filter;
import io.github.rseq4j.internal.binding.sock_fprog;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Native;
import io.github.rseq4j.internal.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Seccomp filters for tests that need a system call to fail the way a container profile makes
 * it fail. A filter cannot be removed: install it only in a forked JVM (see {@link ForkedJvm}).
 *
 * <p>Nothing here touches {@code RseqAbi}, which decides once per process whether rseq works:
 * a scenario must install its filter before anything initializes that class.
 */
public final class Seccomp {
    private Seccomp() {}

    // include/uapi/linux/seccomp.h; not in the generated binding.
    private static final long SECCOMP_FILTER_FLAG_TSYNC = 1;
    /** struct seccomp_data: {@code int nr; __u32 arch; ...}. */
    private static final int SECCOMP_DATA_NR = 0;
    private static final int SECCOMP_DATA_ARCH = 4;
    /** struct seccomp_data: {@code ... __u64 instruction_pointer; __u64 args[6];}. */
    private static final int SECCOMP_DATA_ARGS = 16;
    /** BPF_JMP | BPF_JSET | BPF_K: jump if (A & k) != 0; include/uapi/linux/bpf_common.h. */
    private static final short JUMP_IF_ANY_BIT = (short) (RseqNative.BPF_JMP() | 0x40 | RseqNative.BPF_K());

    private static final short LOAD_WORD = (short) (RseqNative.BPF_LD() | RseqNative.BPF_W() | RseqNative.BPF_ABS());
    private static final short JUMP_IF_EQUAL =
            (short) (RseqNative.BPF_JMP() | RseqNative.BPF_JEQ() | RseqNative.BPF_K());
    private static final short RETURN = (short) (RseqNative.BPF_RET() | RseqNative.BPF_K());

    /** prctl(int option, ...) with four variadic longs: the kernel reads each argument as unsigned long. */
    private static final MethodHandle PRCTL = Native.downcallWithErrno(RseqNative.prctl.address(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    /** Makes rseq(2) fail with ENOSYS in every thread of this process, as on a kernel without it. */
    public static void blockRseq() {
        failSystemCall(Arch.current().rseqSyscall(), Errno.ENOSYS);
    }

    /**
     * A filter under which system call {@code number} of this architecture returns
     * {@code -errno} without running; every other call is allowed.
     */
    public static void failSystemCall(long number, int errno) {
        install(new int[][] {
            {LOAD_WORD, 0, 0, SECCOMP_DATA_NR},
            {JUMP_IF_EQUAL, 0, 1, (int) number},
            {RETURN, 0, 0, RseqNative.SECCOMP_RET_ERRNO() | (errno & RseqNative.SECCOMP_RET_DATA())},
        });
    }

    /**
     * Makes mprotect(2) fail with EACCES whenever it would make memory executable, as SELinux's
     * deny_execmem or PaX MPROTECT do; other protections, and mmap, stay allowed.
     */
    public static void denyExecutableMprotect() {
        int protArgLow = SECCOMP_DATA_ARGS + 2 * Long.BYTES; // little-endian: low half of args[2]
        install(new int[][] {
            {LOAD_WORD, 0, 0, SECCOMP_DATA_NR},
            {JUMP_IF_EQUAL, 0, 3, (int) Arch.current().mprotectSyscall()},
            {LOAD_WORD, 0, 0, protArgLow},
            {JUMP_IF_ANY_BIT, 0, 1, RseqNative.PROT_EXEC()},
            {RETURN, 0, 0, RseqNative.SECCOMP_RET_ERRNO() | (Errno.EACCES & RseqNative.SECCOMP_RET_DATA())},
        });
    }

    /**
     * Installs {@code body} on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC), framed by
     * an architecture check (another ABI's numbers mean other calls: allow) and a final allow.
     * Jump offsets in {@code body} may target the final allow, one past its end.
     *
     * @throws IllegalStateException if the kernel refuses the filter
     */
    private static void install(int[][] body) {
        Arch arch = Arch.current();
        // Unprivileged processes may only install a filter once they can never gain privileges.
        int rc = prctl(RseqNative.PR_SET_NO_NEW_PRIVS(), 1);
        if (rc != 0) {
            throw new IllegalStateException("prctl(PR_SET_NO_NEW_PRIVS) failed with " + Errno.describe(rc));
        }
        int length = body.length + 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment program = sock_filter.allocateArray(length, arena);
            instruction(program, 0, LOAD_WORD, 0, 0, SECCOMP_DATA_ARCH);
            instruction(program, 1, JUMP_IF_EQUAL, 0, body.length, arch.auditArch());
            for (int i = 0; i < body.length; i++) {
                int[] op = body[i];
                instruction(program, 2 + i, (short) op[0], op[1], op[2], op[3]);
            }
            instruction(program, length - 1, RETURN, 0, 0, RseqNative.SECCOMP_RET_ALLOW());
            MemorySegment fprog = sock_fprog.allocate(arena);
            sock_fprog.len(fprog, (short) length);
            sock_fprog.filter(fprog, program);
            long result = Syscalls.call(arch.seccompSyscall(), RseqNative.SECCOMP_SET_MODE_FILTER(),
                    SECCOMP_FILTER_FLAG_TSYNC, fprog.address(), 0);
            if (result < 0) {
                throw new IllegalStateException(
                        "seccomp(SECCOMP_SET_MODE_FILTER) failed with " + Errno.describe((int) -result));
            }
            if (result > 0) {
                // With TSYNC, a positive result is a thread that could not take the filter.
                throw new IllegalStateException("seccomp filter not synchronized to thread " + result);
            }
        }
    }

    private static void instruction(MemorySegment program, int index, short code, int jumpIfTrue, int jumpIfFalse,
                                    int k) {
        MemorySegment instruction = sock_filter.asSlice(program, index);
        sock_filter.code(instruction, code);
        sock_filter.jt(instruction, (byte) jumpIfTrue);
        sock_filter.jf(instruction, (byte) jumpIfFalse);
        sock_filter.k(instruction, k);
    }

    /** prctl(option, arg2, 0, 0, 0): 0, or the errno. */
    private static int prctl(int option, long arg2) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            int rc = (int) PRCTL.invokeExact(state, option, arg2, 0L, 0L, 0L);
            return rc == 0 ? 0 : Native.errno(state);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
