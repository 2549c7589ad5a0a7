package io.github.rseq4j.micrometer;

import io.github.rseq4j.PerCpuHistogram;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A Micrometer timer on a {@link PerCpuHistogram} of nanoseconds: {@link #record} is one rseq section, and the
 * registries read what they publish when they poll. Being a {@link MeterBinder}, it registers with every
 * registry it is bound to (Spring Boot binds each {@code MeterBinder} bean to its registries):
 * <ul>
 *   <li>{@code <name>}: a {@link FunctionTimer} with the all-time count and total time,</li>
 *   <li>{@code <name>.max}: a {@link TimeGauge}, the highest value in the recent window,</li>
 *   <li>{@code <name>.percentile} tagged {@code phi}: a {@link TimeGauge} per published percentile, over the
 *       recent window, as Micrometer's own client-side percentiles are named.</li>
 * </ul>
 * Values are bucket tops within {@code 10^-d} of a recorded value; the total counts each value as its bucket's
 * middle (the histogram keeps counts, not sums). Registries hold the timer weakly, as for any function meter:
 * keep a reference (a bean is one).
 */
public final class PerCpuTimer implements MeterBinder {
    private final String name;
    private final String description;
    private final Tags tags;
    private final double[] percentiles;
    private final PerCpuHistogram histogram;
    private final long highest;
    private final WindowedSnapshots snapshots;

    private PerCpuTimer(Builder builder) {
        this.name = builder.name;
        this.description = builder.description;
        this.tags = builder.tags;
        this.percentiles = builder.percentiles;
        this.highest = builder.maximumExpectedValue.toNanos();
        this.histogram = builder.histogram(highest);
        this.snapshots = builder.snapshots(histogram);
    }

    /**
     * A builder for a timer named {@code name}.
     *
     * @param name the timer's name, dot-separated as Micrometer's are
     * @return a builder
     * @throws NullPointerException if {@code name} is null
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Records {@code amount}; a negative one is ignored (as Micrometer's timers do), one above the maximum
     * expected value counts as that maximum.
     *
     * @param amount the duration
     * @param unit   its unit
     * @throws NullPointerException if {@code unit} is null
     */
    public void record(long amount, TimeUnit unit) {
        long nanos = unit.toNanos(amount);
        if (nanos >= 0) {
            histogram.record(Math.min(nanos, highest));
        }
    }

    /**
     * Records {@code duration} as {@link #record(long, TimeUnit)} does.
     *
     * @param duration the duration
     * @throws NullPointerException if {@code duration} is null
     */
    public void record(Duration duration) {
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = duration.isNegative() ? -1 : highest;
        }
        record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Runs {@code action} and records how long it took, also when it throws.
     *
     * @param action what to time
     * @param <T>    what it returns
     * @return what {@code action} returned
     * @throws NullPointerException if {@code action} is null
     */
    public <T> T record(Supplier<T> action) {
        Objects.requireNonNull(action, "action");
        long start = System.nanoTime();
        try {
            return action.get();
        } finally {
            record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
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
     * Registers the timer's meters with {@code registry}.
     *
     * @param registry a registry
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        FunctionTimer.builder(name, snapshots, WindowedSnapshots::count, WindowedSnapshots::total,
                        TimeUnit.NANOSECONDS)
                .description(description).tags(tags).register(registry);
        TimeGauge.builder(name + ".max", snapshots, TimeUnit.NANOSECONDS, WindowedSnapshots::max)
                .description(description).tags(tags).strongReference(true).register(registry);
        for (double phi : percentiles) {
            TimeGauge.builder(name + ".percentile", snapshots, TimeUnit.NANOSECONDS, s -> s.percentile(phi))
                    .description(description).tags(tags).tag("phi", WindowedSnapshots.phiTag(phi))
                    .strongReference(true).register(registry);
        }
    }

    /** Settings of a {@link PerCpuTimer}. */
    public static final class Builder extends HistogramMeterBuilder<Builder> {
        private Duration maximumExpectedValue = Duration.ofSeconds(30);

        private Builder(String name) {
            super(name);
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * The longest duration kept as itself; longer ones count as it. Memory grows with its logarithm.
         *
         * @param max at least 1 ns; 30 seconds unless set (Micrometer's default)
         * @return this builder
         * @throws IllegalArgumentException if {@code max} is below 1 ns or above {@code Long.MAX_VALUE} ns
         * @throws NullPointerException     if {@code max} is null
         */
        public Builder maximumExpectedValue(Duration max) {
            if (max.compareTo(Duration.ofNanos(1)) < 0 || max.compareTo(Duration.ofNanos(Long.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException("maximum expected value must be in [1 ns, 2^63-1 ns]: " + max);
            }
            this.maximumExpectedValue = max;
            return this;
        }

        /**
         * The timer; bind it to registries, or return it from a Spring {@code @Bean} method.
         *
         * @return a new timer
         */
        public PerCpuTimer build() {
            return new PerCpuTimer(this);
        }
    }
}
