package io.github.rseq4j;

import static io.github.rseq4j.PerCpuIndexing.CPU_ID;
import static io.github.rseq4j.internal.PerCpuSections.MODE;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.BitSet;
import java.util.function.BooleanSupplier;

/**
 * Package-private machinery, not API: the static half of the per-CPU family's engine ({@link PerCpuEngine} is
 * the other), holding the slot numbering, the native cells, the section calls and the scratch line.
 *
 * <p>A structure indexed by {@link PerCpuIndexing#CPU_ID} has {@link #CPUS} section slots, one indexed by
 * {@link PerCpuIndexing#MM_CID} has {@link #MM_CIDS}; either way its shared slot comes right after them
 * ({@link #sharedSlot}). The text below says "CPU" for either index.
 *
 * <p>Slots {@code 0 .. CPUS-1} belong to CPUs and, in {@link Mode#TLS} and {@link Mode#REGISTER}, are written
 * only by rseq sections running on that CPU (plus release stores by a lock's holder). A section's commit is a
 * plain store, atomic only against the other sections of its CPU, so a thread that cannot run sections must
 * never write those slots: such threads use the extra slot {@link #SHARED}, which no section touches, under a
 * lock. In {@link Mode#ATOMIC} no section runs anywhere, so the CPU slots themselves are used under locks (or
 * CAS).
 *
 * <p>A slot becomes an address only below the slot count, checked twice: in Java before an address is
 * computed from {@link RseqThread#currentCpu()} ({@link #covers}, or {@link PerCpuEngine#isSectionSlot}), and
 * inside every section, which compares the index it loads with the slot count (unsigned) and returns
 * {@link io.github.rseq4j.internal.cs.SectionTemplates#INDEX_OUT_OF_RANGE} instead of storing. So a thread
 * whose rseq area is not registered (cpu_id -1 or -2, e.g. glibc's area unregistered behind glibc's back) or
 * that runs on a CPU outside the count takes the locked path on the shared slot and stays exact.
 */
final class PerCpuSlots {
    private PerCpuSlots() {}

    static {
        Native.requireNativeAccess();
    }

    /** Number of CPU slots: every cpu_id the kernel may report is below it. */
    static final int CPUS = Cpus.POSSIBLE;
    /** The slot of threads that cannot run sections in REGISTER mode. */
    static final int SHARED = CPUS;
    /** Slot count of a cpu_id-indexed structure: CPU slots plus {@link #SHARED}. */
    static final int SLOT_COUNT = CPUS + 1;
    /** Section slots of an mm_cid-indexed structure: the CPUs this process may run on, as the kernel bounds mm_cid. */
    static final int MM_CIDS = PerCpuSections.MM_CID_SLOTS;
    /** One cache line per slot, as the sections' stride. */
    static final long LINE = 1L << PerCpuSections.STRIDE_SHIFT;

    /**
     * Most elements one {@link #addEach} call adds: the call holds back safepoints while it runs, as a critical
     * downcall does, so it is kept to about a hundred nanoseconds.
     */
    static final int BATCH = 64;

    /** {@link #area()} of a thread that must take the locked path. */
    static final long NO_SECTIONS = -1;

    /** Every thread runs sections, handed no area (glibc's area, found through the thread pointer). */
    static final boolean TLS = MODE == Mode.TLS;

    /** All of memory, for raw addresses (nodes, cells); structures keep their own segments reachable. */
    static final MemorySegment MEMORY = Native.ALL_MEMORY;

    // A section call picks its handle as "indexing == CPU_ID ? BY_CPU.op() : ByMmCid.SECTIONS.op()": both sides
    // read a record held in a static final, so each folds to a constant handle, as a static final handle would.

    /** The cpu_id-indexed sections; null in ATOMIC mode, where no section runs. */
    private static final SectionLibrary BY_CPU = PerCpuSections.BY_CPU;

    /** The mm_cid-indexed sections, linked when the first structure asks for them. */
    private static final class ByMmCid {
        static final SectionLibrary SECTIONS = PerCpuSections.byMmCid();
    }

    /**
     * {@code bytesPerSlot} rounded up to whole lines, for every slot of {@code indexing}, its shared slot included;
     * zeroed, line-aligned, freed by GC.
     */
    static MemorySegment allocate(long bytesPerSlot, PerCpuIndexing indexing) {
        return Arena.ofAuto().allocate((indexing.sectionSlots() + 1L) * lines(bytesPerSlot), LINE);
    }

    /** The slot after {@code indexing}'s section slots, which no section touches. */
    static int sharedSlot(PerCpuIndexing indexing) {
        return indexing.sectionSlots();
    }

    /**
     * The calling thread's slot under {@code indexing} (in REGISTER mode, of a thread that has an area). Only a
     * hint for the slot to try: a section checks it again; callers check it first
     * ({@link PerCpuEngine#isSectionSlot}).
     */
    static int threadSlot(PerCpuIndexing indexing) {
        return indexing == CPU_ID ? RseqThread.currentCpu() : RseqThread.currentMmCid();
    }

    /** {@code bytes} rounded up to a multiple of {@link #LINE}. */
    static long lines(long bytes) {
        return Math.max(LINE, (bytes + LINE - 1) & -LINE);
    }

    /**
     * How the calling thread runs sections: 0 in TLS mode (the code finds glibc's area), the thread's
     * registered area in REGISTER mode, or {@link #NO_SECTIONS}.
     */
    static long area() {
        return switch (MODE) {
            case TLS -> 0;
            case REGISTER -> {
                long area = RseqThread.registeredArea();
                yield area != 0 ? area : NO_SECTIONS;
            }
            case ATOMIC -> NO_SECTIONS;
        };
    }

    /**
     * The slot a thread without sections uses in a structure indexed by {@code indexing}: its shared slot, or in
     * ATOMIC mode (always CPU_ID there) its CPU's, where a CPU number outside the slots, or a
     * {@code sched_getcpu()} of -1, maps to {@link #SHARED}.
     */
    static int lockedSlot(PerCpuIndexing indexing) {
        if (MODE != Mode.ATOMIC) {
            return sharedSlot(indexing);
        }
        int cpu = RseqThread.currentCpu();
        return covers(cpu) ? cpu : SHARED;
    }

    /** Whether {@code cpu} numbers a CPU slot, i.e. may become an address; false for negative values. */
    static boolean covers(int cpu) {
        return below(cpu, CPUS);
    }

    /** Whether {@code slot} is in {@code [0, count)}: one unsigned compare, false for negative values. */
    static boolean below(int slot, int count) {
        return Integer.compareUnsigned(slot, count) < 0;
    }

    /**
     * Runs {@code take} pinned to each CPU the calling thread may run on, until it answers true, then restores
     * the thread's CPU mask: how a structure takes from other CPUs' slots, since a section commits only on the
     * CPU it runs on and nothing else may write a CPU slot in TLS or REGISTER mode. In REGISTER mode the thread
     * holds a registration meanwhile, so that its attempts run sections. A CPU the thread cannot be moved to
     * (offline meanwhile) is skipped. Not for ATOMIC mode, whose slots are reached under their locks.
     *
     * @throws UnsupportedOperationException on a virtual thread: pinning would pin its carrier
     */
    static boolean onEachAllowedCpu(BooleanSupplier take) {
        if (Thread.currentThread().isVirtual()) {
            throw new UnsupportedOperationException("taking from other CPUs pins the calling thread to each CPU in "
                    + "turn, which a virtual thread cannot do without pinning its carrier; call it from a platform "
                    + "thread, or use pop(), which takes from the current CPU");
        }
        BitSet allowed = Affinity.allowed();
        boolean moved = false;
        try (var _ = MODE == Mode.REGISTER ? RseqThread.register() : null) {
            for (int cpu = allowed.nextSetBit(0); cpu >= 0 && cpu < CPUS; cpu = allowed.nextSetBit(cpu + 1)) {
                if (pin(cpu)) {
                    moved = true;
                    if (take.getAsBoolean()) {
                        return true;
                    }
                }
            }
            return false;
        } finally {
            if (moved) {
                Affinity.set(allowed);
            }
        }
    }

    private static boolean pin(int cpu) {
        BitSet only = new BitSet();
        only.set(cpu);
        try {
            Affinity.set(only);
            return true;
        } catch (RseqException offline) {
            return false;
        }
    }

    /** The calling thread's scratch line as a segment, for the sections that take segments. */
    static MemorySegment scratchSegment() {
        return ThreadScratch.LINE.segment();
    }

    /** The calling thread's {@link #BATCH} offsets for {@link #addEach}; valid while the thread lives. */
    static long offsets() {
        return ThreadScratch.OFFSETS.address();
    }

    static long get(long address) {
        return (long) PerCpuEngine.LONG.getOpaque(MEMORY, address);
    }

    static void set(long address, long value) {
        PerCpuEngine.LONG.set(MEMORY, address, value);
    }

    static boolean compareAndSet(long address, long expect, long value) {
        return PerCpuEngine.LONG.compareAndSet(MEMORY, address, expect, value);
    }

    // Section calls: one shape per mode; area is ignored in TLS mode.

    /** {@code base[index * LINE] += value}, the {@code indexing} index read and range-checked inside the section. */
    static int add(PerCpuIndexing indexing, long base, long value, long area) {
        MethodHandle handle = indexing == CPU_ID ? BY_CPU.add() : ByMmCid.SECTIONS.add();
        try {
            return MODE == Mode.TLS ? (int) handle.invokeExact(base, value)
                    : (int) handle.invokeExact(base, value, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * For each of the {@code count} (at most {@link #BATCH}) byte offsets at {@code offsets}, its own section:
     * {@code base[index * LINE + offset] += value}, the offset checked against {@code maxOffset} inside. The
     * result is {@code code | remaining << 3} ({@link io.github.rseq4j.internal.cs.SectionTemplates#code}).
     */
    static int addEach(PerCpuIndexing indexing, long base, long offsets, int count, long value, long maxOffset,
            long area) {
        MethodHandle handle = indexing == CPU_ID ? BY_CPU.addEach() : ByMmCid.SECTIONS.addEach();
        try {
            return MODE == Mode.TLS ? (int) handle.invokeExact(base, offsets, (long) count, value, maxOffset)
                    : (int) handle.invokeExact(base, offsets, (long) count, value, maxOffset, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The section checks that the thread's {@code indexing} index still equals {@code slot}. */
    static int cmpeqvStorev(PerCpuIndexing indexing, long v, long expect, long newv, int slot, long area) {
        MethodHandle handle = indexing == CPU_ID ? BY_CPU.cmpeqvStorev() : ByMmCid.SECTIONS.cmpeqvStorev();
        try {
            return MODE == Mode.TLS ? (int) handle.invokeExact(v, expect, newv, slot)
                    : (int) handle.invokeExact(v, expect, newv, slot, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The push ({@code push}) or pop of one {@code len}-byte record on the stacks of
     * {@link io.github.rseq4j.internal.cs.Operation#PUSH_RECORD}:
     * the running index's count at {@code counts + index * LINE}, its records at {@code records + index *
     * slotBytes}. The record is copied from or into {@code segment}, which FFM checks as for any access (its
     * thread and liveness: {@code WrongThreadException} or {@code IllegalStateException} before the section runs)
     * and whose arena it keeps open for the call; the caller checks its size and, when written, that it is
     * writable. A heap segment is read or written in place.
     */
    static int moveRecord(PerCpuIndexing indexing, boolean push, long counts, long records, MemorySegment segment,
            long len, long slotBytes, long capacity, long area) {
        boolean byCpu = indexing == CPU_ID;
        try {
            // A call site per direction, each choosing between two constant handles: C2 of JDK 25.0.3 crashed
            // (final_graph_reshaping_walk) on one call site choosing among four heap-access downcalls.
            if (push) {
                MethodHandle handle = byCpu ? BY_CPU.pushRecord() : ByMmCid.SECTIONS.pushRecord();
                return MODE == Mode.TLS ? (int) handle.invokeExact(counts, records, segment, len, slotBytes, capacity)
                        : (int) handle.invokeExact(counts, records, segment, len, slotBytes, capacity, area);
            }
            MethodHandle handle = byCpu ? BY_CPU.popRecord() : ByMmCid.SECTIONS.popRecord();
            return MODE == Mode.TLS ? (int) handle.invokeExact(counts, records, segment, len, slotBytes, capacity)
                    : (int) handle.invokeExact(counts, records, segment, len, slotBytes, capacity, area);
        } catch (RuntimeException | Error ffmRefused) {
            throw ffmRefused;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The pop of the stack whose head for the running index is at {@code base + index * LINE}: the node, or a code
     * (below every node address).
     */
    static long popNode(PerCpuIndexing indexing, long base, long voffp, long area) {
        MethodHandle handle = indexing == CPU_ID ? BY_CPU.popNode() : ByMmCid.SECTIONS.popNode();
        try {
            return MODE == Mode.TLS ? (long) handle.invokeExact(base, voffp)
                    : (long) handle.invokeExact(base, voffp, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The push of {@code node} on the stack whose head for the running index is at {@code base + index * LINE}. */
    static int pushNode(PerCpuIndexing indexing, long base, long node, long depthLimit, long area) {
        MethodHandle handle = indexing == CPU_ID ? BY_CPU.pushNode() : ByMmCid.SECTIONS.pushNode();
        try {
            return MODE == Mode.TLS ? (int) handle.invokeExact(base, node, depthLimit)
                    : (int) handle.invokeExact(base, node, depthLimit, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
