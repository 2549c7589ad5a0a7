package io.github.rseq4j.selftests;

import static io.github.rseq4j.internal.sys.Errno.EBUSY;
import static io.github.rseq4j.internal.sys.Errno.EINVAL;
import static io.github.rseq4j.selftests.Scenario.check;
import static io.github.rseq4j.selftests.TestSupport.CPU_ID_UNINITIALIZED;
import static io.github.rseq4j.selftests.TestSupport.areaOf;
import static io.github.rseq4j.selftests.TestSupport.assertFieldsOnPinnedCpu;
import static io.github.rseq4j.selftests.TestSupport.assertRc;
import static io.github.rseq4j.selftests.TestSupport.assumeCpus;
import static io.github.rseq4j.selftests.TestSupport.assumeOwner;
import static io.github.rseq4j.selftests.TestSupport.onNewThread;
import static io.github.rseq4j.selftests.TestSupport.rawRegister;
import static io.github.rseq4j.selftests.TestSupport.rawUnregister;
import static io.github.rseq4j.selftests.TestSupport.slotOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.AreaOwner;
import io.github.rseq4j.internal.AreaPool;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.RseqMemory;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The registration count behind nested register()/unregister(), the part of the selftests'
 * rseq.c (rseq_register_current_thread() / rseq_unregister_current_thread() with its
 * per-thread refcount) and param_test.c's per-thread registration that rseq4j keeps itself.
 * The 2018 rseq.c kept that count at offset 20 of the area, which Linux 6.3 turned into
 * node_id and now overwrites on every return to user space; the migration checks would
 * catch a count still living there.
 */
class RefcountTest {

    private static final int NESTING = 5;
    private static final int MIGRATIONS = 300;

    @Test
    void countLiesOutsideTheBytesTheKernelWrites() {
        assertTrue(AreaPool.REFCOUNT_OFFSET >= RseqAbi.REGISTRATION_LENGTH
                        && AreaPool.REFCOUNT_OFFSET >= RseqAbi.FEATURE_SIZE,
                () -> "count at offset " + AreaPool.REFCOUNT_OFFSET + " overlaps the registered "
                        + RseqAbi.REGISTRATION_LENGTH + " bytes / feature size " + RseqAbi.FEATURE_SIZE);
    }

    @Test
    void glibcOwnedRegistrationIsCountedWithoutSystemCalls() {
        assumeOwner(Owner.GLIBC);
        onNewThread(() -> {
            RseqThread handle = RseqThread.current();
            long area = areaOf(handle);
            assertEquals(RseqAbi.ARCH.threadPointer() + RseqAbi.GLIBC_OFFSET, area, "handle must read glibc's area");
            assertTrue(handle.isRegistered(), "glibc registered the thread already");
            assertEquals(0, handle.registrations());
            for (int i = 1; i <= NESTING; i++) {
                // Had register() called rseq(2) on glibc's area, the kernel would have said EBUSY.
                assertSame(handle, RseqThread.register().thread());
                assertEquals(i, handle.registrations());
            }
            for (int i = NESTING - 1; i >= 0; i--) {
                handle.unregister();
                assertEquals(i, handle.registrations());
            }
            // No unregistration either: glibc's registration is still the kernel's, and live.
            assertTrue(handle.isRegistered());
            assertRc(EBUSY, rawRegister(area, RseqAbi.REGISTRATION_LENGTH), "glibc's area must still be registered");
            int cpu = TestSupport.allowedCpus().getFirst();
            Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
        });
    }

    @Test
    void unbalancedUnregisterThrows() {
        onNewThread(RefcountTest::unbalancedUnregister);
    }

    @Test
    void handleRejectsOtherThreads() {
        onNewThread(RefcountTest::wrongThread);
    }

    @Test
    void countOverflowIsRefused() {
        onNewThread(RefcountTest::overflow);
    }

    @Test
    void countSurvivesMigrations() {
        onNewThread(RefcountTest::migrations);
    }

    @TestFactory
    Stream<DynamicTest> ownArea() {
        return Scenario.forked(OwnArea.class, ForkedJvm.GLIBC_RSEQ_OFF);
    }

    static void unbalancedUnregister() {
        RseqThread handle = RseqThread.current();
        assertThrows(IllegalStateException.class, handle::unregister, "unregister() before any register()");
        RseqThread.register().close();
        assertThrows(IllegalStateException.class, handle::unregister, "unregister() once more than register()");
        assertEquals(0, handle.registrations(), "a refused unregister() must not change the count");
    }

    static void wrongThread() {
        RseqThread.Registration registration = RseqThread.register();
        RseqThread handle = registration.thread();
        try {
            onNewThread(() -> {
                assertThrows(WrongThreadException.class, handle::unregister);
                assertThrows(WrongThreadException.class, registration::close);
                assertThrows(WrongThreadException.class, handle::registrations);
                assertThrows(WrongThreadException.class, handle::isRegistered);
                assertThrows(WrongThreadException.class, handle::cpuId);
                assertThrows(WrongThreadException.class, handle::cpuIdStart);
                assertThrows(WrongThreadException.class, handle::nodeId);
                assertThrows(WrongThreadException.class, handle::mmCid);
            });
            assertEquals(1, handle.registrations(), "calls from another thread must not change the count");
        } finally {
            registration.close();
        }
    }

    static void overflow() {
        RseqThread handle = RseqThread.register().thread();
        long slot = slotOf(handle);
        try {
            RseqMemory.refcount(slot, Integer.MAX_VALUE - 1);
            RseqThread.register();
            assertEquals(Integer.MAX_VALUE, handle.registrations(), "the last count below overflow");
            assertThrows(IllegalStateException.class, RseqThread::register);
            assertEquals(Integer.MAX_VALUE, handle.registrations(), "a refused register() must not change the count");
            assertTrue(handle.isRegistered());
        } finally {
            RseqMemory.refcount(slot, 1);
        }
        handle.unregister();
        assertEquals(0, handle.registrations());
    }

    /**
     * Registered {@link #NESTING} times, the thread moves between CPUs {@link #MIGRATIONS}
     * times; after each move the kernel has rewritten cpu_id..mm_cid, and the count must not
     * have moved.
     */
    static void migrations() {
        List<Integer> cpus = assumeCpus(2);
        BitSet original = Affinity.allowed();
        RseqThread handle = RseqThread.current();
        for (int i = 0; i < NESTING; i++) {
            RseqThread.register();
        }
        try {
            for (int i = 0; i < MIGRATIONS; i++) {
                int cpu = cpus.get(i % cpus.size());
                BitSet only = new BitSet();
                only.set(cpu);
                Affinity.set(only);
                assertFieldsOnPinnedCpu(handle, cpu);
                assertEquals(NESTING, handle.registrations(), "count after migration " + i + " to CPU " + cpu);
            }
        } finally {
            Affinity.set(original);
            for (int i = 0; i < NESTING; i++) {
                handle.unregister();
            }
        }
        assertEquals(0, handle.registrations());
    }

    /**
     * rseq4j's own area: only the outermost register() and unregister() reach the kernel. In
     * between, the kernel keeps the area current across migrations; after the last, it has
     * reset cpu_id to RSEQ_CPU_ID_UNINITIALIZED and writes it no more.
     */
    static void nestedOwnRegistration() {
        List<Integer> cpus = assumeCpus(2);
        RseqThread handle = RseqThread.register().thread();
        long area = areaOf(handle);
        assertSame(handle, RseqThread.register().thread());
        assertSame(handle, RseqThread.register().thread());
        assertRc(EBUSY, rawRegister(area, RseqAbi.REGISTRATION_LENGTH), "the kernel holds rseq4j's area");
        for (int remaining = 2; remaining >= 1; remaining--) {
            handle.unregister();
            assertEquals(remaining, handle.registrations());
            assertTrue(handle.isRegistered());
            for (int cpu : cpus) {
                Affinity.runPinned(cpu, () -> assertFieldsOnPinnedCpu(handle, cpu));
            }
        }
        handle.unregister();
        assertFalse(handle.isRegistered());
        assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(), "cpu_id after the outermost unregister()");
        assertEquals(0, handle.cpuIdStart(), "cpu_id_start after the outermost unregister()");
        for (int cpu : cpus) {
            Affinity.runPinned(cpu, () ->
                    assertEquals(CPU_ID_UNINITIALIZED, handle.cpuId(),
                            "the kernel must not write an unregistered area"));
        }
        assertRc(EINVAL, rawUnregister(area, RseqAbi.REGISTRATION_LENGTH), "the kernel has no registration left");
    }

    /** In a JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0. */
    public static final class OwnArea {
        public static void main(String[] args) {
            Scenario.run(
                    check("rseq4j owns rseq", () -> assertEquals(AreaOwner.RSEQ4J, RseqAbi.OWNER)),
                    check("nested registration reaches the kernel once", RefcountTest::nestedOwnRegistration),
                    check("unbalanced unregister() throws", RefcountTest::unbalancedUnregister),
                    check("handle rejects other threads", RefcountTest::wrongThread),
                    check("count overflow is refused", RefcountTest::overflow),
                    check("count survives migrations", RefcountTest::migrations));
        }
    }
}
