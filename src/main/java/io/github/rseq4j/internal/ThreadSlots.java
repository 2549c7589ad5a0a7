package io.github.rseq4j.internal;

import io.github.rseq4j.internal.sys.Libc;

/**
 * One slot per thread for every copy of rseq4j in the JVM (each class loader that loads rseq4j has a copy of
 * its classes and statics): whichever copy first makes a thread's handle takes a slot from its {@link AreaPool};
 * every other copy finds that slot and uses it too. The slot holds the area and the registration count, so
 * the copies share one registration and one count per thread: only the first {@code register()} and the
 * last {@code unregister()}, in any copy, call the kernel.
 *
 * <p>The copies share no class, so they meet in a system property ({@link #PROPERTY}): the first copy
 * creates a pthread key and publishes it with this copy's slot {@link #LAYOUT}; a thread's value for the key
 * is its slot's address. A copy shares only when it finds its own layout there, word for word; otherwise
 * (another version of rseq4j with another layout) it keeps slots of its own, as rseq4j did before, and
 * {@link #notSharedReason()} says why: the kernel then refuses the second copy's registration of a thread
 * with EINVAL, whose message names that reason.
 *
 * <p>Slots come from slabs that are never freed, and a slot goes back to its pool only when its thread has
 * ended (see {@link AreaPool}), so a copy whose class loader is unloaded leaves nothing dangling: its slots stay
 * valid for the copies that use them. A thread's value for the key could outlive its Java thread (a native
 * thread that detaches from the JVM and attaches again); a copy trusts a slot only when the slot names the
 * calling Java thread as its owner.
 */
public final class ThreadSlots {
    private ThreadSlots() {}

    /** The system property where the copies meet; its value is {@link #LAYOUT} then the key. */
    public static final String PROPERTY = "io.github.rseq4j.thread-slots";

    /** Version and geometry of a slot, and the abort signature every section and registration uses. */
    public static final String LAYOUT = "layout 1: slot of " + AreaPool.SLOT_SIZE + " bytes aligned to "
            + AreaPool.SLOT_ALIGNMENT + ", rseq area of " + RseqAbi.REGISTRATION_LENGTH + " bytes at 0, int count at "
            + AreaPool.REFCOUNT_OFFSET + ", int registrar at " + AreaPool.REGISTRAR_OFFSET + " (0 own area, 1 through "
            + "librseq, 2 librseq's), long owner thread id at " + AreaPool.OWNER_OFFSET + ", signature 0x"
            + Integer.toHexString(RseqAbi.SIGNATURE);

    /** Registrar of a thread whose count is positive: rseq4j registered the slot's own area. */
    public static final int REGISTERED_OWN_AREA = 0;
    /** rseq4j registered the thread through librseq, whose area it reads ({@link Librseq}). */
    public static final int REGISTERED_THROUGH_LIBRSEQ = 1;
    /** librseq registered the thread before rseq4j did; rseq4j only counts. */
    public static final int ADOPTED_FROM_LIBRSEQ = 2;

    private static final String KEY_MARK = "; pthread key ";

    /** The shared pthread key, or -1 when this copy keeps its own slots; immutable. */
    private static final int KEY;
    /** Why this copy keeps its own slots, or null; immutable. */
    private static final String NOT_SHARED;

    static {
        int ours = Libc.pthreadKeyCreate();
        String published = ours < 0 ? null : LAYOUT + KEY_MARK + ours;
        Object found = published == null ? System.getProperty(PROPERTY)
                : System.getProperties().putIfAbsent(PROPERTY, published);
        if (found == null && published != null) {
            KEY = ours;
            NOT_SHARED = null;
        } else {
            if (ours >= 0) {
                Libc.pthreadKeyDelete(ours); // no thread has a value for it yet
            }
            String value = String.valueOf(found);
            KEY = value.startsWith(LAYOUT + KEY_MARK) ? Integer.parseInt(value.substring(LAYOUT.length()
                    + KEY_MARK.length())) : -1;
            NOT_SHARED = KEY >= 0 ? null : found == null
                    ? "this copy of rseq4j found no free pthread key (PTHREAD_KEYS_MAX) to share its slots with"
                    : "another copy of rseq4j in this JVM shares thread slots in a layout this copy does not "
                            + "know (" + PROPERTY + "=" + value + "; this copy's is " + LAYOUT + "), so each "
                            + "registers threads on its own";
        }
    }

    /**
     * The calling thread's slot: the one a copy of rseq4j made for it, else a new one from {@code pool},
     * made known to every copy.
     */
    public static long forCallingThread(AreaPool pool) {
        Thread thread = Thread.currentThread();
        if (KEY >= 0) {
            long shared = Libc.pthreadGetspecific(KEY);
            if (shared != 0 && shared % AreaPool.SLOT_ALIGNMENT == 0
                    && RseqMemory.owner(shared) == thread.threadId()) {
                return shared;
            }
        }
        long slot = pool.acquire(thread, Libc.gettid());
        RseqMemory.owner(slot, thread.threadId());
        if (KEY >= 0 && !Libc.pthreadSetspecific(KEY, slot)) {
            throw new OutOfMemoryError("pthread_setspecific: libc has no memory for rseq4j's thread slot");
        }
        return slot;
    }

    /** Why this copy of rseq4j does not share slots with the others, or null when it does. */
    public static String notSharedReason() {
        return NOT_SHARED;
    }
}
