package io.github.rseq4j.internal.arch;

import io.github.rseq4j.internal.sys.Libc;

/** x86_64: numbers from arch/x86/entry/syscalls/syscall_64.tbl, signature from the rseq ABI. */
public record X86_64() implements Arch {

    @Override public String name() { return "x86_64"; }

    @Override public long rseqSyscall() { return 334; }

    @Override public long membarrierSyscall() { return 324; }

    @Override public long getcpuSyscall() { return 309; }

    @Override public long seccompSyscall() { return 317; }

    @Override public long tgkillSyscall() { return 234; }

    @Override public long mprotectSyscall() { return 10; }

    @Override public long prctlSyscall() { return 157; }

    /** Also the displacement of the {@code ud1} that precedes each abort handler. */
    @Override public int rseqSignature() { return 0x53053053; }

    /** EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    @Override public int auditArch() { return 0xC000003E; }

    /** glibc's {@code pthread_self()} is the TCB, which the {@code fs} base points at. */
    @Override public long threadPointer() { return Libc.pthreadSelf(); }

    /** x86's instruction fetch snoops data writes; a later call (a serializing branch) sees the new code. */
    @Override public void syncInstructionCache(long start, long length) {}
}
