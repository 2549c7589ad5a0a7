package io.github.rseq4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Command prefixes that run a forked JVM in a new user and mount namespace ({@code unshare -Urm}) with empty
 * tmpfs mounts over chosen directories (e.g. {@code /proc}, {@code /sys/devices/system/cpu}), optionally
 * pinned to one CPU: environments where the kernel's files are hidden, as in some containers.
 */
public final class Namespaces {
    private Namespaces() {}

    /**
     * The prefix for {@link ForkedJvm#run(List, Class, Map, String...)}; skips the calling test (JUnit
     * assumption) where unprivileged user namespaces or {@code taskset} are unavailable.
     *
     * @param cpu the CPU to pin the JVM to, or -1 for none
     */
    public static List<String> hiding(List<String> directories, int cpu) {
        assumeTrue(works("unshare", "-Urm", "true"),
                "unprivileged user namespaces unavailable (unshare -Urm true failed; see "
                        + "kernel.unprivileged_userns_clone or user.max_user_namespaces)");
        StringBuilder script = new StringBuilder();
        for (String directory : directories) {
            script.append("mount -t tmpfs none ").append(directory).append(" && ");
        }
        List<String> command = new ArrayList<>(List.of("unshare", "-Urm", "sh", "-c"));
        if (cpu >= 0) {
            assumeTrue(works("taskset", "-c", Integer.toString(cpu), "true"), "cannot pin to CPU " + cpu);
            script.append("exec taskset -c ").append(cpu).append(" \"$0\" \"$@\"");
        } else {
            script.append("exec \"$0\" \"$@\"");
        }
        command.add(script.toString());
        return command;
    }

    /**
     * The environment the JVM needs with {@code /proc} hidden: the launcher finds libjli.so through
     * {@code $ORIGIN}, which the loader resolves through {@code /proc/self/exe}.
     */
    public static Map<String, String> launcherEnvironment() {
        return Map.of("LD_LIBRARY_PATH", Path.of(System.getProperty("java.home"), "lib").toString());
    }

    private static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
