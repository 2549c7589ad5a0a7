package io.github.rseq4j.internal.cs;

import io.github.rseq4j.internal.RseqLayout;
import java.util.Objects;

/**
 * Generation-time choices shared by every section of one blob family.
 *
 * @param addressing      how the code finds the thread's {@code struct rseq}
 * @param rseqOffset      {@link Addressing#TLS} only: glibc's {@code __rseq_offset}, the signed distance from
 *                        the thread pointer to the area (ignored, and must be 0, in {@link Addressing#REGISTER})
 * @param indexField      which field of the area the section is indexed by
 * @param indexLimit      every index the section uses is below it (the number of slots): a loaded index at or
 *                        above it, compared unsigned so that cpu_id -1 and -2 (unregistered) count as above, makes
 *                        the section exit with {@link SectionTemplates#INDEX_OUT_OF_RANGE} before any store
 * @param delayIterations test-only abort injection: when positive, a count-down loop of this many iterations is
 *                        placed after the index load and before the commit, widening the window in which
 *                        preemption or a signal aborts the section; 0 (the default) emits nothing
 */
public record SectionConfig(Addressing addressing, long rseqOffset, IndexField indexField, int indexLimit,
        int delayIterations) {

    /** How the section reaches the thread's rseq area. */
    public enum Addressing {
        /** glibc registered rseq: the area is at thread pointer + {@code __rseq_offset}, baked into the code. */
        TLS,
        /** rseq4j registered rseq: the area's address is passed as one more (last) argument. */
        REGISTER
    }

    /** The {@code struct rseq} field a section is indexed by, with its byte offset in the area. */
    public enum IndexField {
        /** {@code u32 cpu_id}: the CPU the thread runs on. */
        CPU_ID(RseqLayout.CPU_ID),
        /** {@code u32 mm_cid}: the concurrency id, dense per process (Linux 6.3+). */
        MM_CID(RseqLayout.MM_CID);

        private final int offset;

        IndexField(int offset) {
            this.offset = offset;
        }

        /** Byte offset of the field in {@code struct rseq}. */
        public int offset() {
            return offset;
        }
    }

    public SectionConfig {
        Objects.requireNonNull(addressing, "addressing");
        Objects.requireNonNull(indexField, "indexField");
        if (addressing == Addressing.REGISTER && rseqOffset != 0) {
            throw new IllegalArgumentException("rseqOffset is meaningful only for TLS addressing");
        }
        if (indexLimit < 1) {
            throw new IllegalArgumentException("indexLimit must be >= 1: " + indexLimit);
        }
        if (delayIterations < 0) {
            throw new IllegalArgumentException("delayIterations must be >= 0: " + delayIterations);
        }
    }

    /**
     * Area at thread pointer + {@code rseqOffset} (glibc's {@code __rseq_offset}), indices below
     * {@code indexLimit}, no delay.
     */
    public static SectionConfig tls(long rseqOffset, IndexField indexField, int indexLimit) {
        return new SectionConfig(Addressing.TLS, rseqOffset, indexField, indexLimit, 0);
    }

    /** Area address passed as the last argument, indices below {@code indexLimit}, no delay. */
    public static SectionConfig register(IndexField indexField, int indexLimit) {
        return new SectionConfig(Addressing.REGISTER, 0, indexField, indexLimit, 0);
    }

    /** The same configuration with the test-only delay loops of {@code iterations} (0 turns them off). */
    public SectionConfig withDelay(int iterations) {
        return new SectionConfig(addressing, rseqOffset, indexField, indexLimit, iterations);
    }
}
