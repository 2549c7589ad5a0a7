package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Puts JMH's measurement loop on threads JMH did not create. JMH 1.37 normally runs benchmarks on
 * its own pool, but with {@code -Djmh.executor=CUSTOM -Djmh.executor.class=<this class>} it builds
 * the pool by calling a public {@code (int threads, String prefix)} constructor. Which threads we
 * hand out is chosen by {@value #KIND_PROPERTY}.
 *
 * <p>Not {@code -Djmh.executor=VIRTUAL}: that mode makes JMH call Thread.yield() after every
 * operation, which would dominate a nanosecond read.
 */
public final class WorkerExecutor extends ThreadPoolExecutor {
    static final String KIND_PROPERTY = "rseq4j.bench.workers";

    public enum Kind {
        /** Platform threads from {@link RseqThread#threadFactory()}. */
        RSEQ4J,
        /** Virtual threads; the loop never blocks, so each stays mounted on one carrier. */
        VIRTUAL
    }

    // Set on the worker before JMH's task runs, so a benchmark can prove where it is running.
    private static final ThreadLocal<Kind> WORKER_KIND = new ThreadLocal<>();

    public WorkerExecutor(int threads, String prefix) {
        super(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), marking(kind(), prefix));
    }

    /**
     * Fails the trial unless the calling thread is one of ours of the given kind, so that a run
     * whose flags were overridden (say, {@code -jvmArgsAppend} on the JMH command line) errors out
     * instead of quietly measuring JMH's own workers under this benchmark's name.
     */
    static void requireWorker(Kind expected) {
        Kind actual = WORKER_KIND.get();
        if (actual != expected) {
            throw new IllegalStateException("benchmark must run on a " + expected + " worker of "
                    + WorkerExecutor.class.getSimpleName() + " but runs on " + Thread.currentThread()
                    + " (" + actual + "); keep the class's @Fork jvmArgsAppend, do not override it");
        }
    }

    /** {@link #requireWorker} of the kind this fork was configured with, if any (benchmarks shared by both). */
    static void requireWorkerIfConfigured() {
        if (System.getProperty(KIND_PROPERTY) != null) {
            requireWorker(kind());
        }
    }

    private static Kind kind() {
        String value = System.getProperty(KIND_PROPERTY);
        if (value == null) {
            throw new IllegalStateException("-D" + KIND_PROPERTY + "=RSEQ4J|VIRTUAL is missing");
        }
        return Kind.valueOf(value);
    }

    private static ThreadFactory marking(Kind kind, String prefix) {
        ThreadFactory threads = switch (kind) {
            case RSEQ4J -> RseqThread.threadFactory();
            case VIRTUAL -> Thread.ofVirtual().name(prefix + "-virtual-worker-", 1).factory();
        };
        return task -> threads.newThread(() -> {
            WORKER_KIND.set(kind);
            task.run();
        });
    }
}
