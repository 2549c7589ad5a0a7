package io.github.rseq4j;

import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Syscalls;

/**
 * A request not to be preempted during a short critical section: rseq time-slice extensions
 * (Linux 7.0). While a request is open, a thread whose time slice ends gets a short extension
 * (5 to 50 microseconds, the kernel's {@code rseq/slice_ext_nsec}) instead of being preempted,
 * and gives the CPU back as soon as the request ends. Meant for a lock holder, so that threads
 * waiting for the lock do not wait for the holder's next time slice.
 *
 * <pre>{@code
 * try (var _ = RseqSlice.request()) {
 *     lock.lock();
 *     try { ... a few microseconds of work ... } finally { lock.unlock(); }
 * }   // if the kernel extended the slice, the CPU is given back here, after the unlock
 * }</pre>
 *
 * <p>{@link #request()} sets the {@code request} byte of the thread's rseq area; {@link #close()}
 * clears it and, if the kernel set {@code granted}, calls {@code rseq_slice_yield()}. Requests
 * nest: only the outermost {@code close()} ends the request. Without a grant both are a few plain
 * loads and stores; the first request of a thread enables extensions for it
 * ({@code prctl(PR_RSEQ_SLICE_EXTENSION)}), once.
 *
 * <p>Where extensions are unavailable ({@link RseqSupport#hasSliceExtension()} says why),
 * {@code request()} costs a branch and a small allocation (which escape analysis removes when the
 * scope stays in a try-with-resources block) and returns a new scope that asks nothing of the
 * kernel. The same holds on a virtual thread: a request would belong to its carrier, and a virtual
 * thread that parks inside the scope would leave the request set for whatever runs on that carrier
 * next, then clear another carrier's. Any system call inside the scope ends a grant (the kernel
 * does that), so a scope around blocking code is harmless but pointless.
 *
 * <p>A scope belongs to the thread that opened it: close it on that thread, exactly once per
 * {@code request()}. On every kernel, a {@code close()} on another thread throws
 * {@link WrongThreadException} and a {@code close()} of a scope with no open request (closed
 * twice) throws {@link IllegalStateException}, so a test on any machine finds the misuse. Where
 * extensions work, the requests of a platform thread share one scope that counts them, so there a
 * second close of an inner scope ends the outer request instead of throwing; elsewhere each
 * request has a scope of its own and every second close throws.
 */
public final class RseqSlice implements AutoCloseable {

    /** {@link Thread#threadId()} of the owner; immutable. */
    private final long ownerId;
    /** Address of the owner's rseq area, or 0 for a scope that asks nothing of the kernel; immutable. */
    private final long area;

    // Read and written only by the owner thread: plain fields.
    /** Open requests, nesting included. */
    private int depth;
    /** Whether the outermost open request set the kernel's {@code request} byte. */
    private boolean requesting;
    /** 0, or the errno with which the kernel refused to enable extensions for this thread. */
    private int refused;
    /** What {@code rseq_slice_yield()} returned when the last request ended, or -1 if it was not called. */
    private int lastYield = -1;

    RseqSlice(long ownerId, long area) {
        this.ownerId = ownerId;
        this.area = area;
    }

    /**
     * A scope of its own for one request that asks nothing of the kernel: extensions unavailable, or a virtual thread.
     */
    private static RseqSlice withoutKernel(Thread owner) {
        RseqSlice scope = new RseqSlice(owner.threadId(), 0);
        scope.depth = 1;
        return scope;
    }

    /**
     * Opens a request on the calling thread and returns its scope, for try-with-resources.
     * Never throws and never blocks; asks nothing of the kernel where extensions are unavailable
     * or on a virtual thread (see the class comment).
     *
     * @return where extensions work, the calling platform thread's scope (the same object for all
     *         its requests); elsewhere a new scope for this request alone
     */
    public static RseqSlice request() {
        if (!SliceProbe.AVAILABLE) {
            return withoutKernel(Thread.currentThread());
        }
        Thread thread = Thread.currentThread();
        RseqThread handle = HandleCache.lookup(thread);
        if (handle == null) {
            if (thread.isVirtual()) {
                return withoutKernel(thread);
            }
            handle = RseqThread.current();
        }
        RseqSlice slice = handle.slice;
        if (slice.depth++ == 0) {
            slice.requesting = slice.enabled();
            if (slice.requesting) {
                RseqMemory.sliceRequest(slice.area, true);
            }
        }
        return slice;
    }

    /** Whether the kernel lets this thread request extensions, enabling them on first use. */
    private boolean enabled() {
        if ((RseqMemory.readField(area + RseqAbi.FLAGS) & RseqAbi.FLAG_SLICE_EXT_ENABLED) != 0) {
            return true;
        }
        // rseq4j's own area of a thread that is not registered: nothing to enable until it is.
        if (refused != 0 || RseqMemory.readField(area + RseqAbi.CPU_ID) < 0) {
            return false;
        }
        long rc = Syscalls.prctl(RseqAbi.PR_RSEQ_SLICE_EXTENSION, RseqAbi.PR_RSEQ_SLICE_EXTENSION_SET,
                RseqAbi.PR_RSEQ_SLICE_EXT_ENABLE, 0, 0);
        refused = (int) -rc;
        return rc == 0;
    }

    /**
     * Ends one request; the outermost clears the kernel's {@code request} byte and, if the kernel
     * granted an extension meanwhile, gives the CPU back with {@code rseq_slice_yield()}.
     *
     * @throws IllegalStateException if this scope has no open request: closed twice (on every kernel)
     * @throws WrongThreadException if called on another thread than the request's (on every kernel)
     */
    @Override
    public void close() {
        if (Thread.currentThread().threadId() != ownerId) {
            throw new WrongThreadException("this RseqSlice belongs to thread " + ownerId + ", not to "
                    + Thread.currentThread() + "; close a request on the thread that opened it");
        }
        if (depth == 0) {
            throw new IllegalStateException("RseqSlice.close() of a scope with no open request (closed twice?) on "
                    + Thread.currentThread() + "; close each request() once");
        }
        if (--depth == 0 && requesting) {
            requesting = false;
            lastYield = RseqMemory.endSliceRequest(area) ? Syscalls.rseqSliceYield() : -1;
        }
    }

    /** Ends the calling thread's open request, if it has one: for locks that end it in {@code unlock}. */
    static void endCurrent() {
        if (!SliceProbe.AVAILABLE) {
            return;
        }
        Thread thread = Thread.currentThread();
        RseqThread handle = HandleCache.lookup(thread);
        if (handle == null) {
            if (thread.isVirtual()) {
                return;
            }
            // The cache slot may have gone to another thread since request(): the handle is still this thread's.
            handle = RseqThread.current();
        }
        if (handle.slice.depth > 0) {
            handle.slice.close();
        }
    }

    /**
     * Whether this scope asked the kernel for extensions: false for a scope that asks nothing of the kernel,
     * after the outermost {@link #close()}, and on a thread the kernel refused (see {@link #refusal()}).
     *
     * @return whether the {@code request} byte was set by the open request
     */
    public boolean isRequesting() {
        return requesting;
    }

    /**
     * Whether the kernel has granted an extension to the open request (its {@code granted}
     * byte): the time slice ended inside the scope. The kernel revokes the grant when it
     * expires, when the thread makes any system call, or when it is preempted anyway.
     *
     * @return the kernel's {@code granted} byte is set, while this scope is requesting
     */
    public boolean isGranted() {
        return requesting && RseqMemory.sliceGranted(area);
    }

    /**
     * How the last request of this thread that asked the kernel ended: 1 if it held a grant and
     * {@code rseq_slice_yield()} gave the CPU back inside the extension; 0 if that call found the
     * grant revoked (it expired, or an interrupt or system call ended it in between); -1 if it held no
     * grant, so no yield was needed (none was granted, or the kernel revoked it and preempted
     * the thread before the request ended), or no request has ended yet.
     *
     * @return 1, 0 or -1 as above
     */
    public int lastYieldResult() {
        return lastYield;
    }

    /**
     * Why the kernel would not enable extensions for this thread, or an empty string: it has not
     * refused (or was not asked yet). ENOTSUPP (524) means the thread's registration is the
     * original 32-byte one or the kernel lacks the feature; {@link RseqSupport#sliceExtensionReason()}
     * explains the process-wide case.
     *
     * @return empty, or the errno name and number
     */
    public String refusal() {
        return refused == 0 ? "" : "prctl(PR_RSEQ_SLICE_EXTENSION) failed with " + Errno.describe(refused);
    }
}
