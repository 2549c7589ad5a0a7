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

    /** {@code mrs x0, tpidr_el0}; OR in another destination register number. */
    public static final int MRS_TPIDR_EL0 = 0xd53bd040;

    /** {@code ret}. */
    public static final int RET = 0xd65f03c0;

    @Override public String name() { return "aarch64"; }

    @Override public long rseqSyscall() { return 293; }

    @Override public long membarrierSyscall() { return 283; }

    @Override public long getcpuSyscall() { return 168; }

    @Override public long seccompSyscall() { return 277; }

    @Override public long tgkillSyscall() { return 131; }

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
        return new int[] {MRS_TPIDR_EL0, RET};
    }

    /**
     * aarch64 instruction fetch does not snoop data writes: the data cache lines holding new code are cleaned
     * to the point of unification, then the instruction cache lines invalidated, as HotSpot does for the code
     * it generates. Line sizes come from {@code ctr_el0} (user access is enabled by Linux).
     */
    @Override public void syncInstructionCache(long start, long length) {
        try {
            CacheSyncStub.SYNC.invokeExact(start, start + length);
        } catch (Throwable t) {
            throw new IllegalStateException("instruction cache maintenance failed", t);
        }
    }

    /**
     * {@code void sync(long start = x0, long end = x1)}: for every data cache line in [start, end), clean it to
     * the point of unification; for every instruction cache line, invalidate it; barriers between and after.
     * <pre>
     *     mrs x3, ctr_el0
     *     mov x5, #4
     *     ubfx x4, x3, #16, #4      // CTR_EL0.DminLine: log2 of the words in the smallest data cache line
     *     lsl x4, x5, x4            // data line size in bytes
     *     sub x6, x4, #1
     *     bic x7, x0, x6            // start, rounded down to a line
     * 1:  dc cvau, x7
     *     add x7, x7, x4
     *     cmp x7, x1
     *     b.lo 1b
     *     dsb ish                   // the cleaned lines are visible to every CPU's instruction fetch
     *     and x4, x3, #0xf          // CTR_EL0.IminLine
     *     lsl x4, x5, x4
     *     sub x6, x4, #1
     *     bic x7, x0, x6
     * 2:  ic ivau, x7
     *     add x7, x7, x4
     *     cmp x7, x1
     *     b.lo 2b
     *     dsb ish                   // the invalidations completed
     *     isb                       // this CPU refetches
     *     ret
     * </pre>
     */
    public static int[] instructionCacheSyncStub() {
        return new int[] {
            0xd53b0023, 0xd2800085, 0xd3504c64, 0x9ac420a4, 0xd1000486, 0x8a260007,
            0xd50b7b27, 0x8b0400e7, 0xeb0100ff, 0x54ffffa3, 0xd5033b9f,
            0x92400c64, 0x9ac420a4, 0xd1000486, 0x8a260007,
            0xd50b7527, 0x8b0400e7, 0xeb0100ff, 0x54ffffa3, 0xd5033b9f, 0xd5033fdf, RET,
        };
    }

    /** Installed on first use, so merely naming this class on x86_64 maps nothing. */
    private static final class ThreadPointerStub {
        static final MethodHandle READ = ExecutableMemory.function(
                ExecutableMemory.install(threadPointerStub()), FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    }

    /**
     * The maintenance code itself cannot be maintained by itself before it runs: it relies on the kernel, which
     * cleans and invalidates a page's cache lines when it first maps the page executable.
     */
    private static final class CacheSyncStub {
        static final MethodHandle SYNC = ExecutableMemory.function(
                ExecutableMemory.installWithoutCacheSync(instructionCacheSyncStub()),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }
}
