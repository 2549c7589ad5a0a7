/**
 * The doctor, {@code java -jar rseq4j.jar}: the jar's main class and its report. Not exported: a client of the API
 * shipped in the jar, it learns everything about rseq through {@code io.github.rseq4j} ({@code RseqSupport},
 * {@code RseqThread}, {@code PerCpuIndexing}), as a user would, and nothing under {@code internal}
 * ({@code ImportDirectionTest} fails the build otherwise).
 *
 * <p>Facts of the operating system that are no part of rseq4j's API ({@code uname}, glibc's version) and the
 * witnesses it holds rseq4j's answers against ({@code sched_getcpu}, {@code getcpu}, pinning a thread to a CPU)
 * it asks the C library for itself, through FFM ({@code Os}): exporting them would grow
 * the API with calls that have nothing to do with rseq, and a witness that went through rseq4j would prove less.
 */
package io.github.rseq4j.doctor;
