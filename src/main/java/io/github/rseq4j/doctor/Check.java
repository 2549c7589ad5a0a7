package io.github.rseq4j.doctor;

import java.util.Locale;

/**
 * The verdict of one check.
 *
 * @param detail what was checked and what was seen
 * @param fix    what the user can do; null when {@link Status#OK}
 */
record Check(String name, Status status, String detail, String fix) {

    static final String ISSUES = "https://github.com/rseq4j/rseq4j/issues";

    enum Status {
        OK,
        PROBLEM,
        /** Could not run because an earlier check found a problem; fails the report like a problem. */
        NOT_RUN;

        /** "ok", "problem", "not run". */
        String label() {
            return name().replace('_', ' ').toLowerCase(Locale.ROOT);
        }
    }

    static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail, null);
    }

    static Check problem(String name, String detail, String fix) {
        return new Check(name, Status.PROBLEM, detail, fix);
    }

    static Check notRun(String name, String detail, String fix) {
        return new Check(name, Status.NOT_RUN, detail, fix);
    }

    boolean ok() {
        return status == Status.OK;
    }
}
