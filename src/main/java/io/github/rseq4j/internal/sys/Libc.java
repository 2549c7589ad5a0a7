package io.github.rseq4j.internal.sys;

import io.github.rseq4j.internal.binding.RseqNative;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The libc calls rseq4j makes, over the generated binding. Calls on hot paths are critical
 * downcalls (no thread-state transition: they neither block nor call back into Java).
 */
public final class Libc {
    private Libc() {}

    private static final MethodHandle PTHREAD_SELF = Native.downcall(
            RseqNative.pthread_self$address(), RseqNative.pthread_self$descriptor(), Linker.Option.critical(false));

    private static final MethodHandle SCHED_GETCPU = Native.downcall(
            RseqNative.sched_getcpu$address(), RseqNative.sched_getcpu$descriptor(), Linker.Option.critical(false));

    private static final MethodHandle GETCPU = Native.downcall(
            RseqNative.getcpu$address(), RseqNative.getcpu$descriptor(), Linker.Option.critical(true));

    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The CPU the calling thread runs on, or -1 when libc cannot tell. */
    public static int schedGetcpu() {
        try {
            return (int) SCHED_GETCPU.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The NUMA node the calling thread runs on, from getcpu(2); -1 when libc cannot tell. */
    public static int currentNode() {
        // critical(true) lets the call write straight into a heap array.
        int[] cpuAndNode = new int[2];
        MemorySegment both = MemorySegment.ofArray(cpuAndNode);
        try {
            int rc = (int) GETCPU.invokeExact(both, both.asSlice(Integer.BYTES));
            return rc == 0 ? cpuAndNode[1] : -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static long getauxval(long type) {
        return RseqNative.getauxval(type);
    }

    public static int gettid() {
        return RseqNative.gettid();
    }

    public static long pageSize() {
        return RseqNative.sysconf(RseqNative._SC_PAGESIZE());
    }

    /** glibc's version string, or null under another libc. */
    public static String glibcVersion() {
        try {
            return Native.at(RseqNative.gnu_get_libc_version().address(), 64).getString(0);
        } catch (RuntimeException | LinkageError notGlibc) {
            return null;
        }
    }
}
