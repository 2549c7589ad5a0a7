package io.github.rseq4j.internal.sys;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.binding.RseqNative;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Machine code generated at run time. Pages are written while read-write, then switched to
 * read-execute (never writable and executable at once), and never unmapped: a thread may be
 * preempted inside the code, and the kernel may jump to an abort handler in it, at any time.
 */
public final class ExecutableMemory {
    private ExecutableMemory() {}

    private static final MethodHandle MMAP = Native.downcallWithErrno(
            RseqNative.mmap$address(), RseqNative.mmap$descriptor());
    private static final MethodHandle MPROTECT = Native.downcallWithErrno(
            RseqNative.mprotect$address(), RseqNative.mprotect$descriptor());

    private static final String WX_HINT = "the system forbids executable memory made at run time "
            + "(a W^X policy such as SELinux deny_execmem, PaX MPROTECT, or a seccomp filter); "
            + "rseq4j's per-CPU operations fall back to atomics";

    /** A fresh private anonymous read-write mapping of at least {@code size} bytes. */
    public static MemorySegment allocateWritable(long size) {
        long length = roundToPages(size);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            MemorySegment mapping = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length,
                    RseqNative.PROT_READ() | RseqNative.PROT_WRITE(),
                    RseqNative.MAP_PRIVATE() | RseqNative.MAP_ANONYMOUS(), -1, 0L);
            if (mapping.address() == -1L) {
                throw SyscallFailure.of("mmap of " + length + " bytes", Native.errno(state),
                        "the process is out of memory or address space");
            }
            return Native.at(mapping.address(), length);
        } catch (RseqException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Switches a mapping from {@link #allocateWritable} to read-execute, for good, and makes the code written
     * into it visible to instruction fetch ({@link Arch#syncInstructionCache}). If the switch is refused, no
     * code ever runs from it, so there is nothing to maintain.
     */
    public static MemorySegment makeExecutable(MemorySegment mapping) {
        MemorySegment code = protectExecutable(mapping);
        Arch.current().syncInstructionCache(code.address(), code.byteSize());
        return code;
    }

    private static MemorySegment protectExecutable(MemorySegment mapping) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            int rc = (int) MPROTECT.invokeExact(state, mapping, mapping.byteSize(),
                    RseqNative.PROT_READ() | RseqNative.PROT_EXEC());
            if (rc != 0) {
                throw SyscallFailure.of("mprotect(PROT_READ|PROT_EXEC)", Native.errno(state), WX_HINT);
            }
            return mapping.asReadOnly();
        } catch (RseqException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Installs little-endian instruction words (a fixed-width ISA such as aarch64). */
    public static MemorySegment install(int[] words) {
        return makeExecutable(written(words));
    }

    /**
     * As {@link #install}, without {@link Arch#syncInstructionCache}: only for the maintenance code itself,
     * which relies on the kernel's maintenance of a page it first maps executable.
     */
    public static MemorySegment installWithoutCacheSync(int[] words) {
        return protectExecutable(written(words));
    }

    private static MemorySegment written(int[] words) {
        MemorySegment mapping = allocateWritable((long) words.length * Integer.BYTES);
        MemorySegment.copy(words, 0, mapping,
                ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, words.length);
        return mapping;
    }

    /** A downcall to code installed here; such code never blocks nor calls back, hence critical. */
    public static MethodHandle function(MemorySegment entry, FunctionDescriptor descriptor) {
        return Native.downcall(entry, descriptor, Linker.Option.critical(false));
    }

    private static long roundToPages(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("code size must be positive: " + size);
        }
        long page = Libc.pageSize();
        return (size + page - 1) / page * page;
    }
}
