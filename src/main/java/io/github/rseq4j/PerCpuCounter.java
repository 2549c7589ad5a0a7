package io.github.rseq4j;

import static io.github.rseq4j.internal.PerCpuSections.MODE;

import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Cpus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter with one cache line per CPU, incremented by an rseq critical section: no atomic
 * instruction, no contention, exact under any concurrency.
 *
 * <p>Each {@link #add} is one critical downcall into run-time generated code that reads the
 * thread's cpu_id and adds to that CPU's cell with a single store; the kernel restarts it if
 * the thread is preempted, migrated or signalled first. Threads that cannot run sections
 * (rseq4j owns rseq and the thread is not registered, or rseq or executable memory is
 * unavailable: see {@link RseqSupport#perCpuImplementation()}) add to a {@link LongAdder}
 * instead: never to the cells, whose updates are not atomic across CPUs.
 *
 * <p>{@link #sum()} is not an atomic snapshot (as with LongAdder); once updates stop it is exact.
 * Memory: {@code 64 * possible CPUs} bytes, plus the LongAdder if it is ever used.
 */
public final class PerCpuCounter {

    private static final MethodHandle ADD = MODE == Mode.ATOMIC ? null : PerCpuSections.BY_CPU.add();
    private static final long CELL_BYTES = 1L << PerCpuSections.STRIDE_SHIFT;
    private static final VarHandle CELL = ValueLayout.JAVA_LONG.varHandle();

    /** One cell per possible CPU; written by sections with plain stores, read here opaque. */
    private final MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * CELL_BYTES, CELL_BYTES);
    /** Address of {@link #cells}, immutable; the sections take a raw address. */
    private final long base = cells.address();
    /** Updates from threads that cannot run sections. */
    private final LongAdder fallback = new LongAdder();
    /** Total already handed out by {@link #sumThenReset()}; written under the lock, read volatile. */
    private volatile long handedOut;

    public void increment() {
        add(1);
    }

    public void add(long value) {
        if (MODE == Mode.TLS) {
            if (addTls(value) == SectionTemplates.COMMITTED) {
                Reference.reachabilityFence(this);
                return;
            }
        }
        addSlow(value);
    }

    private void addSlow(long value) {
        long area;
        if (MODE == Mode.TLS) {
            while (addTls(value) != SectionTemplates.COMMITTED) {
                Thread.onSpinWait();
            }
        } else if (MODE == Mode.REGISTER && (area = RseqThread.registeredArea()) != 0) {
            while (addRegister(value, area) != SectionTemplates.COMMITTED) {
                Thread.onSpinWait();
            }
        } else {
            fallback.add(value);
        }
        Reference.reachabilityFence(this);
    }

    private int addTls(long value) {
        try {
            return (int) ADD.invokeExact(base, value);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private int addRegister(long value, long area) {
        try {
            return (int) ADD.invokeExact(base, value, area);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The total of all updates (less what {@link #sumThenReset()} handed out). */
    public long sum() {
        return total() - handedOut;
    }

    /**
     * Returns {@link #sum()} and starts counting from zero. No cell is written, since another
     * CPU's section may be storing to it; the handed-out total is remembered instead, so every
     * update is counted by exactly one call.
     */
    public synchronized long sumThenReset() {
        long total = total();
        long sum = total - handedOut;
        handedOut = total;
        return sum;
    }

    private long total() {
        long total = fallback.sum();
        for (long offset = 0; offset < cells.byteSize(); offset += CELL_BYTES) {
            total += (long) CELL.getOpaque(cells, offset);
        }
        return total;
    }

    /** Bytes of native memory this counter holds. */
    public long nativeBytes() {
        return cells.byteSize();
    }

    @Override
    public String toString() {
        return Long.toString(sum());
    }
}
