package io.github.rseq4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * librseq in this process, found once by name in the global symbol scope, where {@code LD_PRELOAD} or a
 * launcher linked with it puts it (its initial-exec TLS keeps {@code dlopen} from loading it later). With
 * glibc's registration off, librseq registers an area of its own, in its TLS, for each thread that calls
 * {@code rseq_register_current_thread()}, and calls {@code abort()} when such a call fails after one has
 * succeeded. So where librseq is present rseq4j never registers an area of its own: it adopts librseq's
 * registration of a thread where there is one, and otherwise registers the thread through librseq; rseq4j
 * and librseq then read, and run sections on, one area.
 *
 * <p>librseq publishes {@code rseq_offset} (its area's offset from the thread pointer, as glibc's
 * {@code __rseq_offset}) and {@code rseq_size}: {@code -1} until its first call, 0 until it has registered a
 * thread, then the feature size.
 */
public final class Librseq {
    private Librseq() {}

    /** rseq_size before librseq's first call, when rseq_offset means nothing yet. */
    private static final int UNINITIALIZED = -1;

    private static final MemorySegment OFFSET = symbol("rseq_offset");
    private static final MemorySegment SIZE = symbol("rseq_size");
    private static final MemorySegment REGISTER = symbol("rseq_register_current_thread");
    private static final MemorySegment UNREGISTER = symbol("rseq_unregister_current_thread");

    /** Whether librseq is in the process; immutable. */
    public static final boolean PRESENT = OFFSET != null && SIZE != null && REGISTER != null && UNREGISTER != null;

    private static final FunctionDescriptor INT_OF_NOTHING = FunctionDescriptor.of(JAVA_INT);
    private static final MethodHandle REGISTER_CALL = PRESENT ? Native.downcallWithErrno(REGISTER, INT_OF_NOTHING)
            : null;
    private static final MethodHandle UNREGISTER_CALL = PRESENT
            ? Native.downcallWithErrno(UNREGISTER, INT_OF_NOTHING) : null;

    private static MemorySegment symbol(String name) {
        long address = Libc.globalSymbol(name);
        return address == 0 ? null : MemorySegment.ofAddress(address);
    }

    /**
     * The calling thread's librseq area, or 0 before librseq's first call. librseq's TLS lies within the
     * thread's static TLS block, next to the thread pointer; an offset that is not so, or an area not
     * aligned as rseq needs, is taken for a librseq rseq4j does not understand, and ignored.
     */
    public static long area() {
        if (!PRESENT || Native.ALL_MEMORY.get(JAVA_INT, SIZE.address()) == UNINITIALIZED) {
            return 0;
        }
        long offset = Native.ALL_MEMORY.get(JAVA_LONG, OFFSET.address());
        boolean plausible = Math.abs(offset) < 1 << 20 && offset % RseqAbi.ALIGNMENT == 0;
        return plausible ? RseqAbi.ARCH.threadPointer() + offset : 0;
    }

    /** {@code rseq_register_current_thread()}: 0, or the errno of its failure. */
    public static int registerCurrentThread() {
        return call(REGISTER_CALL);
    }

    /** {@code rseq_unregister_current_thread()}: 0, or the errno of its failure. */
    public static int unregisterCurrentThread() {
        return call(UNREGISTER_CALL);
    }

    private static int call(MethodHandle function) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE);
            int rc = (int) function.invokeExact(state);
            return rc == 0 ? 0 : Math.max(1, Native.errno(state));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
