package io.github.rseq4j.prometheus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuLongArray;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The collectors behind a real {@link HTTPServer} on a loopback port, scraped over HTTP after platform and
 * virtual threads updated them concurrently: the text must parse line by line, and every value must be what
 * the threads did. Values stay below 2^11, where a 3-digit histogram's buckets hold one value each, so
 * quantiles, bucket counts and the sum are exact too.
 */
class PrometheusEndpointTest {
    private static final int PLATFORM_THREADS = 4;
    private static final int VIRTUAL_THREADS = 200;
    private static final int UPDATES = 5_000;
    private static final List<String> KINDS = List.of("get", "put", "delete");

    /** A sample line of the text format: name, optional labels, value, optional timestamp. */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*})? (\\S+)( -?\\d+)?");
    private static final Pattern COMMENT = Pattern.compile("# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .*");

    /** The value thread {@code t}'s update {@code i} records: 1..1000, spread over the range. */
    private static long value(int t, int i) {
        return 1 + (t * 7919L + i * 104_729L) % 1000;
    }

    @Test
    void scrapeOverLoopbackIsExactAfterConcurrentUpdates() throws Exception {
        PerCpuCounter requests = new PerCpuCounter();
        PerCpuLongArray byKind = new PerCpuLongArray(KINDS.size());
        PerCpuHistogram latency = new PerCpuHistogram(1_000_000, 3);
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(PerCpuCollectors.counter("rseq_requests", "Requests", requests));
        registry.register(PerCpuCollectors.counters("rseq_ops", "Ops by kind", byKind, "kind", KINDS));
        registry.register(PerCpuCollectors.summary("rseq_latency_quantiles", "Latency", latency, 1, 0.5, 0.99, 1));
        registry.register(PerCpuCollectors.histogram("rseq_latency", "Latency", latency, 1, 10, 100, 500));

        List<Thread> threads = new ArrayList<>();
        int total = PLATFORM_THREADS + VIRTUAL_THREADS;
        for (int t = 0; t < total; t++) {
            int thread = t;
            Runnable updates = () -> {
                for (int i = 0; i < UPDATES; i++) {
                    requests.increment();
                    byKind.add(i % KINDS.size(), 1);
                    latency.record(value(thread, i));
                }
            };
            threads.add(t < PLATFORM_THREADS ? Thread.ofPlatform().start(updates) : Thread.ofVirtual().start(updates));
        }
        for (Thread thread : threads) {
            thread.join();
        }

        List<Long> values = new ArrayList<>();
        long[] perKind = new long[KINDS.size()];
        for (int t = 0; t < total; t++) {
            for (int i = 0; i < UPDATES; i++) {
                values.add(value(t, i));
                perKind[i % KINDS.size()]++;
            }
        }
        values.sort(null);
        long n = values.size();

        Map<String, Double> scraped;
        try (HTTPServer server = HTTPServer.builder().hostname("127.0.0.1").port(0).registry(registry)
                .buildAndStart()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response::body);
            scraped = parse(response.body());
        }

        assertEquals(n, scraped.get("rseq_requests_total"));
        for (int k = 0; k < KINDS.size(); k++) {
            assertEquals(perKind[k], scraped.get("rseq_ops_total{kind=\"" + KINDS.get(k) + "\"}"), KINDS.get(k));
        }
        assertEquals(n, scraped.get("rseq_latency_quantiles_count"));
        assertEquals(values.get((int) (n / 2) - 1).doubleValue(),
                scraped.get("rseq_latency_quantiles{quantile=\"0.5\"}"));
        assertEquals(values.get((int) Math.ceil(n * 0.99) - 1).doubleValue(),
                scraped.get("rseq_latency_quantiles{quantile=\"0.99\"}"));
        assertEquals(values.getLast().doubleValue(), scraped.get("rseq_latency_quantiles{quantile=\"1.0\"}"));
        double sum = values.stream().mapToLong(Long::longValue).sum();
        assertEquals(sum, scraped.get("rseq_latency_quantiles_sum"));
        assertEquals(sum, scraped.get("rseq_latency_sum"));
        for (long le : new long[] {10, 100, 500}) {
            long atOrBelow = values.stream().filter(v -> v <= le).count();
            assertEquals(atOrBelow, scraped.get("rseq_latency_bucket{le=\"" + le + ".0\"}"), "le " + le);
        }
        assertEquals(n, scraped.get("rseq_latency_bucket{le=\"+Inf\"}"));
        assertEquals(n, scraped.get("rseq_latency_count"));
    }

    /** Every line a HELP, a TYPE or a sample of a declared family; samples by name and labels. */
    private static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        Set<String> families = new HashSet<>();
        for (String line : text.split("\n")) {
            Matcher comment = COMMENT.matcher(line);
            if (comment.matches()) {
                families.add(comment.group(2));
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                fail("not a line of the text format: '" + line + "' in\n" + text);
            }
            String name = sample.group(1);
            assertTrue(families.stream().anyMatch(name::startsWith), () -> "no HELP/TYPE before " + line);
            String key = name + (sample.group(2) == null ? "" : sample.group(2));
            String value = sample.group(3);
            double parsed = value.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value);
            if (samples.put(key, parsed) != null) {
                fail("sample twice: " + key);
            }
        }
        return samples;
    }
}
