package io.github.rseq4j.testing;

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
