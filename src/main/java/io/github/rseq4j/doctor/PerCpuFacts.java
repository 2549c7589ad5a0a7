package io.github.rseq4j.doctor;

import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.PerCpuIndexing;

/** The report's lines on how this process runs the per-CPU structures, from the API's answers. */
final class PerCpuFacts {
    private PerCpuFacts() {}

    /** How the per-CPU operations run, and why when on atomics. */
    static String describe(PerCpuImplementation implementation, String fallbackReason) {
        return switch (implementation) {
            case SECTIONS_ON_GLIBC_AREA -> "rseq critical sections on glibc's area (all threads, virtual included)";
            case SECTIONS_ON_OWN_AREAS -> "rseq critical sections on rseq4j's areas (registered platform threads; "
                    + "unregistered and virtual threads all share the one extra slot, atomically or under a lock, "
                    + "so for them each structure is one global lock or counter)";
            case ATOMICS -> "atomics (" + fallbackReason + ")";
        };
    }

    /**
     * The slots a per-CPU structure has, as {@code PerCpuSpinLock.maxSlotCount()} counts them: users size per-slot
     * arrays by it, and the shared slot is where unregistered threads meet.
     */
    static String slots() {
        int cpus = PerCpuIndexing.CPU_ID.sectionSlots();
        return (cpus + 1) + " (PerCpuSpinLock.maxSlotCount()): " + cpus + " possible CPUs, then slot " + cpus
                + ", shared by the threads that cannot run sections";
    }

    /** Which index the per-CPU structures of this process use, with the slot counts and the reason. */
    static String indexing() {
        return indexing(PerCpuIndexing.CPU_ID.sectionSlots(), PerCpuIndexing.MM_CID.sectionSlots(),
                PerCpuIndexing.MM_CID.unavailableReason());
    }

    static String indexing(int cpuSlots, int mmCidSlots, String mmCidUnavailable) {
        String byCpu = "cpu_id by default (" + cpuSlots + " possible CPUs)";
        return mmCidUnavailable.isEmpty()
                ? byCpu + "; mm_cid on request (" + mmCidSlots + " allowed CPUs, Linux >= 6.3)"
                : byCpu + "; mm_cid requests fall back to cpu_id (" + mmCidUnavailable + ")";
    }
}
