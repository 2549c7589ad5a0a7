package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import java.util.concurrent.ThreadFactory;

/**
 * Runs a batch of {@link RseqThread#currentCpu()} reads on a fresh virtual thread. The reads are
 * summed and the sum returned so that none is dead code. The loop is only a fair measurement if
 * each read really reaches memory, which holds as long as rseq4j reads cpu_id with volatile or
 * opaque semantics (it must: the kernel rewrites it); {@link VirtualThreadBenchmark} cross-checks.
 */
final class VirtualBatch implements Runnable {
    // A factory, unlike a Thread.Builder, may be shared by concurrent JMH workers.
    private static final ThreadFactory VIRTUAL = Thread.ofVirtual().name("rseq4j-bench-batch").factory();

    private final int reads;
    private int sum;

    private VirtualBatch(int reads) {
        this.reads = reads;
    }

    static int sumOfCurrentCpu(int reads) throws InterruptedException {
        VirtualBatch batch = new VirtualBatch(reads);
        Thread thread = VIRTUAL.newThread(batch);
        thread.start();
        thread.join(); // happens-before: the sum written by the batch is visible here
        return batch.sum;
    }

    @Override
    public void run() {
        int s = 0;
        for (int i = 0; i < reads; i++) {
            s += RseqThread.currentCpu();
        }
        sum = s;
    }
}
