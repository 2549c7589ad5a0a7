package io.github.rseq4j;

import io.github.rseq4j.internal.AreaPool;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Syscalls;
import java.util.concurrent.ThreadFactory;

/**
 * The rseq registration of one platform thread, and fast reads of the fields the kernel keeps
 * in it: {@code cpu_id_start}, {@code cpu_id}, {@code node_id} and {@code mm_cid}.
 *
 * <p>When glibc owns rseq (glibc 2.35 and later, by default) every thread is registered
 * already: {@link #register()} makes no system call and reads go to glibc's area. Otherwise
 * rseq4j registers an area of its own on the first {@code register()} of a thread and
 * unregisters it on the matching last {@link #unregister()}; calls nest.
 *
 * <p>The static readers ({@link #currentCpu()} and friends) work on any thread, registered
 * or not, virtual or not. They are fastest on threads from {@link #threadFactory()}.
 *
 * <p>A handle belongs to its thread: using it from another thread throws
 * {@link WrongThreadException}.
 */
public final class RseqThread implements AutoCloseable {

    private static final ThreadLocal<RseqThread> CURRENT = ThreadLocal.withInitial(RseqThread::forCallingThread);

    private static final boolean OWN_AREAS = RseqAbi.OWNER == Owner.RSEQ4J;

    private static final int RSEQ_FLAG_UNREGISTER = 1;

    /**
     * {@link Thread#threadId()} of the thread this handle belongs to; immutable. An id, not the
     * Thread, so that {@link HandleCache} pins no dead Thread; the JVM never reuses ids.
     */
    private final long ownerId;
    /** The owner's {@code toString()} when the handle was made, for messages; immutable. */
    private final String ownerName;
    /** Address of the area the kernel writes for the owner; immutable. */
    final long area;
    /** rseq4j's slot: own area (if any) then the registration count, which only the owner touches. */
    private final long slot;
    /** The owner's time-slice extension requests; immutable reference, state owner-only. */
    final RseqSlice slice;

    private RseqThread(Thread owner, long area, long slot) {
        this.ownerId = owner.threadId();
        this.ownerName = owner.toString();
        this.area = area;
        this.slot = slot;
        this.slice = new RseqSlice(ownerId, area);
    }

    private static RseqThread forCallingThread() {
        Thread thread = Thread.currentThread();
        long slot = AreaPool.shared().acquire(thread, Libc.gettid());
        long area = RseqAbi.OWNER == Owner.GLIBC ? RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET : slot;
        return new RseqThread(thread, area, slot);
    }

    // ---------------------------------------------------------------- static fast path

    /**
     * The CPU the calling thread runs on (it may move right after). Any thread: a thread with
     * no area to read (rseq4j owns rseq and the thread is not registered, or rseq is
     * unavailable) is answered by {@code sched_getcpu()}; a virtual thread gets its carrier's
     * CPU at the moment of the call.
     */
    public static int currentCpu() {
        int cpu = RseqMemory.readField(currentArea() + RseqAbi.CPU_ID);
        return RseqAbi.OWNER == Owner.GLIBC || cpu >= 0 ? cpu : Libc.schedGetcpu();
    }

    /** The NUMA node the calling thread runs on; see {@link #currentCpu()}. Needs Linux 6.3. */
    public static int currentNode() {
        requireField("node_id", RseqAbi.NODE_ID);
        long area = currentArea();
        return hasRegistration(area) ? RseqMemory.readField(area + RseqAbi.NODE_ID) : Libc.currentNode();
    }

    /**
     * The calling thread's memory-map concurrency id: a small index, unique among the
     * process's threads running at this instant, below the number of CPUs and of threads.
     * Needs Linux 6.3 and an area to read: glibc's, or this thread's own registration.
     */
    public static int currentMmCid() {
        requireField("mm_cid", RseqAbi.MM_CID);
        long area = currentArea();
        if (!hasRegistration(area)) {
            throw new IllegalStateException("mm_cid exists only for a thread with rseq registered: " + howToRegister());
        }
        return RseqMemory.readField(area + RseqAbi.MM_CID);
    }

    /**
     * Whether the kernel keeps {@code area} current. Every area {@link #currentArea()} returns
     * is glibc's when glibc owns rseq, so only rseq4j's own areas need the cpu_id test.
     */
    private static boolean hasRegistration(long area) {
        return RseqAbi.OWNER == Owner.GLIBC || RseqMemory.readField(area + RseqAbi.CPU_ID) >= 0;
    }

    /** The area the calling thread's kernel fields are in, or one that reads as unregistered. */
    private static long currentArea() {
        Thread thread = Thread.currentThread();
        if (thread instanceof AreaThread carrying) {
            return carrying.area;
        }
        RseqThread cached = HandleCache.lookup(thread);
        if (cached != null) {
            return cached.area;
        }
        if (thread.isVirtual()) {
            // Never cache: the next read may run on another carrier.
            return RseqAbi.OWNER == Owner.GLIBC
                    ? RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET
                    : RseqMemory.UNREGISTERED_AREA;
        }
        return platformHandle().area;
    }

    /** The handle of a platform thread, entering it in the cache on the way. */
    private static RseqThread platformHandle() {
        RseqThread handle = CURRENT.get();
        HandleCache.remember(handle);
        return handle;
    }

    /**
     * The calling thread's area if the kernel keeps it current, else 0: for rseq4j's critical
     * sections, which must never run on an area whose cpu_id reads -1.
     */
    static long registeredArea() {
        long area = currentArea();
        return hasRegistration(area) ? area : 0;
    }

    // ---------------------------------------------------------------- registration

    /**
     * Registers the calling platform thread (once; later calls only count) and returns its
     * handle. Balance every call with {@link #unregister()}, e.g. with try-with-resources.
     *
     * @throws RseqException if the kernel refuses, with the errno and what to do
     * @throws UnsupportedOperationException on a virtual thread
     * @throws IllegalStateException if the count would overflow
     */
    public static RseqThread register() {
        RseqThread handle = current();
        handle.acquire();
        return handle;
    }

    /**
     * The calling platform thread's handle, registered or not.
     *
     * @throws UnsupportedOperationException on a virtual thread, which has no area of its own
     */
    public static RseqThread current() {
        Thread thread = Thread.currentThread();
        RseqThread cached = HandleCache.lookup(thread);
        if (cached != null) {
            return cached;
        }
        if (thread.isVirtual()) {
            throw new UnsupportedOperationException("a virtual thread cannot hold an rseq registration: it runs on "
                    + "shared carrier threads and may move between them at any blocking call. Use the static "
                    + "readers (RseqThread.currentCpu() etc.), which read the current carrier's area, or a platform thread");
        }
        return platformHandle();
    }

    /** Platform threads that carry their rseq area, for the fastest {@link #currentCpu()}. */
    public static ThreadFactory threadFactory() {
        return AreaThread::new;
    }

    private void acquire() {
        int count = RseqMemory.refcount(slot);
        if (count == Integer.MAX_VALUE) {
            throw new IllegalStateException("rseq registration count overflow on " + ownerName
                    + ": register() was called 2^31-1 times without unregister()");
        }
        if (count == 0 && RseqAbi.OWNER != Owner.GLIBC) {
            if (!RseqAbi.AVAILABLE) {
                throw new RseqException("rseq registration", RseqAbi.UNAVAILABLE_ERRNO, RseqAbi.unavailableReason());
            }
            int rc = Syscalls.rseq(area, RseqAbi.REGISTRATION_LENGTH, 0, RseqAbi.SIGNATURE);
            if (rc != 0) {
                throw new RseqException("rseq registration of " + ownerName, -rc, registrationHint(-rc));
            }
        }
        RseqMemory.refcount(slot, count + 1);
    }

    /**
     * Undoes one {@link #register()}; the last one unregisters rseq4j's own area.
     *
     * @throws IllegalStateException if there is no registration to undo
     * @throws WrongThreadException if called from another thread
     */
    public void unregister() {
        checkOwner();
        int count = RseqMemory.refcount(slot);
        if (count == 0) {
            throw new IllegalStateException("unregister() without a matching register() on " + ownerName);
        }
        if (count == 1 && OWN_AREAS) {
            int rc = Syscalls.rseq(area, RseqAbi.REGISTRATION_LENGTH, RSEQ_FLAG_UNREGISTER, RseqAbi.SIGNATURE);
            if (rc != 0) {
                throw new RseqException("rseq unregistration of " + ownerName, -rc, unregistrationHint(-rc));
            }
        }
        RseqMemory.refcount(slot, count - 1);
    }

    /** Same as {@link #unregister()}, for try-with-resources. */
    @Override
    public void close() {
        unregister();
    }

    /** Outstanding {@link #register()} calls of this thread. */
    public int registrations() {
        checkOwner();
        return RseqMemory.refcount(slot);
    }

    /** Whether the kernel keeps this thread's fields current: always when glibc owns rseq. */
    public boolean isRegistered() {
        checkOwner();
        return RseqAbi.OWNER == Owner.GLIBC || RseqMemory.refcount(slot) > 0;
    }

    /** {@link Thread#threadId()} of the thread this handle belongs to. */
    public long threadId() {
        return ownerId;
    }

    // ---------------------------------------------------------------- handle reads

    /** {@code cpu_id}: the current CPU, or -1 (RSEQ_CPU_ID_UNINITIALIZED) while not registered. */
    public int cpuId() {
        checkOwner();
        return RseqMemory.readField(area + RseqAbi.CPU_ID);
    }

    /** {@code cpu_id_start}: always a possible CPU number (0 before registration); confirm with {@link #cpuId()}. */
    public int cpuIdStart() {
        checkOwner();
        return RseqMemory.readField(area + RseqAbi.CPU_ID_START);
    }

    /** {@code node_id} (Linux 6.3). */
    public int nodeId() {
        return registeredField("node_id", RseqAbi.NODE_ID);
    }

    /** {@code mm_cid} (Linux 6.3). */
    public int mmCid() {
        return registeredField("mm_cid", RseqAbi.MM_CID);
    }

    private int registeredField(String name, long offset) {
        checkOwner();
        requireField(name, offset);
        if (RseqAbi.OWNER != Owner.GLIBC && RseqMemory.refcount(slot) == 0) {
            throw new IllegalStateException(name + " is only defined while the thread is registered: " + howToRegister());
        }
        return RseqMemory.readField(area + offset);
    }

    private void checkOwner() {
        if (Thread.currentThread().threadId() != ownerId) {
            throw new WrongThreadException("this RseqThread belongs to " + ownerName + ", not to "
                    + Thread.currentThread() + "; call RseqThread.current() or register() on the thread itself");
        }
    }

    private static void requireField(String name, long offset) {
        if (!RseqAbi.covers(offset + Integer.BYTES)) {
            throw new UnsupportedOperationException(name + " needs Linux 6.3 or later (rseq feature size "
                    + (offset + Integer.BYTES) + "); this kernel and libc provide " + RseqAbi.USABLE_SIZE + " bytes");
        }
    }

    private static String howToRegister() {
        if (!RseqAbi.AVAILABLE) {
            return "rseq is unavailable: " + RseqAbi.unavailableReason();
        }
        return Thread.currentThread().isVirtual()
                ? "rseq4j owns rseq in this process and a virtual thread cannot register; use a platform thread "
                        + "that calls RseqThread.register(), or leave glibc's registration on"
                : "call RseqThread.register() on this platform thread first (rseq4j owns rseq in this process)";
    }

    private static String registrationHint(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "the thread already has an rseq area at another address (glibc or another library "
                    + "owns rseq), or the length " + RseqAbi.REGISTRATION_LENGTH + " / alignment " + RseqAbi.ALIGNMENT
                    + " does not suit this kernel. If glibc owns rseq, set GLIBC_TUNABLES=glibc.pthread.rseq=0 to "
                    + "register rseq4j's own area, or leave it on and rseq4j adopts glibc's";
            case Errno.ENOSYS -> "rseq is blocked by seccomp or missing from this kernel (Linux 4.18 or later is needed)";
            case Errno.EPERM -> "the thread is registered with another abort signature; another rseq user owns it";
            case Errno.EBUSY -> "this area is registered already for the thread";
            case Errno.EFAULT -> "the kernel cannot write the area";
            default -> "unexpected error from rseq(2)";
        };
    }

    private static String unregistrationHint(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "the thread's registration is not rseq4j's (other address or length): someone "
                    + "else unregistered or re-registered the thread";
            case Errno.EPERM -> "the registration has another abort signature; someone else re-registered the thread";
            default -> "unexpected error from rseq(2)";
        };
    }
}
