package io.github.rseq4j.bench;

/**
 * JVM flags shared by every fork. Kept as compile-time constants because a class that needs
 * extra flags must repeat the whole {@code @Fork}: JMH replaces, not merges, an inherited one.
 */
final class Jvm {
    /** Forks per benchmark unless the command line says otherwise ({@code -f}). */
    static final int FORKS = 3;

    /** FFM downcalls and JNA's System.load are restricted; without this every fork prints a warning. */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    /**
     * JMH 1.37's own infrastructure calls sun.misc.Unsafe.objectFieldOffset, which JDK 24+ reports
     * with a warning in every fork; allowing it keeps the output free of noise we cannot fix.
     */
    static final String UNSAFE_ALLOW = "--sun-misc-unsafe-memory-access=allow";

    /** Makes JMH ask {@link WorkerExecutor} for its worker threads. */
    static final String CUSTOM_EXECUTOR = "-Djmh.executor=CUSTOM";
    static final String WORKER_EXECUTOR = "-Djmh.executor.class=io.github.rseq4j.bench.WorkerExecutor";

    private Jvm() {}
}
