package io.github.rseq4j.bench;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Per-thread out-parameter for the getcpu syscall, allocated once so allocation is not measured. */
@State(Scope.Thread)
public class Scratch {
    // Thread-scoped state is created and torn down on its worker thread, so a confined arena fits.
    private final Arena arena = Arena.ofConfined();
    final MemorySegment cpu = arena.allocate(JAVA_INT);

    @TearDown
    public void close() {
        arena.close();
    }
}
