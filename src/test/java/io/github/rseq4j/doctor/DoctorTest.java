package io.github.rseq4j.doctor;

import static io.github.rseq4j.doctor.ReportAssertions.defaultOwner;
import static io.github.rseq4j.doctor.ReportAssertions.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.sys.Affinity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The doctor run in this JVM, as tests and embedding programs call it. */
class DoctorTest {

    /** What one {@link Doctor#run} printed and returned. */
    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = Doctor.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void jsonReportIsOneObjectWithEveryKeyAndRealValues() {
        Run run = run("--json");
        assertEquals("", run.err());
        Map<String, Object> json = Json.parseObject(run.out());
        assertEquals(Boolean.TRUE.equals(json.get("ok")) ? Doctor.EXIT_OK : Doctor.EXIT_PROBLEM, run.exitCode(),
                "exit status must be 0 exactly when ok; " + run.out());
        ReportAssertions.assertHealthy(json, defaultOwner(), run.exitCode());
    }

    @Test
    void humanReportShowsEveryCheckAndTheFacts() {
        Map<String, Object> json = Json.parseObject(run("--json").out());
        Run run = run();
        assertEquals(Doctor.EXIT_OK, run.exitCode(), run.out());
        for (Map<String, Object> check : list(json, "checks")) {
            String line = "(?m)^  OK +" + Pattern.quote(check.get("name") + ": ");
            assertTrue(Pattern.compile(line).matcher(run.out()).find(),
                    "no OK line for " + check + " in\n" + run.out());
        }
        for (String fact : new String[] {"kernel", "libc", "JDK", "rseq", "struct rseq", "arch", "time slices"}) {
            assertTrue(Pattern.compile("(?m)^  " + Pattern.quote(fact) + " +\\S").matcher(run.out()).find(),
                    fact + " missing from\n" + run.out());
        }
        assertTrue(run.out().contains("available, owned by " + defaultOwner()), run.out());
        assertTrue(Pattern.compile("(?m)^  per-CPU index +cpu_id by default \\(\\d+ possible CPUs\\); mm_cid ")
                .matcher(run.out()).find(), "no indexing line in\n" + run.out());
        assertEquals(PerCpuFacts.indexing(), json.get("perCpuIndexing"));
        assertTrue(run.out().contains("Result: OK, all " + ReportAssertions.REQUIRED_CHECKS.size() + " checks passed"),
                run.out());
    }

    @Test
    void listsTheOtherRseqUsersItSeesWithTheirVersions() {
        String property = "io.github.rseq4j.registrars";
        String saved = System.getProperty(property);
        String otherCopy = "rseq4j in class loader 'plugin' from file:/plugins/rseq4j.jar, version 0.0.9";
        System.setProperty(property, otherCopy);
        Map<String, Object> json;
        Run text;
        try {
            json = Json.parseObject(run("--json").out());
            text = run();
        } finally {
            if (saved == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, saved);
            }
        }
        List<Map<String, Object>> users = list(json, "otherRseqUsers");
        assertEquals(Map.of("name", "rseq4j", "version", "0.0.9", "detail", otherCopy), users.getLast());
        boolean glibc = RseqSupport.probe().glibcRseqSize() > 0;
        assertEquals(glibc, users.getFirst().get("name").equals("glibc"), users.toString());
        assertTrue(Pattern.compile("(?m)^  other users +" + (glibc ? "glibc \\d" : "rseq4j 0\\.0\\.9: "))
                .matcher(text.out()).find(), text.out());
        assertTrue(text.out().contains("rseq4j 0.0.9: " + otherCopy), text.out());
    }

    @Test
    void leavesTheCallersRegistrationAndCpuMaskAsTheyWere() {
        BitSet cpus = Affinity.allowed();
        try (var registration = RseqThread.register()) {
            RseqThread handle = registration.thread();
            assertEquals(Doctor.EXIT_OK, run("--json").exitCode());
            assertEquals(1, handle.registrations());
            assertTrue(handle.isRegistered());
            assertTrue(handle.cpuId() >= 0, "the doctor unregistered its caller");
        }
        assertEquals(cpus, Affinity.allowed());
    }

    @Test
    void unknownArgumentPrintsUsageOnStderrAndExits2() {
        Run run = run("--bogus");
        assertEquals(Doctor.EXIT_USAGE, run.exitCode());
        assertEquals("", run.out());
        assertTrue(run.err().contains("unknown argument '--bogus'"), run.err());
        assertTrue(run.err().contains(Doctor.USAGE), run.err());
    }

    @Test
    void helpPrintsUsageOnStdout() {
        Run run = run("--help");
        assertEquals(Doctor.EXIT_OK, run.exitCode());
        assertEquals(Doctor.USAGE, run.out());
        assertEquals("", run.err());
    }
}
