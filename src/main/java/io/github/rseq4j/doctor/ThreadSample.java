package io.github.rseq4j.doctor;

import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;

/**
 * The kernel's rseq fields as one thread saw them. A field is null where this thread has no
 * value for it: the kernel does not fill it, or rseq is unavailable and only the
 * {@code sched_getcpu()} fallback answered.
 *
 * @param source {@link #RSEQ} or {@link #FALLBACK}: where {@code cpuId} came from
 */
record ThreadSample(String name, String source, Integer cpuId, Integer cpuIdStart, Integer nodeId, Integer mmCid) {

    static final String RSEQ = "rseq";
    static final String FALLBACK = "sched_getcpu";

    /**
     * Reads the calling thread's fields through {@code handle}, its registration; null when rseq
     * is unavailable, so the sample shows what {@link RseqThread#currentCpu()} falls back to.
     */
    static ThreadSample ofCallingThread(RseqThread handle, RseqSupport rseq) {
        String name = Thread.currentThread().getName();
        if (handle == null) {
            return new ThreadSample(name, FALLBACK, RseqThread.currentCpu(), null, null, null);
        }
        return new ThreadSample(name, RSEQ, handle.cpuId(), handle.cpuIdStart(),
                rseq.hasNodeId() ? handle.nodeId() : null, rseq.hasMmCid() ? handle.mmCid() : null);
    }
}
