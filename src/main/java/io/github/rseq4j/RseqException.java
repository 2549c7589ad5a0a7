package io.github.rseq4j;

import io.github.rseq4j.internal.sys.Errno;

/**
 * A system call that rseq4j made failed. The message names the errno, its number and what the
 * caller can do about it; {@link #errno()} gives the number for programs.
 */
public final class RseqException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public RseqException(String operation, int errno, String hint) {
        super(operation + " failed with " + Errno.describe(errno) + ": " + hint);
        this.errno = errno;
    }

    /** The errno the kernel returned, e.g. 22 for EINVAL. */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name, e.g. "EINVAL". */
    public String errnoName() {
        return Errno.name(errno);
    }
}
