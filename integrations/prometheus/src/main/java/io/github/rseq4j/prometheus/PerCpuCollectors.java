package io.github.rseq4j.prometheus;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuLongArray;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricFamilyDescriptor;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * rseq4j's per-CPU structures as Prometheus Java client 1.x {@link Collector}s: register one with a
 * {@code PrometheusRegistry} and every scrape sums the per-CPU cells once. The hot path stays the structure's
 * own (one rseq section per update); nothing here runs until a scrape.
 *
 * <p>Counts are exact at the scrape's moment as far as a per-CPU sum is (not an atomic snapshot while threads
 * update; exact once they stop). A histogram's quantiles and bucket bounds are its buckets' highest values
 * (within {@code 10^-d} of a recorded value); its {@code _sum} takes each value as its bucket's middle, since
 * {@link PerCpuHistogram} keeps counts, not totals.
 *
 * <p>Names follow the client's rules ({@link PrometheusNaming#isValidMetricName}); a counter's name is given
 * without {@code _total}, which the exposition adds.
 */
public final class PerCpuCollectors {
    private PerCpuCollectors() {}

    /**
     * A counter whose value is {@link PerCpuCounter#sum()}.
     *
     * @param name    the metric's name, without {@code _total}
     * @param help    its help text
     * @param counter the counter
     * @return a collector to register
     * @throws IllegalArgumentException if {@code name} is not a valid metric name
     * @throws NullPointerException     if an argument is null
     */
    public static Collector counter(String name, String help, PerCpuCounter counter) {
        Objects.requireNonNull(counter, "counter");
        return collector(name, help, MetricType.COUNTER, Set.of(), () -> CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(counter.sum()).build()).build());
    }

    /**
     * A counter family with one labelled value per element of {@code array}: element {@code i} is exposed as
     * {@code name_total{labelName="labelValues[i]"}}.
     *
     * @param name        the metric's name, without {@code _total}
     * @param help        its help text
     * @param array       the per-CPU array
     * @param labelName   the label that tells the elements apart
     * @param labelValues one distinct value per element, in element order
     * @return a collector to register
     * @throws IllegalArgumentException if {@code labelValues} does not have one distinct value per element, or
     *                                  a name is invalid
     * @throws NullPointerException     if an argument or a label value is null
     */
    public static Collector counters(String name, String help, PerCpuLongArray array, String labelName,
                                     List<String> labelValues) {
        Objects.requireNonNull(array, "array");
        String[] values = labelValues.toArray(String[]::new);
        if (values.length != array.length()) {
            throw new IllegalArgumentException(values.length + " label values for " + array.length() + " elements");
        }
        if (Arrays.stream(values).distinct().count() != values.length) {
            throw new IllegalArgumentException("label values repeat: " + labelValues);
        }
        if (!PrometheusNaming.isValidLabelName(labelName)) {
            throw new IllegalArgumentException("invalid label name: " + labelName);
        }
        Labels[] labels = Arrays.stream(values).map(v -> Labels.of(labelName, v)).toArray(Labels[]::new);
        return collector(name, help, MetricType.COUNTER, Set.of(labelName), () -> {
            long[] sums = array.sums();
            CounterSnapshot.Builder snapshot = CounterSnapshot.builder().name(name).help(help);
            for (int i = 0; i < sums.length; i++) {
                snapshot.dataPoint(CounterDataPointSnapshot.builder().labels(labels[i]).value(sums[i]).build());
            }
            return snapshot.build();
        });
    }

    /**
     * A summary with the given quantiles, its count and sum, over {@link PerCpuHistogram#snapshot()}.
     *
     * @param name      the metric's name
     * @param help      its help text
     * @param histogram the histogram
     * @param scale     what one recorded unit is in the exposed unit: {@code 1e-9} for nanoseconds recorded and
     *                  seconds exposed (Prometheus's base unit), 1 to expose values as recorded
     * @param quantiles each in {@code [0, 1]}
     * @return a collector to register
     * @throws IllegalArgumentException if a quantile is not in {@code [0, 1]}, {@code scale} is not positive
     *                                  and finite, or {@code name} is invalid
     * @throws NullPointerException     if an argument is null
     */
    public static Collector summary(String name, String help, PerCpuHistogram histogram, double scale,
                                    double... quantiles) {
        Objects.requireNonNull(histogram, "histogram");
        checkScale(scale);
        double[] qs = quantiles.clone();
        for (double q : qs) {
            if (!(q >= 0 && q <= 1)) {
                throw new IllegalArgumentException("quantile must be in [0, 1]: " + q);
            }
        }
        return collector(name, help, MetricType.SUMMARY, Set.of(), () -> {
            PerCpuHistogram.Snapshot snapshot = histogram.snapshot();
            Quantile[] values = new Quantile[qs.length];
            for (int i = 0; i < qs.length; i++) {
                values[i] = new Quantile(qs[i], snapshot.percentile(qs[i] * 100) * scale);
            }
            return SummarySnapshot.builder().name(name).help(help)
                    .dataPoint(SummaryDataPointSnapshot.builder().count(snapshot.count())
                            .sum(sum(snapshot) * scale).quantiles(Quantiles.of(values)).build())
                    .build();
        });
    }

    /**
     * A classic histogram with cumulative buckets at (about) {@code upperBounds}, plus {@code +Inf}. A bucket
     * of {@code histogram} cannot be split, so each bound is moved up to the highest value of the bucket it
     * falls in (at most {@code 10^-d} above it): every exposed {@code le} then counts exactly the values at or
     * below it. Bounds at or above the highest trackable value collapse into {@code +Inf}.
     *
     * @param name        the metric's name
     * @param help        its help text
     * @param histogram   the histogram
     * @param scale       as for {@link #summary}
     * @param upperBounds ascending bounds in the exposed unit, each positive and finite
     * @return a collector to register
     * @throws IllegalArgumentException if the bounds are empty, not ascending, not positive and finite,
     *                                  {@code scale} is not positive and finite, or {@code name} is invalid
     * @throws NullPointerException     if an argument is null
     */
    public static Collector histogram(String name, String help, PerCpuHistogram histogram, double scale,
                                      double... upperBounds) {
        Objects.requireNonNull(histogram, "histogram");
        checkScale(scale);
        int[] lastBuckets = lastBuckets(histogram, scale, upperBounds);
        double[] bounds = new double[lastBuckets.length + 1];
        for (int i = 0; i < lastBuckets.length; i++) {
            bounds[i] = histogram.highestValueIn(lastBuckets[i]) * scale;
        }
        bounds[lastBuckets.length] = Double.POSITIVE_INFINITY;
        return collector(name, help, MetricType.HISTOGRAM, Set.of(), () -> {
            PerCpuHistogram.Snapshot snapshot = histogram.snapshot();
            long[] counts = snapshot.bucketCounts();
            long[] perBound = new long[bounds.length];
            int bucket = 0;
            for (int i = 0; i < lastBuckets.length; i++) {
                for (; bucket <= lastBuckets[i]; bucket++) {
                    perBound[i] += counts[bucket];
                }
            }
            for (; bucket < counts.length; bucket++) {
                perBound[lastBuckets.length] += counts[bucket];
            }
            return HistogramSnapshot.builder().name(name).help(help)
                    .dataPoint(HistogramDataPointSnapshot.builder().sum(sum(snapshot) * scale)
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, perBound)).build())
                    .build();
        });
    }

    /** For each distinct bound below the highest trackable value, the last bucket at or below it. */
    private static int[] lastBuckets(PerCpuHistogram histogram, double scale, double[] upperBounds) {
        if (upperBounds.length == 0) {
            throw new IllegalArgumentException("no upper bounds");
        }
        int[] last = new int[upperBounds.length];
        int n = 0;
        for (int i = 0; i < upperBounds.length; i++) {
            double bound = upperBounds[i];
            if (!(bound > 0 && bound < Double.POSITIVE_INFINITY) || (i > 0 && bound <= upperBounds[i - 1])) {
                throw new IllegalArgumentException("upper bounds must be ascending, positive and finite: "
                        + Arrays.toString(upperBounds));
            }
            double raw = Math.floor(bound / scale);
            if (raw >= histogram.highestTrackableValue()) {
                break;
            }
            int bucket = bucketOf(histogram, (long) raw);
            if (n == 0 || last[n - 1] != bucket) {
                last[n++] = bucket;
            }
        }
        return Arrays.copyOf(last, n);
    }

    /** The bucket that holds {@code value}: bucket lows ascend, so a binary search over them. */
    private static int bucketOf(PerCpuHistogram histogram, long value) {
        int low = 0;
        int high = histogram.buckets() - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (histogram.lowestValueIn(mid) <= value) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    private static double sum(PerCpuHistogram.Snapshot snapshot) {
        return snapshot.count() == 0 ? 0 : snapshot.mean() * snapshot.count();
    }

    private static void checkScale(double scale) {
        if (!(scale > 0 && scale < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("scale must be positive and finite: " + scale);
        }
    }

    /** A collector that states its family, so the registry refuses a second one of the same name. */
    private static Collector collector(String name, String help, MetricType type, Set<String> labelNames,
                                       Supplier<MetricSnapshot> collect) {
        if (name == null || !PrometheusNaming.isValidMetricName(name)) {
            throw new IllegalArgumentException("invalid metric name: " + name);
        }
        MetricFamilyDescriptor family = MetricFamilyDescriptor.of(type, new MetricMetadata(name, help), labelNames);
        return new Collector() {
            @Override
            public MetricSnapshot collect() {
                return collect.get();
            }

            @Override
            public MetricFamilyDescriptor getMetricFamilyDescriptor() {
                return family;
            }
        };
    }
}
