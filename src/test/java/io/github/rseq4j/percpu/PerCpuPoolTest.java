package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuPool;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The pool from virtual threads: 10,000 tasks on a few carriers share a handful of objects, never two at once. */
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
}
