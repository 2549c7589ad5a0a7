package io.github.rseq4j.doctor;

import static java.util.stream.Collectors.joining;

import io.github.rseq4j.RseqSupport;
import java.util.List;
import java.util.Locale;

/** The report for people: facts first, then one line per check, a fix under each problem. */
final class TextReport {
    private TextReport() {}

    private static final String FACT = "  %-13s %s%n";
    private static final String THREAD_ROW = "  %-20s %6s %12s %7s %6s%n";
    private static final String NONE = "-";

    static String render(Report report) {
        StringBuilder text = new StringBuilder("rseq4j doctor\n\n");
        Platform platform = report.platform();
        fact(text, "kernel", platform.kernel() + " (" + platform.machine() + ")");
        fact(text, "libc", platform.libc());
        fact(text, "JDK", platform.jdk());
        RseqSupport rseq = report.rseq();
        if (rseq != null && !rseq.nativeAccess()) {
            fact(text, "native access", "DENIED: rseq4j cannot call the kernel");
            fact(text, "rseq", Platform.NOT_CHECKED);
        } else if (rseq != null) {
            facts(text, rseq);
            fact(text, "other users", otherUsers(report.otherUsers()));
        } else {
            fact(text, "rseq", "unknown: rseq4j cannot initialize here");
        }
        if (!report.threads().isEmpty()) {
            threads(text, report);
        }
        text.append('\n');
        checks(text, report);
        text.append('\n').append(verdict(report)).append('\n');
        return text.toString();
    }

    private static void checks(StringBuilder text, Report report) {
        for (Check check : report.checks()) {
            text.append(String.format(Locale.ROOT, "  %-8s %s: %s%n", label(check.status()), check.name(),
                    check.detail()));
            if (check.status() == Check.Status.PROBLEM) {
                text.append(String.format(Locale.ROOT, "  %-8s fix: %s%n", "", check.fix()));
            }
        }
    }

    private static String label(Check.Status status) {
        return status.label().toUpperCase(Locale.ROOT);
    }

    /** A check that could not run repeats no fix: the problem that stopped it has one. */
    private static String verdict(Report report) {
        if (report.ok()) {
            return "Result: OK, all " + report.checks().size() + " checks passed";
        }
        long notRun = report.count(Check.Status.NOT_RUN);
        return "Result: " + plural(report.count(Check.Status.PROBLEM), "problem")
                + (notRun > 0 ? ", " + plural(notRun, "check") + " could not run" : "")
                + "; see the fix under each PROBLEM";
    }

    private static void facts(StringBuilder text, RseqSupport rseq) {
        fact(text, "rseq", rseq.available()
                ? "available, owned by " + owner(rseq)
                : "UNAVAILABLE: " + Checks.errno(rseq));
        fact(text, "struct rseq", "kernel fills " + rseq.featureSize() + " bytes"
                + (rseq.available() ? ", rseq4j reads " + rseq.usableSize() : "") + ", alignment " + rseq.alignment());
        fact(text, "arch", rseq.arch() + ", abort signature " + rseq.signatureHex());
        fact(text, "per-CPU ops", PerCpuFacts.describe(rseq.perCpuImplementation(), rseq.perCpuFallbackReason()));
        fact(text, "per-CPU slots", PerCpuFacts.slots());
        fact(text, "per-CPU index", PerCpuFacts.indexing());
        fact(text, "time slices", rseq.hasSliceExtension() ? "extensions available (RseqSlice)" : "no extensions");
    }

    /** The other rseq users, each with its version where it tells, and what it registers. */
    private static String otherUsers(List<RseqSupport.OtherUser> users) {
        return users.isEmpty() ? "none seen (glibc registers nothing; no librseq, no other copy of rseq4j)"
                : users.stream().map(user -> user.name() + (user.version().isEmpty() ? "" : " " + user.version())
                        + ": " + user.detail()).collect(joining("; "));
    }

    private static String owner(RseqSupport rseq) {
        return rseq.glibcRseqSize() == 0
                ? rseq.owner().label()
                : rseq.owner().label() + " (__rseq_size " + rseq.glibcRseqSize() + ", __rseq_offset "
                        + rseq.glibcRseqOffset() + ")";
    }

    private static void threads(StringBuilder text, Report report) {
        text.append('\n').append(String.format(Locale.ROOT, THREAD_ROW,
                "thread", "cpu_id", "cpu_id_start", "node_id", "mm_cid"));
        boolean fallback = false;
        for (ThreadSample thread : report.threads()) {
            fallback |= thread.source().equals(ThreadSample.FALLBACK);
            text.append(String.format(Locale.ROOT, THREAD_ROW, thread.name(), orNone(thread.cpuId()),
                    orNone(thread.cpuIdStart()), orNone(thread.nodeId()), orNone(thread.mmCid())));
        }
        if (fallback) {
            text.append("  (without rseq, cpu_id is what RseqThread.currentCpu() falls back to: sched_getcpu())\n");
        }
    }

    private static String plural(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    private static void fact(StringBuilder text, String name, String value) {
        text.append(String.format(Locale.ROOT, FACT, name, value));
    }

    private static String orNone(Integer value) {
        return value == null ? NONE : value.toString();
    }
}
