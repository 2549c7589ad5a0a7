package io.github.rseq4j.doctor;

import java.util.function.Supplier;

/**
 * The outcome of one probe that several checks read: its value, or what it threw, so each of
 * those checks can report the same failure instead of the whole report failing.
 */
record Attempt<T>(T value, RuntimeException failure) {

    static <T> Attempt<T> of(Supplier<T> probe) {
        try {
            return new Attempt<>(probe.get(), null);
        } catch (RuntimeException e) {
            return new Attempt<>(null, e);
        }
    }

    /** The value; rethrows the probe's failure. */
    T get() {
        if (failure != null) {
            throw failure;
        }
        return value;
    }

    T orElse(T other) {
        return failure == null ? value : other;
    }
}
