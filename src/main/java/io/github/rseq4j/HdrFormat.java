package io.github.rseq4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.zip.Deflater;

/**
 * Package-private machinery, not API.
 * HdrHistogram's V2 encoding and interval log (.hlog), written from bucket counts laid out as HdrHistogram lays out
 * its counts array with a lowest discernible value of 1: {@link PerCpuHistogram}'s bucket {@code i} is
 * HdrHistogram's counts index {@code i}, so the counts are written as they are.
 */
final class HdrFormat {
    private HdrFormat() {}

    /** V2 cookies: the base with the word-size nibble 0x10 that marks ZigZag LEB128 counts. */
    private static final int COOKIE = 0x1c849303 | 0x10;
    private static final int COMPRESSED_COOKIE = 0x1c849304 | 0x10;
    /** Cookie, payload length, normalizing index offset, digits, lowest, highest, conversion ratio. */
    private static final int HEADER_BYTES = 40;
    /** A ZigZag LEB128 long takes at most 9 bytes: the ninth carries 8 bits. */
    private static final int MAX_VARINT_BYTES = 9;
    /** HdrHistogram refuses a highest trackable value below twice the lowest discernible one. */
    private static final long LOWEST_HIGHEST = 2;

    static final String LOG_VERSION = "1.3";
    static final String LOG_LEGEND =
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"";

    /** The compressed V2 encoding: cookie, length, then the deflated (zlib) header and counts. */
    static byte[] compressed(long[] counts, int significantDigits, long highestTrackableValue) {
        byte[] plain = encode(counts, significantDigits, highestTrackableValue);
        Deflater deflater = new Deflater();
        try {
            deflater.setInput(plain);
            deflater.finish();
            byte[] out = new byte[8 + plain.length + 64];
            int length = 8;
            while (!deflater.finished()) {
                if (length == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                length += deflater.deflate(out, length, out.length - length);
            }
            ByteBuffer.wrap(out).putInt(COMPRESSED_COOKIE).putInt(length - 8);
            return Arrays.copyOf(out, length);
        } finally {
            deflater.end();
        }
    }

    /** The uncompressed V2 encoding: the header, then counts up to the last nonzero one, runs of zeros as -run. */
    private static byte[] encode(long[] counts, int significantDigits, long highestTrackableValue) {
        int limit = counts.length;
        while (limit > 1 && counts[limit - 1] == 0) {
            limit--;
        }
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + MAX_VARINT_BYTES * limit);
        buffer.putInt(COOKIE).putInt(0).putInt(0).putInt(significantDigits)
                .putLong(1).putLong(Math.max(LOWEST_HIGHEST, highestTrackableValue)).putDouble(1.0);
        for (int i = 0; i < limit;) {
            long count = counts[i++];
            long zeros = 0;
            if (count == 0) {
                for (zeros = 1; i < limit && counts[i] == 0; i++) {
                    zeros++;
                }
            }
            putZigZag(buffer, zeros > 1 ? -zeros : count);
        }
        buffer.putInt(4, buffer.position() - HEADER_BYTES);
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** ZigZag, then LEB128 in 7-bit groups, low first; the ninth byte, if reached, holds the last 8 bits whole. */
    private static void putZigZag(ByteBuffer buffer, long value) {
        long zigZag = (value << 1) ^ (value >> 63);
        for (int i = 1; i < MAX_VARINT_BYTES && (zigZag >>> 7) != 0; i++) {
            buffer.put((byte) (zigZag & 0x7F | 0x80));
            zigZag >>>= 7;
        }
        buffer.put((byte) zigZag);
    }

    /** The log's header lines: version, start time, base time (timestamps below are relative to it), legend. */
    static void appendLogHeader(Appendable out, long startTimeMillis) throws IOException {
        out.append("#[Histogram log format version " + LOG_VERSION + "]\n");
        out.append(String.format(Locale.US, "#[StartTime: %.3f (seconds since epoch), %s]\n",
                startTimeMillis / 1000.0, Instant.ofEpochMilli(startTimeMillis)));
        out.append(String.format(Locale.US, "#[BaseTime: %.3f (seconds since epoch)]\n", startTimeMillis / 1000.0));
        out.append(LOG_LEGEND).append('\n');
    }

    /** One interval line: start (seconds after the base time), length (seconds), max, base64 of the encoding. */
    static void appendLogLine(Appendable out, long baseTimeMillis, long startTimeMillis, long endTimeMillis, long max,
            byte[] compressed) throws IOException {
        out.append(String.format(Locale.US, "%.3f,%.3f,%.3f,%s\n", (startTimeMillis - baseTimeMillis) / 1000.0,
                (endTimeMillis - startTimeMillis) / 1000.0, (double) max,
                Base64.getEncoder().encodeToString(compressed)));
    }
}
