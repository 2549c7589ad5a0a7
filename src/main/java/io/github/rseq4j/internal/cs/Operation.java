package io.github.rseq4j.internal.cs;

import java.util.ArrayList;
import java.util.List;

/**
 * The critical-section operations (librseq's families), with their C-ABI parameter lists.
 *
 * <p>Every section is a leaf function returning {@code int} (see {@link SectionTemplates#COMMITTED} and
 * siblings). The parameters are listed in call order; pointers are {@code long} addresses. In
 * {@link SectionConfig.Addressing#REGISTER} mode one more {@code long} parameter, the address of the thread's
 * {@code struct rseq}, follows them.
 */
public enum Operation {
    /** {@code int add(long base, long value)}: per-index counter add; returns 0 or 2. */
    ADD(long.class, long.class),
    /** {@code int cmpeqvStorev(long v, long expect, long newv, int expectedIdx)}. */
    CMPEQV_STOREV(long.class, long.class, long.class, int.class),
    /** {@code int cmpeqvStorevStorev(long v, long expect, long v2, long newv2, long newv, int expectedIdx)}. */
    CMPEQV_STOREV_STOREV(long.class, long.class, long.class, long.class, long.class, int.class),
    /**
     * {@code int cmpeqvTrymemcpyStorev(long v, long expect, long dst, long src, long len, long newv,
     * int expectedIdx)}.
     */
    CMPEQV_TRYMEMCPY_STOREV(long.class, long.class, long.class, long.class, long.class, long.class, int.class),
    /** {@code int cmpnevStoreoffpLoad(long v, long expectnot, long voffp, long load, int expectedIdx)}. */
    CMPNEV_STOREOFFP_LOAD(long.class, long.class, long.class, long.class, int.class);

    private final List<Class<?>> parameters;

    Operation(Class<?>... parameters) {
        this.parameters = List.of(parameters);
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
