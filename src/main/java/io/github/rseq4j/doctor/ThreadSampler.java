package io.github.rseq4j.doctor;

import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Samples the calling thread and a few started ones while all of them are alive and
 * registered, so the process's thread count, taken at that moment, bounds their mm_cid.
 *
 * <p>Without rseq only the calling thread is sampled: if glibc registered rseq before a
 * seccomp filter blocked it, glibc aborts the process in every thread started afterwards.
 */
final class ThreadSampler {
    private ThreadSampler() {}

    static final int STARTED_THREADS = 3;

    /** @param processThreads threads of the process while the samples were registered */
    record Samples(List<ThreadSample> threads, long processThreads) {}

    static Samples sample(RseqSupport rseq) {
        int startedThreads = rseq.available() ? STARTED_THREADS : 0;
        CountDownLatch sampled = new CountDownLatch(startedThreads);
        CountDownLatch release = new CountDownLatch(1);
        List<Future<ThreadSample>> started = new ArrayList<>();
        List<ThreadSample> threads = new ArrayList<>();
        long processThreads;
        RseqThread handle = null;
        try {
            for (int i = 1; i <= startedThreads; i++) {
                started.add(DoctorThreads.start(threadName(i), () -> sampleAndHold(rseq, sampled, release)));
            }
            handle = registerIfAvailable(rseq);
            threads.add(ThreadSample.ofCallingThread(handle, rseq));
            DoctorThreads.await(sampled, "the sampling threads read their fields");
            processThreads = processThreads();
        } finally {
            release.countDown();
            unregister(handle);
        }
        for (int i = 1; i <= startedThreads; i++) {
            threads.add(DoctorThreads.result(started.get(i - 1), threadName(i)));
        }
        return new Samples(threads, processThreads);
    }

    private static ThreadSample sampleAndHold(RseqSupport rseq, CountDownLatch sampled, CountDownLatch release) {
        RseqThread handle = null;
        ThreadSample sample;
        try {
            handle = registerIfAvailable(rseq);
            sample = ThreadSample.ofCallingThread(handle, rseq);
        } finally {
            // Also on failure, so the sampler does not wait for a sample that will never come.
            sampled.countDown();
        }
        try {
            DoctorThreads.await(release, "the thread count was taken");
            return sample;
        } finally {
            unregister(handle);
        }
    }

    private static String threadName(int i) {
        return "rseq4j-doctor-" + i;
    }

    /** The calling thread's registration, or null where rseq is unavailable and reads fall back. */
    private static RseqThread registerIfAvailable(RseqSupport rseq) {
        return rseq.available() ? RseqThread.register().thread() : null;
    }

    private static void unregister(RseqThread handle) {
        if (handle != null) {
            handle.unregister();
        }
    }

    /** Every thread of the process, JVM-internal ones included, as the kernel counts them. */
    private static long processThreads() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot count the process's threads in /proc/self/task", e);
        }
    }
}
