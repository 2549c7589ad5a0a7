package io.github.rseq4j.doctor;

import static io.github.rseq4j.doctor.ReportAssertions.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.RseqSupport;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both renderers on reports this machine cannot produce: rseq blocked, rseq4j unable to load. */
class ReportRenderingTest {

    private static final Platform PLATFORM = new Platform("4.14.0", "x86_64", "glibc 2.28", "25");

    private static final RseqSupport BLOCKED = new RseqSupport(false, Owner.NONE, 20, 20, 32, 32, 0, 0,
            "x86_64", 0x53053053, 38, "blocked by seccomp", PerCpuImplementation.ATOMICS, "rseq unavailable",
            false, "rseq is unavailable: blocked by seccomp", true);

    private static final Report BLOCKED_REPORT = new Report(PLATFORM, BLOCKED,
            List.of(new ThreadSample("main", ThreadSample.FALLBACK, 3, null, null, null)),
            List.of(Check.problem("rseq available", "rseq(2) fails with ENOSYS (38)", "allow 'rseq' in seccomp"),
                    Check.ok("feature size", "20 bytes"),
                    Check.notRun("registration", "needs rseq", "fix \"rseq available\" first")));

    @Test
    void textShowsProblemsWithTheirFixAndNotRunChecksWithout() {
        String text = TextReport.render(BLOCKED_REPORT);
        assertTrue(text.contains("\n  PROBLEM  rseq available: rseq(2) fails with ENOSYS (38)\n"
                + "           fix: allow 'rseq' in seccomp\n"
                + "  OK       feature size: 20 bytes\n"
                + "  NOT RUN  registration: needs rseq\n\n"), text);
        assertTrue(text.contains("  rseq          UNAVAILABLE: ENOSYS (38)\n"), text);
        assertTrue(text.contains("falls back to: sched_getcpu()"), text);
        assertTrue(text.endsWith("Result: 1 problem, 1 check could not run; see the fix under each PROBLEM\n"), text);
    }

    @Test
    void jsonMarksTheReportNotOkAndKeepsUnknownFieldsNull() {
        Map<String, Object> json = Json.parseObject(JsonReport.render(BLOCKED_REPORT));
        assertEquals(false, json.get("ok"));
        assertEquals(false, json.get("available"));
        assertEquals("ENOSYS (38)", json.get("unavailableErrno"));
        assertEquals("none", json.get("owner"));
        Map<String, Object> thread = list(json, "threads").getFirst();
        assertEquals(3L, thread.get("cpuId"));
        assertTrue(thread.containsKey("mmCid") && thread.get("mmCid") == null);
        List<Map<String, Object>> checks = list(json, "checks");
        assertEquals(List.of("problem", "ok", "not run"), checks.stream().map(c -> c.get("status")).toList());
        assertEquals(Arrays.asList(false, true, false), checks.stream().map(c -> c.get("ok")).toList());
        assertEquals("allow 'rseq' in seccomp", checks.getFirst().get("fix"));
    }

    @Test
    void reportWithoutRseqSupportStillRendersEveryKey() {
        Report report = new Report(PLATFORM, null, List.of(),
                List.of(Check.problem("rseq available", "cannot initialize", "use x86_64")));
        assertFalse(report.ok());
        Map<String, Object> json = Json.parseObject(JsonReport.render(report));
        assertEquals(false, json.get("available"));
        assertEquals("none", json.get("owner"));
        for (String key : List.of("featureSize", "alignment", "arch", "signature", "usableSize")) {
            assertTrue(json.containsKey(key), key);
            assertNull(json.get(key), key);
        }
        assertEquals(List.of(), json.get("threads"));
        assertTrue(TextReport.render(report).contains("rseq          unknown"), TextReport.render(report));
    }

    @Test
    void missingFieldsNameTheKernelOrGlibcAsCause() {
        assertEquals("", Checks.missingFields(facts(28, 28)));
        assertTrue(Checks.missingFields(facts(20, 20))
                        .startsWith("node_id and mm_cid are missing: they need Linux 6.3"),
                Checks.missingFields(facts(20, 20)));
        assertTrue(Checks.missingFields(facts(28, 20)).contains("GLIBC_TUNABLES=glibc.pthread.rseq=0"),
                Checks.missingFields(facts(28, 20)));
        assertTrue(Checks.missingFields(facts(28, 24)).startsWith("mm_cid is missing"),
                Checks.missingFields(facts(28, 24)));
    }

    @Test
    void anErrnoIsWrittenAsRseq4jsMessagesWriteIt() {
        assertEquals("ENOSYS (38)", Checks.errno(BLOCKED));
        assertEquals("errno 95", Checks.errno(new RseqSupport(false, Owner.NONE, 20, 20, 32, 32, 0, 0, "x86_64",
                0x53053053, 95, "refused", PerCpuImplementation.ATOMICS, "", false, "", true)));
    }

    private static RseqSupport facts(int featureSize, int usableSize) {
        return new RseqSupport(true, Owner.GLIBC, featureSize, usableSize, 32, 32, 32, 2336L,
                "x86_64", 0x53053053, 0, "", PerCpuImplementation.SECTIONS_ON_GLIBC_AREA, "",
                false, "time-slice extensions need Linux 7.0 or later", true);
    }
}
