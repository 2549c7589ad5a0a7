package io.github.rseq4j.doctor;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Platform threads for the checks. A fresh thread has a known registration count (zero) and
 * its own CPU mask, so the checks leave the caller's registration and affinity as they were.
 */
final class DoctorThreads {
    private DoctorThreads() {}

    /** Long enough for a loaded machine, short enough that a stuck check still yields a report. */
    static final long TIMEOUT_SECONDS = 30;

    static <T> Future<T> start(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        // Daemon: a check stuck in the kernel must not keep the JVM from exiting with its report.
        Thread.ofPlatform().name(name).daemon().start(future);
        return future;
    }

    /** The task's result; what it threw is rethrown, wrapped only when not unchecked. */
    static <T> T result(Future<T> future, String name) {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            throw new IllegalStateException(name + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " did not finish within " + TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name);
        }
    }

    static <T> T call(String name, Callable<T> task) {
        return result(start(name, task), name);
    }

    /** Waits until {@code done} opens, at most {@link #TIMEOUT_SECONDS}; {@code what} names it in the error. */
    static void await(CountDownLatch done, String what) {
        try {
            if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(what + " did not happen within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting until " + what);
        }
    }
}
