package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuHistogram;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PerCpuHistogram's snapshots in HdrHistogram's formats, read back by HdrHistogram itself. */
class HdrHistogramFormatTest {

    private static final long HIGHEST = 3_600_000_000_000L;

    /** With 4 or 5 digits an hour in nanoseconds takes millions of buckets per CPU: a smaller range, same scheme. */
    private static long highest(int digits) {
        return digits >= 4 ? 1L << 24 : HIGHEST;
    }

    /** Latency-like values, log-uniform over the range, with some exact small ones and the extremes. */
    private static void fill(PerCpuHistogram mine, Histogram hdr, long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        long highest = mine.highestTrackableValue();
        for (int i = 0; i < n; i++) {
            long v = i % 10 == 0
                    ? random.nextLong(100)
                    : (long) Math.pow(10, random.nextDouble(0, Math.log10(highest)));
            mine.record(v);
            hdr.recordValue(v);
        }
        mine.record(highest);
        hdr.recordValue(highest);
    }

    /** Every bucket is exactly HdrHistogram's equivalent-value range (lowest discernible value 1). */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void bucketsAreHdrHistogramsCountsIndices(int digits) {
        PerCpuHistogram mine = new PerCpuHistogram(highest(digits), digits);
        Histogram hdr = new Histogram(highest(digits), digits);
        for (int b = 0; b < mine.buckets() - 1; b++) {
            long lowest = mine.lowestValueIn(b);
            assertEquals(lowest, hdr.lowestEquivalentValue(lowest),
                    "bucket " + b + " starts where HdrHistogram's does");
            assertEquals(mine.highestValueIn(b), hdr.highestEquivalentValue(lowest), "bucket " + b + " ends alike");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void compressedEncodingDecodesWithEveryCountAtItsValue(int digits) throws Exception {
        PerCpuHistogram mine = new PerCpuHistogram(highest(digits), digits);
        Histogram hdr = new Histogram(highest(digits), digits);
        fill(mine, hdr, digits, 50_000);
        PerCpuHistogram.Snapshot snapshot = mine.snapshot();
        byte[] bytes = snapshot.toHdrCompressed();
        Histogram decoded = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
        assertCountsEqual(mine, snapshot, decoded);
        assertEquals(hdr, decoded, "the same histogram as HdrHistogram's own recording");
        ByteBuffer theirs = ByteBuffer.allocate(hdr.getNeededByteBufferCapacity());
        int length = hdr.encodeIntoCompressedByteBuffer(theirs);
        assertArrayEquals(java.util.Arrays.copyOf(theirs.array(), length), bytes,
                "byte for byte HdrHistogram's encoding");
    }

    /** Counts needing 8 and 9 bytes of LEB128, long zero runs, a single zero, and a saturated count. */
    @Test
    void extremeCountsAndEmptyDecode() throws Exception {
        PerCpuHistogram mine = new PerCpuHistogram(1L << 40, 2);
        assertEquals(0, decode(mine.snapshot()).getTotalCount(), "empty");
        mine.recordValues(0, (1L << 56) - 1);
        mine.recordValues(2, 1L << 56);
        mine.recordValues(5, Long.MAX_VALUE);
        mine.recordValues(1L << 40, 3);
        PerCpuHistogram.Snapshot snapshot = mine.snapshot();
        Histogram decoded = decode(snapshot);
        assertCountsEqual(mine, snapshot, decoded);
        assertEquals(Long.MAX_VALUE, decoded.getCountAtValue(5));
        PerCpuHistogram tiny = new PerCpuHistogram(1, 3);
        tiny.record(1);
        Histogram fromTiny = decode(tiny.snapshot());
        assertEquals(1, fromTiny.getCountAtValue(1),
                "highest trackable value 1 is written as HdrHistogram's minimum 2");
    }

    @Test
    void intervalLogIsReadBackByHistogramLogReader() throws Exception {
        PerCpuHistogram mine = new PerCpuHistogram(HIGHEST, 3);
        StringBuilder log = new StringBuilder();
        long base = mine.snapshot().startTimeMillis();
        PerCpuHistogram.appendLogHeader(log, base);
        PerCpuHistogram.Snapshot[] intervals = new PerCpuHistogram.Snapshot[3];
        for (int i = 0; i < intervals.length; i++) {
            fill(mine, new Histogram(HIGHEST, 3), i, 10_000 * (i + 1));
            Thread.sleep(20);
            intervals[i] = mine.snapshotThenReset();
            intervals[i].appendLogLine(log, base);
        }
        assertEquals(intervals[0].endTimeMillis(), intervals[1].startTimeMillis(), "intervals follow each other");
        HistogramLogReader reader =
                new HistogramLogReader(new ByteArrayInputStream(log.toString().getBytes(StandardCharsets.US_ASCII)));
        for (PerCpuHistogram.Snapshot interval : intervals) {
            Histogram read = (Histogram) reader.nextIntervalHistogram();
            assertCountsEqual(mine, interval, read);
            assertEquals(interval.startTimeMillis(), read.getStartTimeStamp(), 1, "start, to the log's millisecond");
            assertEquals(interval.endTimeMillis(), read.getEndTimeStamp(), 1, "end, to the log's millisecond");
        }
        assertNull(reader.nextIntervalHistogram(), "three intervals:\n" + log);
        assertThrows(NullPointerException.class, () -> PerCpuHistogram.appendLogHeader(null, base));
        assertThrows(NullPointerException.class, () -> intervals[0].appendLogLine(null, base));
    }

    @Test
    void expectedIntervalRecordsWhatHdrHistogramRecords() {
        PerCpuHistogram mine = new PerCpuHistogram(HIGHEST, 2);
        Histogram hdr = new Histogram(HIGHEST, 2);
        long[][] cases = {{10_000_000, 1_000}, {1_000, 1_000}, {999, 1_000}, {5, 0}, {5, -1}, {123_456, 7}, {3_000, 1}};
        for (long[] c : cases) {
            mine.recordValueWithExpectedInterval(c[0], c[1]);
            hdr.recordValueWithExpectedInterval(c[0], c[1]);
        }
        assertCountsEqual(mine, mine.snapshot(), hdr);
        assertThrows(IllegalArgumentException.class, () -> mine.recordValueWithExpectedInterval(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> mine.recordValueWithExpectedInterval(HIGHEST + 1, 10));
    }

    @Test
    void minStdDeviationAndAddAgreeWithHdrHistogram() {
        PerCpuHistogram mine = new PerCpuHistogram(HIGHEST, 3);
        Histogram hdr = new Histogram(HIGHEST, 3);
        fill(mine, hdr, 7, 20_000);
        PerCpuHistogram.Snapshot first = mine.snapshotThenReset();
        fill(mine, hdr, 8, 20_000);
        PerCpuHistogram.Snapshot both = first.add(mine.snapshotThenReset());
        assertCountsEqual(mine, both, hdr);
        assertEquals(hdr.getMinValue(), both.min());
        assertEquals(hdr.getStdDeviation(), both.stdDeviation(), hdr.getStdDeviation() * 1e-3);
        assertEquals(first.startTimeMillis(), both.startTimeMillis());
        assertTrue(both.endTimeMillis() >= first.endTimeMillis());
        assertTrue(Double.isNaN(mine.snapshot().stdDeviation()), "empty");
        assertEquals(0, mine.snapshot().min(), "empty");
        assertThrows(IllegalArgumentException.class, () -> both.add(new PerCpuHistogram(HIGHEST, 2).snapshot()));
        assertThrows(IllegalArgumentException.class, () -> both.add(new PerCpuHistogram(HIGHEST - 1, 3).snapshot()));
        assertThrows(NullPointerException.class, () -> both.add(null));
        PerCpuHistogram same = new PerCpuHistogram(HIGHEST, 3);
        same.recordValues(5, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, both.add(same.snapshot()).count(), "the sum saturates");
    }

    private static Histogram decode(PerCpuHistogram.Snapshot snapshot) throws Exception {
        return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(snapshot.toHdrCompressed()), 0);
    }

    private static void assertCountsEqual(PerCpuHistogram mine, PerCpuHistogram.Snapshot snapshot, Histogram hdr) {
        for (int b = 0; b < mine.buckets(); b++) {
            long value = mine.lowestValueIn(b);
            assertEquals(snapshot.bucketCount(b), hdr.getCountAtValue(value), "count at " + value);
        }
        if (snapshot.count() < Long.MAX_VALUE) { // HdrHistogram's own total wraps
            assertEquals(snapshot.count(), hdr.getTotalCount(), "total");
        }
        // HdrHistogram's max is its bucket's top; the last bucket here stops at the highest trackable value.
        assertEquals(Math.min(hdr.getMaxValue(), mine.highestTrackableValue()), snapshot.max(), "max");
    }
}
