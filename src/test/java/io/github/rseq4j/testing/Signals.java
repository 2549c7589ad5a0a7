package io.github.rseq4j.testing;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.ExecutableMemory;
import io.github.rseq4j.internal.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Signals for tests: a counting no-op handler in run-time machine code, installed with glibc's
 * {@code sigaction()}, and {@code tgkill(2)} to hit one thread. x86_64 only (see {@link #SUPPORTED}): the
 * handler stub and the hand-laid-out {@code struct sigaction} are x86_64's.
 *
 * <p>Use a signal the JVM leaves alone ({@link #SIGURG}: HotSpot installs no handler for it, and its default
 * disposition is to ignore it), and restore the previous disposition with {@link Handler#close()}.
 */
public final class Signals {
    private Signals() {}

    /** Whether this helper works here: the x86_64 handler stub and struct layout. */
    public static final boolean SUPPORTED = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> true;
        default -> false;
    };

    /** SIGURG is 23 on x86_64 and aarch64 alike (the binding's value is x86_64's). */
    public static final int SIGURG = RseqNative.SIGURG();

    // glibc's x86_64 struct sigaction (sysdeps/unix/sysv/linux/bits/sigaction.h): a handler pointer, a
    // 1024-bit sigset_t, int sa_flags (padded to 8), then the restorer pointer, which glibc's sigaction()
    // fills itself together with SA_RESTORER.
    private static final long SA_HANDLER = 0;
    private static final long SA_MASK = 8;
    private static final long SIGSET_BYTES = 128;
    private static final long SA_FLAGS = SA_MASK + SIGSET_BYTES; // 136
    private static final long SA_RESTORER = 144;
    private static final long SIGACTION_BYTES = 152;

    /** Sends {@code signal} to thread {@code tid} of this process: 0, or -errno. */
    public static long tgkill(int tid, int signal) {
        return Syscalls.tgkill(RseqNative.getpid(), tid, signal);
    }

    /** An installed handler; {@link #close()} puts the previous disposition back. */
    public static final class Handler implements AutoCloseable {
        private final int signal;
        private final MemorySegment counter;
        private final MemorySegment previous;
        private boolean closed;

        private Handler(int signal, MemorySegment counter, MemorySegment previous) {
            this.signal = signal;
            this.counter = counter;
            this.previous = previous;
        }

        /** How many times the handler has run, in any thread. */
        public long invocations() {
            return (long) ValueLayout.JAVA_LONG.varHandle().getVolatile(counter, 0L);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                int rc = RseqNative.sigaction(signal, previous, MemorySegment.NULL);
                if (rc != 0) {
                    throw new IllegalStateException("sigaction(" + signal + ") could not restore the disposition");
                }
            }
        }
    }

    /**
     * Installs a handler for {@code signal} that only counts its invocations (SA_RESTART, nothing blocked
     * beyond the signal itself). Its code and counter are never freed: a signal may still be in delivery.
     */
    public static Handler installCountingHandler(int signal) {
        if (!SUPPORTED) {
            throw new UnsupportedOperationException("signal handler stub is x86_64 only");
        }
        MemorySegment counter = Arena.global().allocate(ValueLayout.JAVA_LONG);
        // movabs rax, counter ; lock inc qword [rax] ; ret   (rax is caller-saved; sigreturn restores all)
        ByteBuffer code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        code.put((byte) 0x48).put((byte) 0xB8).putLong(counter.address());
        code.put((byte) 0xF0).put((byte) 0x48).put((byte) 0xFF).put((byte) 0x00);
        code.put((byte) 0xC3);
        byte[] bytes = java.util.Arrays.copyOf(code.array(), code.position());
        MemorySegment stub = ExecutableMemory.allocateWritable(bytes.length);
        MemorySegment.copy(bytes, 0, stub, ValueLayout.JAVA_BYTE, 0, bytes.length);
        stub = ExecutableMemory.makeExecutable(stub);

        MemorySegment previous = Arena.global().allocate(SIGACTION_BYTES, 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment act = arena.allocate(SIGACTION_BYTES, 8); // zeroed: empty mask, no restorer
            act.set(ValueLayout.JAVA_LONG, SA_HANDLER, stub.address());
            if (RseqNative.sigemptyset(act.asSlice(SA_MASK, SIGSET_BYTES)) != 0) {
                throw new IllegalStateException("sigemptyset failed");
            }
            act.set(ValueLayout.JAVA_INT, SA_FLAGS, RseqNative.SA_RESTART());
            act.set(ValueLayout.JAVA_LONG, SA_RESTORER, 0L);
            int rc = RseqNative.sigaction(signal, act, previous);
            if (rc != 0) {
                throw new IllegalStateException("sigaction(" + signal + ") failed");
            }
        }
        return new Handler(signal, counter, previous);
    }

    /** The handler address currently installed for {@code signal} (0 = SIG_DFL, 1 = SIG_IGN). */
    public static long currentHandler(int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGACTION_BYTES, 8);
            if (RseqNative.sigaction(signal, MemorySegment.NULL, old) != 0) {
                throw new IllegalStateException("sigaction(" + signal + ") query failed");
            }
            return old.get(ValueLayout.JAVA_LONG, SA_HANDLER);
        }
    }
}
