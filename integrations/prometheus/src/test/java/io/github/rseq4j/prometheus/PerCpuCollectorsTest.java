package io.github.rseq4j.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuLongArray;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a careless caller gets: a clear exception at construction, never a bad scrape later. */
class PerCpuCollectorsTest {
    private final PerCpuHistogram histogram = new PerCpuHistogram(1_000_000, 2);

    @Test
    void badNamesLabelsQuantilesBoundsAndScalesAreRefused() {
        PerCpuCounter counter = new PerCpuCounter();
        PerCpuLongArray array = new PerCpuLongArray(2);
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.counter("", "h", counter));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.counter(null, "h", counter));
        assertThrows(NullPointerException.class, () -> PerCpuCollectors.counter("c", "h", null));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.counters("a", "h", array, "kind", List.of("x")));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.counters("a", "h", array, "kind", List.of("x", "x")));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.counters("a", "h", array, "", List.of("x", "y")));
        assertThrows(NullPointerException.class, () -> PerCpuCollectors.counters("a", "h", array, "kind", null));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.summary("s", "h", histogram, 1, 1.5));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.summary("s", "h", histogram, 1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.summary("s", "h", histogram, 0, 0.5));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.histogram("s", "h", histogram, Double.POSITIVE_INFINITY, 1));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.histogram("s", "h", histogram, 1));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.histogram("s", "h", histogram, 1, 5, 5));
        assertThrows(IllegalArgumentException.class, () -> PerCpuCollectors.histogram("s", "h", histogram, 1, -1));
        assertThrows(IllegalArgumentException.class,
                () -> PerCpuCollectors.histogram("s", "h", histogram, 1, 1, Double.POSITIVE_INFINITY));
        assertThrows(NullPointerException.class, () -> PerCpuCollectors.histogram("s", "h", null, 1, 1));
    }

    @Test
    void aSecondCollectorOfTheSameNameIsRefusedByTheRegistry() {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(PerCpuCollectors.summary("latency", "h", histogram, 1, 0.5));
        assertThrows(IllegalArgumentException.class,
                () -> registry.register(PerCpuCollectors.summary("latency", "h", histogram, 1, 0.9)));
    }

    /** 2 digits: 256 exact values, then 128 buckets per power of two; 1000 lies in [1000, 1003]. */
    @Test
    void boundsMoveUpToTheirBucketsTopAndCountExactlyThere() {
        histogram.record(1000);
        histogram.record(1003);
        histogram.record(1004);
        histogram.record(999_999);
        HistogramSnapshot snapshot = (HistogramSnapshot) PerCpuCollectors
                .histogram("h", "h", histogram, 1, 50, 1000, 1001, 2_000_000).collect();
        ClassicHistogramBuckets buckets = snapshot.getDataPoints().getFirst().getClassicBuckets();
        assertEquals(3, buckets.size(), "1000 and 1001 share a bucket, 2,000,000 collapses into +Inf");
        // per-bucket counts here; the exposition makes them cumulative
        assertEquals(50.0, buckets.getUpperBound(0));
        assertEquals(1003.0, buckets.getUpperBound(1));
        assertEquals(Double.POSITIVE_INFINITY, buckets.getUpperBound(2));
        assertEquals(0, buckets.getCount(0));
        assertEquals(2, buckets.getCount(1));
        assertEquals(2, buckets.getCount(2));
    }
}
