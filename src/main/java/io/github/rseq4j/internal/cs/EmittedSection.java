package io.github.rseq4j.internal.cs;

import java.util.Arrays;
import java.util.Objects;

/**
 * One generated critical section: a position-independent blob holding the C-ABI leaf function and, after it,
 * its {@code struct rseq_cs} descriptor.
 *
 * <p>Blob layout (all offsets from the blob's first byte):
 * <pre>
 *   entryOffset          function entry: prologue, then area-&gt;rseq_cs = &amp;descriptor (pc-relative)
 *   startIpOffset        start_ip: first instruction of the section (the index load)
 *   postCommitIpOffset   first byte after the single committing store; the section is [start, postCommit)
 *   ...                  return paths (committed / compare failed / index mismatch)
 *   abortIpOffset - 4    the 4-byte rseq signature the kernel checks before jumping to abort_ip
 *   abortIpOffset        abort handler: returns {@link SectionTemplates#ABORTED}
 *   descriptorOffset     struct rseq_cs, 32-byte aligned:
 *                        {u32 version=0, u32 flags=0, u64 start_ip, u64 post_commit_offset, u64 abort_ip}
 * </pre>
 * The code reaches the descriptor pc-relatively, so nothing in the instructions depends on where the blob
 * is mapped. Only the descriptor holds absolute addresses: as emitted ({@link #code()}) its start_ip and
 * abort_ip fields hold {@code startIpOffset} and {@code abortIpOffset}, i.e. the blob as if mapped at 0;
 * {@link #relocate(long)} produces the bytes to copy to a given (32-byte aligned) address.
 *
 * <p>The descriptor must stay readable as long as any thread's {@code rseq_cs} may still point to it (the
 * kernel clears that pointer only lazily, on the thread's next preemption outside the section): do not unmap
 * a blob that has ever run.
 *
 * @param signature the rseq signature in the blob (and to register rseq with)
 * @param listing   GNU as source that assembles to exactly {@link #code()}
 */
public record EmittedSection(Operation operation, SectionConfig config, int signature, byte[] code,
        int entryOffset, int startIpOffset, int postCommitIpOffset, int abortIpOffset, int descriptorOffset,
        String listing) {

    /** {@code struct rseq_cs} field offsets and size (uapi linux/rseq.h). */
    public static final int RSEQ_CS_VERSION = 0, RSEQ_CS_FLAGS = 4, RSEQ_CS_START_IP = 8,
            RSEQ_CS_POST_COMMIT_OFFSET = 16, RSEQ_CS_ABORT_IP = 24, RSEQ_CS_SIZE = 32;

    /** The alignment the blob's base address must have so that the descriptor is 32-byte aligned. */
    public static final int BASE_ALIGNMENT = 32;

    public EmittedSection {
        Objects.requireNonNull(operation);
        Objects.requireNonNull(config);
        code = code.clone();
        if (!(entryOffset < startIpOffset && startIpOffset < postCommitIpOffset
                && postCommitIpOffset <= abortIpOffset - 4 && abortIpOffset < descriptorOffset
                && descriptorOffset % BASE_ALIGNMENT == 0 && descriptorOffset + RSEQ_CS_SIZE == code.length)) {
            throw new IllegalArgumentException("inconsistent section layout");
        }
    }

    /** A copy of the blob as emitted (descriptor addresses relative to a base of 0). */
    @Override
    public byte[] code() {
        return code.clone();
    }

    /** Size of the blob in bytes. */
    public int size() {
        return code.length;
    }

    /**
     * The blob to copy to {@code baseAddress}: the code, with the descriptor's start_ip and abort_ip set to
     * the absolute addresses they get there. The entry point is then {@code baseAddress + entryOffset()}.
     */
    public byte[] relocate(long baseAddress) {
        if (baseAddress % BASE_ALIGNMENT != 0) {
            throw new IllegalArgumentException("base address must be " + BASE_ALIGNMENT + "-byte aligned");
        }
        byte[] out = code.clone();
        putLong(out, descriptorOffset + RSEQ_CS_START_IP, baseAddress + startIpOffset);
        putLong(out, descriptorOffset + RSEQ_CS_ABORT_IP, baseAddress + abortIpOffset);
        return out;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EmittedSection e && operation == e.operation && config.equals(e.config)
                && signature == e.signature && Arrays.equals(code, e.code) && entryOffset == e.entryOffset
                && startIpOffset == e.startIpOffset && postCommitIpOffset == e.postCommitIpOffset
                && abortIpOffset == e.abortIpOffset && descriptorOffset == e.descriptorOffset
                && listing.equals(e.listing);
    }

    @Override
    public int hashCode() {
        return Objects.hash(operation, config, Arrays.hashCode(code), startIpOffset, abortIpOffset);
    }

    @Override
    public String toString() {
        return String.format("EmittedSection[%s %s, %d bytes, entry=%d start=%d postCommit=%d abort=%d cs=%d]",
                operation, config, code.length, entryOffset, startIpOffset, postCommitIpOffset, abortIpOffset,
                descriptorOffset);
    }
}
