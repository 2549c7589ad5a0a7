package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuIndexing;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** PerCpuHistogram's answers against the exact ones and against HdrHistogram on the same data. */
class PerCpuHistogramTest {

    private static final long HIGHEST = 3_600_000_000_000L; // an hour in nanoseconds
    private static final double[] PERCENTILES = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

    /** Latency-like data: log-uniform over nine decades, plus small exact values. */
    private static long[] data(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = i % 10 == 0 ? random.nextLong(100) : (long) Math.pow(10, random.nextDouble(0, 9));
        }
        return values;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void percentilesWithinThePrecisionOfTheExactAndOfHdrHistogram(int digits) {
        long[] values = data(200_000, digits);
        PerCpuHistogram mine = new PerCpuHistogram(HIGHEST, digits);
        Histogram hdr = new Histogram(HIGHEST, digits);
        for (long v : values) {
            mine.record(v);
            hdr.recordValue(v);
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        double precision = Math.pow(10, -digits);
        PerCpuHistogram.Snapshot s = mine.snapshot();
        assertEquals(values.length, s.count());
        for (double p : PERCENTILES) {
            long exact = sorted[(int) Math.max(0, Math.ceil(p / 100 * values.length) - 1)];
            long got = s.percentile(p);
            assertTrue(got >= exact && got <= exact + exact * precision, p + "th: " + got + ", exact " + exact);
            long theirs = hdr.getValueAtPercentile(p);
            assertTrue(Math.abs(got - theirs) <= 2 * precision * exact + 1,
                    p + "th: " + got + ", HdrHistogram " + theirs + ", exact " + exact);
        }
        long max = sorted[sorted.length - 1];
        assertTrue(s.max() >= max && s.max() <= max + max * precision, "max " + s.max() + ", exact " + max);
        double mean = Arrays.stream(values).average().orElseThrow();
        assertEquals(mean, s.mean(), mean * precision, "mean");
        assertEquals(hdr.getMean(), s.mean(), mean * 2 * precision, "mean against HdrHistogram");
    }

    @Test
    void bucketsCoverEveryValueOnceAndExportRawCounts() {
        PerCpuHistogram h = new PerCpuHistogram(1_000_000, 2);
        for (int b = 1; b < h.buckets(); b++) {
            assertEquals(h.highestValueIn(b - 1) + 1, h.lowestValueIn(b), "gap or overlap at bucket " + b);
        }
        assertEquals(0, h.lowestValueIn(0));
        assertEquals(1_000_000, h.highestValueIn(h.buckets() - 1));
        h.recordValues(12_345, 7);
        h.record(0);
        long[] counts = h.snapshotThenReset().bucketCounts();
        assertEquals(8, Arrays.stream(counts).sum());
        assertEquals(1, counts[0]);
        assertEquals(0, h.snapshot().count(), "a new interval after snapshotThenReset");
        assertThrows(IllegalArgumentException.class, () -> h.record(-1));
        assertThrows(IllegalArgumentException.class, () -> h.record(1_000_001));
        assertThrows(IllegalArgumentException.class, () -> h.recordValues(1, -1));
        assertThrows(IllegalArgumentException.class, () -> new PerCpuHistogram(10, 6));
        assertThrows(IllegalArgumentException.class, () -> h.snapshot().percentile(100.5));
    }

    @Test
    void constructorAcceptsItsLimits() {
        PerCpuHistogram h = new PerCpuHistogram(1, 5);
        assertEquals(1, h.highestTrackableValue());
        assertEquals(5, h.significantDigits());
        assertEquals(PerCpuIndexing.CPU_ID, h.indexing());
        assertEquals(2, h.buckets(), "0 and 1");
        assertEquals((PerCpuIndexing.CPU_ID.slots() + 1) * 64L, h.nativeBytes(), "two buckets: a line per slot");
        assertEquals(0, new PerCpuHistogram(1, 0).significantDigits());
        assertThrows(IllegalArgumentException.class, () -> new PerCpuHistogram(0, 2));
        assertThrows(IllegalArgumentException.class, () -> new PerCpuHistogram(1, -1));
    }

    /** Without a significant digit every power of two is one bucket: 0, 1, 2-3, 4-7, ... */
    @Test
    void zeroDigitsMeanOneBucketPerPowerOfTwo() {
        PerCpuHistogram h = new PerCpuHistogram(1024, 0);
        assertEquals(12, h.buckets());
        for (int b = 1; b < h.buckets(); b++) {
            assertEquals(1L << (b - 1), h.lowestValueIn(b), "bucket " + b);
        }
    }

    @Test
    void highestTrackableValueZeroCountsAndEmptySnapshots() {
        PerCpuHistogram h = new PerCpuHistogram(1_000_000, 2);
        assertEquals(0, h.snapshot().percentile(50), "empty");
        assertEquals(0, h.snapshot().max(), "empty");
        h.recordValues(7, 0);
        assertEquals(0, h.snapshot().count(), "a count of 0");
        h.record(1_000_000);
        PerCpuHistogram.Snapshot s = h.snapshot();
        assertEquals(1, s.bucketCounts()[h.buckets() - 1], "the highest trackable value is in the last bucket");
        assertEquals(1_000_000, s.max());
        assertEquals(1_000_000, s.percentile(100));
    }

    /** Issue 17: bucket numbers outside [0, buckets()) are refused, not answered with made-up values. */
    @Test
    void bucketBoundsAreChecked() {
        PerCpuHistogram h = new PerCpuHistogram(1_000_000, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> h.lowestValueIn(-1), "lowestValueIn(-1)");
        assertThrows(IndexOutOfBoundsException.class, () -> h.lowestValueIn(h.buckets()), "lowestValueIn(buckets())");
        assertThrows(IndexOutOfBoundsException.class, () -> h.highestValueIn(Integer.MAX_VALUE),
                "highestValueIn(MAX_VALUE)");
        assertThrows(IndexOutOfBoundsException.class, () -> h.highestValueIn(-1), "highestValueIn(-1)");
        assertEquals(1_000_000, h.highestValueIn(h.buckets() - 1));
    }

    /** Issue 17: counts saturate at Long.MAX_VALUE instead of wrapping to negative totals. */
    @Test
    void countsSaturateInsteadOfWrapping() {
        PerCpuHistogram h = new PerCpuHistogram(1_000_000, 2);
        h.recordValues(5, Long.MAX_VALUE);
        h.recordValues(5, Long.MAX_VALUE);
        h.recordValues(5, Long.MAX_VALUE);
        PerCpuHistogram.Snapshot s = h.snapshot();
        assertEquals(Long.MAX_VALUE, s.count(), "count after three recordValues(5, MAX_VALUE)");
        assertEquals(5, s.percentile(50), "median");
        h.record(7);
        assertEquals(Long.MAX_VALUE, h.snapshot().count(), "a total beyond MAX_VALUE saturates");
        assertEquals(Long.MAX_VALUE, h.snapshotThenReset().bucketCounts()[5]);
        assertEquals(0, h.snapshot().count(), "the next interval starts from zero");
    }
}
