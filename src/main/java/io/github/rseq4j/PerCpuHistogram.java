package io.github.rseq4j;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

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
 * <p>This is HdrHistogram's bucket scheme with a lowest discernible value of 1 ({@code unitMagnitude} 0): for the
 * same significant digits its {@code subBucketCount} is {@code 2^m}, and bucket {@code i} here is index {@code i}
 * of its counts array. So {@link Snapshot#toHdrCompressed()} and {@link Snapshot#appendLogLine} write the counts
 * unchanged in HdrHistogram's V2 compressed encoding and interval log, which HdrHistogram's
 * {@code Histogram.decodeFromCompressedByteBuffer} and {@code HistogramLogReader} read back exactly.
 *
 * <p>{@link #snapshotThenReset()} starts a new interval: every recorded value lands in exactly one snapshot
 * (one racing with the call lands in this one or the next). {@link #snapshot()} reads without resetting.
 * Neither is atomic across buckets while threads record, as with any per-CPU sum. A reporter that runs every
 * second passes its previous snapshot back to {@link #snapshotThenReset(Snapshot)}, which refills it and
 * allocates nothing.
 *
 * <p>Counts saturate: a bucket's count in one interval, and every total, stops at {@link Long#MAX_VALUE} instead
 * of wrapping. {@link #recordValues} with a count above {@value #LARGE_COUNT} checks the bucket's total under a
 * lock and adds only what fits; smaller counts take the lock-free path, and a snapshot reads a bucket that went
 * past {@code Long.MAX_VALUE} on it as {@code Long.MAX_VALUE}. (Only more than 2^48 lock-free calls into one bucket
 * in one interval, months of nothing else, could wrap past 2^64 unseen.)
 *
 * <p>Memory: 8 bytes per bucket per slot ({@link #nativeBytes()}); index by {@link PerCpuIndexing#MM_CID} to hold
 * fewer slots.
 */
public final class PerCpuHistogram {

    /** Above this, {@link #recordValues} adds under the lock, so that a bucket saturates (see the class comment). */
    static final long LARGE_COUNT = 1L << 16;

    private static final double LOG2_10 = Math.log(10) / Math.log(2);

    private final long highestTrackableValue;
    private final int significantDigits;
    /** Mantissa bits: values below {@code 2^mantissaBits} are exact. */
    private final int mantissaBits;
    private final PerCpuLongArray counts;
    /** When the current interval began (ms since the epoch); written under {@link #counts}' lock, read volatile. */
    private volatile long intervalStartMillis = System.currentTimeMillis();

    /**
     * A histogram of values in {@code [0, highestTrackableValue]} with {@code significantDigits}, by cpu_id.
     *
     * <p>Its native memory ({@link #nativeBytes()}: 8 bytes per bucket per slot) is allocated as direct memory and
     * counts against {@code -XX:MaxDirectMemorySize}; past that limit the constructor throws
     * {@link OutOfMemoryError} ("Cannot reserve ... bytes of direct buffer memory"). The garbage collector frees it
     * with the histogram.
     *
     * @param highestTrackableValue largest value {@link #record} accepts
     * @param significantDigits     {@code d}: every answer is within {@code 10^-d} of a recorded value
     * @throws IllegalArgumentException as {@link #PerCpuHistogram(long, int, PerCpuIndexing)}
     */
    public PerCpuHistogram(long highestTrackableValue, int significantDigits) {
        this(highestTrackableValue, significantDigits, PerCpuIndexing.CPU_ID);
    }

    /**
     * As above, indexed by {@code indexing} (or its cpu_id fallback). Its native memory counts against
     * {@code -XX:MaxDirectMemorySize}, as {@link #PerCpuHistogram(long, int)} says.
     *
     * @param highestTrackableValue largest value {@link #record} accepts
     * @param significantDigits     {@code d}: every answer is within {@code 10^-d} of a recorded value
     * @param indexing              which number of the running thread picks its slot
     * @throws IllegalArgumentException if {@code significantDigits} is not in {@code [0, 5]} or
     *                                  {@code highestTrackableValue} is below 1
     * @throws NullPointerException     if {@code indexing} is null
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
        counts.addAt(counts.offsetOf(bucket(value)), 1); // a bucket of a checked value is in range
    }

    /**
     * Counts each of {@code values[from]} to {@code values[to - 1]}, as {@link #record} does one by one, in up to
     * 64 values per downcall: each value is still its own rseq section, so an abort repeats only the value it
     * interrupted. For values gathered in bursts (an event loop's tick, a batch of latencies). Every value is
     * checked before any is counted.
     *
     * @param values the values
     * @param from   the first position of {@code values} to read
     * @param to     one past the last position to read
     * @throws NullPointerException      if {@code values} is null
     * @throws IndexOutOfBoundsException if {@code [from, to)} is not within {@code values}
     * @throws IllegalArgumentException  if a value read is negative or above the highest trackable value; nothing
     *                                   is counted then
     */
    public void recordAll(long[] values, int from, int to) {
        Objects.checkFromToIndex(from, to, values.length);
        for (int i = from + PerCpuSlots.BATCH; i < to; i++) { // the first batch checks its own as it lists them
            if (Long.compareUnsigned(values[i], highestTrackableValue) > 0) {
                throw notTrackable(values[i], 0);
            }
        }
        long offsets = PerCpuSlots.offsets();
        for (int at = from; at < to;) {
            int count = Math.min(to - at, PerCpuSlots.BATCH);
            for (int i = 0; i < count; i++) {
                long value = values[at + i]; // read once: the bucket listed is of the value checked
                if (Long.compareUnsigned(value, highestTrackableValue) > 0) {
                    throw notTrackable(value, at - from);
                }
                PerCpuSlots.set(offsets + (long) i * Long.BYTES, counts.offsetOf(bucketOf(value, mantissaBits)));
            }
            if (counts.addEach(offsets, count, 1) < count) { // a checked value's bucket is always in range
                throw new IllegalStateException("a bucket of a checked value was refused");
            }
            at += count;
        }
    }

    /**
     * Counts {@code count} occurrences of {@code value} with one section; a count above {@value #LARGE_COUNT} adds
     * under a lock, and a bucket whose interval total would pass {@link Long#MAX_VALUE} stops there (saturates).
     *
     * @param value the value
     * @param count how many times, at least 0
     * @throws IllegalArgumentException if {@code count} is negative, or as {@link #record}
     */
    public void recordValues(long value, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0: " + count);
        }
        int bucket = bucket(value);
        if (count <= LARGE_COUNT) {
            counts.add(bucket, count);
        } else {
            addSaturating(bucket, count);
        }
    }

    /** Under the lock of {@link PerCpuLongArray#sumThenReset}, so that the interval total read stays this one's. */
    private void addSaturating(int bucket, long count) {
        synchronized (counts) {
            long total = counts.sum(bucket);
            long room = total < 0 ? 0 : Long.MAX_VALUE - total;
            counts.add(bucket, Math.min(count, room));
        }
    }

    /**
     * Counts {@code value}, and when it exceeds {@code expectedInterval}, the values a sampler with that interval
     * would have seen while this one was stalled: {@code value - expectedInterval}, {@code value -
     * 2*expectedInterval}, ..., down to {@code expectedInterval} (HdrHistogram's correction for coordinated
     * omission, {@code recordValueWithExpectedInterval}, with the same counts). One section per bucket touched.
     *
     * @param value            the value
     * @param expectedInterval the interval between samples; 0 or less records {@code value} alone
     * @throws IllegalArgumentException as {@link #record}
     */
    public void recordValueWithExpectedInterval(long value, long expectedInterval) {
        record(value);
        if (expectedInterval <= 0) {
            return;
        }
        // The missing values form a descending run with step expectedInterval; count each bucket's share at once.
        for (long missing = value - expectedInterval; missing >= expectedInterval;) {
            int bucket = bucketOf(missing, mantissaBits);
            long floor = Math.max(lowestValueIn(bucket), expectedInterval);
            long inBucket = (missing - floor) / expectedInterval + 1;
            counts.add(bucket, inBucket);
            missing -= inBucket * expectedInterval;
        }
    }

    private int bucket(long value) {
        checkValue(value);
        return bucketOf(value, mantissaBits);
    }

    private void checkValue(long value) {
        if (Long.compareUnsigned(value, highestTrackableValue) > 0) { // a negative value is above it, unsigned
            throw new IllegalArgumentException(outside(value));
        }
    }

    private String outside(long value) {
        return "value " + value + " outside [0, " + highestTrackableValue + "]";
    }

    /** {@link #recordAll}'s refusal of {@code value} after {@code done} values. */
    private IllegalArgumentException notTrackable(long value, int done) {
        return new IllegalArgumentException(outside(value) + PerCpuLongArray.changedWhileAdding(done, "counted"));
    }

    /**
     * The counts recorded since the last {@link #snapshotThenReset()}, without resetting; the interval is from
     * then to now.
     *
     * @return a new snapshot
     */
    public Snapshot snapshot() {
        Snapshot snapshot = new Snapshot();
        counts.sums(snapshot.bucketCounts);
        return snapshot.completed(intervalStartMillis, System.currentTimeMillis());
    }

    /**
     * The counts recorded since the last call, and a new interval from now.
     *
     * @return a new snapshot of the interval that ends here
     */
    public Snapshot snapshotThenReset() {
        return snapshotThenReset(new Snapshot());
    }

    /**
     * {@link #snapshotThenReset()} into {@code reuse}, which is overwritten and returned: nothing is allocated, so a
     * reporter can call it every second without garbage. {@code reuse} must not be read by another thread meanwhile.
     *
     * @param reuse a snapshot of this histogram, from any of its snapshot methods
     * @return {@code reuse}, now holding the interval that ends here
     * @throws NullPointerException     if {@code reuse} is null
     * @throws IllegalArgumentException if {@code reuse} belongs to another histogram
     */
    public Snapshot snapshotThenReset(Snapshot reuse) {
        Objects.requireNonNull(reuse, "reuse");
        if (reuse.histogram() != this) {
            throw new IllegalArgumentException("the snapshot to reuse belongs to another histogram");
        }
        synchronized (counts) {
            long start = intervalStartMillis;
            long end = System.currentTimeMillis();
            counts.sumThenReset(reuse.bucketCounts);
            intervalStartMillis = end;
            return reuse.completed(start, end);
        }
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
     * Writes the header of an HdrHistogram interval log (.hlog): the format version, the start time, a base time
     * equal to it (so that {@link Snapshot#appendLogLine} writes times relative to it), and the column legend.
     * HdrHistogram's {@code HistogramLogReader} reads what follows.
     *
     * @param out             where to write, e.g. a {@code PrintStream} or {@code Writer}
     * @param startTimeMillis the log's start and base time, ms since the epoch
     * @throws IOException          as {@code out} throws it
     * @throws NullPointerException if {@code out} is null
     */
    public static void appendLogHeader(Appendable out, long startTimeMillis) throws IOException {
        HdrFormat.appendLogHeader(Objects.requireNonNull(out, "out"), startTimeMillis);
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
     * @throws IndexOutOfBoundsException if {@code bucket} is not in {@code [0, buckets())}
     */
    public long lowestValueIn(int bucket) {
        Objects.checkIndex(bucket, counts.length());
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
     * @throws IndexOutOfBoundsException if {@code bucket} is not in {@code [0, buckets())}
     */
    public long highestValueIn(int bucket) {
        Objects.checkIndex(bucket, counts.length());
        return bucket + 1 < counts.length() ? lowestValueIn(bucket + 1) - 1 : highestTrackableValue;
    }

    /**
     * Bucket counts of one interval, its start and end time, and what they say. A snapshot changes only when it is
     * passed to {@link #snapshotThenReset(Snapshot)}; otherwise it is immutable.
     */
    public final class Snapshot {
        /** One count per bucket; each at most {@code Long.MAX_VALUE} once {@link #completed} ran. */
        private final long[] bucketCounts = new long[counts.length()];
        private long count;
        private long startTimeMillis;
        private long endTimeMillis;

        private Snapshot() {}

        /** Saturates counts that went past {@code Long.MAX_VALUE}, totals them, and stamps the interval. */
        private Snapshot completed(long start, long end) {
            long total = 0;
            for (int i = 0; i < bucketCounts.length; i++) {
                if (bucketCounts[i] < 0) {
                    bucketCounts[i] = Long.MAX_VALUE;
                }
                total = saturatedAdd(total, bucketCounts[i]);
            }
            count = total;
            startTimeMillis = start;
            endTimeMillis = end;
            return this;
        }

        private static long saturatedAdd(long a, long b) {
            long sum = a + b;
            return sum < 0 ? Long.MAX_VALUE : sum; // both are non-negative
        }

        private PerCpuHistogram histogram() {
            return PerCpuHistogram.this;
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
         * The count of one bucket, without copying the array.
         *
         * @param bucket a bucket number in {@code [0, buckets())}
         * @return its count, at most {@code Long.MAX_VALUE}
         * @throws IndexOutOfBoundsException if {@code bucket} is not in {@code [0, buckets())}
         */
        public long bucketCount(int bucket) {
            return bucketCounts[Objects.checkIndex(bucket, bucketCounts.length)];
        }

        /**
         * Values recorded.
         *
         * @return the sum of the bucket counts, saturated at {@code Long.MAX_VALUE}
         */
        public long count() {
            return count;
        }

        /**
         * When the interval began: the previous {@link #snapshotThenReset()}, or the histogram's construction.
         *
         * @return milliseconds since the epoch
         */
        public long startTimeMillis() {
            return startTimeMillis;
        }

        /**
         * When the interval ended: when this snapshot was taken.
         *
         * @return milliseconds since the epoch
         */
        public long endTimeMillis() {
            return endTimeMillis;
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
            int bucket = bucketAtRank(rank(percentile));
            return bucket < 0 ? 0 : highestValueIn(bucket);
        }

        private long rank(double percentile) {
            return Math.max(1, (long) Math.ceil(percentile / 100 * count));
        }

        /** The first bucket at which the running total reaches {@code rank}, or -1. */
        private int bucketAtRank(long rank) {
            long seen = 0;
            for (int i = 0; i < bucketCounts.length; i++) {
                seen = saturatedAdd(seen, bucketCounts[i]);
                if (seen >= rank) {
                    return i;
                }
            }
            return -1;
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
         * The lowest recorded value, as its bucket's lowest value.
         *
         * @return that value; 0 when empty
         */
        public long min() {
            int bucket = bucketAtRank(1);
            return bucket < 0 ? 0 : lowestValueIn(bucket);
        }

        /** The value each count in {@code bucket} stands for: the bucket's middle. */
        private double middleOf(int bucket) {
            return (lowestValueIn(bucket) + (double) highestValueIn(bucket)) / 2;
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
                    total += bucketCounts[i] * middleOf(i);
                }
            }
            return total / count;
        }

        /**
         * The population standard deviation, taking each value as its bucket's middle (as {@link #mean()}).
         *
         * @return the standard deviation; NaN when empty
         */
        public double stdDeviation() {
            double mean = mean();
            double total = 0;
            for (int i = 0; i < bucketCounts.length; i++) {
                if (bucketCounts[i] != 0) {
                    double deviation = middleOf(i) - mean;
                    total += deviation * deviation * bucketCounts[i];
                }
            }
            return Math.sqrt(total / count);
        }

        /**
         * A new snapshot with the counts of both (saturated at {@code Long.MAX_VALUE}), from the earlier start to the
         * later end: how intervals, or the histograms of several processes, are combined.
         *
         * @param other a snapshot of a histogram with the same highest trackable value and significant digits
         * @return the sum, a snapshot of this one's histogram
         * @throws NullPointerException     if {@code other} is null
         * @throws IllegalArgumentException if {@code other}'s histogram has another bucket layout
         */
        public Snapshot add(Snapshot other) {
            PerCpuHistogram theirs = Objects.requireNonNull(other, "other").histogram();
            if (theirs.highestTrackableValue != highestTrackableValue
                    || theirs.significantDigits != significantDigits) {
                throw new IllegalArgumentException("cannot add a snapshot of a histogram with highest trackable value "
                        + theirs.highestTrackableValue + " and " + theirs.significantDigits + " digits to one with "
                        + highestTrackableValue + " and " + significantDigits);
            }
            Snapshot sum = new Snapshot();
            for (int i = 0; i < bucketCounts.length; i++) {
                sum.bucketCounts[i] = saturatedAdd(bucketCounts[i], other.bucketCounts[i]);
            }
            return sum.completed(Math.min(startTimeMillis, other.startTimeMillis),
                    Math.max(endTimeMillis, other.endTimeMillis));
        }

        /**
         * The counts in HdrHistogram's V2 compressed encoding (as its {@code encodeIntoCompressedByteBuffer}
         * writes): {@code Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0)} gives a histogram with
         * every count at its value, a lowest discernible value of 1, this histogram's significant digits and
         * highest trackable value (at least 2, HdrHistogram's minimum). Timestamps are not part of the encoding.
         *
         * @return a new array
         */
        public byte[] toHdrCompressed() {
            return HdrFormat.compressed(bucketCounts, significantDigits, highestTrackableValue);
        }

        /**
         * Writes this interval as a line of HdrHistogram's interval log (.hlog): its start in seconds after
         * {@code baseTimeMillis}, its length in seconds, its {@link #max()} (unscaled) and the base64 of
         * {@link #toHdrCompressed()}. Write the header first with {@link PerCpuHistogram#appendLogHeader}, with the
         * same base time.
         *
         * @param out            where to write
         * @param baseTimeMillis the log's base time, ms since the epoch
         * @throws IOException          as {@code out} throws it
         * @throws NullPointerException if {@code out} is null
         */
        public void appendLogLine(Appendable out, long baseTimeMillis) throws IOException {
            HdrFormat.appendLogLine(Objects.requireNonNull(out, "out"), baseTimeMillis, startTimeMillis, endTimeMillis,
                    max(), toHdrCompressed());
        }

        /**
         * Prints the percentile distribution as HdrHistogram's {@code outputPercentileDistribution} lays it out:
         * value, percentile, running count and {@code 1/(1-percentile)}, five lines per halving of the distance
         * to 100%, then the mean, standard deviation, max and count.
         *
         * @param out           where to print
         * @param valueUnitScale values are divided by this (e.g. 1000.0 to print microseconds as milliseconds)
         * @throws NullPointerException     if {@code out} is null
         * @throws IllegalArgumentException if {@code valueUnitScale} is not positive and finite
         */
        public void outputPercentileDistribution(PrintStream out, double valueUnitScale) {
            Objects.requireNonNull(out, "out");
            if (!(valueUnitScale > 0 && valueUnitScale < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("valueUnitScale must be positive and finite: " + valueUnitScale);
            }
            out.format(Locale.US, "%12s %14s %10s %14s%n%n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
            long seen = 0;
            int bucket = -1;
            for (double level = 0; count > 0 && seen < count;) {
                long rank = rank(level);
                while (seen < rank) {
                    seen = saturatedAdd(seen, bucketCounts[++bucket]);
                }
                double fraction = level / 100;
                if (seen < count) {
                    out.format(Locale.US, "%12.3f %1.12f %10d %14.2f%n", highestValueIn(bucket) / valueUnitScale,
                            fraction, seen, 1 / (1 - fraction));
                    level = nextLevel(level);
                } else {
                    out.format(Locale.US, "%12.3f %1.12f %10d%n", highestValueIn(bucket) / valueUnitScale, 1.0, seen);
                }
            }
            out.format(Locale.US, "#[Mean    = %12.3f, StdDeviation   = %12.3f]%n", mean() / valueUnitScale,
                    stdDeviation() / valueUnitScale);
            out.format(Locale.US, "#[Min     = %12.3f, Max            = %12.3f]%n", min() / valueUnitScale,
                    max() / valueUnitScale);
            out.format(Locale.US, "#[Buckets = %12d, Total count    = %12d]%n", bucketCounts.length, count);
        }

        /**
         * Five steps per halving of the distance to 100%: 10% apart below 50%, 5% to 75%, 2.5% to 87.5% ...; 100 once
         * the step no longer moves the double (a huge count could otherwise never reach its last rank).
         */
        private static double nextLevel(double level) {
            double next = level + 100 / (5 * Math.pow(2, Math.floor(Math.log(100 / (100 - level)) / Math.log(2)) + 1));
            return next > level && next < 100 ? next : 100;
        }
    }
}
