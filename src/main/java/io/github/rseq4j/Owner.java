package io.github.rseq4j;

import java.util.Locale;

/** Who registers the kernel's rseq area of each thread in this process. */
public enum Owner {
    /** glibc (2.35 and later) registered every thread it started; rseq4j reads that area. */
    GLIBC,
    /** Nobody else registers; {@link RseqThread#register()} registers rseq4j's own area. */
    RSEQ4J,
    /** rseq cannot be used: the kernel lacks it, a seccomp filter blocks it, or the JVM denies rseq4j native access. */
    NONE;

    /**
     * Lower-case name, as printed by the doctor report.
     *
     * @return e.g. {@code "glibc"}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
