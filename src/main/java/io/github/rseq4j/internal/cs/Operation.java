package io.github.rseq4j.internal.cs;

import java.util.ArrayList;
import java.util.List;

/**
 * The critical-section operations: the one specification of what each does and returns. The architecture files
 * implement these and document only their register assignment; the frame every operation runs in, the return
 * codes and the checklist for a new operation are in the {@linkplain io.github.rseq4j.internal.cs package
 * documentation}.
 *
 * <p>Pseudo-code conventions: {@code idx} is the area's index field ({@link SectionConfig.IndexField}), loaded
 * once after {@code start_ip} and already checked below {@link SectionConfig#indexLimit()} (else
 * {@link SectionTemplates#INDEX_OUT_OF_RANGE}); pointers are {@code long} addresses of 8-byte words;
 * {@code [delay]} marks the test-only abort-injection points ({@link SectionConfig#delayIterations()}); the
 * last store is the commit, after which the section returns {@link SectionTemplates#COMMITTED}. A section
 * interrupted before its commit returns {@link SectionTemplates#ABORTED} instead, with none of its stores
 * visible except those listed as harmless.
 *
 * <p>Parameters are listed in C call order. In {@link SectionConfig.Addressing#REGISTER} mode one more
 * {@code long} parameter, the address of the thread's {@code struct rseq}, follows them. librseq's names (its
 * {@code rseq/pseudocode.h}, 2024 naming) are given beside each for readers who know that library.
 */
public enum Operation {
    /**
     * {@code int add(long base, long value)}: the per-index counter add (librseq: {@code load_add_store}).
     * <pre>
     * [delay]
     * slot = base + (idx &lt;&lt; strideShift)     // strideShift: SectionLibrary's, at most MAX_STRIDE_SHIFT
     * [delay]
     * *slot += value                          // commit
     * </pre>
     * Returns COMMITTED, ABORTED or INDEX_OUT_OF_RANGE.
     */
    ADD(long.class, long.class),
    /**
     * {@code int cmpeqvStorev(long v, long expect, long newv, int expectedIdx)}: compare and store on the
     * expected index (librseq: {@code load_cbne_store}).
     * <pre>
     * [delay]
     * if (idx != expectedIdx) return INDEX_MISMATCH
     * if (*v != expect) return COMPARE_FAILED
     * [delay]
     * *v = newv                               // commit
     * </pre>
     */
    CMPEQV_STOREV(long.class, long.class, long.class, int.class),
    /**
     * {@code int pushRecord(long counts, long records, long src, long len, long slotBytes, long capacity)}: the push
     * of a per-index stack of {@code len}-byte records (a count, then {@code capacity} records per index), whose
     * count and top the section finds itself (librseq: {@code load_cbne_memcpy_store}, release form, whose C caller
     * reads the CPU number and the count first and has the section compare them).
     * <pre>
     * [delay]
     * records += idx * slotBytes
     * v = counts + (idx &lt;&lt; strideShift)
     * n = *v
     * if (n &gt;= capacity) return COMPARE_FAILED   // unsigned: full
     * copy len bytes src to records + n * len     // 16-byte blocks, an 8-byte word, single bytes; above the
     *                                             // count, so harmless if aborted
     * [delay]
     * store_release(*v = n + 1)               // commit, ordered after the copy
     * </pre>
     * The count is read, checked and replaced inside one section, so no other update of that index comes in
     * between (no ABA), and a count read from memory is checked before it becomes an address. The copy runs inside
     * the section, so callers bound {@code len} (see PerCpuBuffer's record-size cap); they size {@code records}
     * for {@code capacity * len <= slotBytes} per index below the index limit.
     */
    PUSH_RECORD(long.class, long.class, long.class, long.class, long.class, long.class),
    /**
     * {@code int popRecord(long counts, long records, long dst, long len, long slotBytes, long capacity)}: the pop
     * of {@link #PUSH_RECORD}'s stack, copying the top record out inside the section that takes it.
     * <pre>
     * [delay]
     * records += idx * slotBytes
     * v = counts + (idx &lt;&lt; strideShift)
     * n = *v - 1
     * if (n &gt;= capacity) return COMPARE_FAILED   // unsigned: empty (a count of 0)
     * copy len bytes records + n * len to dst     // as above; dst is the caller's, so harmless if aborted
     * [delay]
     * store_release(*v = n)                   // commit, ordered after the copy
     * </pre>
     * Copying before the commit, not after, is what makes the pop safe: a record read after the count went down
     * could already be another push's.
     */
    POP_RECORD(long.class, long.class, long.class, long.class, long.class, long.class),
    /**
     * {@code long popNode(long base, long voffp)}: the pop of a per-index linked stack, whose head for the running
     * index the section finds itself, handing the node back as its result (librseq:
     * {@code load_cbeq_store_add_load_store}, whose C caller reads the CPU number first and gets the node
     * through a pointer).
     * <pre>
     * [delay]
     * v = base + (idx &lt;&lt; strideShift)
     * head = *v
     * if (head == 0) return COMPARE_FAILED    // empty
     * next = *(head + voffp)
     * [delay]
     * *v = next                               // commit
     * return head                             // instead of COMMITTED: a node address, above every code
     * </pre>
     * Head and head-&gt;next are read, and the head replaced, inside one section, so no other update of that
     * index comes in between (no ABA).
     */
    POP_NODE(Result.NODE, long.class, long.class),
    /**
     * {@code int pushNode(long base, long node, long depthLimit)}: the push of a per-index linked stack of nodes
     * {@code {next, depth, ...}} that keeps each node's depth, refusing a push past {@code depthLimit} (librseq:
     * its {@code percpu_list} push, {@code load_cbne_store} after the link, with the depth added).
     * <pre>
     * [delay]
     * v = base + (idx &lt;&lt; strideShift)
     * head = *v
     * depth = head == 0 ? 1 : *(head + 8) + 1
     * if (depth &gt; depthLimit) return COMPARE_FAILED   // unsigned: ~0 for no limit
     * *node = head                            // the caller's node, not yet published: harmless if aborted
     * *(node + 8) = depth                     // likewise
     * [delay]
     * store_release(*v = node)                // commit, ordered after the node's words
     * </pre>
     */
    PUSH_NODE(long.class, long.class, long.class),
    /**
     * {@code int addEach(long base, long offsets, long count, long value, long maxOffset)}: {@link #ADD} once per
     * element of an array of byte offsets, each element its own section, all in one call (librseq has no such
     * operation: C calls its {@code load_add_store} in a loop, which costs Java a downcall per element).
     * <pre>
     * end = offsets + count * 8                 // count in [0, 2^28)
     * next:
     * if (offsets &gt;= end) return COMMITTED
     * [arm rseq_cs]
     * start_ip:
     * [delay]
     * off = *offsets                          // read here, so checked here
     * if (off &gt; maxOffset) return COMPARE_FAILED   // unsigned
     * slot = base + (idx &lt;&lt; strideShift) + off
     * [delay]
     * *slot += value                          // commit of this element
     * post_commit_ip:
     * offsets += 8
     * goto next
     * </pre>
     * An abort repeats nothing: it returns, and the caller resumes at the element that did not commit. Every
     * exit returns its code in the low three bits and the elements not committed (the current one included) above
     * them: {@code code | remaining << 3} ({@link SectionTemplates#code}, {@link SectionTemplates#remaining}).
     * The caller bounds {@code count}, since the call holds back safepoints while it runs.
     */
    ADD_EACH(Result.CODE_AND_REMAINING, long.class, long.class, long.class, long.class, long.class);

    /** What an operation's call returns. */
    private enum Result {
        /** An {@code int}, one of the codes. */
        CODE,
        /** A {@code long}: the node taken when it commits, else a code (no node address is as low as one). */
        NODE,
        /** An {@code int}, {@code code | remaining << 3}: the operation runs its section once per element. */
        CODE_AND_REMAINING
    }

    private final Result result;
    private final List<Class<?>> parameters;

    Operation(Class<?>... parameters) {
        this(Result.CODE, parameters);
    }

    Operation(Result result, Class<?>... parameters) {
        this.result = result;
        this.parameters = List.of(parameters);
    }

    /**
     * Whether the operation runs its section once per element ({@link #ADD_EACH}): argument 1 is then the cursor
     * into its 8-byte elements and argument 2 their count, and every exit returns {@code code | remaining << 3}.
     */
    public boolean eachElement() {
        return result == Result.CODE_AND_REMAINING;
    }

    /**
     * Whether the operation's result is a {@code long}: the node {@link #POP_NODE} took when it commits, else one of
     * the codes, which no node address is as low as.
     */
    public boolean returnsNode() {
        return result == Result.NODE;
    }

    /** Number of parameters before the optional area argument; also the area argument's index. */
    public int baseArity() {
        return parameters.size();
    }

    /** The C parameter types in call order ({@code long.class} or {@code int.class}). */
    public List<Class<?>> parameterTypes(SectionConfig.Addressing addressing) {
        if (addressing == SectionConfig.Addressing.TLS) {
            return parameters;
        }
        List<Class<?>> all = new ArrayList<>(parameters);
        all.add(long.class);
        return List.copyOf(all);
    }
}
