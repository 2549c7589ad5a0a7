package io.github.rseq4j.bench;

import com.sun.jna.Native;

/**
 * JNA's fastest style, direct mapping: a native method bound to the libc symbol, no proxy or
 * argument conversion. Anything slower (JNA interface proxies) is what OpenHFT affinity shows.
 */
final class JnaCpu {
    static {
        Native.register("c");
    }

    private JnaCpu() {}

    static native int sched_getcpu();
}
