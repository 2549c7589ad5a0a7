package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * One carrier (virtual thread scheduler parallelism 1), one CPU: a virtual thread holds a {@link PerCpuSpinLock}
 * slot across a sleep (it parks and leaves the carrier), and another virtual thread waits for the same slot. A
 * waiter that spun on the carrier would keep the holder from ever resuming; the lock must yield instead.
 * Forked: the scheduler's parallelism is fixed when the first virtual thread starts.
 */
class SpinLockVirtualThreadTest {

    @Test
    void aWaitingVirtualThreadLetsAParkedHolderResume() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, Map.of());
        assertTrue(r.exitCode() == 0 && r.output().contains("NO DEADLOCK"), r.describe());
    }

    public static final class Child {
        public static void main(String[] args) throws Exception {
            BitSet one = new BitSet();
            one.set(Affinity.allowed().nextSetBit(0));
            Affinity.set(one); // carriers, started from here, inherit it: every lock() sees the same CPU
            System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
            System.setProperty("jdk.virtualThreadScheduler.maxPoolSize", "1");
            PerCpuSpinLock lock = new PerCpuSpinLock();
            CountDownLatch held = new CountDownLatch(1);
            Thread holder = Thread.ofVirtual().start(() -> {
                int slot = lock.lock();
                held.countDown();
                try {
                    Thread.sleep(100); // parks: the carrier is free for the waiter
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    lock.unlock(slot);
                }
            });
            held.await();
            Thread waiter = Thread.ofVirtual().start(() -> lock.unlock(lock.lock()));
            holder.join(java.time.Duration.ofSeconds(10));
            waiter.join(java.time.Duration.ofSeconds(10));
            if (holder.isAlive() || waiter.isAlive()) {
                System.out.println("DEADLOCK: holder alive " + holder.isAlive() + ", waiter alive " + waiter.isAlive());
                System.exit(1);
            }
            System.out.println("NO DEADLOCK");
        }
    }
}
