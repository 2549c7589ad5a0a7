package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.PerCpuSections;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Namespaces;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The possible-CPU mask is hidden (tmpfs over /sys/devices/system/cpu and /proc, in a user and mount namespace)
 * and the JVM pinned to CPU 1, with glibc's rseq off: the configured CPU count then reads 1, so CPU 1 has no
 * slot. The per-CPU structures must not guess: they run on atomics, the probe says why, and a mix of
 * registered and unregistered threads stays exact.
 */
class PossibleCpusUnknownTest {

    @Test
    void hiddenPossibleMaskMeansAtomicsAndExactResults() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs CPU 1 to pin to");
        Map<String, String> env = new HashMap<>(ForkedJvm.GLIBC_RSEQ_OFF);
        env.putAll(Namespaces.launcherEnvironment());
        ForkedJvm.Result r = ForkedJvm.run(Namespaces.hiding(List.of("/sys/devices/system/cpu", "/proc"), 1),
                Child.class, env);
        assumeFalse(r.output().contains("SKIP:"), r.output());
        assertTrue(r.exitCode() == 0 && r.output().contains("ALL EXACT"), r.describe());
    }

    public static final class Child {
        private static final int VALUES = 1000;
        private static final int THREADS = 4; // even ones register, odd ones do not

        public static void main(String[] args) throws Exception {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            String implementation = RseqSupport.probe().perCpuImplementation();
            System.out.println("POSSIBLE=" + Cpus.POSSIBLE + " currentCpu()=" + RseqThread.currentCpu() + " per-CPU: "
                    + implementation);
            if (Cpus.UNKNOWN_REASON.isEmpty() || PerCpuSections.MODE != PerCpuSections.Mode.ATOMIC
                    || !implementation.contains(Cpus.UNKNOWN_REASON)) {
                failures.add("possible mask hidden, but the mode is " + PerCpuSections.MODE + " (" + implementation
                        + ")");
            }
            PerCpuList list = new PerCpuList();
            PerCpuCounter counter = new PerCpuCounter();
            PerCpuSpinLock lock = new PerCpuSpinLock();
            long[] guarded = new long[PerCpuSpinLock.slots()];
            PerCpuBuffer buffer = new PerCpuBuffer(VALUES);
            AtomicLong popped = new AtomicLong(), poppedCount = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    RseqThread handle = first % 2 == 0 ? RseqThread.register() : null;
                    try {
                        for (int v = first + 1; v <= VALUES; v += THREADS) {
                            list.push(v);
                            buffer.push(v);
                            counter.add(v);
                            int slot = lock.lock();
                            guarded[slot] += v;
                            lock.unlock(slot);
                            if (v % 3 == 0) {
                                list.pop().ifPresent(x -> {
                                    popped.addAndGet(x);
                                    poppedCount.incrementAndGet();
                                });
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(Thread.currentThread() + ": " + e);
                    } finally {
                        if (handle != null) {
                            handle.unregister();
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            long want = (long) VALUES * (VALUES + 1) / 2;
            AtomicLong listSum = new AtomicLong(popped.get()), bufferSum = new AtomicLong();
            long listCount = poppedCount.get() + list.drain(listSum::addAndGet);
            long bufferCount = buffer.drain(r -> bufferSum.addAndGet(r.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0)));
            long locked = 0;
            for (long g : guarded) {
                locked += g;
            }
            check(failures, "list elements", listCount, VALUES);
            check(failures, "list sum", listSum.get(), want);
            check(failures, "buffer elements", bufferCount, VALUES);
            check(failures, "buffer sum", bufferSum.get(), want);
            check(failures, "counter", counter.sum(), want);
            check(failures, "lock-guarded sum", locked, want);
            if (!failures.isEmpty()) {
                System.out.println("FAILURES: " + failures);
                System.exit(1);
            }
            System.out.println("ALL EXACT");
        }

        private static void check(List<String> failures, String what, long got, long want) {
            if (got != want) {
                failures.add(what + ": " + got + ", expected " + want);
            }
        }
    }
}
