package io.github.rseq4j.testing;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a new JVM with a different process environment (glibc's rseq
 * registration off, a seccomp filter), since those cannot change inside a running JVM.
 */
public final class ForkedJvm {
    private ForkedJvm() {}

    /** Environment that turns glibc's own rseq registration off, so rseq4j owns rseq. */
    public static final Map<String, String> GLIBC_RSEQ_OFF = Map.of("GLIBC_TUNABLES", "glibc.pthread.rseq=0");

    /**
     * How long a child may run: 120 s, or {@code rseq4j.test.forkTimeoutSeconds} (the VM lane's
     * emulated guests run JVMs several times slower).
     */
    private static final long TIMEOUT_SECONDS = Long.getLong("rseq4j.test.forkTimeoutSeconds", 120);

    /** What the child printed (stdout and stderr interleaved) and how it exited. */
    public record Result(int exitCode, String output) {
        public String describe() {
            return "exit code " + exitCode + ", output:\n" + output;
        }
    }

    /**
     * A JVM that denies rseq4j native access, {@code main} on the class path and rseq4j with it, or, with
     * {@code modulePath}, rseq4j as a named module on the module path: no {@code --enable-native-access} at all
     * on the class path, only the class path's {@code ALL-UNNAMED} on the module path.
     */
    public static List<String> deniedNativeAccess(boolean modulePath, String main, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "--illegal-native-access=deny"));
        if (modulePath) {
            Path rseq4j = rseq4jClasses();
            String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                    .filter(entry -> !Path.of(entry).toAbsolutePath().equals(rseq4j))
                    .collect(java.util.stream.Collectors.joining(File.pathSeparator));
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-p", rseq4j.toString(), "--add-modules",
                    "io.github.rseq4j", "-cp", classPath));
            // A class of rseq4j's own packages must be started from its module.
            command.addAll(main.startsWith("io.github.rseq4j.internal.") ? List.of("-m", "io.github.rseq4j/" + main)
                    : List.of(main));
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        }
        command.addAll(List.of(args));
        return command;
    }

    /** The directory of rseq4j's compiled main classes (a module: it holds module-info.class). */
    public static Path rseq4jClasses() {
        try {
            return Path.of(ForkedJvm.class.getClassLoader().loadClass("io.github.rseq4j.RseqSupport")
                    .getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (ClassNotFoundException | URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The {@code java} launcher of the running JDK. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static Result run(Class<?> mainClass, Map<String, String> environment, String... args) {
        return run(mainClass, environment, List.of(), args);
    }

    /**
     * As {@link #run(Class, Map, String...)}, with the java command appended to {@code wrapper} (e.g. a
     * {@link Namespaces} command line that hides files first).
     */
    public static Result run(List<String> wrapper, Class<?> mainClass, Map<String, String> environment,
            String... args) {
        return run(wrapper, mainClass, environment, List.of(), args);
    }

    /** As {@link #run(Class, Map, String...)}, with {@code jvmOptions} (e.g. {@code -Dname=value}) for the JVM. */
    public static Result run(Class<?> mainClass, Map<String, String> environment, List<String> jvmOptions,
            String... args) {
        return run(List.of(), mainClass, environment, jvmOptions, args);
    }

    private static Result run(List<String> wrapper, Class<?> mainClass, Map<String, String> environment,
            List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(wrapper);
        command.add(java());
        command.add("--enable-native-access=ALL-UNNAMED");
        // The test knobs (repetitions, timeouts) apply to the children too.
        System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith("rseq4j.test."))
                .sorted().forEach(name -> command.add("-D" + name + "=" + System.getProperty(name)));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return run(command, environment, mainClass.getName());
    }

    /** Runs {@code command} (a whole command line, e.g. another JVM's) with {@code environment} added. */
    public static Result run(List<String> command, Map<String, String> environment, String what) {
        try {
            // A file, not a pipe, so a hung child cannot block us past the timeout.
            Path log = Files.createTempFile("rseq4j-forked-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean finished = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            Files.delete(log);
            if (!finished) {
                throw new AssertionError("forked JVM " + what + " did not finish in "
                        + TIMEOUT_SECONDS + " s; output:\n" + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot start a JVM for " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
