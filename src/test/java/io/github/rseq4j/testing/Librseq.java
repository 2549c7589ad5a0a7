package io.github.rseq4j.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's librseq ({@code librseq.so.0}, package {@code librseq0}) for the coexistence tests: the path in
 * {@code rseq4j.test.librseq}, an installed copy, or one that {@code apt-get download} and {@code dpkg-deb -x}
 * put under {@code target/librseq}. Never built from source here: rseq4j ships none of librseq's code.
 */
public final class Librseq {
    private Librseq() {}

    private static final Path EXTRACTED = Path.of("target", "librseq");

    /** Where librseq was found, or why it was not (for a JUnit assumption). */
    public record Lookup(Optional<Path> library, String reason) {}

    private static Lookup found;

    /** Looks once per JVM; the download runs at most once. */
    public static synchronized Lookup find() {
        if (found == null) {
            found = look();
        }
        return found;
    }

    private static Lookup look() {
        String configured = System.getProperty("rseq4j.test.librseq");
        if (configured != null) {
            return Files.isRegularFile(Path.of(configured)) ? new Lookup(Optional.of(Path.of(configured)), "")
                    : new Lookup(Optional.empty(), "rseq4j.test.librseq=" + configured + " is no file");
        }
        // /usr/lib/<triplet>/librseq.so.0 on Debian; EXTRACTED/usr/lib/<triplet>/... after a download.
        Optional<Path> local = Stream.of(Path.of("/usr/lib"), Path.of("/usr/local/lib"), EXTRACTED.resolve("usr/lib"))
                .map(Librseq::search).flatMap(Optional::stream).findFirst();
        if (local.isPresent()) {
            return new Lookup(local, "");
        }
        String failure = download();
        Optional<Path> fetched = search(EXTRACTED.resolve("usr/lib"));
        return new Lookup(fetched, fetched.isPresent() ? "" : "librseq0 is not installed and cannot be fetched ("
                + failure + "); install Debian's librseq0 or pass -Drseq4j.test.librseq=/path/to/librseq.so.0");
    }

    private static Optional<Path> search(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.walk(root, 2)) {
            return files.filter(file -> file.getFileName().toString().startsWith("librseq.so.0")
                    && Files.isRegularFile(file)).findFirst();
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /** {@code apt-get download librseq0} then {@code dpkg-deb -x}; what went wrong, empty if nothing. */
    private static String download() {
        try {
            Path debs = Files.createDirectories(EXTRACTED.resolve("deb"));
            String apt = run(List.of("apt-get", "download", "librseq0"), debs);
            try (Stream<Path> files = Files.list(debs)) {
                Optional<Path> deb = files.filter(f -> f.toString().endsWith(".deb")).findFirst();
                if (deb.isEmpty()) {
                    return apt.isEmpty() ? "apt-get download librseq0 left no .deb" : apt;
                }
                return run(List.of("dpkg-deb", "-x", deb.get().toString(), EXTRACTED.toString()), Path.of("."));
            }
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String run(List<String> command, Path directory) throws IOException {
        Path log = Files.createTempFile("rseq4j-librseq-", ".log");
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return String.join(" ", command) + " did not finish in 120 s";
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            return process.exitValue() == 0 ? "" : String.join(" ", command) + " exited " + process.exitValue()
                    + ": " + output.strip();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            Files.delete(log);
        }
    }
}
