package io.github.rseq4j;

import static io.github.rseq4j.PerCpuSlots.get;
import static io.github.rseq4j.PerCpuStacks.DEPTH;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rseq4j.testing.Pinned;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The stacks below PerCpuList and PerCpuPool: which slot a node lands on and leaves from. */
class PerCpuStacksTest {

    private static final long NODE_BYTES = 16; // NEXT, DEPTH

    /** Node {@code i} (from 1) of {@code nodes}; node 0 is left unused, so that no node starts the segment. */
    private static long node(MemorySegment nodes, int i) {
        return nodes.address() + i * NODE_BYTES;
    }

    private static int shared(PerCpuStacks stacks) {
        return stacks.slotCount() - 1;
    }

    @Test
    void lockedPushesAndPopsAreLastInFirstOutPerStack() {
        PerCpuStacks stacks = new PerCpuStacks(2, PerCpuIndexing.CPU_ID);
        int shared = shared(stacks);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nodes = arena.allocate(3 * NODE_BYTES, NODE_BYTES);
            stacks.pushLocked(shared, 1, node(nodes, 1));
            stacks.pushLocked(shared, 1, node(nodes, 2));
            assertEquals(0, stacks.popLocked(shared, 0), "stack 0 of the slot");
            assertEquals(node(nodes, 2), stacks.popLocked(shared, 1));
            assertEquals(node(nodes, 1), stacks.popLocked(shared, 1));
            assertEquals(0, stacks.popLocked(shared, 1));
        }
    }

    @Test
    void popTakesTheOwnStackFirstThenTheSharedSlot() {
        Pinned.onACpuRunningSections(cpu -> {
            PerCpuStacks stacks = new PerCpuStacks(1, PerCpuIndexing.CPU_ID);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nodes = arena.allocate(3 * NODE_BYTES, NODE_BYTES);
                stacks.push(0, node(nodes, 1));
                stacks.pushLocked(shared(stacks), 0, node(nodes, 2));
                assertEquals(node(nodes, 1), stacks.pop(0), "the CPU's own stack first");
                assertEquals(node(nodes, 2), stacks.pop(0), "then the shared slot");
                assertEquals(0, stacks.pop(0));
            }
        });
    }

    @Test
    void aStackAtItsDepthLimitSendsPushesToTheSharedSlot() {
        Pinned.onACpuRunningSections(cpu -> {
            PerCpuStacks stacks = new PerCpuStacks(1, PerCpuIndexing.CPU_ID, 2);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment nodes = arena.allocate(4 * NODE_BYTES, NODE_BYTES);
                for (int i = 1; i <= 3; i++) {
                    stacks.push(0, node(nodes, i));
                }
                assertEquals(1, get(node(nodes, 1) + DEPTH), "depth of the bottom node");
                assertEquals(2, get(node(nodes, 2) + DEPTH), "depth of the node above it");
                assertEquals(node(nodes, 3), stacks.popLocked(shared(stacks), 0), "the push past the limit");
                assertEquals(node(nodes, 2), stacks.popLocked(cpu, 0));
                assertEquals(node(nodes, 1), stacks.popLocked(cpu, 0));
                assertEquals(0, stacks.popLocked(cpu, 0));
            }
        });
    }

    @Test
    void stacksUseTheActiveIndexingAndALinePerSlot() {
        for (PerCpuIndexing indexing : PerCpuIndexing.values()) {
            PerCpuStacks stacks = new PerCpuStacks(8, indexing);
            assertEquals(indexing.active(), stacks.indexing());
            assertEquals(stacks.slotCount() * PerCpuSlots.LINE, stacks.nativeBytes(), indexing.toString());
        }
    }
}
