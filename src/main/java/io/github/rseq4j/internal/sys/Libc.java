package io.github.rseq4j.internal.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.rseq4j.internal.binding.RseqNative;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
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

    private static final MethodHandle PTHREAD_KEY_CREATE = Native.downcall(Native.libcFunction("pthread_key_create"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    private static final MethodHandle PTHREAD_KEY_DELETE = Native.downcall(Native.libcFunction("pthread_key_delete"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static final MethodHandle PTHREAD_GETSPECIFIC = Native.downcall(
            Native.libcFunction("pthread_getspecific"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT),
            Linker.Option.critical(false));

    private static final MethodHandle PTHREAD_SETSPECIFIC = Native.downcall(
            Native.libcFunction("pthread_setspecific"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));

    private static final MethodHandle DLSYM = Native.downcall(Native.libcFunction("dlsym"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS));

    public static long pthreadSelf() {
        try {
            return (long) PTHREAD_SELF.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * A new thread-specific data key with no destructor, or -1 when the process has none left
     * ({@code PTHREAD_KEYS_MAX}).
     */
    public static int pthreadKeyCreate() {
        // pthread_key_t is an unsigned int in glibc and musl, and keys are small.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(JAVA_INT);
            return (int) PTHREAD_KEY_CREATE.invokeExact(key, MemorySegment.NULL) == 0 ? key.get(JAVA_INT, 0) : -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Frees a key that no thread has a value for; false if {@code key} is none. */
    public static boolean pthreadKeyDelete(int key) {
        try {
            return (int) PTHREAD_KEY_DELETE.invokeExact(key) == 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The calling thread's value for {@code key}; 0 until it sets one. */
    public static long pthreadGetspecific(int key) {
        try {
            return (long) PTHREAD_GETSPECIFIC.invokeExact(key);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Sets the calling thread's value for {@code key}; false when libc has no memory for it. */
    public static boolean pthreadSetspecific(int key, long value) {
        try {
            return (int) PTHREAD_SETSPECIFIC.invokeExact(key, value) == 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * A symbol's address in the process's global scope ({@code dlsym(RTLD_DEFAULT, name)}): the executable,
     * {@code LD_PRELOAD} and their dependencies; 0 where none has it.
     */
    public static long globalSymbol(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) DLSYM.invokeExact(0L, arena.allocateFrom(name));
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
