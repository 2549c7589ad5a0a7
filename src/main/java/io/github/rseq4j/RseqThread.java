package io.github.rseq4j;

import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.AreaPool;
import io.github.rseq4j.internal.Librseq;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.RseqUsers;
import io.github.rseq4j.internal.ThreadSlots;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Native;
import io.github.rseq4j.internal.sys.Syscalls;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rseq registration of one platform thread, and fast reads of the fields the kernel keeps
 * in it: {@code cpu_id_start}, {@code cpu_id}, {@code node_id} and {@code mm_cid}.
 *
 * <p>When glibc owns rseq (glibc 2.35 and later, by default) every thread is registered
 * already: {@link #register()} makes no system call and reads go to glibc's area. Otherwise
 * rseq4j registers an area of its own on the first {@code register()} of a thread and
 * unregisters it on the matching last {@link #unregister()}; calls nest. Every copy of rseq4j in the JVM
 * (other class loaders, shaded copies) shares that registration and its count, and where librseq is in the
 * process rseq4j adopts librseq's registration of a thread or registers the thread through librseq
 * (<a href="https://github.com/rseq4j/rseq4j/blob/main/docs/coexistence.md">docs/coexistence.md</a>). A thread
 * that another user registered first (a native library calling rseq(2) itself) cannot be registered again:
 * {@code register()} then fails with EINVAL and says which users this process shows, and the thread runs on
 * rseq4j's fallbacks. An area unregistered behind rseq4j's back
 * reads as unregistered ({@link #isRegistered()} false) until {@code register()} registers it again.
 *
 * <p>The static readers ({@link #currentCpu()} and friends) work on any thread, registered
 * or not, virtual or not. They are fastest on threads from {@link #ofPlatform()} or
 * {@link #threadFactory()}.
 *
 * <p>A registration is the {@link Registration} that {@link #register()} returns; close it to
 * undo that one call, typically with Java 22's unnamed variable:
 * {@snippet :
 * try (var _ = RseqThread.register()) {
 *     counter.increment();        // runs an rseq critical section even when rseq4j owns rseq
 * }
 * }
 * The handle itself ({@link #current()}) is not a resource: it lives as long as its thread.
 *
 * <p>A handle belongs to its thread: using it from another thread throws
 * {@link WrongThreadException}.
 *
 * <h2 id="cpu">{@link #currentCpu()} against {@link #cpuId()}</h2>
 * {@code currentCpu()} always answers a CPU number; {@code cpuId()} answers what the kernel wrote
 * in the handle's area, which is -1 ({@code RSEQ_CPU_ID_UNINITIALIZED}) while the kernel does not
 * keep that area:
 * <table class="striped">
 * <caption>What each returns, by {@link RseqSupport#owner()} and the calling thread's state</caption>
 * <thead><tr><th scope="col">owner</th><th scope="col">thread</th>
 *     <th scope="col">{@code currentCpu()}</th><th scope="col">{@code current().cpuId()}</th></tr></thead>
 * <tbody>
 * <tr><th scope="row">{@link Owner#GLIBC}</th><td>any platform thread</td>
 *     <td>the CPU, from glibc's area</td><td>the CPU (glibc registered the thread)</td></tr>
 * <tr><th scope="row">{@link Owner#RSEQ4J}</th><td>registered</td>
 *     <td>the CPU, from rseq4j's area</td><td>the CPU</td></tr>
 * <tr><th scope="row">{@link Owner#RSEQ4J}</th><td>not registered</td>
 *     <td>the CPU, from {@code sched_getcpu()}</td><td>-1</td></tr>
 * <tr><th scope="row">{@link Owner#NONE}</th><td>any platform thread</td>
 *     <td>the CPU, from {@code sched_getcpu()}</td><td>-1 ({@link #register()} throws)</td></tr>
 * <tr><th scope="row">any</th><td>virtual</td>
 *     <td>its carrier's CPU at the moment of the call</td>
 *     <td>{@code current()} throws {@link UnsupportedOperationException}</td></tr>
 * </tbody>
 * </table>
 * Either way the thread may run on another CPU by the time the caller looks at the number.
 */
public final class RseqThread {

    private static final ThreadLocal<RseqThread> CURRENT = ThreadLocal.withInitial(RseqThread::forCallingThread);

    // Without native access these stay false and RseqAbi uninitialized: the static methods throw Native's error first.
    private static final boolean OWN_AREAS = !Native.accessDenied() && RseqAbi.OWNER == AreaOwner.RSEQ4J;

    /** glibc registered every thread and its areas can be read; else areas may read as unregistered. */
    private static final boolean GLIBC_AREAS = !Native.accessDenied()
            && RseqAbi.OWNER == AreaOwner.GLIBC && RseqAbi.GLIBC_AREA_UNREACHABLE.isEmpty();

    private static final int RSEQ_FLAG_UNREGISTER = 1;

    /**
     * {@link Thread#threadId()} of the thread this handle belongs to; immutable. An id, not the
     * Thread, so that {@link HandleCache} pins no dead Thread; the JVM never reuses ids.
     */
    private final long ownerId;
    /** The owner's {@code toString()} when the handle was made, for messages; immutable. */
    private final String ownerName;
    /**
     * Address of the area the kernel writes for the owner; written only by the owner, and only where librseq is
     * present: librseq's area once librseq tells where it is ({@link Librseq}).
     */
    long area;
    /** rseq4j's slot: own area (if any) then the registration count, which only the owner touches. */
    private final long slot;
    /** The owner's time-slice extension requests on {@link #area}; reference and state owner-only. */
    RseqSlice slice;

    private RseqThread(Thread owner, long area, long slot) {
        this.ownerId = owner.threadId();
        this.ownerName = owner.toString();
        this.area = area;
        this.slot = slot;
        this.slice = new RseqSlice(ownerId, area);
    }

    private static RseqThread forCallingThread() {
        Thread thread = Thread.currentThread();
        long slot = ThreadSlots.forCallingThread(AreaPool.shared());
        long librseqArea = Librseq.area();
        long area = GLIBC_AREAS ? RseqAbi.glibcArea()
                : RseqAbi.OWNER == AreaOwner.GLIBC ? RseqMemory.UNREGISTERED_AREA
                : librseqArea != 0 ? librseqArea : slot;
        return new RseqThread(thread, area, slot);
    }

    // ---------------------------------------------------------------- static fast path

    /**
     * The CPU the calling thread runs on (it may move right after). Any thread: a thread with
     * no registered area to read (rseq4j owns rseq and the thread is not registered, rseq is
     * unavailable, or glibc's area was unregistered behind glibc's back: cpu_id reads -1 or -2)
     * is answered by {@code sched_getcpu()}, which returns -1 only if the kernel cannot say; a
     * virtual thread gets its carrier's CPU at the moment of the call. See <a href="#cpu">the
     * table</a> against {@link #cpuId()}.
     *
     * @return the CPU number; -1 only if {@code sched_getcpu()} fails
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static int currentCpu() {
        Native.requireNativeAccess();
        int cpu = RseqMemory.readField(currentArea() + RseqAbi.CPU_ID);
        return cpu >= 0 ? cpu : Libc.schedGetcpu();
    }

    /**
     * The NUMA node the calling thread runs on; any thread, as {@link #currentCpu()}.
     *
     * @return the node number, never negative
     * @throws UnsupportedOperationException before Linux 6.3, whose rseq area has no {@code node_id}
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static int currentNode() {
        Native.requireNativeAccess();
        requireField("node_id", RseqAbi.NODE_ID);
        long area = currentArea();
        return hasRegistration(area) ? RseqMemory.readField(area + RseqAbi.NODE_ID) : Libc.currentNode();
    }

    /**
     * The calling thread's memory-map concurrency id: a small index, unique among the
     * process's threads running at this instant, below the number of CPUs and of threads.
     * Needs Linux 6.3 and an area to read: glibc's, or this thread's own registration.
     *
     * @return the concurrency id, never negative
     * @throws UnsupportedOperationException before Linux 6.3, whose rseq area has no {@code mm_cid}
     * @throws IllegalStateException when the kernel keeps no area of the thread that rseq4j can read: rseq4j
     *                               owns rseq and the thread is not registered (or is virtual), another
     *                               rseq user registered it, its area was unregistered behind its owner's
     *                               back, or rseq is unavailable; the message says which
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static int currentMmCid() {
        Native.requireNativeAccess();
        requireField("mm_cid", RseqAbi.MM_CID);
        long area = currentArea();
        if (!hasRegistration(area)) {
            throw new IllegalStateException("mm_cid exists only for a thread with rseq registered: "
                    + (Thread.currentThread().isVirtual() ? howToRegister() : current().whyUnregistered()));
        }
        return RseqMemory.readField(area + RseqAbi.MM_CID);
    }

    /**
     * Whether the kernel keeps {@code area} current: its cpu_id is a CPU number. Also for glibc's
     * areas, which someone may have unregistered behind glibc's back (cpu_id then reads -1).
     */
    private static boolean hasRegistration(long area) {
        return RseqMemory.readField(area + RseqAbi.CPU_ID) >= 0;
    }

    /** The area the calling thread's kernel fields are in, or one that reads as unregistered. */
    private static long currentArea() {
        Thread thread = Thread.currentThread();
        if (thread instanceof AreaThread carrying) {
            return carrying.area;
        }
        if (thread.isVirtual()) {
            // Before the cache, which never holds a virtual thread: the next read may run on another carrier.
            return GLIBC_AREAS ? RseqAbi.glibcArea() : RseqMemory.UNREGISTERED_AREA;
        }
        RseqThread cached = HandleCache.lookup(thread);
        return cached != null ? cached.area : platformHandle().area;
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
     * Registers the calling platform thread (the first call makes the system call when rseq4j
     * owns rseq; later calls only count) and returns that registration, to be closed when done:
     * {@code try (var _ = RseqThread.register()) { ... }}. Calls nest: the thread stays
     * registered until every registration is closed (or balanced by {@link #unregister()}).
     *
     * @return the registration; {@link Registration#thread()} is the thread's handle
     * @throws RseqException if the kernel refuses (or librseq, where rseq4j registers through it), with the errno
     *                       and what to do
     * @throws UnsupportedOperationException on a virtual thread
     * @throws IllegalStateException if the count would overflow
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static Registration register() {
        RseqThread handle = current();
        handle.acquire();
        return new Registration(handle);
    }

    /**
     * One successful {@link #register()} call, undone by {@link #close()}. Belongs to the thread
     * that registered.
     */
    public static final class Registration implements AutoCloseable {
        /** The registered thread's handle; immutable. */
        private final RseqThread thread;
        /** Whether {@link #close()} undid the registration; only the owner thread touches it. */
        private boolean closed;

        private Registration(RseqThread thread) {
            this.thread = thread;
        }

        /**
         * The handle of the registered thread.
         *
         * @return the same handle as {@link RseqThread#current()} on that thread
         */
        public RseqThread thread() {
            return thread;
        }

        /**
         * Undoes the {@link RseqThread#register()} call that returned this registration; the
         * thread's last one unregisters rseq4j's own area. Closing again does nothing.
         *
         * @throws WrongThreadException if called from another thread
         * @throws RseqException if the kernel refuses to unregister, with the errno and why
         */
        @Override
        public void close() {
            if (!closed) {
                thread.unregister();
                closed = true;
            }
        }
    }

    /**
     * The calling platform thread's handle, registered or not. It lives as long as the thread
     * and is not a resource: registering is {@link #register()}'s job.
     *
     * @return the handle; the same object on every call from the thread
     * @throws UnsupportedOperationException on a virtual thread, which has no area of its own
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
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
                    + "readers (RseqThread.currentCpu() etc.), which read the current carrier's area, "
                    + "or a platform thread");
        }
        Native.requireNativeAccess();
        return platformHandle();
    }

    /**
     * Platform threads that carry their rseq area, for the fastest {@link #currentCpu()}: the
     * same as {@code ofPlatform().factory()}. Threads are named {@code rseq4j-N} and inherit
     * daemon status and priority from the creating thread; {@link #ofPlatform()} sets them.
     *
     * @return a factory of such threads, safe for concurrent use
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static ThreadFactory threadFactory() {
        return ofPlatform().factory();
    }

    /**
     * A builder of platform threads that carry their rseq area, with the options of
     * {@link Thread#ofPlatform()}. Each thread registers itself (when rseq is available) for the
     * whole of its task and unregisters when the task ends; its static reads
     * ({@link #currentCpu()} and friends) then need no thread-local lookup.
     * {@snippet :
     * ExecutorService pool = Executors.newFixedThreadPool(4,
     *         RseqThread.ofPlatform().name("worker-", 0).daemon(true).factory());
     * }
     *
     * @return a new builder
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public static Builder ofPlatform() {
        Native.requireNativeAccess();
        return new Builder();
    }

    /**
     * Builds platform threads that carry their rseq area; the methods mean what the same-named
     * methods of {@link Thread.Builder.OfPlatform} mean. Not safe for concurrent use; the
     * {@link #factory()} it makes is.
     */
    public static final class Builder {
        private String name;
        private long counter = -1;
        private ThreadGroup group;
        private Boolean daemon;
        private int priority;
        private long stackSize;
        private boolean inheritInheritableThreadLocals = true;
        private Thread.UncaughtExceptionHandler handler;

        private Builder() {}

        /**
         * Names every thread {@code name}.
         *
         * @param name the name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            this.counter = -1;
            return this;
        }

        /**
         * Names threads {@code prefix} followed by a counter that starts at {@code start} and
         * counts the threads this builder or its factory made.
         *
         * @param prefix the prefix
         * @param start  the first counter value, not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code start} is negative
         */
        public Builder name(String prefix, long start) {
            if (start < 0) {
                throw new IllegalArgumentException("start must not be negative: " + start);
            }
            this.name = Objects.requireNonNull(prefix);
            this.counter = start;
            return this;
        }

        /**
         * The thread group of the threads.
         *
         * @param group the group
         * @return this builder
         */
        public Builder group(ThreadGroup group) {
            this.group = Objects.requireNonNull(group);
            return this;
        }

        /**
         * Makes the threads daemon threads, or not; by default they inherit it from the thread
         * that creates them.
         *
         * @param on whether the threads are daemons
         * @return this builder
         */
        public Builder daemon(boolean on) {
            this.daemon = on;
            return this;
        }

        /**
         * The same as {@code daemon(true)}.
         *
         * @return this builder
         */
        public Builder daemon() {
            return daemon(true);
        }

        /**
         * The priority of the threads; by default inherited.
         *
         * @param priority between {@link Thread#MIN_PRIORITY} and {@link Thread#MAX_PRIORITY}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder priority(int priority) {
            if (priority < Thread.MIN_PRIORITY || priority > Thread.MAX_PRIORITY) {
                throw new IllegalArgumentException("priority out of range: " + priority);
            }
            this.priority = priority;
            return this;
        }

        /**
         * The stack size the threads ask for, as {@link Thread.Builder.OfPlatform#stackSize(long)}.
         *
         * @param stackSize bytes, 0 for the default
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder stackSize(long stackSize) {
            if (stackSize < 0) {
                throw new IllegalArgumentException("stack size must not be negative: " + stackSize);
            }
            this.stackSize = stackSize;
            return this;
        }

        /**
         * Whether the threads inherit the creating thread's inheritable thread-local values;
         * by default they do.
         *
         * @param inherit true to inherit
         * @return this builder
         */
        public Builder inheritInheritableThreadLocals(boolean inherit) {
            this.inheritInheritableThreadLocals = inherit;
            return this;
        }

        /**
         * The handler of the threads' uncaught exceptions.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder uncaughtExceptionHandler(Thread.UncaughtExceptionHandler handler) {
            this.handler = Objects.requireNonNull(handler);
            return this;
        }

        /**
         * A new thread, not started, that runs {@code task}.
         *
         * @param task the task
         * @return the thread
         */
        public Thread unstarted(Runnable task) {
            String threadName = name == null ? null : counter < 0 ? name : name + counter++;
            return newThread(task, threadName);
        }

        /**
         * A new thread that runs {@code task}, started.
         *
         * @param task the task
         * @return the thread
         */
        public Thread start(Runnable task) {
            Thread thread = unstarted(task);
            thread.start();
            return thread;
        }

        /**
         * A factory of threads with this builder's current settings; safe for concurrent use.
         * With {@link #name(String, long)} the factory counts on from this builder's counter.
         *
         * @return the factory
         */
        public ThreadFactory factory() {
            Builder settings = copy();
            AtomicLong next = new AtomicLong(Math.max(counter, 0));
            return task -> settings.newThread(task, settings.name == null ? null
                    : settings.counter < 0 ? settings.name : settings.name + next.getAndIncrement());
        }

        private Builder copy() {
            Builder copy = new Builder();
            copy.name = name;
            copy.counter = counter;
            copy.group = group;
            copy.daemon = daemon;
            copy.priority = priority;
            copy.stackSize = stackSize;
            copy.inheritInheritableThreadLocals = inheritInheritableThreadLocals;
            copy.handler = handler;
            return copy;
        }

        private Thread newThread(Runnable task, String threadName) {
            Objects.requireNonNull(task);
            AreaThread thread = new AreaThread(group, task, threadName, stackSize, inheritInheritableThreadLocals);
            if (daemon != null) {
                thread.setDaemon(daemon);
            }
            if (priority != 0) {
                thread.setPriority(priority);
            }
            if (handler != null) {
                thread.setUncaughtExceptionHandler(handler);
            }
            return thread;
        }
    }

    private void acquire() {
        int count = RseqMemory.refcount(slot);
        if (count == Integer.MAX_VALUE) {
            throw new IllegalStateException("rseq registration count overflow on " + ownerName
                    + ": register() was called 2^31-1 times without unregister()");
        }
        // count > 0 with cpu_id -1: rseq4j's area was unregistered behind its back; register it again.
        if (RseqAbi.OWNER != AreaOwner.GLIBC && (count == 0 || !hasRegistration(area))) {
            if (!RseqAbi.AVAILABLE) {
                throw new RseqException("rseq registration", RseqAbi.UNAVAILABLE_ERRNO, RseqAbi.unavailableReason());
            }
            if (Librseq.PRESENT) {
                registerWithLibrseq(count);
            } else {
                int rc = Syscalls.rseq(area, RseqAbi.REGISTRATION_LENGTH, 0, RseqAbi.SIGNATURE);
                if (rc != 0) {
                    throw new RseqException("rseq registration of " + ownerName, -rc, registrationHint(-rc)
                            + (count > 0
                                    ? " (rseq4j's own registration of this thread was unregistered behind its back)"
                                    : ""));
                }
                RseqMemory.registrar(slot, ThreadSlots.REGISTERED_OWN_AREA);
            }
            RseqUsers.publishRegistrar();
        }
        RseqMemory.refcount(slot, count + 1);
    }

    /**
     * Where librseq is present: adopts librseq's registration of this thread, else registers the thread through
     * librseq, after asking the kernel whether the thread is free: librseq calls {@code abort()} when its
     * registration fails once it has made one, and another user may have registered the thread.
     */
    private void registerWithLibrseq(int count) {
        long librseqArea = Librseq.area();
        int registrar = ThreadSlots.ADOPTED_FROM_LIBRSEQ;
        if (librseqArea == 0 || !hasRegistration(librseqArea)) {
            int errno = probeRegistration(slot);
            if (errno != 0) {
                throw new RseqException("rseq registration of " + ownerName, errno, registrationHint(errno));
            }
            errno = Librseq.registerCurrentThread();
            if (errno != 0) {
                throw new RseqException("rseq registration of " + ownerName + " through librseq", errno,
                        registrationHint(errno) + " (librseq's rseq_register_current_thread() failed)");
            }
            librseqArea = Librseq.area();
            registrar = ThreadSlots.REGISTERED_THROUGH_LIBRSEQ;
        }
        if (area != librseqArea) {
            area = librseqArea;
            slice = new RseqSlice(ownerId, librseqArea);
        }
        if (count == 0 || registrar == ThreadSlots.REGISTERED_THROUGH_LIBRSEQ) {
            RseqMemory.registrar(slot, registrar);
        }
    }

    /**
     * Undoes one {@link #register()} without its {@link Registration}, for code that cannot
     * use try-with-resources (e.g. register in one callback, unregister in another); the last
     * one unregisters rseq4j's own area. Do not mix it with closing the same registration. If that
     * area was unregistered behind rseq4j's back (its {@code cpu_id} reads -1), the kernel keeps nothing
     * to undo and the count just goes down.
     *
     * @throws IllegalStateException if there is no registration to undo
     * @throws WrongThreadException if called from another thread
     * @throws RseqException if the kernel refuses to unregister, with the errno and why
     */
    public void unregister() {
        checkOwner();
        int count = RseqMemory.refcount(slot);
        if (count == 0) {
            throw new IllegalStateException("unregister() without a matching register() on " + ownerName);
        }
        if (count == 1 && OWN_AREAS) {
            int registrar = RseqMemory.registrar(slot);
            // librseq's own registration is its user's to undo.
            int errno = registrar == ThreadSlots.ADOPTED_FROM_LIBRSEQ ? 0
                    : registrar == ThreadSlots.REGISTERED_THROUGH_LIBRSEQ ? Librseq.unregisterCurrentThread()
                    : -Syscalls.rseq(area, RseqAbi.REGISTRATION_LENGTH, RSEQ_FLAG_UNREGISTER, RseqAbi.SIGNATURE);
            boolean alreadyUnregistered = errno == Errno.EINVAL && !hasRegistration(area);
            if (errno != 0 && !alreadyUnregistered) {
                throw new RseqException("rseq unregistration of " + ownerName
                        + (registrar == ThreadSlots.REGISTERED_THROUGH_LIBRSEQ ? " through librseq" : ""), errno,
                        unregistrationHint(errno));
            }
        }
        RseqMemory.refcount(slot, count - 1);
    }

    /**
     * Outstanding {@link #register()} calls of this thread, made through any copy of rseq4j in the JVM (copies
     * in other class loaders share the count).
     *
     * @return the count, 0 when not registered by rseq4j (glibc's registration is not counted); it
     *         still counts a registration whose area was unregistered behind rseq4j's back (a raw
     *         {@code rseq(2)} call with {@code RSEQ_FLAG_UNREGISTER}), while {@link #isRegistered()} says false
     * @throws WrongThreadException if called from another thread
     */
    public int registrations() {
        checkOwner();
        return RseqMemory.refcount(slot);
    }

    /**
     * Whether the kernel keeps this thread's fields current: the area's {@code cpu_id} reads a CPU
     * (the kernel resets it to -1 when the area is unregistered, by rseq4j or behind its back).
     *
     * @return true when glibc owns rseq and its area is out of Java's reach; else whether {@link #cpuId()}
     *         is a CPU number: when glibc owns rseq, whether nobody unregistered glibc's area; else
     *         whether {@link #registrations()} is positive and nobody unregistered rseq4j's area
     * @throws WrongThreadException if called from another thread
     */
    public boolean isRegistered() {
        return cpuId() >= 0;
    }

    /**
     * The thread this handle belongs to.
     *
     * @return its {@link Thread#threadId()}
     */
    public long threadId() {
        return ownerId;
    }

    // ---------------------------------------------------------------- handle reads

    /**
     * The area's {@code cpu_id}, as the kernel last wrote it; see <a href="#cpu">the table</a>
     * against {@link #currentCpu()}.
     *
     * @return the current CPU while the kernel keeps the area ({@link #isRegistered()}), else -1
     *         ({@code RSEQ_CPU_ID_UNINITIALIZED})
     * @throws WrongThreadException if called from another thread
     */
    public int cpuId() {
        checkOwner();
        return RseqAbi.OWNER != AreaOwner.GLIBC || GLIBC_AREAS
                ? RseqMemory.readField(area + RseqAbi.CPU_ID)
                : Libc.schedGetcpu();
    }

    /**
     * The area's {@code cpu_id_start}: always a possible CPU number, even when stale; confirm
     * with {@link #cpuId()}.
     *
     * @return the CPU the kernel last wrote, 0 while the area is not registered
     * @throws WrongThreadException if called from another thread
     */
    public int cpuIdStart() {
        checkOwner();
        return RseqMemory.readField(area + RseqAbi.CPU_ID_START);
    }

    /**
     * The area's {@code node_id}: the NUMA node of the current CPU.
     *
     * @return the node
     * @throws UnsupportedOperationException before Linux 6.3
     * @throws IllegalStateException while the kernel does not keep the area ({@link #isRegistered()} is
     *                               false); the message says why and what to do
     * @throws WrongThreadException if called from another thread
     */
    public int nodeId() {
        return registeredField("node_id", RseqAbi.NODE_ID);
    }

    /**
     * The area's {@code mm_cid}: see {@link #currentMmCid()}.
     *
     * @return the concurrency id
     * @throws UnsupportedOperationException before Linux 6.3
     * @throws IllegalStateException while the kernel does not keep the area ({@link #isRegistered()} is
     *                               false); the message says why and what to do
     * @throws WrongThreadException if called from another thread
     */
    public int mmCid() {
        return registeredField("mm_cid", RseqAbi.MM_CID);
    }

    private int registeredField(String name, long offset) {
        checkOwner();
        requireField(name, offset);
        if (RseqAbi.OWNER == AreaOwner.GLIBC && !GLIBC_AREAS) {
            throw new IllegalStateException(name + " cannot be read: glibc's rseq area is out of reach ("
                    + RseqAbi.GLIBC_AREA_UNREACHABLE + "); currentCpu() and cpuId() fall back to sched_getcpu()");
        }
        if (!hasRegistration(area)) {
            throw new IllegalStateException(
                    name + " is only defined while the thread is registered: " + whyUnregistered());
        }
        return RseqMemory.readField(area + offset);
    }

    /**
     * Why the kernel does not keep this handle's area current, and what the owner thread can do. When rseq4j
     * owns rseq and has not registered the thread, asks the kernel whether another user has: a registration
     * of the area succeeds only if nobody has (then it is undone at once), and fails with EINVAL if someone
     * registered another area.
     */
    private String whyUnregistered() {
        if (!OWN_AREAS) {
            return howToRegister();
        }
        if (RseqMemory.refcount(slot) > 0) {
            return "rseq4j registered this thread, but its area was unregistered behind rseq4j's back (a raw "
                    + "rseq(2) call with RSEQ_FLAG_UNREGISTER; cpu_id reads -1), so the kernel no longer writes it; "
                    + "RseqThread.register() registers it again";
        }
        int errno = probeRegistration(area);
        return errno == 0 ? howToRegister() : "RseqThread.register() is refused on this thread with "
                + Errno.describe(errno) + ": " + registrationHint(errno);
    }

    /**
     * Asks the kernel whether another user registered this thread: registers {@code probe} and undoes it at once.
     *
     * @return 0 when the thread was free and is again; else the errno of the refused registration, or of a
     *         refused undo, after which the kernel keeps writing {@code probe}: a count keeps the slot this thread's
     */
    private int probeRegistration(long probe) {
        int rc = Syscalls.rseq(probe, RseqAbi.REGISTRATION_LENGTH, 0, RseqAbi.SIGNATURE);
        if (rc == 0) {
            rc = Syscalls.rseq(probe, RseqAbi.REGISTRATION_LENGTH, RSEQ_FLAG_UNREGISTER, RseqAbi.SIGNATURE);
            if (rc != 0 && RseqMemory.refcount(slot) == 0) {
                RseqMemory.refcount(slot, 1);
            }
        }
        return -rc;
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
        if (RseqAbi.OWNER == AreaOwner.GLIBC) {
            return GLIBC_AREAS
                    ? "glibc owns rseq, but this thread's area was unregistered behind glibc's back (by a raw rseq(2) "
                            + "call); only the code that did so can register it again"
                    : "glibc's rseq area is out of reach (" + RseqAbi.GLIBC_AREA_UNREACHABLE + ")";
        }
        return Thread.currentThread().isVirtual()
                ? "rseq4j owns rseq in this process and a virtual thread cannot register; use a platform thread "
                        + "that calls RseqThread.register(), or leave glibc's registration on"
                : "call RseqThread.register() on this platform thread first (rseq4j owns rseq in this process)";
    }

    private static String registrationHint(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> RseqUsers.otherRegistrationHint();
            case Errno.ENOSYS ->
                    "rseq is blocked by seccomp or missing from this kernel (Linux 4.18 or later is needed)";
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
