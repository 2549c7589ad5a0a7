package io.github.rseq4j.bench;

import io.github.rseq4j.RseqThread;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A JMH worker thread registered with rseq4j for the whole trial. JMH runs Thread-scoped setup
 * and teardown on the worker itself, which register() needs: it always acts on the calling thread.
 */
@State(Scope.Thread)
public class RegisteredThread {
    RseqThread.Registration registration;
    RseqThread handle;

    @Setup
    public void register() {
        registration = RseqThread.register();
        handle = registration.thread();
    }

    @TearDown
    public void unregister() {
        registration.close();
    }
}
