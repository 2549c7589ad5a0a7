package io.github.rseq4j.internal.sys;

import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.binding.RseqNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;

/** The calling thread's CPU affinity, through sched_getaffinity(2) and sched_setaffinity(2). */
public final class Affinity {
    private Affinity() {}

    /** Room for 8192 CPUs; the kernel rejects a mask smaller than its nr_cpu_ids bits. */
    private static final long MASK_BYTES = 1024;

    private static final MethodHandle GET = Native.downcallWithErrno(
            RseqNative.sched_getaffinity$address(), RseqNative.sched_getaffinity$descriptor());
    private static final MethodHandle SET = Native.downcallWithErrno(
            RseqNative.sched_setaffinity$address(), RseqNative.sched_setaffinity$descriptor());

    /** The CPUs the calling thread may run on. */
    public static BitSet allowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            MemorySegment mask = arena.allocate(MASK_BYTES, Long.BYTES);
            int rc = (int) GET.invokeExact(state, 0, MASK_BYTES, mask);
            if (rc != 0) {
                throw SyscallFailure.of("sched_getaffinity", Native.errno(state), "cannot read the thread's CPU mask");
            }
            return BitSet.valueOf(mask.toArray(ValueLayout.JAVA_LONG));
        } catch (RseqException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Restricts the calling thread to {@code cpus}; the kernel migrates it before returning. */
    public static void set(BitSet cpus) {
        if (cpus.isEmpty() || cpus.length() > MASK_BYTES * Byte.SIZE) {
            throw new IllegalArgumentException(
                    "CPU set must name CPUs in [0, " + MASK_BYTES * Byte.SIZE + "): " + cpus);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            MemorySegment mask = arena.allocate(MASK_BYTES, Long.BYTES);
            MemorySegment.copy(cpus.toLongArray(), 0, mask, ValueLayout.JAVA_LONG, 0, cpus.toLongArray().length);
            int rc = (int) SET.invokeExact(state, 0, MASK_BYTES, mask);
            if (rc != 0) {
                throw SyscallFailure.of("sched_setaffinity(" + cpus + ")", Native.errno(state),
                        "the CPUs are outside the thread's cpuset or not online");
            }
        } catch (RseqException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Runs {@code action} pinned to {@code cpu}, then restores the previous mask. */
    public static void runPinned(int cpu, Runnable action) {
        BitSet previous = allowed();
        BitSet only = new BitSet();
        only.set(cpu);
        set(only);
        try {
            action.run();
        } finally {
            set(previous);
        }
    }
}
