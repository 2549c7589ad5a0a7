package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        assertEquals((PerCpuIndexing.CPU_ID.sectionSlots() + 1) * 64L, h.nativeBytes(), "two buckets: a line per slot");
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

    /** recordAll counts what record would, value by value, and refuses a bad range or value before counting. */
    @Test
    void recordAllCountsAsRecordDoesAndChecksFirst() {
        PerCpuHistogram bulk = new PerCpuHistogram(1_000_000, 3);
        PerCpuHistogram single = new PerCpuHistogram(1_000_000, 3);
        long[] values = new long[300];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) i * i * 11 % 1_000_001;
        }
        bulk.recordAll(values, 5, 300);
        bulk.recordAll(values, 7, 7);
        for (int i = 5; i < 300; i++) {
            single.record(values[i]);
        }
        assertArrayEquals(single.snapshot().bucketCounts(), bulk.snapshot().bucketCounts(), "295 values, 5 calls");
        assertThrows(NullPointerException.class, () -> bulk.recordAll(null, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> bulk.recordAll(values, 10, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> bulk.recordAll(values, 0, 301));
        assertEquals("value 1000001 outside [0, 1000000]; nothing was counted", assertThrows(
                IllegalArgumentException.class, () -> bulk.recordAll(new long[] {1, 2, 1_000_001}, 0, 3)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> bulk.recordAll(new long[] {1, -1}, 0, 2));
        assertEquals(295, bulk.snapshot().count(), "nothing counted by the refused calls");
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

    /** A reporter's loop: snapshotThenReset(reuse) allocates nothing, measured by the JVM's per-thread counter. */
    @Test
    void reusedSnapshotAllocatesNothing() {
        PerCpuHistogram h = new PerCpuHistogram(1_000_000, 2);
        AllocationCounter threads = AllocationCounter.create();
        PerCpuHistogram.Snapshot reuse = h.snapshotThenReset();
        int calls = 2_000;
        int rounds = 5; // the first ones warm up: class loading and compilation allocate
        long total = 0;
        for (int round = 0; round < rounds; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < calls; i++) {
                h.record(i);
                total += h.snapshotThenReset(reuse).count();
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == rounds - 1) {
                assertTrue(allocated < calls, allocated + " bytes allocated by " + calls + " reused snapshots");
            }
        }
        assertEquals((long) rounds * calls, total, "each interval held its one value");
        PerCpuHistogram other = new PerCpuHistogram(HIGHEST, 3);
        assertThrows(IllegalArgumentException.class, () -> other.snapshotThenReset(reuse), "another histogram's");
        assertThrows(NullPointerException.class, () -> h.snapshotThenReset(null));
        h.record(42);
        PerCpuHistogram.Snapshot kept = h.snapshot();
        assertEquals(1, h.snapshotThenReset(kept).count(), "a snapshot() may be reused too");
        assertThrows(IndexOutOfBoundsException.class, () -> kept.bucketCount(h.buckets()));
        assertThrows(IndexOutOfBoundsException.class, () -> kept.bucketCount(-1));
    }

    /**
     * ThreadMXBean's {@code getCurrentThreadAllocatedBytes()}, reached reflectively: the tests compile inside the
     * module, which does not read java.management, and run on the class path. One handle, no boxing per reading.
     */
    private record AllocationCounter(Object bean, java.lang.invoke.MethodHandle allocated) {
        static AllocationCounter create() {
            try {
                Object bean = Class.forName("java.lang.management.ManagementFactory")
                        .getMethod("getThreadMXBean").invoke(null);
                Class<?> type = Class.forName("com.sun.management.ThreadMXBean");
                boolean measured = (boolean) type.getMethod("isThreadAllocatedMemorySupported").invoke(bean)
                        && (boolean) type.getMethod("isThreadAllocatedMemoryEnabled").invoke(bean);
                Assumptions.assumeTrue(measured, "the JVM measures per-thread allocation");
                return new AllocationCounter(bean, java.lang.invoke.MethodHandles.publicLookup()
                        .findVirtual(type, "getCurrentThreadAllocatedBytes",
                                java.lang.invoke.MethodType.methodType(long.class))
                        .asType(java.lang.invoke.MethodType.methodType(long.class, Object.class)));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        long getCurrentThreadAllocatedBytes() {
            try {
                return (long) allocated.invokeExact(bean);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
    }

    @Test
    void percentileDistributionPrintsEveryLevelToTheMax() {
        PerCpuHistogram h = new PerCpuHistogram(HIGHEST, 2);
        for (long v : data(10_000, 3)) {
            h.record(v);
        }
        PerCpuHistogram.Snapshot s = h.snapshot();
        String text = print(s, 1000.0);
        String[] lines = text.split("\n");
        assertTrue(lines[0].contains("Value") && lines[0].contains("Percentile"), text);
        String last = lines[lines.length - 4].trim();
        assertTrue(last.endsWith("1.000000000000      10000"), "the last level is 100% of the count:\n" + text);
        assertEquals(s.max() / 1000.0, Double.parseDouble(last.split(" +")[0]), 0.001, text);
        assertTrue(text.contains(
                String.format(java.util.Locale.US, "StdDeviation   = %12.3f", s.stdDeviation() / 1000)));
        assertTrue(lines.length > 30 && lines.length < 200, lines.length + " lines");
        // A saturated count (2^63 - 1) must not keep halving towards 100% forever.
        PerCpuHistogram huge = new PerCpuHistogram(100, 2);
        huge.recordValues(1, Long.MAX_VALUE);
        huge.recordValues(2, 1);
        assertTrue(print(huge.snapshot(), 1).contains("Total count    = 9223372036854775807"));
        assertTrue(print(new PerCpuHistogram(100, 2).snapshot(), 1).contains("Total count    =            0"));
        assertThrows(IllegalArgumentException.class, () -> s.outputPercentileDistribution(System.out, 0));
        assertThrows(IllegalArgumentException.class, () -> s.outputPercentileDistribution(System.out, Double.NaN));
        assertThrows(NullPointerException.class, () -> s.outputPercentileDistribution(null, 1));
    }

    private static String print(PerCpuHistogram.Snapshot s, double scale) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        s.outputPercentileDistribution(
                new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8), scale);
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Issue 17: the native memory counts against -XX:MaxDirectMemorySize, as each constructor's javadoc says. */
    @Test
    void nativeMemoryCountsAgainstMaxDirectMemorySize() {
        ForkedJvm.Result result = ForkedJvm.run(DirectMemoryLimit.class, java.util.Map.of(),
                java.util.List.of("-XX:MaxDirectMemorySize=512k"));
        assertEquals(0, result.exitCode(), result::describe);
    }

    public static final class DirectMemoryLimit {
        public static void main(String[] args) {
            try {
                new PerCpuHistogram(HIGHEST, 3);
                System.out.println("FAIL: no OutOfMemoryError");
                System.exit(1);
            } catch (OutOfMemoryError expected) {
                if (!String.valueOf(expected.getMessage()).contains("direct buffer memory")) {
                    System.out.println("FAIL: " + expected);
                    System.exit(1);
                }
            }
        }
    }
}
