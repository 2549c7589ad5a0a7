/**
 * rseq critical sections generated at run time: machine code for x86_64 and aarch64, with no native
 * initialization (naming these classes maps and loads nothing; {@link io.github.rseq4j.internal.cs.SectionLibrary}
 * alone maps code).
 *
 * <h2>The specification</h2>
 * Each operation is specified once, in its {@link io.github.rseq4j.internal.cs.Operation} constant: parameters,
 * pseudo-code, and librseq's name for it. Every operation runs inside one frame, built by
 * {@link io.github.rseq4j.internal.cs.SectionTemplates}:
 * <pre>
 * entry:
 *     [prologue: make the area reachable]
 *     area-&gt;rseq_cs = &amp;descriptor             // arms the section (pc-relative address)
 * start_ip:
 *     idx = area-&gt;index                        // cpu_id or mm_cid
 *     if ((u32) idx &gt;= indexLimit) goto index_out_of_range   // every section, before any store
 *     ... the operation, at most one store visible outside ...
 *     final store                              // the commit
 * post_commit_ip:
 *     return COMMITTED
 * compare_failed:   return COMPARE_FAILED      // only if the operation compares
 * index_mismatch:   return INDEX_MISMATCH      // only if the operation takes an expected index
 * index_out_of_range: return INDEX_OUT_OF_RANGE
 *     .long SIGNATURE                          // kernel checks it at abort_ip - 4
 * abort_ip:
 *     return ABORTED                           // kernel moved the pc here: preempted, migrated or signalled
 *     .balign 32
 * descriptor: {0, 0, start_ip, post_commit_ip - start_ip, abort_ip}
 * </pre>
 * Leaving the section through a branch (compare failed, index mismatch) needs nothing: the kernel only acts
 * when it interrupts the thread with the pc inside [start_ip, post_commit_ip).
 *
 * <p>An operation that runs once per element ({@link io.github.rseq4j.internal.cs.Operation#eachElement()},
 * {@code addEach}) wraps the same section in a loop over its argument-1 cursor: {@code end = cursor + count * 8}
 * after the prologue; {@code next: if (cursor >= end) return COMMITTED}, then the arming store and the section;
 * after post_commit_ip {@code cursor += 8; goto next}. Each element is armed, checked and committed on its own,
 * so an abort loses only the element it interrupted, and every exit returns its code plus
 * {@code end - cursor}, the elements left times 8: {@code code | remaining << 3}.
 *
 * <p>An operation that hands back what it took ({@link io.github.rseq4j.internal.cs.Operation#returnsNode()},
 * {@code popNode}) returns that node instead of {@code COMMITTED}, as a {@code long}: a node address is never
 * as low as the codes, which its other exits return as before.
 *
 * <p>The range check makes the code safe whatever the area holds: an unregistered thread's cpu_id (-1, or -2
 * after a failed registration) is above any limit when compared unsigned, and a CPU number at or above the
 * caller's slot count (a possible-CPU count that was too small) never becomes an address.
 *
 * <h2>Return codes</h2>
 * The constants of {@link io.github.rseq4j.internal.cs.SectionTemplates}; callers compare against them by name.
 * <table>
 * <caption>Section results</caption>
 * <tr><th>Code</th><th>Constant</th><th>Meaning, and what a caller does</th></tr>
 * <tr><td>0</td><td>{@code COMMITTED}</td><td>the commit store happened</td></tr>
 * <tr><td>1</td><td>{@code COMPARE_FAILED}</td><td>the compared word did not match; nothing committed: reread
 *     and retry, or report (empty stack)</td></tr>
 * <tr><td>2</td><td>{@code ABORTED}</td><td>preempted, migrated or signalled before the commit: retry</td></tr>
 * <tr><td>3</td><td>{@code INDEX_MISMATCH}</td><td>the thread's index is not the expected one (it moved):
 *     reread the index and retry</td></tr>
 * <tr><td>4</td><td>{@code INDEX_OUT_OF_RANGE}</td><td>the index is not below the limit (thread not registered,
 *     or a CPU the slots do not cover); nothing stored, retrying cannot help: take the locked path</td></tr>
 * </table>
 *
 * <h2>Adding an operation</h2>
 * <ol>
 * <li>{@code Operation}: a constant with its C parameters (the expected index last) and its javadoc
 *     specification (pseudo-code, librseq name, any store visible on abort).</li>
 * <li>{@code SectionTemplates}: an abstract {@code emit...()} pointing at the constant, and its case in
 *     {@code emit(Operation, int)} (the compiler finds a missing case).</li>
 * <li>{@code X86_64Sections} and {@code Aarch64Sections}: the body, inside {@code section(op, ...)}, starting
 *     with {@code loadIndex}/{@code checkIndex}/{@code checkIndexAndValue}, ending with the commit store
 *     (on aarch64 a {@code stlr} if earlier stores must be visible first); a comment giving only the register
 *     assignment.</li>
 * <li>{@code SectionLibrary}: a record component and its handle in {@code link}.</li>
 * <li>Tests: {@code SectionsMatchGnuAsTest}, {@code SectionLayoutTest} and {@code SectionOrderTest} loop over
 *     {@code Operation.values()} (add the commit instruction to {@code SectionLayoutTest}'s table);
 *     {@code SectionSemanticsTest} gets a case per return code.</li>
 * <li>The caller: a {@code switch} over the return-code constants, never literals.</li>
 * </ol>
 */
package io.github.rseq4j.internal.cs;
