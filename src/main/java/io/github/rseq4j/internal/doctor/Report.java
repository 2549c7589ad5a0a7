package io.github.rseq4j.internal.doctor;

import io.github.rseq4j.RseqSupport;

import java.util.List;

/**
 * Everything the doctor found, free of presentation: {@link TextReport} and {@link JsonReport}
 * render the same data.
 *
 * @param rseq    what rseq4j decided about this process; null when rseq4j cannot even load here
 * @param threads samples of the kernel's fields on a few threads; empty when sampling failed
 */
record Report(Platform platform, RseqSupport rseq, List<ThreadSample> threads, List<Check> checks) {

    Report {
        threads = List.copyOf(threads);
        checks = List.copyOf(checks);
    }

    /** True exactly when every check passed. */
    boolean ok() {
        return checks.stream().allMatch(Check::ok);
    }

    long count(Check.Status status) {
        return checks.stream().filter(check -> check.status() == status).count();
    }
}
