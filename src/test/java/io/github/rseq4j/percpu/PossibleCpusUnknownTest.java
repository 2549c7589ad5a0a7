package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import io.github.rseq4j.internal.sys.Cpus;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Namespaces;
import java.lang.foreign.ValueLayout;
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
        private static final int ROUNDS = 100_000;
        private static final int THREADS = 4; // even ones register, odd ones do not

        public static void main(String[] args) throws Exception {
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            RseqSupport probe = RseqSupport.probe();
            System.out.println("POSSIBLE=" + Cpus.POSSIBLE + " currentCpu()=" + RseqThread.currentCpu() + " per-CPU: "
                    + probe.perCpuImplementation() + " (" + probe.perCpuFallbackReason() + ")");
            if (Cpus.UNKNOWN_REASON.isEmpty() || probe.perCpuImplementation() != PerCpuImplementation.ATOMICS
                    || !probe.perCpuFallbackReason().contains(Cpus.UNKNOWN_REASON)) {
                failures.add("possible mask hidden, but the implementation is " + probe.perCpuImplementation()
                        + " (" + probe.perCpuFallbackReason() + ")");
            }
            PerCpuList list = new PerCpuList();
            PerCpuCounter counter = new PerCpuCounter();
            PerCpuSpinLock lock = new PerCpuSpinLock();
            long[] guarded = new long[PerCpuSpinLock.maxSlotCount()];
            PerCpuBuffer buffer = new PerCpuBuffer(ROUNDS);
            AtomicLong listSum = new AtomicLong(), listCount = new AtomicLong();
            AtomicLong bufferSum = new AtomicLong(), bufferCount = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long first = (long) t * ROUNDS + 1;
                boolean register = t % 2 == 0;
                threads.add(Thread.ofPlatform().start(() -> {
                    RseqThread.Registration registration = register ? RseqThread.register() : null;
                    try {
                        // Every value once through the list and the buffer, popped at once or drained at the end:
                        // pushes and pops of registered and unregistered threads interleave on one CPU.
                        for (long v = first; v < first + ROUNDS; v++) {
                            list.push(v);
                            list.pop().ifPresent(x -> {
                                listSum.addAndGet(x);
                                listCount.incrementAndGet();
                            });
                            if (!buffer.push(v)) {
                                failures.add("buffer full");
                            }
                            buffer.pop().ifPresent(x -> {
                                bufferSum.addAndGet(x);
                                bufferCount.incrementAndGet();
                            });
                            counter.increment();
                            int slot = lock.lock();
                            guarded[slot]++;
                            lock.unlock(slot);
                        }
                    } catch (Throwable e) {
                        failures.add(Thread.currentThread() + ": " + e);
                    } finally {
                        if (registration != null) {
                            registration.close();
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            long values = (long) THREADS * ROUNDS;
            long want = values * (values + 1) / 2;
            listCount.addAndGet(list.drain(listSum::addAndGet));
            bufferCount.addAndGet(buffer.drain(r -> bufferSum.addAndGet(r.get(ValueLayout.JAVA_LONG, 0))));
            long locked = 0;
            for (long g : guarded) {
                locked += g;
            }
            check(failures, "list elements", listCount.get(), values);
            check(failures, "list sum", listSum.get(), want);
            check(failures, "buffer elements", bufferCount.get(), values);
            check(failures, "buffer sum", bufferSum.get(), want);
            check(failures, "counter", counter.sum(), values);
            check(failures, "lock-guarded increments", locked, values);
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
