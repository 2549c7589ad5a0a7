package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.internal.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class AreaPoolTest {

    /** Several slabs' worth: a slab aligned only to 32 bytes would put half of them across two cache lines. */
    @Test
    void everySlotStartsOnACacheLine() {
        AreaPool pool = new AreaPool();
        for (int i = 0; i < 64 * 4; i++) {
            long slot = pool.acquire(Thread.currentThread(), Libc.gettid());
            assertEquals(0, slot % 64, "slot " + i + " at 0x" + Long.toHexString(slot));
        }
    }

    /** 64 slots a slab: the 64 first leases share one slab, in distinct slots, and the 65th starts another. */
    @Test
    void aSlabHandsOutEachOfItsSlotsOnce() {
        AreaPool pool = new AreaPool();
        long[] slots = new long[64];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = pool.acquire(Thread.currentThread(), Libc.gettid());
        }
        Arrays.sort(slots);
        for (int i = 1; i < slots.length; i++) {
            assertTrue(slots[i] - slots[i - 1] >= AreaPool.SLOT_SIZE,
                    "slots overlap at 0x" + Long.toHexString(slots[i]));
        }
        assertEquals(63 * AreaPool.SLOT_SIZE, slots[63] - slots[0], "the first 64 slots fill one slab");
        long next = pool.acquire(Thread.currentThread(), Libc.gettid());
        assertTrue(next < slots[0] || next > slots[63], "the 65th slot comes from another slab");
    }

    @Test
    void aSlotReadsUnregisteredUntilTheKernelWritesIt() {
        long slot = new AreaPool().acquire(Thread.currentThread(), Libc.gettid());
        assertEquals(-1, RseqMemory.readField(slot + RseqAbi.CPU_ID), "cpu_id is RSEQ_CPU_ID_UNINITIALIZED");
        assertEquals(0, RseqMemory.refcount(slot));
    }

    /**
     * Once a slab is spent, the slots of threads that ended in Java and left them unregistered come back before
     * the pool grows, even while the OS thread is still being reaped (here: the tid names a live thread).
     */
    @Test
    void theSlotsOfEndedUnregisteredThreadsAreReusedBeforeANewSlab() throws InterruptedException {
        AreaPool pool = new AreaPool();
        CountDownLatch end = new CountDownLatch(1);
        Thread owner = Thread.ofPlatform().start(() -> {
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Set<Long> ownerSlots = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            ownerSlots.add(pool.acquire(owner, Libc.gettid()));
        }
        end.countDown();
        owner.join();
        for (int i = 0; i < 64; i++) {
            assertTrue(ownerSlots.contains(pool.acquire(Thread.currentThread(), Libc.gettid())),
                    "lease " + i + " after the owner ended reuses one of its slots");
        }
    }

    /**
     * The count a thread left behind means a registration of the slot only where rseq4j owns rseq; under
     * glibc the kernel never had the slot, so it comes back even while the tid still names a live thread.
     */
    @Test
    void aCountLeftBehindPinsTheSlotOnlyWhereRseq4jRegisters() throws InterruptedException {
        AreaPool pool = new AreaPool();
        Thread ended = Thread.ofPlatform().start(() -> {});
        ended.join();
        Set<Long> counted = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            long slot = pool.acquire(ended, Libc.gettid());
            RseqMemory.refcount(slot, 1);
            counted.add(slot);
        }
        long next = pool.acquire(Thread.currentThread(), Libc.gettid());
        assertEquals(RseqAbi.OWNER != AreaOwner.RSEQ4J, counted.contains(next), "slot reused; owner " + RseqAbi.OWNER);
    }

    /** A slab is the pool's own memory: nothing allocated after it lies in its slots. */
    @Test
    void laterAllocationsLieOutsideTheSlots() {
        AreaPool pool = new AreaPool();
        long first = pool.acquire(Thread.currentThread(), Libc.gettid());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment later = arena.allocate(64 * AreaPool.SLOT_SIZE);
            long start = later.address(), end = start + later.byteSize();
            for (int i = 0; i < 64; i++) {
                long slot = i == 0 ? first : pool.acquire(Thread.currentThread(), Libc.gettid());
                assertTrue(slot + AreaPool.SLOT_SIZE <= start || slot >= end,
                        "slot 0x" + Long.toHexString(slot) + " inside a later allocation at 0x"
                                + Long.toHexString(start));
            }
        }
    }
}
