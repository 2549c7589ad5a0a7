package io.github.rseq4j.testing;

import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Syscalls;

/**
 * The calling thread's glibc rseq area unregistered behind glibc's back, with a raw
 * {@code rseq(..., RSEQ_FLAG_UNREGISTER)}, and given back. Only where glibc owns rseq; the thread must
 * re-register before it ends, as glibc left it.
 */
public final class GlibcArea {
    private GlibcArea() {}

    private static final int RSEQ_FLAG_UNREGISTER = 1;

    /**
     * Unregisters glibc's area of the calling thread. glibc's registered length is not published (2.35 to
     * 2.39 register 32 bytes but say 20), so each candidate is tried.
     *
     * @return the length glibc had registered, for {@link #reregister}; 0 if no candidate worked
     */
    public static int unregister(long area) {
        for (int length : new int[] {RseqAbi.REGISTRATION_LENGTH, 32, RseqAbi.GLIBC_SIZE}) {
            if (Syscalls.rseq(area, length, RSEQ_FLAG_UNREGISTER, RseqAbi.SIGNATURE) == 0) {
                return length;
            }
        }
        return 0;
    }

    /** Registers the area again with glibc's length and signature; rseq(2)'s result, 0 on success. */
    public static int reregister(long area, int length) {
        return Syscalls.rseq(area, length, 0, RseqAbi.SIGNATURE);
    }
}
