package io.github.rseq4j.micrometer;

import io.github.rseq4j.PerCpuHistogram;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Objects;

/**
 * A Micrometer distribution summary on a {@link PerCpuHistogram} of non-negative {@code long}s (bytes, items,
 * queue depths): {@link #record} is one rseq section, and the registries read what they publish when they
 * poll. Being a {@link MeterBinder}, it registers with every registry it is bound to:
 * <ul>
 *   <li>{@code <name>}: a meter of type {@link Meter.Type#DISTRIBUTION_SUMMARY} with the all-time
 *       {@link Statistic#COUNT} and {@link Statistic#TOTAL},</li>
 *   <li>{@code <name>.max}: a gauge, the highest value in the recent window,</li>
 *   <li>{@code <name>.percentile} tagged {@code phi}: a gauge per published percentile, over the recent
 *       window, as Micrometer's own client-side percentiles are named.</li>
 * </ul>
 * Values are bucket tops within {@code 10^-d} of a recorded value; the total counts each value as its bucket's
 * middle (the histogram keeps counts, not sums).
 */
public final class PerCpuDistributionSummary implements MeterBinder {
    private final String name;
    private final String description;
    private final String baseUnit;
    private final Tags tags;
    private final double[] percentiles;
    private final PerCpuHistogram histogram;
    private final long highest;
    private final WindowedSnapshots snapshots;

    private PerCpuDistributionSummary(Builder builder) {
        this.name = builder.name;
        this.description = builder.description;
        this.baseUnit = builder.baseUnit;
        this.tags = builder.tags;
        this.percentiles = builder.percentiles;
        this.highest = builder.maximumExpectedValue;
        this.histogram = builder.histogram(highest);
        this.snapshots = builder.snapshots(histogram);
    }

    /**
     * A builder for a summary named {@code name}.
     *
     * @param name the summary's name, dot-separated as Micrometer's are
     * @return a builder
     * @throws NullPointerException if {@code name} is null
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Records {@code amount}; a negative one is ignored (as Micrometer's summaries do), one above the maximum
     * expected value counts as that maximum.
     *
     * @param amount the value
     */
    public void record(long amount) {
        if (amount >= 0) {
            histogram.record(Math.min(amount, highest));
        }
    }

    /**
     * Native memory the histogram holds.
     *
     * @return bytes, as {@link PerCpuHistogram#nativeBytes()}
     */
    public long nativeBytes() {
        return histogram.nativeBytes();
    }

    /**
     * Registers the summary's meters with {@code registry}.
     *
     * @param registry a registry
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Meter.builder(name, Meter.Type.DISTRIBUTION_SUMMARY, List.of(
                        new Measurement(() -> (double) snapshots.count(), Statistic.COUNT),
                        new Measurement(snapshots::total, Statistic.TOTAL)))
                .description(description).baseUnit(baseUnit).tags(tags).register(registry);
        Gauge.builder(name + ".max", snapshots, WindowedSnapshots::max)
                .description(description).baseUnit(baseUnit).tags(tags).strongReference(true).register(registry);
        for (double phi : percentiles) {
            Gauge.builder(name + ".percentile", snapshots, s -> s.percentile(phi))
                    .description(description).baseUnit(baseUnit).tags(tags).tag("phi", WindowedSnapshots.phiTag(phi))
                    .strongReference(true).register(registry);
        }
    }

    /** Settings of a {@link PerCpuDistributionSummary}. */
    public static final class Builder extends HistogramMeterBuilder<Builder> {
        private long maximumExpectedValue = Long.MAX_VALUE;
        private String baseUnit;

        private Builder(String name) {
            super(name);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * The largest value kept as itself; larger ones count as it. Memory grows with its logarithm.
         *
         * @param max at least 1; {@code Long.MAX_VALUE} unless set
         * @return this builder
         * @throws IllegalArgumentException if {@code max} is below 1
         */
        public Builder maximumExpectedValue(long max) {
            if (max < 1) {
                throw new IllegalArgumentException("maximum expected value must be at least 1: " + max);
            }
            this.maximumExpectedValue = max;
            return this;
        }

        /**
         * The unit of recorded values, such as {@code "bytes"}.
         *
         * @param baseUnit the unit's name
         * @return this builder
         */
        public Builder baseUnit(String baseUnit) {
            this.baseUnit = baseUnit;
            return this;
        }

        /**
         * The summary; bind it to registries, or return it from a Spring {@code @Bean} method.
         *
         * @return a new summary
         */
        public PerCpuDistributionSummary build() {
            return new PerCpuDistributionSummary(this);
        }
    }
}
