package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuPool;
import io.github.rseq4j.internal.sys.Affinity;
import java.lang.ref.WeakReference;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The pool from virtual threads (10,000 tasks on a few carriers share a handful of objects, never two at once),
 * and its bookkeeping: full stacks, the identity table, what it reports.
 */
class PerCpuPoolTest {

    private static final int TASKS = 10_000;
    private static final int USES_PER_TASK = 20;

    @ParameterizedTest
    @EnumSource(PerCpuIndexing.class)
    void virtualThreadsNeverShareAnObject(PerCpuIndexing indexing) throws Exception {
        Queue<Scenarios.Pooled> made = new ConcurrentLinkedQueue<>();
        PerCpuPool<Scenarios.Pooled> pool = new PerCpuPool<>(256, () -> {
            Scenarios.Pooled p = new Scenarios.Pooled();
            made.add(p);
            return p;
        }, indexing);
        AtomicLong doubleHeld = new AtomicLong();
        try (ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < TASKS; t++) {
                int id = t + 1;
                tasks.submit(() -> {
                    for (int u = 0; u < USES_PER_TASK; u++) {
                        Scenarios.Pooled p = pool.acquire();
                        if (!p.holder.compareAndSet(0, id)) {
                            doubleHeld.incrementAndGet();
                        }
                        p.uses++;
                        if (id % 1000 == 0) {
                            Thread.yield(); // unmounts: the object is held across a carrier change
                        }
                        p.holder.set(0);
                        pool.release(p);
                        Thread.yield(); // lets other tasks in between uses
                    }
                });
            }
        }
        System.out.printf("%s: %d objects made for %d virtual-thread tasks%n", pool.indexing(), made.size(), TASKS);
        assertEquals(0, doubleHeld.get(), "objects handed to two holders at once");
        assertEquals((long) TASKS * USES_PER_TASK, made.stream().mapToLong(p -> p.uses).sum(), "uses");
        assertTrue(made.size() < TASKS, "no object was ever reused: " + made.size());
    }

    /** A stack is full at capacity / slots objects: the next release goes to the shared slot, for every CPU. */
    @Test
    void aReleaseToAFullStackReachesOtherCpus() {
        BitSet cpus = Affinity.allowed();
        assumeTrue(cpus.cardinality() >= 2, "needs two CPUs to run on");
        int first = cpus.nextSetBit(0);
        int second = cpus.nextSetBit(first + 1);
        PerCpuPool<Object> pool = new PerCpuPool<>(PerCpuIndexing.CPU_ID.sectionSlots(), Object::new); // one per stack
        Object[] made = new Object[2];
        Affinity.runPinned(first, () -> {
            made[0] = pool.acquire();
            made[1] = pool.acquire();
            pool.release(made[0]);
            pool.release(made[1]); // the first CPU's stack is full
        });
        Affinity.runPinned(second, () -> assertSame(made[1], pool.acquire(), "from the shared slot"));
        assertEquals(2, pool.objectsCreated());
    }

    /** An object found past another in the identity table (same hash slot) is still known to be pooled. */
    @Test
    void objectsWithCollidingHashesAreBothPooled() {
        Iterator<Object> colliding = collidingPair().iterator();
        PerCpuPool<Object> pool = new PerCpuPool<>(2, colliding::next);
        Object a = pool.acquire();
        Object b = pool.acquire();
        pool.release(b);
        assertThrows(IllegalStateException.class, () -> pool.release(b), "released twice");
        pool.release(a);
        assertThrows(IllegalStateException.class, () -> pool.release(a), "released twice");
    }

    /** Two new objects whose identity hashes agree in their low ten bits: one slot in any table up to 1024. */
    private static List<Object> collidingPair() {
        Map<Integer, Object> byLowBits = new HashMap<>();
        for (;;) {
            Object o = new Object();
            Object other = byLowBits.putIfAbsent(System.identityHashCode(o) & 1023, o);
            if (other != null) {
                return List.of(other, o);
            }
        }
    }

    /** The class javadoc's promise: a release of what this pool did not hand out, or a second one, throws. */
    @Test
    void releaseOfAnObjectNotHeldThrowsAndChangesNothing() {
        PerCpuPool<Object> pool = new PerCpuPool<>(1, Object::new);
        Object foreign = new Object();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.release(foreign),
                "an object the pool never handed out");
        assertTrue(e.getMessage().contains("never acquired from this pool")
                && e.getMessage().contains("java.lang.Object@"), e.getMessage());
        Object pooled = pool.acquire();
        Object unpooled = pool.acquire(); // the pool is full: made and handed out unpooled
        assertThrows(IllegalStateException.class, () -> pool.release(foreign), "with an unpooled object out");
        pool.release(unpooled);
        assertThrows(IllegalStateException.class, () -> pool.release(unpooled), "an unpooled object released twice");
        pool.release(pooled);
        assertSame(pooled, pool.acquire(), "refused releases left the pool as it was");
        assertEquals(2, pool.objectsCreated());
    }

    /** An unpooled object that is never released is still left to the garbage collector. */
    @Test
    void anUnpooledObjectNeverReleasedIsCollected() throws InterruptedException {
        PerCpuPool<Object> pool = new PerCpuPool<>(1, Object::new);
        pool.acquire();
        WeakReference<Object> unpooled = new WeakReference<>(pool.acquire());
        for (int gc = 0; gc < 50 && unpooled.get() != null; gc++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(unpooled.get(), "the pool keeps an unpooled object reachable");
        assertThrows(IllegalStateException.class, () -> pool.release(new Object()));
    }

    @Test
    void aFactoryThatRepeatsAnObjectIsCaught() {
        Object same = new Object();
        PerCpuPool<Object> pool = new PerCpuPool<>(2, () -> same);
        pool.acquire();
        assertThrows(IllegalStateException.class, pool::acquire);
    }

    @Test
    void reportsCapacityIndexingAndMemory() {
        PerCpuPool<Object> pool = new PerCpuPool<>(3, Object::new);
        assertEquals(3, pool.capacity());
        assertEquals(PerCpuIndexing.CPU_ID, pool.indexing());
        assertEquals((PerCpuIndexing.CPU_ID.sectionSlots() + 1) * 64L + 3 * 64L, pool.nativeBytes(), "heads and nodes");
    }
}
