package io.github.rseq4j.doctor;

import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.binding.utsname;
import io.github.rseq4j.internal.sys.Libc;
import io.github.rseq4j.internal.sys.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;

/**
 * What the machine is, independent of rseq4j: the first thing anyone asks for in a bug report.
 *
 * @param kernel  uname's release, e.g. "6.18.0"
 * @param machine uname's machine, e.g. "x86_64"
 * @param libc    "glibc 2.36", "unknown (not glibc)", or {@link #NOT_CHECKED} without native access
 */
record Platform(String kernel, String machine, String libc, String jdk) {

    static final String UNKNOWN = "unknown";

    /** What the doctor says of a fact it needs native access to learn, where the JVM denies it. */
    static final String NOT_CHECKED = "not checked: native access denied";

    /**
     * Asks {@link Native} first, so that its restricted call is the process's first (the JDK's warning names it),
     * and so that nothing here touches the binding where that is denied. The JVM's own {@code os.version} and
     * {@code os.arch} need no native access: {@code uname}'s release, and the JDK's name of the machine.
     */
    static Platform probe() {
        String jdk = Runtime.version() + " (" + System.getProperty("java.vendor") + ")";
        if (Native.accessDenied()) {
            return new Platform(System.getProperty("os.version"), System.getProperty("os.arch"), NOT_CHECKED, jdk);
        }
        return new Platform(uname(utsname::release), uname(utsname::machine), glibcOrUnknown(), jdk);
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
