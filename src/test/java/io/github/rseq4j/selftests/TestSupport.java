package io.github.rseq4j.selftests;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.RseqAbi;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.function.Executable;

/**
 * Helpers the self-tests share, in process and in forked scenario JVMs. Nothing here may
 * touch {@link RseqAbi} in static initialization: the seccomp scenario must install its
 * filter before RseqAbi probes the kernel.
 */
final class TestSupport {
    private TestSupport() {}

    static final int RSEQ_FLAG_UNREGISTER = 1;
    /** The kernel resets cpu_id to this (RSEQ_CPU_ID_UNINITIALIZED) on unregistration. */
    static final int CPU_ID_UNINITIALIZED = -1;

    // ---------------------------------------------------------------- threads

    /**
     * Runs {@code body} on a new platform thread and rethrows what it threw (assertion
     * failures and aborted assumptions included), so each check starts with a thread that
     * has no registration and the caller's CPU mask, and leaves neither behind.
     */
    static void onNewThread(Executable body) {
        onNewThread(Thread.ofPlatform().name("rseq4j-selftest").factory(), body);
    }

    /** Same, on a thread from {@code factory} (e.g. {@link RseqThread#threadFactory()}). */
    static void onNewThread(ThreadFactory factory, Executable body) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread thread = factory.newThread(() -> {
            try {
                body.execute();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        thread.start();
        join(thread);
        rethrow(thrown.get());
    }

    static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + thread, e);
        }
    }

    static void rethrow(Throwable t) {
        if (t instanceof Error error) {
            throw error;
        }
        if (t instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (t != null) {
            throw new AssertionError(t);
        }
    }

    // ---------------------------------------------------------------- machine facts

    /** The CPUs the calling thread may run on, ascending. */
    static List<Integer> allowedCpus() {
        return Affinity.allowed().stream().boxed().toList();
    }

    /** The allowed CPUs, skipping the test when there are fewer than {@code n} (migration needs 2). */
    static List<Integer> assumeCpus(int n) {
        List<Integer> cpus = allowedCpus();
        Assumptions.assumeTrue(cpus.size() >= n,
                "needs at least " + n + " allowed CPUs to migrate between; this thread may use " + cpus);
        return cpus;
    }

    /** nr_cpu_ids: one more than the highest CPU in /sys/devices/system/cpu/possible. */
    static int possibleCpus() {
        return highestInList(Path.of("/sys/devices/system/cpu/possible")) + 1;
    }

    /** One more than the highest node in /sys/devices/system/node/possible; 1 without NUMA support. */
    static int possibleNodes() {
        Path possible = Path.of("/sys/devices/system/node/possible");
        return Files.exists(possible) ? highestInList(possible) + 1 : 1;
    }

    /** Threads (kernel tasks) in this process right now; mm_cid is below this. */
    static long liveTasks() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a kernel CPU list such as "0-3,8-11" and returns its highest entry. */
    private static int highestInList(Path file) {
        try {
            String list = Files.readString(file).strip();
            String last = list.substring(list.lastIndexOf(',') + 1);
            return Integer.parseInt(last.substring(last.lastIndexOf('-') + 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- rseq state

    static void assumeOwner(Owner expected) {
        Owner owner = RseqSupport.probe().owner();
        Assumptions.assumeTrue(owner == expected, "needs rseq owned by " + expected + "; this JVM has " + owner
                + " (GLIBC_TUNABLES=" + System.getenv("GLIBC_TUNABLES") + ")");
    }

    /** Whether the kernel and the area's owner keep node_id and mm_cid current (Linux 6.3). */
    static boolean hasNodeAndMmCid() {
        return RseqAbi.covers(RseqAbi.MM_CID + Integer.BYTES);
    }

    /** Address of the area the handle reads (glibc's, or rseq4j's own); a private field. */
    static long areaOf(RseqThread handle) {
        return (long) privateField(handle, "area");
    }

    /** Address of the handle's native slot, where the registration count lives; a private field. */
    static long slotOf(RseqThread handle) {
        return (long) privateField(handle, "slot");
    }

    private static Object privateField(RseqThread handle, String name) {
        try {
            Field field = RseqThread.class.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(handle);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("RseqThread." + name + " is gone; update the self-tests", e);
        }
    }

    /**
     * A zeroed area of {@code bytes} at an address aligned to 64, never freed: a test that fails
     * while the kernel still has it registered must not leave the kernel writing freed memory.
     */
    static MemorySegment newArea(long bytes) {
        MemorySegment area = Arena.global().allocate(bytes, 64);
        area.set(JAVA_INT, RseqAbi.CPU_ID, CPU_ID_UNINITIALIZED);
        return area;
    }

    static int rawRegister(long area, int length) {
        return Syscalls.rseq(area, length, 0, RseqAbi.SIGNATURE);
    }

    static int rawUnregister(long area, int length) {
        return Syscalls.rseq(area, length, RSEQ_FLAG_UNREGISTER, RseqAbi.SIGNATURE);
    }

    /**
     * Asserts a raw rseq(2) result: {@code expectedErrno} 0 for success, else the errno the
     * kernel must return. Messages name errnos, e.g. "expected -EINVAL (22), got 0".
     */
    static void assertRc(int expectedErrno, int rc, String call) {
        assertEquals(-expectedErrno, rc,
                () -> call + ": expected " + describeRc(-expectedErrno) + ", got " + describeRc(rc));
    }

    static String describeRc(int rc) {
        return rc >= 0 ? Integer.toString(rc) : "-" + Errno.describe(-rc);
    }

    /**
     * The checks of kernel/rseq basic_test.c for one CPU, with the thread pinned there:
     * every way to read the CPU agrees, node_id is getcpu's node and mm_cid is in range.
     */
    static void assertFieldsOnPinnedCpu(RseqThread handle, int cpu) {
        assertEquals(cpu, Libc.schedGetcpu(), "sched_getcpu() while pinned to CPU " + cpu);
        assertEquals(cpu, handle.cpuId(), "cpu_id while pinned to CPU " + cpu);
        assertEquals(cpu, handle.cpuIdStart(), "cpu_id_start while pinned to CPU " + cpu);
        assertEquals(cpu, RseqThread.currentCpu(), "RseqThread.currentCpu() while pinned to CPU " + cpu);
        if (hasNodeAndMmCid()) {
            int node = Libc.currentNode();
            assertEquals(node, handle.nodeId(), "node_id on CPU " + cpu + " vs getcpu()'s node");
            assertEquals(node, RseqThread.currentNode(), "RseqThread.currentNode() on CPU " + cpu);
            assertMmCidInRange(handle.mmCid(), "mm_cid");
            assertMmCidInRange(RseqThread.currentMmCid(), "RseqThread.currentMmCid()");
        }
    }

    /** mm_cid is a small id: below the number of threads of the process and below nr_cpu_ids. */
    static void assertMmCidInRange(int mmCid, String what) {
        long tasks = liveTasks();
        int cpus = possibleCpus();
        assertTrue(mmCid >= 0 && mmCid < tasks && mmCid < cpus,
                () -> what + " = " + mmCid + ", expected in [0, min(" + tasks + " live threads, "
                        + cpus + " possible CPUs))");
    }
}
