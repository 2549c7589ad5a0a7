package io.github.rseq4j.micrometer;

import io.github.rseq4j.PerCpuHistogram;
import io.micrometer.core.instrument.Clock;
import java.math.BigDecimal;
import java.util.concurrent.TimeUnit;

/**
 * What a registry polls from one {@link PerCpuHistogram}: the all-time count and total, and the percentiles
 * and max of a recent window, all from one sum over the per-CPU buckets that every poll within
 * {@link #REUSE_NANOS} shares (a scrape polls each percentile gauge in turn; one sum serves them all).
 *
 * <p>The window is the difference of two cumulative snapshots, so nothing is ever reset: every
 * {@code expiry} the base moves up to the snapshot taken at the previous move, and the window covers between
 * one and two expiries of recent values, as Micrometer's own two-buffer ring does.
 */
final class WindowedSnapshots {
    /** How long one sum serves the polls that follow it. */
    static final long REUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** One sum and what it says; immutable. */
    record State(long takenAt, long count, double total, long[] window, long windowCount) {}

    private final PerCpuHistogram histogram;
    private final Clock clock;
    private final long expiryNanos;
    /** Each bucket's middle value, the value its counts stand for in totals. */
    private final double[] middles;
    /** The latest state; replaced whole under {@code this}, read racily (a stale one is still a whole one). */
    private volatile State state;
    /** Cumulative counts the window starts from, the ones that take over at the next move, and its time;
     * guarded by {@code this}. */
    private long[] base;
    private long[] next;
    private long movedAt;

    WindowedSnapshots(PerCpuHistogram histogram, Clock clock, long expiryNanos) {
        this.histogram = histogram;
        this.clock = clock;
        this.expiryNanos = expiryNanos;
        this.middles = new double[histogram.buckets()];
        for (int i = 0; i < middles.length; i++) {
            middles[i] = (histogram.lowestValueIn(i) + (double) histogram.highestValueIn(i)) / 2;
        }
        this.base = new long[middles.length];
        this.next = base;
        this.movedAt = clock.monotonicTime();
        this.state = new State(movedAt - REUSE_NANOS, 0, 0, base, 0);
    }

    State current() {
        State s = state;
        return clock.monotonicTime() - s.takenAt() < REUSE_NANOS ? s : refresh();
    }

    private synchronized State refresh() {
        long now = clock.monotonicTime();
        if (now - state.takenAt() < REUSE_NANOS) {
            return state;
        }
        long[] cumulative = histogram.snapshot().bucketCounts();
        if (now - movedAt >= expiryNanos) {
            base = next;
            next = cumulative;
            movedAt = now;
        }
        long count = 0;
        double total = 0;
        long windowCount = 0;
        long[] window = new long[cumulative.length];
        for (int i = 0; i < cumulative.length; i++) {
            count += cumulative[i];
            total += cumulative[i] * middles[i];
            window[i] = cumulative[i] - base[i];
            windowCount += window[i];
        }
        State s = new State(now, count, total, window, windowCount);
        state = s;
        return s;
    }

    /** The highest value of the first bucket at which {@code phi} of the window's values are counted; 0 if empty. */
    double percentile(double phi) {
        State s = current();
        long rank = Math.max(1, (long) Math.ceil(phi * s.windowCount()));
        long seen = 0;
        for (int i = 0; i < s.window().length; i++) {
            seen += s.window()[i];
            if (seen >= rank) {
                return histogram.highestValueIn(i);
            }
        }
        return 0;
    }

    /** The highest value of the window's highest non-empty bucket; 0 if empty. */
    double max() {
        long[] window = current().window();
        for (int i = window.length - 1; i >= 0; i--) {
            if (window[i] != 0) {
                return histogram.highestValueIn(i);
            }
        }
        return 0;
    }

    /** The {@code phi} tag of a percentile gauge: the shortest decimal, as Micrometer writes it ("0.99"). */
    static String phiTag(double phi) {
        return BigDecimal.valueOf(phi).stripTrailingZeros().toPlainString();
    }

    long count() {
        return current().count();
    }

    double total() {
        return current().total();
    }
}
