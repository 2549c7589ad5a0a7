package io.github.rseq4j.internal;

/**
 * The uapi {@code struct rseq} layout (include/uapi/linux/rseq.h of Linux 7.2) and the memory-layout facts
 * derived from it: constants only, so that naming them never initializes native access. The generated binding
 * predates node_id, mm_cid and slice_ctrl, and the section generator ({@code internal.cs}) must stay free of
 * native initialization, so every offset is written here once and read from here.
 */
public final class RseqLayout {
    private RseqLayout() {}

    /** {@code u32 cpu_id_start}: a CPU number always, even before registration (0 then). */
    public static final int CPU_ID_START = 0;
    /** {@code u32 cpu_id}: the current CPU, or -1 (not registered) / -2 (registration failed). */
    public static final int CPU_ID = 4;
    /** {@code u64 rseq_cs}: the armed critical section's descriptor, or 0. */
    public static final int RSEQ_CS = 8;
    /** {@code u32 flags}. */
    public static final int FLAGS = 16;
    /** {@code u32 node_id} (Linux 6.3). */
    public static final int NODE_ID = 20;
    /** {@code u32 mm_cid} (Linux 6.3): the concurrency id, dense per process. */
    public static final int MM_CID = 24;
    /**
     * {@code struct rseq_slice_ctrl} (Linux 7.0): u8 request (user sets, user or kernel clears), u8 granted
     * (kernel only), u16 reserved.
     */
    public static final int SLICE_CTRL = 28;

    /** Feature size of the original (Linux 4.18) ABI, which every rseq kernel fills. */
    public static final int ORIGINAL_FEATURE_SIZE = 20;
    /** Feature size of a kernel that has slice_ctrl: a reserved byte at 32 makes it 33. */
    public static final int SLICE_FEATURE_SIZE = 33;
    /** Registration length of the original ABI: the struct padded to its alignment. */
    public static final int ORIGINAL_REGISTRATION_LENGTH = 32;
    /** The ABI's alignment of an area; a kernel may ask for more (AT_RSEQ_ALIGN). */
    public static final int MIN_ALIGNMENT = 32;

    /** log2 of the cache line the per-CPU structures and areas are spaced by. */
    public static final int CACHE_LINE_SHIFT = 6;
    /** The cache line in bytes: one per CPU cell, one per area slot, against false sharing. */
    public static final int CACHE_LINE = 1 << CACHE_LINE_SHIFT;
}
