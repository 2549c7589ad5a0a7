package io.github.rseq4j.internal.doctor;

import io.github.rseq4j.Owner;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Errno;
import java.util.Locale;

/**
 * A copy of {@link RseqAbi}'s decisions, so the renderers print data rather than globals.
 *
 * @param unavailableErrno  errno of rseq4j's probe rseq(NULL, 0, 0, sig); 0 when rseq is available
 * @param unavailableReason why rseq cannot be used; null when it can
 * @param glibcRseqSize     glibc's {@code __rseq_size}; null when glibc registered nothing
 * @param glibcRseqOffset   glibc's {@code __rseq_offset}; null when glibc registered nothing
 * @param usableSize        bytes of the area the kernel keeps current and rseq4j may read
 * @param registrationLength length rseq4j passes to rseq(2) for its own areas
 * @param perCpu            how the per-CPU structures run: rseq sections or the atomic fallback
 */
record RseqFacts(boolean available, int unavailableErrno, String unavailableReason, Owner owner,
                 int featureSize, int alignment, String arch, int signature,
                 Integer glibcRseqSize, Long glibcRseqOffset, int usableSize, int registrationLength,
                 String perCpu) {

    /** Bytes of struct rseq up to the end of node_id and of mm_cid (Linux 6.3). */
    static final int NODE_ID_END = (int) RseqAbi.NODE_ID + Integer.BYTES;
    static final int MM_CID_END = (int) RseqAbi.MM_CID + Integer.BYTES;

    /** @throws LinkageError when rseq4j cannot initialize here, e.g. on an unsupported architecture */
    static RseqFacts probe() {
        boolean glibcRegistered = RseqAbi.GLIBC_SIZE > 0;
        return new RseqFacts(RseqAbi.AVAILABLE,
                RseqAbi.UNAVAILABLE_ERRNO,
                RseqAbi.AVAILABLE ? null : RseqAbi.unavailableReason(),
                RseqAbi.OWNER, RseqAbi.FEATURE_SIZE, RseqAbi.ALIGNMENT, RseqAbi.ARCH.name(), RseqAbi.SIGNATURE,
                glibcRegistered ? RseqAbi.GLIBC_SIZE : null, glibcRegistered ? RseqAbi.GLIBC_OFFSET : null,
                RseqAbi.USABLE_SIZE, RseqAbi.REGISTRATION_LENGTH, PerCpuSections.describe());
    }

    /** e.g. "ENOSYS (38)"; null when rseq is available. */
    String unavailableErrnoName() {
        return available ? null : Errno.describe(unavailableErrno);
    }

    boolean hasNodeId() {
        return usableSize >= NODE_ID_END;
    }

    boolean hasMmCid() {
        return usableSize >= MM_CID_END;
    }

    /** The abort signature as the ABI headers write it, e.g. "0x53053053". */
    String signatureHex() {
        return String.format(Locale.ROOT, "0x%08x", signature);
    }

    /** Why node_id / mm_cid cannot be read, and what would change that; empty when both can. */
    String missingFields() {
        if (hasMmCid()) {
            return "";
        }
        String missing = hasNodeId() ? "mm_cid is" : "node_id and mm_cid are";
        if (featureSize < MM_CID_END) {
            return missing + " missing: they need Linux 6.3 or later (this kernel fills " + featureSize
                    + " bytes of struct rseq; " + MM_CID_END + " are needed)";
        }
        return missing + " missing: glibc registered only " + usableSize + " bytes of the " + featureSize
                + " this kernel fills; start the JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0 so rseq4j registers "
                + registrationLength + " bytes itself";
    }
}
