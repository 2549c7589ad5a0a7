package io.github.rseq4j.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import java.io.IOException;
import java.io.StringWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * {@link PoolBenchmark}'s pools under real jackson work: one small JSON object written with a
 * {@link JsonFactory} on the pool and read back token by token (each a recycler acquired and released
 * inside jackson), from a factory shared by the JMH threads.
 */
public class JsonPoolBenchmark extends BenchmarkBase {

    @State(Scope.Benchmark)
    public static class Factories {
        final PoolBenchmark.Pools pools = new PoolBenchmark.Pools();
        final JsonFactory perCpu = factory(pools.perCpu);
        final JsonFactory jacksonThreadLocal = factory(pools.jacksonThreadLocal);
        final JsonFactory lockFree = factory(pools.lockFree);
        final JsonFactory deque = factory(pools.deque);
        final JsonFactory bounded = factory(pools.bounded);

        private static JsonFactory factory(RecyclerPool<BufferRecycler> pool) {
            return JsonFactory.builder().recyclerPool(pool).build();
        }
    }

    static int roundTrip(JsonFactory json) throws IOException {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator generator = json.createGenerator(out)) {
            generator.writeStartObject();
            generator.writeNumberField("id", 42);
            generator.writeStringField("name", "rseq4j");
            generator.writeArrayFieldStart("tags");
            generator.writeString("per-cpu");
            generator.writeString("virtual-threads");
            generator.writeEndArray();
            generator.writeEndObject();
        }
        int tokens = 0;
        try (JsonParser parser = json.createParser(out.toString())) {
            while (parser.nextToken() != null) {
                tokens++;
            }
        }
        return tokens;
    }

    @Benchmark
    public int perCpuPoolJson(Factories f) throws IOException {
        return roundTrip(f.perCpu);
    }

    @Benchmark
    public int jacksonThreadLocalPoolJson(Factories f) throws IOException {
        return roundTrip(f.jacksonThreadLocal);
    }

    @Benchmark
    public int jacksonLockFreePoolJson(Factories f) throws IOException {
        return roundTrip(f.lockFree);
    }

    @Benchmark
    public int jacksonConcurrentDequePoolJson(Factories f) throws IOException {
        return roundTrip(f.deque);
    }

    @Benchmark
    public int jacksonBoundedPoolJson(Factories f) throws IOException {
        return roundTrip(f.bounded);
    }
}
