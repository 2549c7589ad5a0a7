package io.github.rseq4j.internal.doctor;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.binding.utsname;
import io.github.rseq4j.internal.sys.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;

/**
 * What the machine is, independent of rseq4j: the first thing anyone asks for in a bug report.
 *
 * @param kernel  uname's release, e.g. "6.18.0"
 * @param machine uname's machine, e.g. "x86_64"
 * @param libc    "glibc 2.36", or "unknown (not glibc)"
 */
record Platform(String kernel, String machine, String libc, String jdk) {

    static final String UNKNOWN = "unknown";

    static Platform probe() {
        return new Platform(uname(utsname::release), uname(utsname::machine), glibcOrUnknown(),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
    }

    private static String uname(Function<MemorySegment, MemorySegment> field) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(utsname.layout());
            return RseqNative.uname(name) == 0 ? field.apply(name).getString(0) : UNKNOWN;
        } catch (RuntimeException | LinkageError e) {
            // The report is most needed where the platform is odd; never let this line stop it.
            return UNKNOWN;
        }
    }

    private static String glibcOrUnknown() {
        String glibc;
        try {
            glibc = Libc.glibcVersion();
        } catch (RuntimeException | LinkageError notGlibc) {
            glibc = null;
        }
        return glibc != null ? "glibc " + glibc : UNKNOWN + " (not glibc)";
    }
}
