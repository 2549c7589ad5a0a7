/**
 * The doctor, {@code java -jar rseq4j.jar}: the jar's main class and its report. Not exported: a client of the API
 * shipped in the jar, it learns everything about rseq through {@code io.github.rseq4j} ({@code RseqSupport},
 * {@code RseqThread}, {@code PerCpuIndexing}), as a user would.
 *
 * <p>One narrow exception, for facts of the operating system that are no part of rseq4j's API: it may use
 * {@code io.github.rseq4j.internal.sys} (errno names, native-access state, {@code sched_getcpu}, {@code getcpu},
 * pinning a thread to a CPU, glibc's version) and {@code uname} from {@code io.github.rseq4j.internal.binding}.
 * Exporting these would grow the API with calls that have nothing to do with rseq. Nothing else under
 * {@code internal} is used; {@code ImportDirectionTest} enforces both rules.
 */
package io.github.rseq4j.doctor;
