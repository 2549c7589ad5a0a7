package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.jackson.PerCpuRecyclerPool;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * What the structures hold rather than how fast they are, printed as Markdown by bench/run.sh: the objects
 * each pool of {@link PoolBenchmark} ends up handing out over 100,000 virtual-thread tasks of one
 * acquire+release pair each (distinct
 * identities seen, so jackson's own pools are counted the same way), and {@code nativeBytes()} of a
 * PerCpuCounter indexed by cpu_id and by mm_cid, counted from 2 threads.
 */
public final class Footprint {
    private static final int TASKS = 100_000;

    public static void main(String[] args) throws InterruptedException {
        Map<String, Supplier<RecyclerPool<BufferRecycler>>> pools = new LinkedHashMap<>();
        pools.put("rseq4j-jackson PerCpuRecyclerPool", () -> new PerCpuRecyclerPool(PlainRecyclerPools.CAPACITY));
        pools.put("jackson threadLocalPool", JsonRecyclerPools::threadLocalPool);
        pools.put("jackson newLockFreePool", JsonRecyclerPools::newLockFreePool);
        pools.put("jackson newConcurrentDequePool", JsonRecyclerPools::newConcurrentDequePool);
        pools.put("jackson newBoundedPool", () -> JsonRecyclerPools.newBoundedPool(PlainRecyclerPools.CAPACITY));
        pools.put("ConcurrentLinkedQueue pool", () -> PlainRecyclerPools.queue(BufferRecycler::new));
        pools.put("ThreadLocal cache", () -> PlainRecyclerPools.threadLocal(BufferRecycler::new));
        System.out.println("| pool | objects per " + TASKS + " virtual-thread tasks |\n|---|--:|");
        for (Map.Entry<String, Supplier<RecyclerPool<BufferRecycler>>> e : pools.entrySet()) {
            RecyclerPool<BufferRecycler> pool = e.getValue().get();
            Set<BufferRecycler> seen = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
            try (ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < TASKS; t++) {
                    tasks.submit(() -> {
                        Thread.yield(); // the tasks interleave on the carriers
                        BufferRecycler recycler = pool.acquireAndLinkPooled();
                        seen.add(recycler);
                        recycler.releaseToPool();
                    });
                }
            }
            System.out.printf("| %s | %d |%n", e.getKey(), seen.size());
        }
        System.out.println();
        System.out.println("| PerCpuCounter indexing | slots | nativeBytes |\n|---|--:|--:|");
        for (PerCpuIndexing indexing : PerCpuIndexing.values()) {
            PerCpuCounter counter = new PerCpuCounter(indexing);
            Thread[] two = {Thread.ofPlatform().start(counter::increment),
                    Thread.ofPlatform().start(counter::increment)};
            for (Thread t : two) {
                t.join();
            }
            System.out.printf("| %s%s | %d | %d |%n", indexing, counter.indexing() == indexing ? ""
                    : " (falls back to " + counter.indexing() + ": " + indexing.unavailableReason() + ")",
                    counter.indexing().sectionSlots(), counter.nativeBytes());
        }
    }
}
