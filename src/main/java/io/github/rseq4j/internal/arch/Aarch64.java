package io.github.rseq4j.internal.arch;

import io.github.rseq4j.internal.sys.ExecutableMemory;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * aarch64: numbers from include/uapi/asm-generic/unistd.h, signature from the rseq ABI.
 * Not yet run on aarch64 hardware.
 */
public record Aarch64() implements Arch {

    @Override public String name() { return "aarch64"; }

    @Override public long rseqSyscall() { return 293; }

    @Override public long membarrierSyscall() { return 283; }

    @Override public long getcpuSyscall() { return 168; }

    @Override public long seccompSyscall() { return 277; }

    @Override public long mprotectSyscall() { return 226; }

    @Override public long prctlSyscall() { return 167; }

    /** Also a {@code brk #0x45e0} instruction, so a stray jump to it traps. */
    @Override public int rseqSignature() { return 0xd428bc00; }

    /** EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    @Override public int auditArch() { return 0xC00000B7; }

    /**
     * glibc on aarch64 places {@code struct pthread} below the thread pointer, so
     * {@code pthread_self()} is not it; read {@code tpidr_el0} with a two-instruction stub.
     */
    @Override public long threadPointer() {
        try {
            return (long) ThreadPointerStub.READ.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("reading tpidr_el0 failed", t);
        }
    }

    /** The stub's instruction words: {@code mrs x0, tpidr_el0; ret}. */
    public static int[] threadPointerStub() {
        return new int[] {0xd53bd040, 0xd65f03c0};
    }

    /** Installed on first use, so merely naming this class on x86_64 maps nothing. */
    private static final class ThreadPointerStub {
        static final MethodHandle READ = ExecutableMemory.function(
                ExecutableMemory.install(threadPointerStub()), FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    }
}
