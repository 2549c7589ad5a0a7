package io.github.rseq4j.doctor;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/**
 * What the C library says, asked through FFM directly rather than through rseq4j: the independent witnesses the
 * checks hold rseq4j's answers against ({@code sched_getcpu}, {@code getcpu}, the pinned CPU), and facts of the
 * operating system that are no part of rseq4j's API ({@code uname}, glibc's version). Only called once
 * {@code RseqSupport.probe().nativeAccess()} is true. Each call looks its function up and links it: the doctor
 * calls each a few times, and a function this C library lacks fails only the fact that needs it.
 */
final class Os {
    private Os() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

    /** Linux's struct utsname: six NUL-terminated fields of 65 bytes (__NEW_UTS_LEN + 1) on every architecture. */
    private static final long UTS_FIELD = 65;
    private static final long UTS_RELEASE = 2 * UTS_FIELD;
    private static final long UTS_MACHINE = 4 * UTS_FIELD;

    /** Room for 8192 CPUs: the kernel refuses a mask shorter than its nr_cpu_ids bits. */
    private static final long MASK_BYTES = 1024;
    /** sched_getaffinity and sched_setaffinity: (pid 0 for the calling thread, mask bytes, mask). */
    private static final FunctionDescriptor AFFINITY = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);

    /** uname's release, e.g. "6.18.0", or null if uname fails. */
    static String kernelRelease() {
        return uname(UTS_RELEASE);
    }

    /** uname's machine, e.g. "x86_64", or null if uname fails. */
    static String machine() {
        return uname(UTS_MACHINE);
    }

    /** glibc's version, e.g. "2.36"; null under another C library. */
    static String glibcVersion() {
        return LINKER.defaultLookup().find("gnu_get_libc_version")
                .map(symbol -> ((MemorySegment) invoke(LINKER.downcallHandle(symbol, FunctionDescriptor.of(ADDRESS))))
                        .reinterpret(64).getString(0))
                .orElse(null);
    }

    /** The CPUs the calling thread may run on (sched_getaffinity). */
    static BitSet allowedCpus() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, Long.BYTES);
            succeed(arena, "sched_getaffinity", "", AFFINITY, 0, MASK_BYTES, mask);
            return BitSet.valueOf(mask.toArray(JAVA_LONG));
        }
    }

    /** Moves the calling thread onto {@code cpu} alone, for good: the doctor pins only threads it started. */
    static void pin(int cpu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, Long.BYTES);
            mask.setAtIndex(JAVA_LONG, cpu / Long.SIZE, 1L << cpu);
            succeed(arena, "sched_setaffinity", "CPU " + cpu, AFFINITY, 0, MASK_BYTES, mask);
        }
    }

    /** glibc's sched_getcpu(): the CPU the calling thread runs on, or -1. */
    static int schedGetcpu() {
        return (int) invoke(link("sched_getcpu", FunctionDescriptor.of(JAVA_INT)));
    }

    /** The NUMA node the calling thread runs on, from getcpu(2); -1 if it fails. */
    static int getcpuNode() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpuAndNode = arena.allocate(JAVA_INT, 2);
            int rc = (int) invoke(link("getcpu", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
                    cpuAndNode, cpuAndNode.asSlice(Integer.BYTES));
            return rc == 0 ? cpuAndNode.getAtIndex(JAVA_INT, 1) : -1;
        }
    }

    private static String uname(long field) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(6 * UTS_FIELD);
            int rc = (int) invoke(link("uname", FunctionDescriptor.of(JAVA_INT, ADDRESS)), name);
            return rc == 0 ? name.getString(field) : null;
        }
    }

    /** Calls {@code function} (0, or -1 with errno) on {@code what}; -1 becomes an exception naming the errno. */
    private static void succeed(Arena arena, String function, String what, FunctionDescriptor descriptor,
            Object... args) {
        MethodHandle handle = link(function, descriptor, Linker.Option.captureCallState("errno"));
        MemorySegment state = arena.allocate(CALL_STATE);
        Object[] withState = new Object[args.length + 1];
        withState[0] = state;
        System.arraycopy(args, 0, withState, 1, args.length);
        if ((int) invoke(handle, withState) != 0) {
            int errno = (int) CALL_STATE.varHandle(PathElement.groupElement("errno")).get(state, 0L);
            throw new IllegalStateException(function + "(" + what + ") failed with errno " + errno);
        }
    }

    private static MethodHandle link(String function, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(function).orElseThrow(
                () -> new UnsupportedOperationException(function + " is not in this C library"));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static Object invoke(MethodHandle handle, Object... args) {
        try {
            return handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
