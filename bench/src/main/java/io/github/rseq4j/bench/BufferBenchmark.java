package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One record pushed and popped through {@link PerCpuBuffer}'s memcpy sections (trymemcpy-storev both ways),
 * at sizes from a small record to {@link PerCpuBuffer#MAX_RECORD_BYTES}: the copy runs inside the section, so
 * this shows what the record-size cap bounds. Each JMH thread has its own buffer and records (Scope.Thread).
 */
public class BufferBenchmark extends BenchmarkBase {

    @State(Scope.Thread)
    public static class Records {
        @Param({"16", "64", "256", "4096"})
        public int recordBytes;

        PerCpuBuffer buffer;
        MemorySegment in;
        MemorySegment out;

        @Setup
        public void allocate() {
            buffer = new PerCpuBuffer(4, recordBytes);
            in = Arena.ofAuto().allocate(recordBytes, 8);
            out = Arena.ofAuto().allocate(recordBytes, 8);
        }
    }

    /** A push then a pop; the pop may find another CPU's buffer after a migration, which the result shows. */
    @Benchmark
    public boolean pushPop(Records r) {
        return r.buffer.push(r.in) & r.buffer.pop(r.out);
    }
}
