package io.github.rseq4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Settings every benchmark class inherits (JMH reads these annotations through superclasses), so
 * that all results are in the same unit and any class run on its own still gets native access.
 * bench/run.sh overrides forks and iterations per profile; the values here suit an IDE run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = Jvm.FORKS, jvmArgsAppend = {Jvm.NATIVE_ACCESS, Jvm.UNSAFE_ALLOW})
public abstract class BenchmarkBase {
}
