package io.github.rseq4j.doctor;

import java.util.function.Supplier;

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
     * The platform, asking the C library ({@link Os}) only with {@code nativeAccess}: the caller learns that from
     * {@code RseqSupport.probe()} first, so that rseq4j's restricted call is the process's first (the JDK's warning
     * names it). Without it, the JVM's own {@code os.version} and {@code os.arch}: {@code uname}'s release, and
     * the JDK's name of the machine.
     */
    static Platform probe(boolean nativeAccess) {
        String jdk = Runtime.version() + " (" + System.getProperty("java.vendor") + ")";
        if (!nativeAccess) {
            return new Platform(System.getProperty("os.version"), System.getProperty("os.arch"), NOT_CHECKED, jdk);
        }
        String glibc = orNull(Os::glibcVersion);
        return new Platform(orUnknown(Os::kernelRelease), orUnknown(Os::machine),
                glibc != null ? "glibc " + glibc : UNKNOWN + " (not glibc)", jdk);
    }

    private static String orUnknown(Supplier<String> fact) {
        String value = orNull(fact);
        return value != null ? value : UNKNOWN;
    }

    /** The report is most needed where the platform is odd; never let one fact stop it. */
    private static String orNull(Supplier<String> fact) {
        try {
            return fact.get();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }
}
