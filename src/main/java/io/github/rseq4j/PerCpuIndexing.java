package io.github.rseq4j;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.sys.Native;

/**
 * Which number of the running thread picks a per-CPU structure's slot.
 *
 * <p>{@link #CPU_ID} needs one slot per possible CPU: 64 bytes per CPU per counter, 16 KiB on a 256-CPU host
 * however few threads run. {@link #MM_CID} uses the kernel's concurrency id (Linux 6.3+): a small number,
 * unique among the process's threads running at one instant, which the kernel keeps below the number of
 * CPUs the process may use (and, on newer kernels, below its thread count). Structures indexed by it hold one
 * slot per CPU in the process's affinity mask, {@link #sectionSlots()}, plus the shared slot. The bound is the
 * kernel's aim rather than a promise (an id taken before an affinity change may linger), so every index is
 * checked: a thread whose id is past the structure's slots takes the shared slot, atomically, and the result
 * stays exact.
 *
 * <p>A structure asked for {@code MM_CID} where the kernel does not keep mm_cid current (before 6.3, or glibc
 * publishing only the original 20-byte area), or where no section runs at all, falls back to {@code CPU_ID}
 * and says so through its {@code indexing()}; {@link #unavailableReason()} tells why.
 */
public enum PerCpuIndexing {
    /** Slot = the CPU the thread runs on ({@code rseq.cpu_id}); one slot per possible CPU. */
    CPU_ID,
    /** Slot = the thread's memory-map concurrency id ({@code rseq.mm_cid}); one slot per allowed CPU. */
    MM_CID;

    /**
     * Number of section slots a structure with this indexing has: the slots of the section-running threads. Its
     * shared slot comes after them, so a structure holds {@code sectionSlots() + 1} slots in all.
     *
     * @return possible CPUs for {@code CPU_ID}; CPUs in the process's affinity mask, at first use, for {@code MM_CID}
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public int sectionSlots() {
        Native.requireNativeAccess();
        return this == CPU_ID ? PerCpuSlots.CPUS : PerCpuSlots.MM_CIDS;
    }

    /**
     * The old name of {@link #sectionSlots()}, kept for existing callers: "slots" now names the slots themselves,
     * "section slots" and "slot count" their numbers.
     *
     * @return {@link #sectionSlots()}
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     * @deprecated use {@link #sectionSlots()}, the same number
     */
    @Deprecated(forRemoval = false)
    public int slots() {
        return sectionSlots();
    }

    /**
     * Whether structures asked for this indexing get it here.
     *
     * @return true for {@code CPU_ID}, and for {@code MM_CID} where {@link #unavailableReason()} is empty
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    /**
     * Why this indexing falls back to {@link #CPU_ID} here.
     *
     * @return the reason, or empty when it is available
     * @throws UnsatisfiedLinkError if this JVM denies rseq4j native access (the message names the flag)
     */
    public String unavailableReason() {
        // Also the check of every structure's constructor, which asks its indexing (active()) first.
        Native.requireNativeAccess();
        return this == CPU_ID ? "" : PerCpuSections.MM_CID_UNAVAILABLE;
    }

    /** What a structure asked for this indexing uses. */
    PerCpuIndexing active() {
        return isAvailable() ? this : CPU_ID;
    }
}
