package io.github.rseq4j.percpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/** Runs workers on platform threads and rethrows the first failure; shared by the per-CPU tests. */
final class Workers {
    private Workers() {}

    /** The kernel's run_param_test.sh runs 6 threads per allowed CPU. */
    static final int THREADS = 6 * Runtime.getRuntime().availableProcessors();

    /**
     * Factor applied to repetition counts, from the system property {@code rseq4j.test.repetitions}
     * (default 1): the VM lane's smoke runs under emulation at 0.1.
     */
    private static final double REPETITION_FACTOR =
            Double.parseDouble(System.getProperty("rseq4j.test.repetitions", "1"));

    /** {@code repetitions} scaled by {@code rseq4j.test.repetitions}, at least 1. */
    static int repetitions(int repetitions) {
        return Math.max(1, (int) (repetitions * REPETITION_FACTOR));
    }

    /** Runs {@code body(i)} for i in [0, threads) on as many platform threads and waits for all. */
    static void run(int threads, IntConsumer body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            started.add(Thread.ofPlatform().name("percpu-worker-" + i).start(() -> {
                try {
                    body.accept(index);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (Thread t : started) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("worker failed", failure.get());
        }
    }

    /** Runs {@code step} over and over on a platform thread while {@code work} runs, then stops it. */
    static <T> T whileRepeating(Runnable step, Supplier<T> work) {
        AtomicBoolean done = new AtomicBoolean();
        Thread background = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                step.run();
            }
        });
        try {
            return work.get();
        } finally {
            done.set(true);
            try {
                background.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
