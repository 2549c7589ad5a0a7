package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.testing.Pinned;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Port of the kernel's basic_percpu_ops_test: spin-lock-protected sums and list conservation. */
class BasicPercpuOpsTest {

    @Test
    void spinlockProtectedSumsAreExact() {
        Scenarios.spinlock(200, Workers.repetitions(5_000), Scenarios.PLAIN);
    }

    /** Push N distinct values from many threads, then pop them all: the multiset is unchanged. */
    @Test
    void listConservesEveryElement() {
        PerCpuList list = new PerCpuList();
        int threads = 200, per = Workers.repetitions(1_000);
        Workers.run(threads, i -> {
            for (int r = 0; r < per; r++) {
                list.push((long) i * per + r);
            }
        });
        List<Long> out = new ArrayList<>();
        assertEquals((long) threads * per, list.drain(out::add));
        Scenarios.assertDistinctRange(out.stream().mapToLong(Long::longValue).toArray());
        assertEquals(0, list.drain(v -> {}));
    }

    @Test
    void singleThreadIsLifoPerCpu() {
        // A migration between calls would split the values over two CPUs; retry until one run stays put.
        for (int attempt = 0; ; attempt++) {
            PerCpuList list = new PerCpuList();
            list.push(1);
            list.push(2);
            list.push(3);
            long[] got = {list.pop().orElse(-1), list.pop().orElse(-1), list.pop().orElse(-1)};
            if (Arrays.equals(got, new long[] {3, 2, 1}) || attempt == 100) {
                assertEquals("[3, 2, 1]", Arrays.toString(got));
                assertEquals(0, list.drain(v -> {}));
                return;
            }
            list.drain(v -> {});
        }
    }

    @Test
    void bufferRespectsCapacityAndOrder() {
        for (int attempt = 0; ; attempt++) {
            PerCpuBuffer buffer = new PerCpuBuffer(2);
            boolean a = buffer.push(10), b = buffer.push(20), c = buffer.push(30);
            OptionalLong x = buffer.pop(), y = buffer.pop(), z = buffer.pop();
            boolean stayed = a && b && !c && x.orElse(-1) == 20 && y.orElse(-1) == 10 && z.isEmpty();
            if (stayed || attempt == 100) {
                assertTrue(a && b);
                assertFalse(c, "third push into a capacity-2 CPU buffer");
                assertEquals(20, x.orElse(-1));
                assertEquals(10, y.orElse(-1));
                assertTrue(z.isEmpty());
                return;
            }
        }
    }

    @Test
    void spinlockSlotsAreReleased() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        int slot = lock.lock();
        assertTrue(lock.isLocked(slot));
        lock.unlock(slot);
        assertFalse(lock.isLocked(slot));
    }

    /** A thread that runs sections takes its CPU's word, not the shared slot of threads that cannot. */
    @Test
    void spinlockTakesTheSlotOfTheHoldersCpu() {
        PerCpuSpinLock lock = new PerCpuSpinLock();
        Pinned.onACpuRunningSections(cpu -> {
            int slot = lock.lock();
            lock.unlock(slot);
            assertEquals(cpu, slot);
        });
    }
}
