package io.github.rseq4j;

import java.util.Arrays;

/**
 * A histogram of non-negative {@code long} values recorded from any number of threads, each {@link #record} one
 * rseq section (an add to one per-CPU bucket of a {@link PerCpuLongArray}): no atomic instruction, no
 * writer-reader phaser.
 *
 * <p>Buckets are log-linear, as in HdrHistogram: values below {@code 2^m} have a bucket each; above, each
 * power-of-two range is cut into {@code 2^(m-1)} equal buckets, with {@code m = 1 + ceil(d * log2(10))} for
 * {@code d} significant digits. A bucket's width is then at most {@code 10^-d} of any value in it, so every
 * value a query returns (a bucket's highest value) is within that relative error of a recorded value.
 *
 * <p>{@link #snapshotThenReset()} starts a new interval: every recorded value lands in exactly one snapshot
 * (one racing with the call lands in this one or the next). {@link #snapshot()} reads without resetting.
 * Neither is atomic across buckets while threads record, as with any per-CPU sum. Memory: 8 bytes per bucket
 * per slot ({@link #nativeBytes()}); index by {@link PerCpuIndexing#MM_CID} to hold fewer slots.
 */
public final class PerCpuHistogram {

    private static final double LOG2_10 = Math.log(10) / Math.log(2);

    private final long highestTrackableValue;
    private final int significantDigits;
    /** Mantissa bits: values below {@code 2^mantissaBits} are exact. */
    private final int mantissaBits;
    private final PerCpuLongArray counts;

    /**
     * A histogram of values in {@code [0, highestTrackableValue]} with {@code significantDigits}, by cpu_id.
     *
     * @param highestTrackableValue largest value {@link #record} accepts
     * @param significantDigits     {@code d}: every answer is within {@code 10^-d} of a recorded value
     * @throws IllegalArgumentException as {@link #PerCpuHistogram(long, int, PerCpuIndexing)}
     */
    public PerCpuHistogram(long highestTrackableValue, int significantDigits) {
        this(highestTrackableValue, significantDigits, PerCpuIndexing.CPU_ID);
    }

    /**
     * As above, indexed by {@code indexing} (or its cpu_id fallback).
     *
     * @param highestTrackableValue largest value {@link #record} accepts
     * @param significantDigits     {@code d}: every answer is within {@code 10^-d} of a recorded value
     * @param indexing              which number of the running thread picks its slot
     * @throws IllegalArgumentException if {@code significantDigits} is not in {@code [0, 5]} or
     *                                  {@code highestTrackableValue} is below 1
     */
    public PerCpuHistogram(long highestTrackableValue, int significantDigits, PerCpuIndexing indexing) {
        if (significantDigits < 0 || significantDigits > 5) {
            throw new IllegalArgumentException("significantDigits must be in [0, 5]: " + significantDigits);
        }
        if (highestTrackableValue < 1) {
            throw new IllegalArgumentException("highestTrackableValue must be at least 1: " + highestTrackableValue);
        }
        this.highestTrackableValue = highestTrackableValue;
        this.significantDigits = significantDigits;
        this.mantissaBits = 1 + (int) Math.ceil(significantDigits * LOG2_10 - 1e-9);
        this.counts = new PerCpuLongArray(bucketOf(highestTrackableValue, mantissaBits) + 1, indexing);
    }

    /** The bucket of {@code value}: itself below {@code 2^bits}, else shift * 2^(bits-1) + its top bits. */
    private static int bucketOf(long value, int bits) {
        int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(value) - bits);
        return (shift << (bits - 1)) + (int) (value >>> shift);
    }

    /**
     * Counts one {@code value}.
     *
     * @param value the value
     * @throws IllegalArgumentException if {@code value} is negative or above the highest trackable value
     */
    public void record(long value) {
        counts.add(bucket(value), 1);
    }

    /**
     * Counts {@code count} occurrences of {@code value} with one section.
     *
     * @param value the value
     * @param count how many times, at least 0
     * @throws IllegalArgumentException if {@code count} is negative, or as {@link #record}
     */
    public void recordValues(long value, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + count);
        }
        counts.add(bucket(value), count);
    }

    private int bucket(long value) {
        if (value < 0 || value > highestTrackableValue) {
            throw new IllegalArgumentException("value " + value + " outside [0, " + highestTrackableValue + "]");
        }
        return bucketOf(value, mantissaBits);
    }

    /**
     * The counts recorded since the last {@link #snapshotThenReset()}, without resetting.
     *
     * @return a new snapshot
     */
    public Snapshot snapshot() {
        return new Snapshot(counts.sums());
    }

    /**
     * The counts recorded since the last call, and a new interval from now.
     *
     * @return a new snapshot of the interval that ends here
     */
    public Snapshot snapshotThenReset() {
        return new Snapshot(counts.sumThenReset());
    }

    /**
     * Largest value {@link #record} accepts.
     *
     * @return the value given at construction
     */
    public long highestTrackableValue() {
        return highestTrackableValue;
    }

    /**
     * The precision in decimal digits.
     *
     * @return the digits given at construction
     */
    public int significantDigits() {
        return significantDigits;
    }

    /**
     * Number of buckets.
     *
     * @return the length of {@link Snapshot#bucketCounts()}
     */
    public int buckets() {
        return counts.length();
    }

    /**
     * The indexing this histogram uses.
     *
     * @return {@code MM_CID} if asked for and available, else {@code CPU_ID}
     */
    public PerCpuIndexing indexing() {
        return counts.indexing();
    }

    /**
     * Bytes of native memory this histogram holds.
     *
     * @return 8 bytes per bucket per slot, rounded up to lines
     */
    public long nativeBytes() {
        return counts.nativeBytes();
    }

    /**
     * The lowest value that falls in {@code bucket}.
     *
     * @param bucket a bucket number in {@code [0, buckets())}
     * @return its lowest value
     */
    public long lowestValueIn(int bucket) {
        int half = 1 << (mantissaBits - 1);
        if (bucket < 2 * half) {
            return bucket;
        }
        int shift = (bucket >>> (mantissaBits - 1)) - 1;
        return (long) (bucket - (shift << (mantissaBits - 1))) << shift;
    }

    /**
     * The highest value that falls in {@code bucket}.
     *
     * @param bucket a bucket number in {@code [0, buckets())}
     * @return its highest value
     */
    public long highestValueIn(int bucket) {
        return bucket + 1 < counts.length() ? lowestValueIn(bucket + 1) - 1 : highestTrackableValue;
    }

    /** Bucket counts of one interval, and what they say. Immutable. */
    public final class Snapshot {
        private final long[] bucketCounts;
        private final long count;

        private Snapshot(long[] bucketCounts) {
            this.bucketCounts = bucketCounts;
            this.count = Arrays.stream(bucketCounts).sum();
        }

        /**
         * The raw counts.
         *
         * @return a copy; bucket {@code i} holds values {@link #lowestValueIn}(i) .. {@link #highestValueIn}(i)
         */
        public long[] bucketCounts() {
            return bucketCounts.clone();
        }

        /**
         * Values recorded.
         *
         * @return the sum of the bucket counts
         */
        public long count() {
            return count;
        }

        /**
         * The smallest recorded value's bucket top such that at least {@code percentile}% of the values are at
         * or below it (the highest value of that bucket).
         *
         * @param percentile in {@code [0, 100]}
         * @return that value; 0 when empty
         * @throws IllegalArgumentException if {@code percentile} is not in {@code [0, 100]}
         */
        public long percentile(double percentile) {
            if (!(percentile >= 0 && percentile <= 100)) {
                throw new IllegalArgumentException("percentile must be in [0, 100]: " + percentile);
            }
            long rank = Math.max(1, (long) Math.ceil(percentile / 100 * count));
            long seen = 0;
            for (int i = 0; i < bucketCounts.length; i++) {
                seen += bucketCounts[i];
                if (seen >= rank) {
                    return highestValueIn(i);
                }
            }
            return 0;
        }

        /**
         * The highest recorded value, as its bucket's highest value.
         *
         * @return that value; 0 when empty
         */
        public long max() {
            for (int i = bucketCounts.length - 1; i >= 0; i--) {
                if (bucketCounts[i] != 0) {
                    return highestValueIn(i);
                }
            }
            return 0;
        }

        /**
         * The mean, taking each value as its bucket's middle.
         *
         * @return the mean; NaN when empty
         */
        public double mean() {
            double total = 0;
            for (int i = 0; i < bucketCounts.length; i++) {
                if (bucketCounts[i] != 0) {
                    total += bucketCounts[i] * ((lowestValueIn(i) + (double) highestValueIn(i)) / 2);
                }
            }
            return total / count;
        }
    }
}
