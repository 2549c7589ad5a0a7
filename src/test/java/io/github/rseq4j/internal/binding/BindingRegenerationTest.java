package io.github.rseq4j.internal.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regenerates the jextract binding into a temporary directory and checks that it matches the
 * committed sources byte for byte. Skipped when no jextract is available ($JEXTRACT or PATH,
 * the same lookup as native-headers/regenerate.sh).
 */
class BindingRegenerationTest {

    private static final String PACKAGE_DIR = "io/github/rseq4j/internal/binding";

    @Test
    void committedBindingMatchesRegeneratedOne(@TempDir Path out) throws Exception {
        Assumptions.assumeTrue(findJextract().isPresent(),
                "jextract not found ($JEXTRACT or PATH); skipping binding regeneration check");

        Path repoRoot = Path.of("").toAbsolutePath();
        Process process = new ProcessBuilder("bash", "native-headers/regenerate.sh", "--output", out.toString())
                .directory(repoRoot.toFile())
                .redirectErrorStream(true)
                .start();
        String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "regenerate.sh did not finish");
        assertEquals(0, process.exitValue(), "regenerate.sh failed:\n" + log);

        Path committed = repoRoot.resolve("src/main/java").resolve(PACKAGE_DIR);
        Path generated = out.resolve(PACKAGE_DIR);
        TreeSet<String> committedFiles = listFiles(committed);
        TreeSet<String> generatedFiles = listFiles(generated);
        assertFalse(committedFiles.isEmpty(), "no committed binding found in " + committed);

        List<String> problems = new ArrayList<>();
        for (String name : committedFiles) {
            if (!generatedFiles.contains(name)) {
                problems.add(name + " (committed but not generated)");
            } else if (Files.mismatch(committed.resolve(name), generated.resolve(name)) != -1) {
                problems.add(name + " (content differs)");
            }
        }
        for (String name : generatedFiles) {
            if (!committedFiles.contains(name)) {
                problems.add(name + " (generated but not committed)");
            }
        }
        assertTrue(problems.isEmpty(),
                "committed binding in " + committed + " does not match a fresh regeneration: " + problems
                        + "; run native-headers/regenerate.sh (and check the jextract/libclang versions"
                        + " in native-headers/README.md)");
    }

    /** $JEXTRACT if set (a path or a command name), else jextract on PATH. */
    private static Optional<Path> findJextract() {
        String configured = System.getenv("JEXTRACT");
        String command = configured == null || configured.isEmpty() ? "jextract" : configured;
        if (command.contains(File.separator)) {
            Path path = Path.of(command);
            return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
        }
        String pathVar = System.getenv("PATH");
        if (pathVar == null) {
            return Optional.empty();
        }
        return Arrays.stream(pathVar.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, command))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static TreeSet<String> listFiles(Path dir) {
        TreeSet<String> names = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).forEach(f -> names.add(dir.relativize(f).toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }
}
