package io.github.rseq4j.percpu;

import static io.github.rseq4j.percpu.Cells.CELL;
import static io.github.rseq4j.percpu.Cells.LINE;
import static io.github.rseq4j.percpu.Cells.invoke;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.cs.SectionConfig;
import io.github.rseq4j.internal.cs.SectionConfig.IndexField;
import io.github.rseq4j.internal.cs.SectionLibrary;
import io.github.rseq4j.internal.cs.SectionTemplates;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.internal.sys.Syscalls;
import io.github.rseq4j.testing.ForkedJvm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Sections indexed by {@code mm_cid} (Linux 6.3+) instead of {@code cpu_id}: the non-atomic per-cell add and
 * the cmpeqv-storev increment stay exact when cells are sized by the possible CPUs (mm_cid stays below), a
 * wrong expected index is refused with INDEX_MISMATCH, and the same holds in REGISTER addressing with areas
 * registered by hand in a JVM where glibc's rseq is off.
 */
class MmCidSectionsTest {

    private static final int STRIDE_SHIFT = 6;
    /** Cells past POSSIBLE that no section may touch: an mm_cid >= POSSIBLE would land there. */
    private static final int GUARD_CELLS = 8;
    private static final int ADD_REPS = 100_000;
    private static final int CAS_REPS = 50_000;
    private static final int BOUND = 1_000_000;
    private static final int MM_CID_END = (int) RseqAbi.MM_CID + Integer.BYTES; // 28

    private static SectionLibrary tls;

    private static synchronized SectionLibrary tlsLibrary() {
        Assumptions.assumeTrue(RseqAbi.OWNER == AreaOwner.GLIBC, "needs glibc's rseq area (TLS addressing); owner is "
                + RseqAbi.OWNER);
        Assumptions.assumeTrue(RseqAbi.USABLE_SIZE >= MM_CID_END, "mm_cid is not kept current here (usable "
                + "area size " + RseqAbi.USABLE_SIZE + " < 28: Linux < 6.3, or glibc publishes 20 bytes)");
        if (tls == null) {
            tls = SectionLibrary.link(SectionConfig.tls(RseqAbi.GLIBC_OFFSET, IndexField.MM_CID, Cpus.POSSIBLE),
                    STRIDE_SHIFT);
        }
        return tls;
    }

    /**
     * Where the kernel (before 6.3) or the libc does not keep mm_cid current, mm_cid-indexed
     * sections are refused: they would index every thread to the same stale cell. Runs in the VM
     * lane's 5.10 and 6.1 guests.
     */
    @Test
    void refusedWithoutMmCid() {
        Assumptions.assumeTrue(RseqAbi.USABLE_SIZE < MM_CID_END, "mm_cid is kept current here (usable area size "
                + RseqAbi.USABLE_SIZE + "); the refusal is checked on kernels before 6.3 "
                + "(vmtest/run.sh --kernel 5.10)");
        UnsupportedOperationException refused = assertThrows(UnsupportedOperationException.class,
                () -> SectionLibrary.link(SectionConfig.register(IndexField.MM_CID, Cpus.POSSIBLE), STRIDE_SHIFT));
        assertTrue(refused.getMessage().contains("Linux 6.3"), refused.getMessage());
    }

    /** How a section call gets its last, optional argument and the thread's current mm_cid. */
    private interface Sections {
        int add(long base, long value) throws Throwable;

        int cmpeqvStorev(long v, long expect, long newv, int idx) throws Throwable;

        int mmCid();
    }

    private static Sections tlsSections(SectionLibrary lib) {
        MethodHandle add = lib.add(), cas = lib.cmpeqvStorev();
        return new Sections() {
            public int add(long base, long value) throws Throwable {
                return (int) add.invokeExact(base, value);
            }

            public int cmpeqvStorev(long v, long expect, long newv, int idx) throws Throwable {
                return (int) cas.invokeExact(v, expect, newv, idx);
            }

            public int mmCid() {
                return RseqThread.currentMmCid();
            }
        };
    }

    private static Sections registerSections(SectionLibrary lib, MemorySegment area) {
        MethodHandle add = lib.add(), cas = lib.cmpeqvStorev();
        long a = area.address();
        return new Sections() {
            public int add(long base, long value) throws Throwable {
                return (int) add.invokeExact(base, value, a);
            }

            public int cmpeqvStorev(long v, long expect, long newv, int idx) throws Throwable {
                return (int) cas.invokeExact(v, expect, newv, idx, a);
            }

            public int mmCid() {
                return area.get(ValueLayout.JAVA_INT, RseqAbi.MM_CID);
            }
        };
    }

    private static MemorySegment cells() {
        return Arena.ofAuto().allocate((Cpus.POSSIBLE + GUARD_CELLS) * LINE, LINE);
    }

    /** Sum of the cells below POSSIBLE; fails if a guard cell past them was written. */
    private static long sum(MemorySegment cells) {
        long sum = 0;
        for (int c = 0; c < Cpus.POSSIBLE + GUARD_CELLS; c++) {
            long v = (long) CELL.getOpaque(cells, c * LINE);
            if (c >= Cpus.POSSIBLE) {
                assertEquals(0, v, "cell " + c + " written: an mm_cid >= POSSIBLE (" + Cpus.POSSIBLE + ")");
            }
            sum += v;
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------- workloads

    /** Each of {@code threads} workers adds 1 REPS times through {@code perThread}'s sections. */
    static void addWorkload(int threads, java.util.function.IntFunction<Sections> perThread, Runnable after) {
        MemorySegment cells = cells();
        long base = cells.address();
        Workers.run(threads, i -> {
            Sections s = perThread.apply(i);
            try {
                for (int r = 0; r < ADD_REPS; r++) {
                    int rc;
                    while ((rc = invoke(() -> s.add(base, 1L))) != SectionTemplates.COMMITTED) {
                        assertEquals(SectionTemplates.ABORTED, rc, "add result");
                    }
                }
            } finally {
                after.run();
            }
        });
        assertEquals((long) threads * ADD_REPS, sum(cells), "add total");
    }

    /** Each worker increments cell[mm_cid] by read + cmpeqvStorev(expected index = mm_cid). */
    static void casWorkload(int threads, java.util.function.IntFunction<Sections> perThread, Runnable after) {
        MemorySegment cells = cells();
        long base = cells.address();
        Workers.run(threads, i -> {
            Sections s = perThread.apply(i);
            try {
                for (int r = 0; r < CAS_REPS; r++) {
                    for (;;) {
                        int cid = s.mmCid();
                        assertTrue(cid >= 0 && cid < Cpus.POSSIBLE, "mm_cid " + cid + " outside [0, POSSIBLE)");
                        long old = (long) CELL.getOpaque(cells, cid * LINE);
                        int rc = invoke(() -> s.cmpeqvStorev(base + cid * LINE, old, old + 1, cid));
                        if (rc == SectionTemplates.COMMITTED) {
                            break;
                        }
                        assertTrue(rc == SectionTemplates.ABORTED || rc == SectionTemplates.COMPARE_FAILED
                                || rc == SectionTemplates.INDEX_MISMATCH, "cmpeqvStorev result " + rc);
                    }
                }
            } finally {
                after.run();
            }
        });
        assertEquals((long) threads * CAS_REPS, sum(cells), "cmpeqvStorev total");
    }

    /**
     * On the calling thread: a wrong expected index returns INDEX_MISMATCH and leaves the cell alone; the
     * right one commits. Both bounded (mm_cid may change between the read and the section).
     */
    static void indexCheck(Sections s) {
        MemorySegment cell = Arena.ofAuto().allocate(LINE, LINE);
        long v = cell.address();
        boolean mismatchSeen = false;
        for (int k = 0; k < BOUND && !mismatchSeen; k++) {
            int cid = s.mmCid();
            int wrong = (cid + 1) % Math.max(2, Cpus.POSSIBLE);
            long before = cell.get(ValueLayout.JAVA_LONG, 0);
            int rc = invoke(() -> s.cmpeqvStorev(v, before, before + 1, wrong));
            if (rc == SectionTemplates.INDEX_MISMATCH) {
                assertEquals(before, cell.get(ValueLayout.JAVA_LONG, 0), "INDEX_MISMATCH but the cell was written");
                mismatchSeen = true;
            }
        }
        assertTrue(mismatchSeen, "a wrong expected index never returned INDEX_MISMATCH (3)");
        boolean committed = false;
        for (int k = 0; k < BOUND && !committed; k++) {
            int cid = s.mmCid();
            long before = cell.get(ValueLayout.JAVA_LONG, 0);
            int rc = invoke(() -> s.cmpeqvStorev(v, before, before + 1, cid));
            if (rc == SectionTemplates.COMMITTED) {
                assertEquals(before + 1, cell.get(ValueLayout.JAVA_LONG, 0), "committed but the cell was not written");
                committed = true;
            }
        }
        assertTrue(committed, "the current mm_cid as expected index never committed");
    }

    // ------------------------------------------------------------------------------------- TLS, in process

    @Test
    void addByMmCidStaysExact() {
        Sections s = tlsSections(tlsLibrary());
        addWorkload(Workers.THREADS, i -> s, () -> {});
    }

    @Test
    void cmpeqvStorevByMmCidStaysExact() {
        Sections s = tlsSections(tlsLibrary());
        casWorkload(Workers.THREADS, i -> s, () -> {});
    }

    @Test
    void wrongIndexIsRefusedRightIndexCommits() {
        indexCheck(tlsSections(tlsLibrary()));
    }

    // ------------------------------------------------------------------------------------- REGISTER, forked

    @Test
    void registerModeWithHandRegisteredAreas() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, ForkedJvm.GLIBC_RSEQ_OFF);
        Assumptions.assumeFalse(r.output().contains("SKIP:"), r::output);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ALL EXACT"), r::describe);
    }

    /** glibc's rseq off: every worker registers its own area with rseq(2), runs sections, unregisters. */
    public static final class Child {
        private static final int RSEQ_FLAG_UNREGISTER = 1;

        public static void main(String[] args) {
            if (RseqAbi.OWNER != AreaOwner.RSEQ4J) {
                System.out.println("SKIP: rseq owner is " + RseqAbi.OWNER + ", not RSEQ4J (glibc tunable ignored?)");
                return;
            }
            if (RseqAbi.FEATURE_SIZE < MM_CID_END) {
                System.out.println("SKIP: kernel feature size " + RseqAbi.FEATURE_SIZE + " < 28: no mm_cid");
                return;
            }
            SectionLibrary lib =
                    SectionLibrary.link(SectionConfig.register(IndexField.MM_CID, Cpus.POSSIBLE), STRIDE_SHIFT);
            int threads = Workers.THREADS;
            ThreadLocal<Area> area = new ThreadLocal<>();
            addWorkload(threads, i -> {
                area.set(Area.register());
                return registerSections(lib, area.get().segment);
            }, () -> area.get().unregister());
            casWorkload(threads, i -> {
                area.set(Area.register());
                return registerSections(lib, area.get().segment);
            }, () -> area.get().unregister());
            Area mine = Area.register();
            try {
                indexCheck(registerSections(lib, mine.segment));
            } finally {
                mine.unregister();
            }
            System.out.println("ALL EXACT");
        }

        /** A 32-byte-aligned area registered on the calling thread. */
        private static final class Area {
            final MemorySegment segment;
            final Thread owner = Thread.currentThread();
            private final Arena arena;

            private Area(Arena arena, MemorySegment segment) {
                this.arena = arena;
                this.segment = segment;
            }

            static Area register() {
                Arena arena = Arena.ofShared();
                MemorySegment area = arena.allocate(RseqAbi.REGISTRATION_LENGTH, RseqAbi.ALIGNMENT);
                area.set(ValueLayout.JAVA_INT, RseqAbi.CPU_ID, -1); // RSEQ_CPU_ID_UNINITIALIZED
                int rc = Syscalls.rseq(area.address(), RseqAbi.REGISTRATION_LENGTH, 0, RseqAbi.SIGNATURE);
                if (rc != 0) {
                    throw new AssertionError("rseq register failed: " + rc);
                }
                int cpu = area.get(ValueLayout.JAVA_INT, RseqAbi.CPU_ID);
                if (cpu < 0) {
                    throw new AssertionError("kernel did not fill cpu_id after registration: " + cpu);
                }
                return new Area(arena, area);
            }

            void unregister() {
                if (Thread.currentThread() != owner) {
                    throw new IllegalStateException("unregister on another thread");
                }
                int rc = Syscalls.rseq(segment.address(), RseqAbi.REGISTRATION_LENGTH, RSEQ_FLAG_UNREGISTER,
                        RseqAbi.SIGNATURE);
                if (rc != 0) {
                    throw new AssertionError("rseq unregister failed: " + rc);
                }
                arena.close();
            }
        }
    }


}
