package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.testing.ForkedJvm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer of the packaged jar, as a new user writes one: README's "Using it" block, copied
 * verbatim into a main method, compiled with {@code -Xlint:all -Werror} against the jar alone and
 * run on the class path and on the module path, in both glibc modes, with the flag README gives and
 * {@code --illegal-native-access=deny} (so a wrong flag fails). Then without the flag: one
 * {@link UnsatisfiedLinkError} naming the flag for each path, and the manifest alternative working.
 * Runs in {@code integration-test}, after {@code package} (failsafe).
 */
class ReadmeExamplesIT {

    private static final Path JAR = Path.of(System.getProperty("rseq4j.jar", "target/rseq4j.jar"));
    private static final Path README = Path.of(System.getProperty("rseq4j.readme", "README.md"));
    private static final String MAIN = "example.ReadmeExample";
    private static final String MODULE = "readme.example";
    private static final String DONE = "README example ran";
    private static final Map<String, String> GLIBC_RSEQ_ON = Map.of();

    @TempDir
    static Path work;
    private static Path classes;
    private static Path modular;

    @BeforeAll
    static void compileReadme() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "run after package: no " + JAR);
        String source = """
                package example;

                import io.github.rseq4j.*;
                import java.util.concurrent.*;

                public class ReadmeExample {
                    public static void main(String[] args) throws Exception {
                %s
                        System.out.println("%s");
                    }
                }
                """.formatted(usingItBlock().indent(8), DONE);
        classes = compile(source, null);
        modular = compile(source, "module " + MODULE + " { requires io.github.rseq4j; }");
    }

    /** The first java block under "## Using it". */
    static String usingItBlock() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("\n## Using it");
        assertTrue(section >= 0, "README has no 'Using it' section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        assertTrue(start > section && end > start, "no java block in 'Using it'");
        return readme.substring(start, end);
    }

    private static Path compile(String source, String moduleInfo) throws IOException {
        Path dir = Files.createTempDirectory(work, moduleInfo == null ? "classpath" : "modulepath");
        Path src = dir.resolve("src");
        Path out = dir.resolve("out");
        Files.createDirectories(src.resolve("example"));
        Files.writeString(src.resolve("example/ReadmeExample.java"), source);
        // The javac launcher, not javax.tools: the test classes are patched into rseq4j's module.
        String javac = Path.of(System.getProperty("java.home"), "bin", "javac").toString();
        List<String> args = new ArrayList<>(List.of(javac, "-Xlint:all", "-Werror", "-d", out.toString()));
        if (moduleInfo != null) {
            Files.writeString(src.resolve("module-info.java"), moduleInfo);
            args.addAll(List.of("--module-path", JAR.toString(), src.resolve("module-info.java").toString()));
        } else {
            args.addAll(List.of("--class-path", JAR.toString()));
        }
        args.add(src.resolve("example/ReadmeExample.java").toString());
        ForkedJvm.Result result = ForkedJvm.run(args, Map.of(), "javac");
        assertEquals(0, result.exitCode(), () -> "README's example does not compile cleanly: " + result.describe()
                + "\n" + source);
        assertEquals("", result.output().strip(), "javac warned");
        return out;
    }

    private static List<String> onClassPath(String... options) {
        List<String> command = new ArrayList<>(List.of(ForkedJvm.java()));
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", JAR + java.io.File.pathSeparator + classes, MAIN));
        return command;
    }

    private static List<String> onModulePath(String... options) {
        List<String> command = new ArrayList<>(List.of(ForkedJvm.java()));
        command.addAll(List.of(options));
        command.addAll(List.of("-p", JAR + java.io.File.pathSeparator + modular, "-m", MODULE + "/" + MAIN));
        return command;
    }

    @TestFactory
    Stream<DynamicTest> readmeRunsWithTheFlagReadmeGives() {
        return Stream.of(GLIBC_RSEQ_ON, ForkedJvm.GLIBC_RSEQ_OFF).flatMap(env -> {
            String mode = env.isEmpty() ? "glibc's rseq on" : "glibc's rseq off";
            return Stream.of(
                    DynamicTest.dynamicTest("class path, " + mode, () -> assertClean(ForkedJvm.run(
                            onClassPath("--enable-native-access=ALL-UNNAMED", "--illegal-native-access=deny"),
                            env, "class path"))),
                    DynamicTest.dynamicTest("module path, " + mode, () -> assertClean(ForkedJvm.run(
                            onModulePath("--enable-native-access=io.github.rseq4j", "--illegal-native-access=deny"),
                            env, "module path"))));
        });
    }

    private static void assertClean(ForkedJvm.Result result) {
        assertEquals(0, result.exitCode(), result::describe);
        assertEquals(DONE, result.output().strip(), () -> "expected no other output, " + result.describe());
    }

    @Test
    void deniedOnClassPathNamesTheClassPathFlagAndTheManifest() {
        ForkedJvm.Result result = ForkedJvm.run(onClassPath("--illegal-native-access=deny"), GLIBC_RSEQ_ON, "denied");
        assertDenied(result, "--enable-native-access=ALL-UNNAMED");
        assertTrue(result.output().contains("Enable-Native-Access: ALL-UNNAMED"), result::describe);
    }

    @Test
    void deniedOnModulePathNamesTheModule() {
        ForkedJvm.Result result = ForkedJvm.run(onModulePath("--illegal-native-access=deny"), GLIBC_RSEQ_ON, "denied");
        assertDenied(result, "--enable-native-access=io.github.rseq4j");
        assertFalse(result.output().contains("ALL-UNNAMED"), result::describe);
    }

    private static void assertDenied(ForkedJvm.Result result, String flag) {
        assertNotEquals(0, result.exitCode(), result::describe);
        String output = result.output();
        assertTrue(output.contains("Exception in thread \"main\" java.lang.UnsatisfiedLinkError: rseq4j needs native "
                + "access"), result::describe);
        assertTrue(output.contains(flag), () -> "does not name " + flag + ": " + result.describe());
        assertFalse(output.contains("ExceptionInInitializerError"), result::describe);
    }

    @Test
    void withoutTheFlagTheWarningNamesRseq4jsNativeAccessClass() {
        ForkedJvm.Result result = ForkedJvm.run(onClassPath(), GLIBC_RSEQ_ON, "warn");
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(result.output().contains("io.github.rseq4j.internal.sys.Native"), result::describe);
        assertFalse(result.output().contains("binding"), result::describe);
    }

    @Test
    void theManifestAlternativeWorksForAnExecutableJar() throws IOException {
        Path dir = Files.createTempDirectory(work, "executable");
        Files.copy(JAR, dir.resolve("rseq4j.jar"));
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, MAIN);
        main.put(Attributes.Name.CLASS_PATH, "rseq4j.jar");
        main.put(new Attributes.Name("Enable-Native-Access"), "ALL-UNNAMED");
        Path app = dir.resolve("app.jar");
        try (OutputStream file = Files.newOutputStream(app); JarOutputStream jar = new JarOutputStream(file, manifest);
             Stream<Path> files = Files.walk(classes)) {
            for (Path clazz : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(clazz).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(clazz));
                jar.closeEntry();
            }
        }
        assertClean(ForkedJvm.run(List.of(ForkedJvm.java(), "--illegal-native-access=deny", "-jar", app.toString()),
                GLIBC_RSEQ_ON, "java -jar"));
    }
}
