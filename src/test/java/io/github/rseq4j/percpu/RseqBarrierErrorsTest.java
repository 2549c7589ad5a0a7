package io.github.rseq4j.percpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.RseqBarrier;
import io.github.rseq4j.RseqException;
import io.github.rseq4j.internal.sys.Errno;
import io.github.rseq4j.testing.ForkedJvm;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * RseqBarrier's error paths, in a fresh JVM: membarrier registration is process-wide and cannot be undone,
 * and other tests in this JVM register it.
 */
class RseqBarrierErrorsTest {

    @Test
    void errorsBeforeAndAfterRegister() {
        ForkedJvm.Result r = ForkedJvm.run(Child.class, Map.of());
        Assumptions.assumeFalse(r.output().contains("SKIP:"), r::output);
        assertEquals(0, r.exitCode(), r::describe);
        assertTrue(r.output().contains("ALL OK"), r::describe);
    }

    public static final class Child {
        public static void main(String[] args) {
            // 1. Not registered yet: EPERM, with a message that says what to do.
            try {
                RseqBarrier.abortAll();
                fail("abortAll() before register() succeeded");
            } catch (RseqException e) {
                if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOSYS) {
                    System.out.println("SKIP: membarrier rseq commands unavailable: " + e.getMessage());
                    return;
                }
                check(e.errno() == Errno.EPERM, "abortAll() before register(): errno " + e.errno() + ", want EPERM: "
                        + e.getMessage());
                check(e.getMessage().contains("register()"), "message does not say to call register(): "
                        + e.getMessage());
                System.out.println("OK unregistered abortAll: " + e.getMessage());
            }
            try {
                RseqBarrier.abortOn(0);
                fail("abortOn(0) before register() succeeded");
            } catch (RseqException e) {
                check(e.errno() == Errno.EPERM, "abortOn(0) before register(): errno " + e.errno());
            }

            // 2. Argument checked before any system call.
            try {
                RseqBarrier.abortOn(-1);
                fail("abortOn(-1) did not throw");
            } catch (IllegalArgumentException e) {
                System.out.println("OK abortOn(-1): " + e.getMessage());
            }

            // 3. Registered: both commands succeed (twice, register() is idempotent).
            RseqBarrier.register();
            RseqBarrier.register();
            RseqBarrier.abortAll();
            RseqBarrier.abortOn(0);
            System.out.println("OK registered abortAll and abortOn(0)");

            // 4. A CPU number no kernel could have: the kernel would silently do nothing (it treats
            // cpu >= nr_cpu_ids as nothing to abort), so rseq4j refuses it as bad input instead.
            int huge = 1 << 20;
            try {
                RseqBarrier.abortOn(huge);
                fail("abortOn(" + huge + ") returned: a CPU that cannot exist must be refused");
            } catch (IllegalArgumentException expected) {
                check(expected.getMessage().contains("possible"), "message names the limit: " + expected.getMessage());
                System.out.println("OK abortOn(" + huge + ") refused: " + expected.getMessage());
            }
            System.out.println("ALL OK");
        }

        private static void check(boolean condition, String message) {
            if (!condition) {
                fail(message);
            }
        }

        private static void fail(String message) {
            System.out.println("FAIL: " + message);
            System.exit(1);
        }
    }
}
