package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way: the API uses the internals, never the reverse, and the doctor is a client of the API.
 * Scans the main sources for every mention of a package's classes (imports and qualified names, comments included).
 */
class ImportDirectionTest {
    private static final Path SOURCES = Path.of("src/main/java/io/github/rseq4j");

    /** A class of the API package, named from anywhere: io.github.rseq4j.Name. */
    private static final Pattern API_CLASS = Pattern.compile("\\bio\\.github\\.rseq4j\\.([A-Z]\\w*)");

    /** Anything under internal, named from anywhere: io.github.rseq4j.internal.package. */
    private static final Pattern INTERNAL_PACKAGE = Pattern.compile("\\bio\\.github\\.rseq4j\\.internal\\.(\\w+)");

    /** The documented hand-off: internal code throws and catches the API's exception, made through SyscallFailure. */
    private static final List<String> API_CLASSES_INTERNALS_MAY_NAME = List.of("RseqException");


    @Test
    void internalsNameNoApiClassButTheHandOffException() {
        List<String> found = mentions(SOURCES.resolve("internal"), API_CLASS, API_CLASSES_INTERNALS_MAY_NAME);
        assertEquals(List.of(), found, "internal code depends on the API");
    }

    @Test
    void theDoctorUsesOnlyTheApi() {
        Path doctor = SOURCES.resolve("doctor");
        assertTrue(Files.isDirectory(doctor), doctor + " missing: run from the project root");
        List<String> found = mentions(doctor, INTERNAL_PACKAGE, List.of());
        assertEquals(List.of(), found, "the doctor uses internals: it may use only the API, as a user would");
    }

    /** Each "file:line: name" where {@code pattern}'s group 1 is not an allowed name. */
    private static List<String> mentions(Path root, Pattern pattern, List<String> allowed) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher matcher = pattern.matcher(lines.get(i));
                    while (matcher.find()) {
                        if (!allowed.contains(matcher.group(1))) {
                            found.add(root.relativize(file) + ":" + (i + 1) + ": " + matcher.group());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
