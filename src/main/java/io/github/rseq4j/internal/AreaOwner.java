package io.github.rseq4j.internal;

/**
 * Who registers each thread's rseq area, as the internals decide it ({@link RseqAbi#OWNER}). The API's
 * {@code Owner} names the same three cases; {@code RseqSupport} maps one to the other, so that nothing under
 * {@code internal} depends on the API package.
 */
public enum AreaOwner {
    /** glibc (2.35 and later) registered every thread it started. */
    GLIBC,
    /** Nobody else registers; rseq4j registers its own areas. */
    RSEQ4J,
    /** rseq cannot be used. */
    NONE
}
