package io.github.rseq4j.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Syscalls;
import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.Namespaces;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * With /proc hidden (tmpfs, in a user and mount namespace) and rseq4j owning rseq: a slot whose Java thread has
 * terminated but whose tid is still a live thread of the process, left registered, is never handed out; once
 * that thread has left the kernel's thread group it is.
 */
class AreaPoolLivenessTest {

    @Test
    void aRegisteredSlotIsReusedOnlyAfterItsThreadLeftTheKernel() {
        Map<String, String> env = new HashMap<>(ForkedJvm.GLIBC_RSEQ_OFF);
        env.putAll(Namespaces.launcherEnvironment());
        ForkedJvm.Result r = ForkedJvm.run(Namespaces.hiding(List.of("/proc"), -1), Child.class, env);
        assumeFalse(r.output().contains("SKIP:"), r.output());
        assertTrue(r.exitCode() == 0 && r.output().contains("SLOT SAFE"), r.describe());
    }

    public static final class Child {
        /** More than two slabs' worth, so that the pool reclaims at least twice. */
        private static final int ACQUISITIONS = 200;

        public static void main(String[] args) throws Exception {
            if (RseqAbi.OWNER != AreaOwner.RSEQ4J) {
                System.out.println("SKIP: rseq owner is " + RseqAbi.OWNER + ", not RSEQ4J");
                return;
            }
            AreaPool pool = AreaPool.shared();
            Thread ended = Thread.ofPlatform().start(() -> { });
            ended.join();
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger tid = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> {
                tid.set(Libc.gettid());
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            started.await();
            // A lease as a thread that died registered leaves it: Java says terminated, the kernel may still write.
            long slot = pool.acquire(ended, tid.get());
            RseqMemory.refcount(slot, 1);
            if (handedOut(pool, slot)) {
                System.out.println("FAILURES: slot handed out while thread " + tid.get() + " still exists");
                System.exit(1);
            }
            release.countDown();
            holder.join();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Syscalls.tgkill(RseqNative.getpid(), tid.get(), 0) != -Errno.ESRCH && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (!handedOut(pool, slot)) {
                System.out.println("FAILURES: slot never reused after thread " + tid.get() + " was reaped");
                System.exit(1);
            }
            System.out.println("SLOT SAFE");
        }

        private static boolean handedOut(AreaPool pool, long slot) {
            for (int i = 0; i < ACQUISITIONS; i++) {
                if (pool.acquire(Thread.currentThread(), Libc.gettid()) == slot) {
                    return true;
                }
            }
            return false;
        }
    }
}
