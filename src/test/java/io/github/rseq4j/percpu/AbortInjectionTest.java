package io.github.rseq4j.percpu;

import static io.github.rseq4j.percpu.Cells.CELL;
import static io.github.rseq4j.percpu.Cells.LINE;
import static io.github.rseq4j.percpu.Cells.addUntilCommitted;
import static io.github.rseq4j.percpu.Cells.invoke;
import static io.github.rseq4j.percpu.Cells.sum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqBarrier;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Cpus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sections with test-only delay loops (glibc's area, TLS addressing), so preemption and membarrier land
 * inside them: aborts must be observed (return code 2) and every total must still be exact.
 */
class AbortInjectionTest {

    private static final int DELAY = 5_000;
    private static final int REPS = Workers.repetitions(20_000);
    private static SectionLibrary delayed;

    @BeforeAll
    static void link() {
        Assumptions.assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC, "needs glibc's rseq area (TLS addressing); owner is "
                + RseqAbi.OWNER);
        delayed = SectionLibrary.link(
                SectionConfig.tls(RseqAbi.GLIBC_OFFSET, IndexField.CPU_ID, Cpus.POSSIBLE).withDelay(DELAY), 6);
    }

    /** {@code counted}: the aborts {@link SectionLibrary#injectedAborts()} saw meanwhile. */
    private record Outcome(long total, long aborts, long mismatches, long counted) {}

    /** Every worker adds 1, REPS times, retrying aborted sections. */
    private static Outcome runAdd() {
        MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * LINE, LINE);
        long base = cells.address();
        MethodHandle add = delayed.add();
        LongAdder aborts = new LongAdder();
        long before = SectionLibrary.injectedAborts();
        Workers.run(Workers.THREADS, i -> {
            for (int r = 0; r < REPS; r++) {
                aborts.add(addUntilCommitted(add, base));
            }
        });
        return new Outcome(sum(cells), aborts.sum(), 0, SectionLibrary.injectedAborts() - before);
    }

    /** Every worker increments its CPU's cell by a read then a cmpeqv-storev, REPS times. */
    private static Outcome runCmpeqv() {
        MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * LINE, LINE);
        long base = cells.address();
        MethodHandle cas = delayed.cmpeqvStorev();
        LongAdder aborts = new LongAdder(), other = new LongAdder();
        long before = SectionLibrary.injectedAborts();
        Workers.run(Workers.THREADS, i -> {
            for (int r = 0; r < REPS; r++) {
                for (;;) {
                    int cpu = RseqThread.currentCpu();
                    long old = (long) CELL.getOpaque(cells, cpu * LINE);
                    int rc = invoke(() -> (int) cas.invokeExact(base + cpu * LINE, old, old + 1, cpu));
                    if (rc == SectionTemplates.COMMITTED) {
                        break;
                    }
                    (rc == SectionTemplates.ABORTED ? aborts : other).increment();
                }
            }
        });
        return new Outcome(sum(cells), aborts.sum(), other.sum(), SectionLibrary.injectedAborts() - before);
    }

    /**
     * Every worker adds 1, REPS times, in addEach calls of up to 8 elements (offset 0: its CPU's cell), resuming
     * an aborted call at the element it stopped at: a resumed call that repeated a committed element would show.
     */
    private static Outcome runAddEach() {
        MemorySegment cells = Arena.ofAuto().allocate(Cpus.POSSIBLE * LINE, LINE);
        long base = cells.address();
        MethodHandle addEach = delayed.addEach();
        LongAdder aborts = new LongAdder();
        long before = SectionLibrary.injectedAborts();
        Workers.run(Workers.THREADS, i -> {
            MemorySegment offsets = Arena.ofAuto().allocate(8 * Long.BYTES, Long.BYTES); // eight offsets of 0
            for (int done = 0; done < REPS;) {
                long count = Math.min(8, REPS - done);
                while (count > 0) {
                    long left = count;
                    int result = invoke(() -> (int) addEach.invokeExact(base, offsets.address(), left, 1L, 0L));
                    int code = SectionTemplates.code(result);
                    if (code == SectionTemplates.ABORTED) {
                        aborts.increment();
                    } else if (code != SectionTemplates.COMMITTED) { // retrying could not help: fail, never spin
                        throw new AssertionError("addEach returned code " + code + " with "
                                + SectionTemplates.remaining(result) + " of " + count + " left");
                    }
                    done += (int) (count - SectionTemplates.remaining(result));
                    count = SectionTemplates.remaining(result);
                }
            }
            Reference.reachabilityFence(offsets); // the section reads it: never freed while a call may run
        });
        return new Outcome(sum(cells), aborts.sum(), 0, SectionLibrary.injectedAborts() - before);
    }

    private static void assertExactWithAborts(String what, Outcome o) {
        System.out.printf("%s: total %d, aborts %d, compare/index failures %d%n", what, o.total, o.aborts,
                o.mismatches);
        assertEquals((long) Workers.THREADS * REPS, o.total, what + " total");
        assertTrue(o.aborts > 0, what + ": no section was aborted; the injection did not work");
        assertEquals(o.aborts, o.counted, what + ": aborts counted by the delay-injected library");
    }

    @Test
    void addStaysExactUnderPreemptionAborts() {
        assertExactWithAborts("add", runAdd());
    }

    @Test
    void cmpeqvStorevStaysExactUnderPreemptionAborts() {
        assertExactWithAborts("cmpeqvStorev", runCmpeqv());
    }

    @Test
    void addEachStaysExactUnderPreemptionAborts() {
        assertExactWithAborts("addEach", runAddEach());
    }

    /** membarrier-caused aborts: an aborter thread calls abortAll() in a loop while the workers run. */
    @Test
    void membarrierAbortsInFlightSections() {
        ParamTest.registerBarrierOrSkip();
        LongAdder barriers = new LongAdder();
        Outcome[] outcomes = Workers.whileRepeating(() -> {
            RseqBarrier.abortAll();
            barriers.increment();
        }, () -> new Outcome[] {runAdd(), runCmpeqv()});
        Outcome add = outcomes[0], cmpeqv = outcomes[1];
        System.out.println("membarrier calls: " + barriers.sum());
        assertExactWithAborts("add + membarrier", add);
        assertExactWithAborts("cmpeqvStorev + membarrier", cmpeqv);
    }
}
