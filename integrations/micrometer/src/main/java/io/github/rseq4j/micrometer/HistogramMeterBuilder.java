package io.github.rseq4j.micrometer;

import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuIndexing;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link PerCpuTimer.Builder} and {@link PerCpuDistributionSummary.Builder} share, with Micrometer's
 * names for it.
 *
 * @param <B> the builder
 */
abstract class HistogramMeterBuilder<B extends HistogramMeterBuilder<B>> {
    final String name;
    String description;
    Tags tags = Tags.empty();
    double[] percentiles = {};
    int significantDigits = 2;
    Duration expiry = Duration.ofMinutes(2);
    Clock clock = Clock.SYSTEM;
    PerCpuIndexing indexing = PerCpuIndexing.MM_CID;

    HistogramMeterBuilder(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    abstract B self();

    /**
     * The meters' description.
     *
     * @param description text for the registry
     * @return this builder
     */
    public B description(String description) {
        this.description = description;
        return self();
    }

    /**
     * Tags on every meter this registers.
     *
     * @param keyValues key, value, key, value...
     * @return this builder
     * @throws IllegalArgumentException if the count is odd
     * @throws NullPointerException     if a key or value is null
     */
    public B tags(String... keyValues) {
        this.tags = tags.and(keyValues);
        return self();
    }

    /**
     * Percentiles to publish, each as a gauge {@code <name>.percentile} tagged {@code phi}, over the recent
     * window (see {@link #distributionStatisticExpiry}).
     *
     * @param percentiles each in {@code [0, 1]}, such as 0.5 and 0.99
     * @return this builder
     * @throws IllegalArgumentException if a percentile is not in {@code [0, 1]}
     */
    public B publishPercentiles(double... percentiles) {
        for (double p : percentiles) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("percentile must be in [0, 1]: " + p);
            }
        }
        this.percentiles = percentiles.clone();
        return self();
    }

    /**
     * Precision of the histogram: every percentile and max is within {@code 10^-digits} of a recorded value.
     * Memory grows about tenfold per digit: see {@code nativeBytes()}.
     *
     * @param digits in {@code [0, 5]}; 2 unless set
     * @return this builder
     * @throws IllegalArgumentException if {@code digits} is not in {@code [0, 5]}
     */
    public B significantDigits(int digits) {
        if (digits < 0 || digits > 5) {
            throw new IllegalArgumentException("significantDigits must be in [0, 5]: " + digits);
        }
        this.significantDigits = digits;
        return self();
    }

    /**
     * How long values stay in the window that percentiles and max are read from: between one and two of
     * these (2 minutes unless set, Micrometer's default).
     *
     * @param expiry a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code expiry} is not positive
     * @throws NullPointerException     if {@code expiry} is null
     */
    public B distributionStatisticExpiry(Duration expiry) {
        if (expiry.isNegative() || expiry.isZero()) {
            throw new IllegalArgumentException("expiry must be positive: " + expiry);
        }
        this.expiry = expiry;
        return self();
    }

    /**
     * The clock that times the window and the reuse of one sum across a scrape's polls.
     *
     * @param clock usually the registry's; {@link Clock#SYSTEM} unless set
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public B clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /**
     * Which number of the running thread picks its per-CPU buckets.
     *
     * @param indexing {@link PerCpuIndexing#MM_CID} unless set: a slot per CPU the process may run on
     * @return this builder
     * @throws NullPointerException if {@code indexing} is null
     */
    public B indexing(PerCpuIndexing indexing) {
        this.indexing = Objects.requireNonNull(indexing, "indexing");
        return self();
    }

    PerCpuHistogram histogram(long highestTrackableValue) {
        return new PerCpuHistogram(highestTrackableValue, significantDigits, indexing);
    }

    WindowedSnapshots snapshots(PerCpuHistogram histogram) {
        return new WindowedSnapshots(histogram, clock, expiry.toNanos());
    }
}
