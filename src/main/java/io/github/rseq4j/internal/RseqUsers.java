package io.github.rseq4j.internal;

import io.github.rseq4j.internal.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The other rseq users a process may hold, for the message when rseq4j owns rseq and the kernel
 * answers that a thread is registered at another address already: glibc (ruled out: it registered
 * nothing), librseq (seen in {@code /proc/self/maps}), another copy of rseq4j in another class loader
 * that does not share registrations with this one (see {@link ThreadSlots}; each copy that registers a thread
 * names itself in {@link #REGISTRARS_PROPERTY}), or a native library
 * that calls rseq(2) itself, which nothing in the process records.
 */
public final class RseqUsers {
    private RseqUsers() {}

    /**
     * System property listing, one per line, the copies of rseq4j that registered threads of this
     * process (rseq4j owning rseq): its class loader and where its classes came from.
     */
    public static final String REGISTRARS_PROPERTY = "io.github.rseq4j.registrars";

    /** In a copy's line in {@link #REGISTRARS_PROPERTY} when it shares thread slots ({@link ThreadSlots}). */
    private static final String SHARING_MARK = ", sharing " + ThreadSlots.LAYOUT.substring(0,
            ThreadSlots.LAYOUT.indexOf(':'));

    /** This copy's line in {@link #REGISTRARS_PROPERTY}; immutable. */
    private static final String THIS_COPY = describeThisCopy();

    /** Whether {@link #THIS_COPY} is in the property; volatile, set once (publishing twice is harmless). */
    private static volatile boolean published;

    private static final String TUNABLE_OFF = "glibc.pthread.rseq=0";

    /** How a copy's line in {@link #REGISTRARS_PROPERTY} ends when its jar's manifest names its version. */
    private static final String VERSION_MARK = ", version ";

    /** librseq's shared object name; the mapped file's name starts with it. */
    private static final String LIBRSEQ = "librseq.so";

    /**
     * One other rseq user of this process.
     *
     * @param name    "glibc", "librseq" or "rseq4j"
     * @param version its version, or empty where it does not tell
     * @param detail  what it is and what it registers, in words
     */
    public record User(String name, String version, String detail) {}

    /**
     * The other rseq users seen now: glibc where it registered the threads ({@code glibcRseqSize > 0}), librseq
     * where its shared object is mapped, and every other copy of rseq4j that registered a thread; in that order.
     */
    public static List<User> others(int glibcRseqSize, long glibcRseqOffset) {
        List<User> users = new ArrayList<>();
        if (glibcRseqSize > 0) {
            String version = Libc.glibcVersion();
            users.add(new User("glibc", version == null ? "" : version, "registers every thread it starts "
                    + "(__rseq_size " + glibcRseqSize + ", __rseq_offset " + glibcRseqOffset + ")"));
        }
        try {
            for (String path : librseqPaths()) {
                String file = path.substring(path.lastIndexOf('/') + 1);
                String version = file.length() > LIBRSEQ.length() + 1 ? file.substring(LIBRSEQ.length() + 1) : "";
                users.add(new User("librseq", version, "loaded from " + path + (glibcRseqSize > 0 ? ""
                        : !Librseq.PRESENT ? " (not in the global scope: rseq4j cannot share its registrations)"
                        : "; rseq4j adopts its registrations and registers threads through it; librseq aborts on "
                                + "a second registration of a thread, so native code must register a thread "
                                + "before rseq4j does")));
            }
        } catch (IOException | RuntimeException unreadable) {
            users.add(new User("librseq", "", "perhaps: /proc/self/maps cannot be read (" + unreadable + ")"));
        }
        for (String copy : otherCopyLines()) {
            int mark = copy.lastIndexOf(VERSION_MARK);
            users.add(new User("rseq4j", mark < 0 ? "" : copy.substring(mark + VERSION_MARK.length()), copy));
        }
        return List.copyOf(users);
    }

    /** Names this copy in {@link #REGISTRARS_PROPERTY}; called after each registration rseq4j made itself. */
    public static void publishRegistrar() {
        if (!published) {
            System.getProperties().compute(REGISTRARS_PROPERTY, (key, copies) -> copies == null ? THIS_COPY
                    : copies.toString().lines().anyMatch(THIS_COPY::equals) ? copies : copies + "\n" + THIS_COPY);
            published = true;
        }
    }

    /**
     * Why the kernel refused rseq4j's area with EINVAL (the thread is registered at another address:
     * rseq4j's length and alignment are the ones the kernel asks for), who that other user may be, and what
     * to do. Only for rseq4j owning rseq, so glibc is never the user.
     */
    public static String otherRegistrationHint() {
        List<String> seen = Stream.of(librseq(), otherCopies()).filter(user -> !user.isEmpty()).toList();
        String who = seen.isEmpty()
                ? "Neither librseq (no librseq.so in /proc/self/maps) nor a copy of rseq4j that keeps registrations "
                        + "of its own (none named itself in the system property " + REGISTRARS_PROPERTY + "; copies "
                        + "that share thread slots use this copy's area) is in this process, so it is most "
                        + "likely a native library (JNI or FFM code) calling rseq(2) itself, which leaves no trace "
                        + "rseq4j can see"
                : "Seen in this process: " + String.join("; ", seen) + ". Else it is a native library (JNI or FFM "
                        + "code) calling rseq(2) itself";
        return "another rseq user registered this thread at another address. Not glibc: " + glibcState() + ". "
                + who + ". " + remedy();
    }

    private static String glibcState() {
        String version = Libc.glibcVersion();
        String tunables = System.getenv("GLIBC_TUNABLES");
        if (version == null) {
            return "the C library is not glibc";
        }
        if (tunables != null && tunables.contains(TUNABLE_OFF)) {
            return "its registration is off (GLIBC_TUNABLES=" + tunables + ")";
        }
        return "glibc " + version + " registered no thread (__rseq_size is 0; glibc registers since 2.35)";
    }

    private static String remedy() {
        String tunables = System.getenv("GLIBC_TUNABLES");
        String leave = "rseq4j's readers fall back to sched_getcpu() and its structures to a shared slot on a "
                + "thread it has not registered";
        if (tunables != null && tunables.contains(TUNABLE_OFF)) {
            return "To share one registration, drop " + TUNABLE_OFF + " from GLIBC_TUNABLES: glibc then registers "
                    + "every thread, and librseq and every copy of rseq4j use glibc's area (a library that "
                    + "registers an area of its own then fails instead). Otherwise leave this thread to that user: "
                    + leave;
        }
        return "Let one user register each thread: " + leave;
    }

    /** librseq's shared object among the process's mappings, or empty; librseq registers the threads that ask. */
    private static String librseq() {
        List<String> mapped;
        try {
            mapped = librseqPaths();
        } catch (IOException | RuntimeException unreadable) {
            return "perhaps librseq (/proc/self/maps cannot be read: " + unreadable + ")";
        }
        return mapped.isEmpty() ? "" : "librseq, loaded from " + String.join(", ", mapped) + " (it registers the "
                + "threads that call rseq_register_current_thread(), and calls abort() when a later one fails)";
    }

    private static List<String> librseqPaths() throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.map(line -> line.indexOf('/') < 0 ? "" : line.substring(line.indexOf('/')))
                    .filter(path -> path.substring(path.lastIndexOf('/') + 1).startsWith(LIBRSEQ))
                    .distinct().toList();
        }
    }

    private static List<String> otherCopyLines() {
        return System.getProperty(REGISTRARS_PROPERTY, "").lines().filter(copy -> !copy.equals(THIS_COPY)).toList();
    }

    /**
     * The other copies of rseq4j that registered threads and do not share this copy's registrations, or empty.
     * Copies that share are no cause of EINVAL: they use this copy's area.
     */
    private static String otherCopies() {
        String notShared = ThreadSlots.notSharedReason();
        List<String> others = otherCopyLines().stream()
                .filter(copy -> notShared != null || !copy.contains(SHARING_MARK)).toList();
        return others.isEmpty() ? "" : "another copy of rseq4j registers threads in this JVM and does not share "
                + "them with this one (" + String.join("; ", others) + "; this one is " + THIS_COPY + "): "
                + (notShared != null ? notShared : "that copy is a version of rseq4j that keeps thread slots of "
                        + "its own") + ". A thread then belongs to the first copy that registered it: load rseq4j "
                + "once, in a class loader that every user of it shares, or use versions that share";
    }

    private static String describeThisCopy() {
        ClassLoader loader = RseqUsers.class.getClassLoader();
        CodeSource source = RseqUsers.class.getProtectionDomain().getCodeSource();
        // The jar's manifest names it on the class path; a named module may carry it in its descriptor.
        String version = RseqUsers.class.getPackage().getImplementationVersion();
        if (version == null && RseqUsers.class.getModule().getDescriptor() != null) {
            version = RseqUsers.class.getModule().getDescriptor().rawVersion().orElse(null);
        }
        return "rseq4j in class loader " + (loader.getName() == null ? "" : "'" + loader.getName() + "' ") + loader
                + (source == null || source.getLocation() == null ? "" : " from " + source.getLocation())
                + (ThreadSlots.notSharedReason() == null ? SHARING_MARK : "")
                + (version == null ? "" : VERSION_MARK + version);
    }
}
