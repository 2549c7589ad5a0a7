/**
 * rseq4j: Linux restartable sequences for the JVM. Only {@code io.github.rseq4j} is API;
 * the binding, system-call plumbing, per-architecture code and critical sections are internal.
 */
module io.github.rseq4j {
    exports io.github.rseq4j;
}
