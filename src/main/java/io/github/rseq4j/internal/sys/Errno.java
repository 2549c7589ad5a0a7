package io.github.rseq4j.internal.sys;

/**
 * Names of the errno values rseq4j can meet. Linux uses the generic numbering on both
 * x86_64 and aarch64, so one table serves every supported architecture.
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int ENOSYS = 38;
    /** Kernel-internal "not supported" that a few calls leak to user space (prctl of rseq slices). */
    public static final int ENOTSUPP = 524;

    private static final String[] NAMES = new String[39];

    static {
        NAMES[EPERM] = "EPERM";
        NAMES[ENOENT] = "ENOENT";
        NAMES[ESRCH] = "ESRCH";
        NAMES[EINTR] = "EINTR";
        NAMES[ENXIO] = "ENXIO";
        NAMES[EAGAIN] = "EAGAIN";
        NAMES[ENOMEM] = "ENOMEM";
        NAMES[EACCES] = "EACCES";
        NAMES[EFAULT] = "EFAULT";
        NAMES[EBUSY] = "EBUSY";
        NAMES[EINVAL] = "EINVAL";
        NAMES[ENOSYS] = "ENOSYS";
    }

    /** "EINVAL (22)", or "errno 95" for a value outside the table. */
    public static String describe(int errno) {
        String name = symbol(errno);
        return name != null ? name + " (" + errno + ")" : "errno " + errno;
    }

    /** The symbolic name, or "errno N". */
    public static String name(int errno) {
        String name = symbol(errno);
        return name != null ? name : "errno " + errno;
    }

    private static String symbol(int errno) {
        if (errno == ENOTSUPP) {
            return "ENOTSUPP";
        }
        return errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
    }
}
