package io.github.rseq4j.jackson;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.BufferRecycler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Real JSON through a {@link JsonFactory} on the pool: documents written and read back from platform threads
 * and from 10,000 virtual threads, every one checked, and the recyclers the pool made counted.
 */
class PerCpuRecyclerPoolTest {
    private static final int VIRTUAL_THREADS = 10_000;
    private static final int PLATFORM_THREADS = 4;
    private static final int ROUND_TRIPS = 2_000;

    /** Writes a document for {@code id}, reads it back and checks every field. */
    private static void roundTrip(JsonFactory json, int id) {
        try {
            StringWriter out = new StringWriter();
            try (JsonGenerator generator = json.createGenerator(out)) {
                generator.writeStartObject();
                generator.writeNumberField("id", id);
                generator.writeStringField("name", "user-" + id);
                generator.writeArrayFieldStart("tags");
                for (int i = 0; i < 8; i++) {
                    generator.writeString("tag-" + (id + i));
                }
                generator.writeEndArray();
                generator.writeEndObject();
            }
            try (JsonParser parser = json.createParser(out.toString())) {
                assertEquals(JsonToken.START_OBJECT, parser.nextToken());
                assertEquals("id", parser.nextFieldName());
                parser.nextToken();
                assertEquals(id, parser.getIntValue());
                assertEquals("name", parser.nextFieldName());
                assertEquals("user-" + id, parser.nextTextValue());
                assertEquals("tags", parser.nextFieldName());
                assertEquals(JsonToken.START_ARRAY, parser.nextToken());
                for (int i = 0; i < 8; i++) {
                    assertEquals("tag-" + (id + i), parser.nextTextValue());
                }
                assertEquals(JsonToken.END_ARRAY, parser.nextToken());
                assertEquals(JsonToken.END_OBJECT, parser.nextToken());
                assertEquals(null, parser.nextToken());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void platformThreadsWriteAndReadWithAFewRecyclers() throws Exception {
        PerCpuRecyclerPool pool = new PerCpuRecyclerPool();
        JsonFactory json = JsonFactory.builder().recyclerPool(pool).build();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < PLATFORM_THREADS; t++) {
            int base = t * ROUND_TRIPS;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    roundTrip(json, base + i);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long created = pool.recyclersCreated();
        System.out.printf("%d platform threads, %d round trips: %d BufferRecyclers%n",
                PLATFORM_THREADS, PLATFORM_THREADS * ROUND_TRIPS, created);
        // A round trip holds one recycler at a time; a thread finding its CPU's stack empty makes one more.
        assertTrue(created >= 1 && created <= PLATFORM_THREADS * Runtime.getRuntime().availableProcessors(),
                created + " recyclers for " + PLATFORM_THREADS + " threads");
    }

    @Test
    void tenThousandVirtualThreadsShareAFewRecyclers() throws Exception {
        PerCpuRecyclerPool pool = new PerCpuRecyclerPool();
        JsonFactory json = JsonFactory.builder().recyclerPool(pool).build();
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < VIRTUAL_THREADS; t++) {
                int id = t;
                done.add(threads.submit(() -> {
                    roundTrip(json, id);
                    Thread.yield();
                    roundTrip(json, -id);
                }));
            }
        }
        for (Future<?> f : done) {
            f.get();
        }
        long created = pool.recyclersCreated();
        System.out.printf("%d virtual threads, %d round trips: %d BufferRecyclers%n",
                VIRTUAL_THREADS, 2 * VIRTUAL_THREADS, created);
        // jackson's thread-local pool makes one per virtual thread: 10,000 here.
        assertTrue(created >= 1 && created <= pool.capacity(), created + " recyclers for 10,000 virtual threads");
    }

    @Test
    void keepsAtMostItsCapacity() {
        PerCpuRecyclerPool pool = new PerCpuRecyclerPool(10);
        List<BufferRecycler> out = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            out.add(pool.acquireAndLinkPooled());
        }
        out.forEach(BufferRecycler::releaseToPool);
        out.clear();
        for (int i = 0; i < 30; i++) {
            out.add(pool.acquirePooled());
        }
        assertTrue(pool.recyclersCreated() >= 30 + 20,
                "at most 10 of 30 released recyclers kept, so at least 20 new: " + pool.recyclersCreated());
    }

    @Test
    void doubleReleasesAndNullAreRefused() {
        PerCpuRecyclerPool pool = new PerCpuRecyclerPool(4);
        BufferRecycler held = pool.acquirePooled();
        pool.releasePooled(held);
        assertThrows(IllegalStateException.class, () -> pool.releasePooled(held));
        assertThrows(NullPointerException.class, () -> pool.releasePooled(null));
        assertThrows(IllegalArgumentException.class, () -> new PerCpuRecyclerPool(0));
        assertEquals(1, pool.recyclersCreated());
    }

    @Test
    void aSerializedFactoryComesBackWithANewPoolOfTheSameCapacity() throws Exception {
        JsonFactory json = JsonFactory.builder().recyclerPool(new PerCpuRecyclerPool(7)).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(json);
        }
        JsonFactory copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (JsonFactory) in.readObject();
        }
        PerCpuRecyclerPool pool = assertInstanceOf(PerCpuRecyclerPool.class, copy._getRecyclerPool());
        assertNotSame(json._getRecyclerPool(), pool);
        assertEquals(7, pool.capacity());
        roundTrip(copy, 1);
        // The write and the parse each take a recycler: a second one is made when the thread moved to
        // another CPU, whose stack was still empty, in between.
        long created = pool.recyclersCreated();
        assertTrue(created == 1 || created == 2, created + " recyclers for one write and one parse");
    }
}
