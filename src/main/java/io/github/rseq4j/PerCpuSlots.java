package io.github.rseq4j;

import static io.github.rseq4j.internal.PerCpuSections.MODE;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.function.BooleanSupplier;

/**
 * What the per-CPU structures share: their slot numbering, native cells, section calls and scratch.
 *
 * <p>Slots {@code 0 .. CPUS-1} belong to CPUs and, in {@link Mode#TLS} and {@link Mode#REGISTER}, are written
 * only by rseq sections running on that CPU (plus release stores by a lock's holder). A section's commit is a
 * plain store, atomic only against the other sections of its CPU, so a thread that cannot run sections must
 * never write those slots: in REGISTER mode such threads use the extra slot {@link #SHARED}, which no
 * section touches, under a lock. In {@link Mode#ATOMIC} no section runs anywhere, so the CPU slots themselves
 * are used under locks (or CAS).
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
    /** CPU slots plus {@link #SHARED}. */
    static final int SLOTS = CPUS + 1;
    /** One cache line per slot, as the sections' stride. */
    static final long LINE = 1L << PerCpuSections.STRIDE_SHIFT;

    /** {@link #area()} of a thread that must take the locked path. */
    static final long NO_SECTIONS = -1;

    /** All of memory, for raw addresses (nodes, cells); structures keep their own segments reachable. */
    static final MemorySegment MEMORY = Native.ALL_MEMORY;
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private static final MethodHandle ADD = MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.add();
    private static final MethodHandle CMPEQV_STOREV = MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.cmpeqvStorev();
    private static final MethodHandle CMPEQV_STOREV_STOREV =
            MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.cmpeqvStorevStorev();
    private static final MethodHandle CMPEQV_TRYMEMCPY_STOREV =
            MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.cmpeqvTrymemcpyStorev();
    private static final MethodHandle CMPNEV_STOREOFFP_LOAD =
            MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.cmpnevStoreoffpLoad();

    /** A line per thread for what sections hand back (a popped node or value); written only by that thread. */
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(LINE, LINE));

    /** {@code bytesPerSlot} rounded up to whole lines, for every slot; zeroed, line-aligned, freed by GC. */
    static MemorySegment allocate(long bytesPerSlot) {
        return Arena.ofAuto().allocate(SLOTS * lines(bytesPerSlot), LINE);
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

    /** The slot a thread without sections uses: its CPU's in ATOMIC mode, else {@link #SHARED}. */
    static int lockedSlot() {
        return MODE == Mode.ATOMIC ? RseqThread.currentCpu() : SHARED;
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

    /** The calling thread's scratch address; valid while the thread lives. */
    static long scratch() {
        return SCRATCH.get().address();
    }

    static long get(long address) {
        return (long) LONG.getOpaque(MEMORY, address);
    }

    static void set(long address, long value) {
        LONG.set(MEMORY, address, value);
    }

    // Section calls: one shape per mode; area is ignored in TLS mode.

    /** {@code base[cpu_id * LINE] += value}, the cpu read inside the section. */
    static int add(long base, long value, long area) {
        try {
            return MODE == Mode.TLS ? (int) ADD.invokeExact(base, value) : (int) ADD.invokeExact(base, value, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int cmpeqvStorev(long v, long expect, long newv, int cpu, long area) {
        try {
            return MODE == Mode.TLS ? (int) CMPEQV_STOREV.invokeExact(v, expect, newv, cpu)
                    : (int) CMPEQV_STOREV.invokeExact(v, expect, newv, cpu, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int cmpeqvStorevStorev(long v, long expect, long v2, long newv2, long newv, int cpu, long area) {
        try {
            return MODE == Mode.TLS ? (int) CMPEQV_STOREV_STOREV.invokeExact(v, expect, v2, newv2, newv, cpu)
                    : (int) CMPEQV_STOREV_STOREV.invokeExact(v, expect, v2, newv2, newv, cpu, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int cmpeqvTrymemcpyStorev(long v, long expect, long dst, long src, long len, long newv, int cpu,
            long area) {
        try {
            return MODE == Mode.TLS
                    ? (int) CMPEQV_TRYMEMCPY_STOREV.invokeExact(v, expect, dst, src, len, newv, cpu)
                    : (int) CMPEQV_TRYMEMCPY_STOREV.invokeExact(v, expect, dst, src, len, newv, cpu, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static int cmpnevStoreoffpLoad(long v, long expectnot, long voffp, long load, int cpu, long area) {
        try {
            return MODE == Mode.TLS ? (int) CMPNEV_STOREOFFP_LOAD.invokeExact(v, expectnot, voffp, load, cpu)
                    : (int) CMPNEV_STOREOFFP_LOAD.invokeExact(v, expectnot, voffp, load, cpu, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
