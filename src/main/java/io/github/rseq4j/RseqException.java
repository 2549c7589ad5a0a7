package io.github.rseq4j;

import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.SyscallFailure;
import java.io.Serial;

/**
 * A system call that rseq4j made failed. The message names the errno, its number and what the
 * caller can do about it; {@link #errno()} gives the number for programs.
 *
 * <p>Only rseq4j throws it: there is no public constructor.
 */
public final class RseqException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    static {
        SyscallFailure.install(RseqException::new);
    }

    /** The errno of the failed call; immutable. */
    private final int errno;

    RseqException(String operation, int errno, String hint) {
        super(operation + " failed with " + Errno.describe(errno) + ": " + hint);
        this.errno = errno;
    }

    /**
     * The errno the system call failed with.
     *
     * @return the errno, e.g. 22 for EINVAL
     */
    public int errno() {
        return errno;
    }

    /**
     * The errno's symbolic name.
     *
     * @return the name, e.g. {@code "EINVAL"}, or a placeholder naming the number for an errno
     *         rseq4j does not know
     */
    public String errnoName() {
        return Errno.name(errno);
    }
}
