package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.micrometer.PerCpuTimer;
import io.github.rseq4j.prometheus.PerCpuCollectors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The hot path of each integration against the plain meter it replaces, all meters shared by the JMH threads
 * and registered as a user registers them (so a registry's own bookkeeping is in place): counter increments
 * ({@code *Increment}) and latency records ({@code *Record}, values spread over 1 ns..1 ms by a per-thread
 * xorshift). Micrometer's meters come from its Prometheus registry, the one a Spring Boot user with a
 * {@code /actuator/prometheus} endpoint gets; Prometheus's are client 1.x defaults.
 */
public class MeterBenchmark extends BenchmarkBase {
    private static final double[] PERCENTILES = {0.5, 0.99};

    @State(Scope.Benchmark)
    public static class Meters {
        final PrometheusMeterRegistry micrometer = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final PrometheusRegistry prometheus = new PrometheusRegistry();

        final Counter micrometerCounter = micrometer.counter("plain.counter");
        final Timer micrometerTimer = Timer.builder("plain.timer").register(micrometer);
        final Timer micrometerPercentileTimer = Timer.builder("plain.percentile.timer")
                .publishPercentiles(PERCENTILES).register(micrometer);
        final PerCpuCounter perCpuCounter = new PerCpuCounter();
        final PerCpuTimer perCpuTimer = PerCpuTimer.builder("rseq.timer").publishPercentiles(PERCENTILES).build();

        final io.prometheus.metrics.core.metrics.Counter prometheusCounter =
                io.prometheus.metrics.core.metrics.Counter.builder().name("plain_counter").register(prometheus);
        final Histogram prometheusHistogram = Histogram.builder().name("plain_histogram").register(prometheus);
        final Summary prometheusSummary = Summary.builder().name("plain_summary")
                .quantile(PERCENTILES[0]).quantile(PERCENTILES[1]).register(prometheus);
        final PerCpuHistogram perCpuHistogram = new PerCpuHistogram(TimeUnit.SECONDS.toNanos(60), 2);

        @Setup
        public void register() {
            FunctionCounter.builder("rseq.counter", perCpuCounter, PerCpuCounter::sum).register(micrometer);
            perCpuTimer.bindTo(micrometer);
            prometheus.register(PerCpuCollectors.counter("rseq_counter", "", perCpuCounter));
            prometheus.register(PerCpuCollectors.summary("rseq_summary", "", perCpuHistogram, 1e-9, PERCENTILES));
            prometheus.register(PerCpuCollectors.histogram("rseq_histogram", "", perCpuHistogram, 1e-9,
                    .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10));
        }
    }

    /** A per-thread xorshift: latencies that land in different buckets, as real ones do. */
    @State(Scope.Thread)
    public static class Latency {
        private long state = 0x9E3779B97F4A7C15L ^ Thread.currentThread().threadId();

        long nanos() {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            return 1 + (state & 0xFFFFF);
        }
    }

    @Benchmark
    public void micrometerCounterIncrement(Meters m) {
        m.micrometerCounter.increment();
    }

    @Benchmark
    public void prometheusCounterIncrement(Meters m) {
        m.prometheusCounter.inc();
    }

    @Benchmark
    public void perCpuCounterIncrement(Meters m) {
        m.perCpuCounter.increment();
    }

    @Benchmark
    public void micrometerTimerRecord(Meters m, Latency l) {
        m.micrometerTimer.record(l.nanos(), TimeUnit.NANOSECONDS);
    }

    @Benchmark
    public void micrometerPercentileTimerRecord(Meters m, Latency l) {
        m.micrometerPercentileTimer.record(l.nanos(), TimeUnit.NANOSECONDS);
    }

    @Benchmark
    public void perCpuTimerRecord(Meters m, Latency l) {
        m.perCpuTimer.record(l.nanos(), TimeUnit.NANOSECONDS);
    }

    @Benchmark
    public void prometheusHistogramRecord(Meters m, Latency l) {
        m.prometheusHistogram.observe(Unit.nanosToSeconds(l.nanos()));
    }

    @Benchmark
    public void prometheusSummaryRecord(Meters m, Latency l) {
        m.prometheusSummary.observe(Unit.nanosToSeconds(l.nanos()));
    }

    @Benchmark
    public void perCpuHistogramRecord(Meters m, Latency l) {
        m.perCpuHistogram.record(l.nanos());
    }
}
