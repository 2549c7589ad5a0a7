package io.github.rseq4j.integrations.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An integration's README example as a user compiles and runs it: the first java block under a heading,
 * pasted verbatim into a main method, compiled with {@code -Xlint:all -Werror} against the test class path
 * (the integration's jar and its dependencies, as a user's build resolves them) and run in a child JVM with
 * the one flag the core's README asks for.
 */
public final class ReadmeExample {
    /** What the example's main prints last, so that a run that stops early cannot pass. */
    public static final String DONE = "README example ran";
    private static final String CLASS = "example.ReadmeExample";
    private static final long TIMEOUT_SECONDS = 120;

    private ReadmeExample() {}

    /**
     * The first java block after {@code heading} in {@code readme}.
     *
     * @param readme  the README file
     * @param heading a line of the README, such as {@code "## Using it"}
     * @return the block's lines
     * @throws IOException if the README cannot be read
     * @throws AssertionError if the heading or its block is missing
     */
    public static String block(Path readme, String heading) throws IOException {
        String text = Files.readString(readme);
        int section = text.indexOf("\n" + heading + "\n");
        if (section < 0) {
            throw new AssertionError(readme + " has no heading '" + heading + "'");
        }
        int start = text.indexOf("```java\n", section);
        int end = start < 0 ? -1 : text.indexOf("```", start + 8);
        if (end < 0) {
            throw new AssertionError(readme + " has no java block under '" + heading + "'");
        }
        return text.substring(start + 8, end);
    }

    /**
     * Compiles {@code block} as the body of a main method, after {@code imports}, with {@code members} beside
     * the method, and runs it in a child JVM.
     *
     * @param work    an empty directory for sources and classes
     * @param imports import lines
     * @param members declarations the block may use (other methods, nested types); may be empty
     * @param block   the README lines
     * @return what the run printed (stdout and stderr)
     * @throws IOException if the files cannot be written or the tools started
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if javac reports anything, or the run fails or does not finish
     */
    public static String compileAndRun(Path work, String imports, String members, String block)
            throws IOException, InterruptedException {
        return compileAndRun(work, imports, members, block, Map.of());
    }

    /**
     * As {@link #compileAndRun(Path, String, String, String)}, with {@code otherSources} compiled beside it.
     *
     * @param work         an empty directory for sources and classes
     * @param imports      import lines
     * @param members      declarations the block may use; may be empty
     * @param block        the README lines
     * @param otherSources more compilation units by path (such as {@code "org/example/Stub.java"})
     * @return what the run printed (stdout and stderr)
     * @throws IOException if the files cannot be written or the tools started
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if javac reports anything, or the run fails or does not finish
     */
    public static String compileAndRun(Path work, String imports, String members, String block,
                                       Map<String, String> otherSources) throws IOException, InterruptedException {
        String source = """
                package example;

                %s
                public class ReadmeExample {
                %s
                    public static void main(String[] args) throws Exception {
                %s
                        System.out.println("%s");
                    }
                }
                """.formatted(imports, members.indent(4), block.indent(8), DONE);
        Path src = work.resolve("src/example/ReadmeExample.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path out = work.resolve("out");
        String classPath = System.getProperty("java.class.path");
        List<String> javac = new ArrayList<>(List.of(tool("javac"), "-Xlint:all", "-Werror", "-d", out.toString(),
                "-cp", classPath, src.toString()));
        for (Map.Entry<String, String> other : otherSources.entrySet()) {
            Path file = work.resolve("src").resolve(other.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, other.getValue());
            javac.add(file.toString());
        }
        String compiled = run(javac, "javac", source);
        if (!compiled.isBlank()) {
            throw new AssertionError("javac warned about README's example:\n" + compiled + "\n" + source);
        }
        String output = run(List.of(tool("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", out + File.pathSeparator + classPath, CLASS), "the example", source);
        if (!output.strip().endsWith(DONE)) {
            throw new AssertionError("README's example did not finish:\n" + output);
        }
        return output;
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private static String run(List<String> command, String what, String source)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] bytes = process.getInputStream().readAllBytes();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(what + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        String output = new String(bytes, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError(what + " exited with " + process.exitValue() + ":\n" + output + "\n" + source);
        }
        return output;
    }
}
