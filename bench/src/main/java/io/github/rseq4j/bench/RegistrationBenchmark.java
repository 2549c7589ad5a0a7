package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Nested registration, the common case in code that registers defensively: the worker already
 * holds a registration from setup, so the measured pair only moves rseq4j's refcount and must not
 * enter the kernel. {@link FirstRegistrationBenchmark} measures the pair that does.
 */
public class RegistrationBenchmark extends BenchmarkBase {

    @Benchmark
    public RseqThread nestedRegisterUnregister(RegisteredThread alreadyRegistered) {
        try (var registration = RseqThread.register()) {
            return registration.thread();
        }
    }
}
