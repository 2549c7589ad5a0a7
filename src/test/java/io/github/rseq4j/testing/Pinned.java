package io.github.rseq4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.PerCpuSections.Mode;
import io.github.rseq4j.internal.sys.Affinity;
import java.util.function.IntConsumer;

/**
 * Tests that must see which CPU slot a section writes: the calling thread, pinned to one CPU so that no
 * migration moves it between calls, and able to run sections (registered in REGISTER mode).
 */
public final class Pinned {
    private Pinned() {}

    /**
     * Runs {@code body} with the number of the CPU the calling thread is pinned to, then restores its mask and
     * registration. The highest allowed CPU, so that a slot number that is wrongly 0 does not pass by chance.
     * Skipped in ATOMIC mode, where no section runs.
     */
    public static void onACpuRunningSections(IntConsumer body) {
        assumeTrue(PerCpuSections.MODE != Mode.ATOMIC, "no section runs in ATOMIC mode");
        int cpu = Affinity.allowed().length() - 1;
        try (var _ = registerIfNeeded()) {
            Affinity.runPinned(cpu, () -> body.accept(cpu));
        }
    }

    /**
     * Registers the calling thread where sections need it (REGISTER mode: rseq4j owns rseq, as with glibc before
     * 2.35), for try-with-resources; null elsewhere. Without it such a thread takes the shared slot.
     */
    public static RseqThread.Registration registerIfNeeded() {
        return PerCpuSections.MODE == Mode.REGISTER ? RseqThread.register() : null;
    }
}
