package io.github.rseq4j.bench;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A thread's first register() and last unregister(): two rseq syscalls. That only happens when
 * rseq4j owns registration, i.e. glibc was told not to register:
 * {@code GLIBC_TUNABLES=glibc.pthread.rseq=0} in the environment of the JMH process, which its
 * forks inherit. {@code @Fork} cannot set environment variables, so bench/run.sh runs this class
 * in a JMH invocation of its own; the setup check keeps any other run from producing a number.
 */
public class FirstRegistrationBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Rseq4jOwnsRseq {
        @Setup
        public void check() {
            Owner owner = RseqSupport.probe().owner();
            if (owner != Owner.RSEQ4J) {
                throw new IllegalStateException("rseq is owned by " + owner + ", not RSEQ4J, so register() would"
                        + " not make a syscall; run with GLIBC_TUNABLES=glibc.pthread.rseq=0 (bench/run.sh does)");
            }
        }
    }

    @Benchmark
    public RseqThread firstRegisterUnregister(Rseq4jOwnsRseq owner) {
        try (var registration = RseqThread.register()) {
            return registration.thread();
        }
    }
}
