package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuPool;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the constructors' javadoc says: the native memory of {@link PerCpuSpinLock} and {@link PerCpuPool} is
 * reserved as direct memory, so {@code -XX:MaxDirectMemorySize} caps it, and {@code nativeBytes()} says how much.
 * Forked: a JVM of its own with a 1 MiB limit.
 */
class DirectMemoryLimitTest {

    private static final long LIMIT = 1 << 20;

    @Test
    void nativeBytesCountAgainstMaxDirectMemorySize() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, Map.of(), List.of("-XX:MaxDirectMemorySize=" + LIMIT));
        assertTrue(r.exitCode() == 0 && r.output().contains("locks: OutOfMemoryError Cannot reserve")
                && r.output().contains("locks within the limit: true")
                && r.output().contains("pool: OutOfMemoryError Cannot reserve"), r.describe());
    }

    public static final class Child {
        public static void main(String[] args) {
            List<PerCpuSpinLock> locks = new ArrayList<>();
            try {
                while (locks.size() < LIMIT) {
                    locks.add(new PerCpuSpinLock());
                }
                System.out.println("locks: " + locks.size() + " made past the limit");
            } catch (OutOfMemoryError expected) {
                System.out.println("locks: OutOfMemoryError " + expected.getMessage());
            }
            long held = locks.size() * locks.getFirst().nativeBytes();
            System.out.println(locks.size() + " locks of " + locks.getFirst().nativeBytes() + " nativeBytes; "
                    + "locks within the limit: " + (held <= LIMIT && held > LIMIT / 2));
            locks.clear();
            try {
                PerCpuPool<Object> pool = new PerCpuPool<>((int) LIMIT / 64, Object::new);
                System.out.println("pool: " + pool.nativeBytes() + " bytes made past the limit");
            } catch (OutOfMemoryError expected) {
                System.out.println("pool: OutOfMemoryError " + expected.getMessage());
            }
        }
    }
}
