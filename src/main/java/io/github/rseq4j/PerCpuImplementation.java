package io.github.rseq4j;

/**
 * How {@link PerCpuCounter}, {@link PerCpuSpinLock}, {@link PerCpuList}, {@link PerCpuBuffer} and
 * the other per-CPU structures run in this process: {@link RseqSupport#perCpuImplementation()}.
 * Decided once, from who owns rseq and whether run-time generated code may execute.
 */
public enum PerCpuImplementation {
    /**
     * rseq critical sections that find glibc's area through the thread pointer: every thread,
     * platform or virtual, registered or not, runs them on its CPU's slot. (A thread whose glibc area was
     * unregistered behind glibc's back, which the sections see as a cpu_id out of range, uses the shared slot.)
     */
    SECTIONS_ON_GLIBC_AREA,
    /**
     * rseq critical sections on rseq4j's own areas ({@link Owner#RSEQ4J}): only a platform thread
     * that holds a registration ({@link RseqThread#register()}, or any thread from
     * {@link RseqThread#threadFactory()}) runs them on its CPU's slot. Every other thread
     * (unregistered or virtual) uses the one extra shared slot, the last of
     * {@link PerCpuSpinLock#maxSlotCount()}, atomically or under a lock: for those threads the structure
     * is one global lock or counter, not a per-CPU one.
     */
    SECTIONS_ON_OWN_AREAS,
    /**
     * No critical section runs: rseq is unavailable, executable memory is refused, or the possible-CPU mask
     * ({@code /sys/devices/system/cpu/possible}) cannot be read, so no slot count is known to be safe
     * ({@link RseqSupport#perCpuFallbackReason()} says which). The same API runs on atomics and
     * locks, per CPU slot; correct, slower.
     */
    ATOMICS
}
