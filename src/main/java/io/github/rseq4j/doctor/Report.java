package io.github.rseq4j.doctor;

import io.github.rseq4j.RseqSupport;
import java.util.List;

/**
 * Everything the doctor found, free of presentation: {@link TextReport} and {@link JsonReport}
 * render the same data.
 *
 * @param rseq       what rseq4j decided about this process; null when rseq4j cannot even load here
 * @param threads    samples of the kernel's fields on a few threads; empty when sampling failed
 * @param otherUsers the other rseq users seen in the process ({@link RseqSupport#otherUsers()}); empty where none
 *                   was seen or nothing could be probed
 */
record Report(Platform platform, RseqSupport rseq, List<ThreadSample> threads, List<Check> checks,
              List<RseqSupport.OtherUser> otherUsers) {

    Report {
        threads = List.copyOf(threads);
        checks = List.copyOf(checks);
        otherUsers = List.copyOf(otherUsers);
    }

    /** A report that saw no other rseq user. */
    Report(Platform platform, RseqSupport rseq, List<ThreadSample> threads, List<Check> checks) {
        this(platform, rseq, threads, checks, List.of());
    }

    /** True exactly when every check passed. */
    boolean ok() {
        return checks.stream().allMatch(Check::ok);
    }

    long count(Check.Status status) {
        return checks.stream().filter(check -> check.status() == status).count();
    }
}
