package io.github.rseq4j.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The timer and the summary through Micrometer's registries, after platform and virtual threads recorded
 * concurrently. Values stay below 2^8, where a 2-digit histogram's buckets hold one value each, so counts,
 * totals, percentiles and max are exact.
 */
class PerCpuMetersTest {
    private static final int THREADS = 4 + 100;
    private static final int RECORDS = 2_000;
    private final MockClock clock = new MockClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);

    private static long value(int thread, int i) {
        return 1 + (thread * 31L + i * 97L) % 200;
    }

    private static void recordConcurrently(java.util.function.LongConsumer record) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            Runnable work = () -> {
                for (int i = 0; i < RECORDS; i++) {
                    record.accept(value(thread, i));
                }
            };
            threads.add(t < 4 ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    private static long[] sortedValues() {
        return LongStream.range(0, THREADS).flatMap(t -> LongStream.range(0, RECORDS).map(i -> value((int) t, (int) i)))
                .sorted().toArray();
    }

    private double gauge(String name, String phi) {
        return registry.get(name).tag("phi", phi).gauge().value();
    }

    @Test
    void timerIsExactAfterConcurrentRecords() throws InterruptedException {
        PerCpuTimer timer = PerCpuTimer.builder("work").tags("app", "test").publishPercentiles(0.5, 0.99, 1)
                .clock(clock).build();
        timer.bindTo(registry);
        recordConcurrently(v -> timer.record(v, TimeUnit.NANOSECONDS));
        long[] values = sortedValues();

        FunctionTimer ft = registry.get("work").tag("app", "test").functionTimer();
        assertEquals(values.length, ft.count());
        assertEquals(LongStream.of(values).sum(), ft.totalTime(TimeUnit.NANOSECONDS), 1e-3);
        // SimpleMeterRegistry's base time unit is seconds
        assertEquals(values[values.length / 2 - 1] * 1e-9, gauge("work.percentile", "0.5"), 1e-15);
        assertEquals(values[(int) Math.ceil(values.length * 0.99) - 1] * 1e-9, gauge("work.percentile", "0.99"), 1e-15);
        assertEquals(values[values.length - 1] * 1e-9, gauge("work.percentile", "1"), 1e-15);
        assertEquals(values[values.length - 1] * 1e-9, registry.get("work.max").gauge().value(), 1e-15);
    }

    @Test
    void summaryIsExactAfterConcurrentRecords() throws InterruptedException {
        PerCpuDistributionSummary summary = PerCpuDistributionSummary.builder("size").baseUnit("bytes")
                .publishPercentiles(0.5).clock(clock).build();
        summary.bindTo(registry);
        recordConcurrently(summary::record);
        long[] values = sortedValues();

        Meter meter = registry.get("size").meter();
        assertEquals(Meter.Type.DISTRIBUTION_SUMMARY, meter.getId().getType());
        for (var m : meter.measure()) {
            double expected = m.getStatistic() == Statistic.COUNT ? values.length : LongStream.of(values).sum();
            assertEquals(expected, m.getValue(), m.getStatistic().name());
        }
        assertEquals(values[values.length / 2 - 1], gauge("size.percentile", "0.5"));
        assertEquals(values[values.length - 1], registry.get("size.max").gauge().value());
    }

    /** One sum serves the polls of 100 ms; the window drops values older than two expiries; counts stay. */
    @Test
    void pollsShareOneSumAndTheWindowMoves() {
        PerCpuDistributionSummary summary = PerCpuDistributionSummary.builder("depth").publishPercentiles(1)
                .distributionStatisticExpiry(Duration.ofMinutes(1)).clock(clock).build();
        summary.bindTo(registry);
        summary.record(100);
        assertEquals(100, registry.get("depth.max").gauge().value());
        summary.record(200);
        assertEquals(100, registry.get("depth.max").gauge().value(), "within 100 ms: the same sum");
        clock.add(Duration.ofMillis(100));
        assertEquals(200, registry.get("depth.max").gauge().value());

        clock.add(Duration.ofMinutes(1));
        assertEquals(200, gauge("depth.percentile", "1"), "one expiry: still in the window");
        clock.add(Duration.ofMinutes(1));
        summary.record(50);
        clock.add(Duration.ofMillis(100));
        assertEquals(50, gauge("depth.percentile", "1"), "two expiries: only the new value");
        assertEquals(50, registry.get("depth.max").gauge().value());
        assertEquals(3, count("depth"));
    }

    private double count(String name) {
        for (var m : registry.get(name).meter().measure()) {
            if (m.getStatistic() == Statistic.COUNT) {
                return m.getValue();
            }
        }
        throw new AssertionError("no count");
    }

    @Test
    void negativeValuesAreIgnoredAndTooLargeOnesClamped() {
        PerCpuTimer timer = PerCpuTimer.builder("t").maximumExpectedValue(Duration.ofSeconds(1)).publishPercentiles(1)
                .clock(clock).build();
        timer.bindTo(registry);
        timer.record(-5, TimeUnit.SECONDS);
        timer.record(Duration.ofDays(365 * 1000));
        timer.record(Duration.ofDays(-365 * 1000));
        assertEquals(1, registry.get("t").functionTimer().count());
        assertEquals(1.0, registry.get("t.max").gauge().value(), 0.01);
        assertEquals("ok", timer.record(() -> "ok"));
        assertTrue(timer.nativeBytes() > 0);
    }

    @Test
    void prometheusRegistryScrapesTheMeters() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PerCpuTimer timer = PerCpuTimer.builder("checkout").publishPercentiles(0.99).build();
        PerCpuDistributionSummary summary = PerCpuDistributionSummary.builder("payload").baseUnit("bytes").build();
        timer.bindTo(prometheus);
        summary.bindTo(prometheus);
        timer.record(3, TimeUnit.MILLISECONDS);
        summary.record(120);
        String text = prometheus.scrape();
        assertTrue(text.contains("# TYPE checkout_seconds summary\ncheckout_seconds_count 1\n"), text);
        assertTrue(text.contains("checkout_percentile_seconds{phi=\"0.99\"} 0.003"), text);
        // Micrometer has no function-backed summary: a custom meter's statistics, as the registry renders them
        assertTrue(text.contains("payload_bytes_total{statistic=\"COUNT\"} 1.0"), text);
        assertTrue(text.contains("payload_bytes_sum_total{statistic=\"TOTAL\"} 120.0"), text);
        assertTrue(text.contains("payload_max_bytes 120.0"), text);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PerCpuTimer.builder("t").publishPercentiles(1.5));
        assertThrows(IllegalArgumentException.class, () -> PerCpuTimer.builder("t").publishPercentiles(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> PerCpuTimer.builder("t").significantDigits(6));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuTimer.builder("t").distributionStatisticExpiry(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuTimer.builder("t").maximumExpectedValue(Duration.ZERO));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuTimer.builder("t").maximumExpectedValue(Duration.ofDays(365L * 1000)));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuDistributionSummary.builder("s").maximumExpectedValue(0));
        assertThrows(IllegalArgumentException.class, () -> PerCpuTimer.builder("t").tags("odd"));
        assertThrows(NullPointerException.class, () -> PerCpuTimer.builder(null));
        assertThrows(NullPointerException.class, () -> PerCpuTimer.builder("t").clock(null));
        assertThrows(NullPointerException.class, () -> PerCpuTimer.builder("t").build().bindTo(null));
        assertThrows(NullPointerException.class, () -> PerCpuTimer.builder("t").build().record((Duration) null));
    }
}
