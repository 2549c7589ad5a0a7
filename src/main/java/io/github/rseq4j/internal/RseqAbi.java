package io.github.rseq4j.internal;

import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Native;
import io.github.rseq4j.internal.sys.Syscalls;

/**
 * What the running kernel and libc offer, decided once per process. All fields are
 * {@code static final}: written in class initialization, so safely published to every thread.
 */
public final class RseqAbi {
    private RseqAbi() {}

    static {
        Native.requireNativeAccess();
    }

    public static final Arch ARCH = Arch.current();

    public static final int SIGNATURE = ARCH.rseqSignature();

    // Field offsets of struct rseq, for the readers of the area; the layout's home is RseqLayout.
    public static final long CPU_ID_START = RseqLayout.CPU_ID_START;
    public static final long CPU_ID = RseqLayout.CPU_ID;
    public static final long FLAGS = RseqLayout.FLAGS;
    public static final long NODE_ID = RseqLayout.NODE_ID;
    public static final long MM_CID = RseqLayout.MM_CID;
    public static final long SLICE_CTRL = RseqLayout.SLICE_CTRL;
    public static final long SLICE_REQUEST = SLICE_CTRL;
    public static final long SLICE_GRANTED = SLICE_CTRL + 1;
    public static final int SLICE_FEATURE_SIZE = RseqLayout.SLICE_FEATURE_SIZE;

    /** Bits the kernel sets in {@code flags} (read-only to user space since Linux 7.0). */
    public static final int FLAG_SLICE_EXT_AVAILABLE = 1 << 4;
    public static final int FLAG_SLICE_EXT_ENABLED = 1 << 5;

    /** prctl(2) option and arguments for time-slice extensions (include/uapi/linux/prctl.h). */
    public static final int PR_RSEQ_SLICE_EXTENSION = 79;
    public static final int PR_RSEQ_SLICE_EXTENSION_GET = 1;
    public static final int PR_RSEQ_SLICE_EXTENSION_SET = 2;
    public static final int PR_RSEQ_SLICE_EXT_ENABLE = 1;

    public static final int ORIGINAL_FEATURE_SIZE = RseqLayout.ORIGINAL_FEATURE_SIZE;

    /**
     * 0 when the rseq syscall exists, else the errno of {@code rseq(NULL, 0, 0, 0)}: that call has
     * no effect, and a kernel with rseq rejects it with EINVAL, one without with ENOSYS.
     */
    public static final int UNAVAILABLE_ERRNO = probeErrno();

    public static final boolean AVAILABLE = UNAVAILABLE_ERRNO == 0;

    /** Bytes of struct rseq this kernel fills (AT_RSEQ_FEATURE_SIZE; absent before 6.3 means 20). */
    public static final int FEATURE_SIZE =
            (int) Math.max(ORIGINAL_FEATURE_SIZE, Libc.getauxval(RseqNative.AT_RSEQ_FEATURE_SIZE()));

    /** Alignment the kernel requires of an area (AT_RSEQ_ALIGN), never below the ABI's. */
    public static final int ALIGNMENT =
            (int) Math.max(RseqLayout.MIN_ALIGNMENT, Libc.getauxval(RseqNative.AT_RSEQ_ALIGN()));

    /** glibc's __rseq_size: 0 when glibc did not register (too old, tunable off, or refused). */
    public static final int GLIBC_SIZE = glibcSize();

    /** Offset of glibc's area from the thread pointer; meaningful when {@link #OWNER} is GLIBC. */
    public static final long GLIBC_OFFSET = GLIBC_SIZE > 0 ? RseqNative.__rseq_offset() : 0;

    public static final AreaOwner OWNER =
            !AVAILABLE ? AreaOwner.NONE : GLIBC_SIZE > 0 ? AreaOwner.GLIBC : AreaOwner.RSEQ4J;

    /**
     * Why glibc's area cannot be found from Java, or empty when it can (always, unless glibc owns
     * rseq on an architecture whose thread pointer is read by a stub in executable memory, and a
     * W^X policy refuses that memory: aarch64 under such a seccomp filter or LSM). Readers then
     * fall back to {@code sched_getcpu()} and the per-CPU structures to atomics.
     */
    public static final String GLIBC_AREA_UNREACHABLE = glibcAreaUnreachable();

    /** Address of the calling thread's glibc area; only when OWNER is GLIBC and the area is reachable. */
    public static long glibcArea() {
        return ARCH.threadPointer() + GLIBC_OFFSET;
    }

    /**
     * Length rseq4j registers its own areas with: the original length, or the feature size
     * where a newer kernel fills more (it then requires at least that much).
     */
    public static final int REGISTRATION_LENGTH = Math.max(RseqLayout.ORIGINAL_REGISTRATION_LENGTH, FEATURE_SIZE);

    /**
     * Bytes of the area the kernel keeps current. glibc 2.35 to 2.39 register the original length but
     * publish 20, the size of the 2018 ABI; newer glibc publishes what it registered.
     */
    public static final int USABLE_SIZE = OWNER == AreaOwner.GLIBC
            ? Math.min(FEATURE_SIZE, GLIBC_SIZE == ORIGINAL_FEATURE_SIZE ? RseqLayout.ORIGINAL_REGISTRATION_LENGTH
                    : GLIBC_SIZE)
            : FEATURE_SIZE;

    private static String glibcAreaUnreachable() {
        if (OWNER != AreaOwner.GLIBC) {
            return "";
        }
        try {
            ARCH.threadPointer();
            return "";
        } catch (IllegalStateException refused) {
            Throwable cause = refused.getCause() != null ? refused.getCause() : refused;
            return refused.getMessage() + ": " + cause.getMessage();
        }
    }

    private static int probeErrno() {
        int rc = Syscalls.rseq(0, 0, 0, SIGNATURE);
        return rc == -Errno.EINVAL ? 0 : -rc;
    }

    private static int glibcSize() {
        try {
            return RseqNative.__rseq_size();
        } catch (LinkageError notGlibc235) {
            return 0;
        }
    }

    /** Whether the kernel keeps the field that ends at {@code end} bytes up to date. */
    public static boolean covers(long end) {
        return USABLE_SIZE >= end;
    }

    /** Why rseq cannot be used here, for messages; empty when it can. */
    public static String unavailableReason() {
        if (AVAILABLE) {
            return "";
        }
        return switch (UNAVAILABLE_ERRNO) {
            case Errno.ENOSYS -> "the rseq system call is missing (Linux 4.18 or later is needed) or a seccomp "
                    + "filter blocks it (containers: allow syscall 'rseq' in the seccomp profile)";
            case Errno.EPERM, Errno.EACCES -> "a security policy (seccomp, LSM) denies the rseq system call";
            default -> "the probe rseq(NULL, 0, 0, 0) failed with " + Errno.describe(UNAVAILABLE_ERRNO);
        };
    }
}
