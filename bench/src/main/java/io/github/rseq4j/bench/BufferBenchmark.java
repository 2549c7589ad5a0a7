package io.github.rseq4j.bench;

import io.github.rseq4j.PerCpuBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One record pushed and popped through {@link PerCpuBuffer}'s record sections (pushRecord and popRecord),
 * at sizes from a small record to {@link PerCpuBuffer#MAX_RECORD_BYTES}: the copy runs inside the section, so
 * this shows what the record-size cap bounds. The records come from each kind of arena, since FFM checks and
 * holds a record's arena for the copy as for any access (nothing for an automatic arena, a thread check and a
 * count for a confined one, an atomic count for a shared one). Each JMH thread has its own buffer and records
 * (Scope.Thread, so a confined arena belongs to the benchmark thread).
 */
public class BufferBenchmark extends BenchmarkBase {

    @State(Scope.Thread)
    public static class Records {
        @Param({"16", "64", "256", "4096"})
        public int recordBytes;

        @Param({"auto", "confined", "shared"})
        public String arena;

        PerCpuBuffer buffer;
        Arena owner;
        MemorySegment in;
        MemorySegment out;

        @Setup
        public void allocate() {
            buffer = new PerCpuBuffer(4, recordBytes);
            owner = switch (arena) {
                case "auto" -> Arena.ofAuto();
                case "confined" -> Arena.ofConfined();
                case "shared" -> Arena.ofShared();
                default -> throw new IllegalArgumentException("arena " + arena);
            };
            in = owner.allocate(recordBytes, 8);
            out = owner.allocate(recordBytes, 8);
        }

        @TearDown
        public void close() {
            if (!arena.equals("auto")) {
                owner.close();
            }
        }
    }

    /** A buffer of {@code long}s: no caller segment, the section copies through the thread's scratch word. */
    @State(Scope.Thread)
    public static class Longs {
        PerCpuBuffer buffer = new PerCpuBuffer(4);
    }

    /** A push then a pop; the pop may find another CPU's buffer after a migration, which the result shows. */
    @Benchmark
    public boolean pushPop(Records r) {
        return r.buffer.push(r.in) & r.buffer.pop(r.out);
    }

    /** The same with {@code long} records. */
    @Benchmark
    public OptionalLong pushPopLong(Longs l) {
        l.buffer.push(42);
        return l.buffer.pop();
    }
}
