package io.github.rseq4j.selftests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.rseq4j.testing.ForkedJvm;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.TestAbortedException;

/**
 * One pattern for every check that needs another process environment (glibc's rseq
 * registration off, a seccomp filter), which cannot change inside a running JVM.
 *
 * <p>A scenario is a {@code main} class that calls {@link #run}: it performs its checks, each
 * on a new platform thread so registrations and CPU masks never leak from one to the next,
 * prints one result line per check, and exits non-zero if any failed. The JUnit side calls
 * {@link #forked} from a {@code @TestFactory}, which runs the scenario once (one JVM, many
 * checks) and reports each check as its own test, plus one for the exit code.
 */
final class Scenario {
    private Scenario() {}

    /** A named check of a scenario. JUnit assertions and assumptions work in it as usual. */
    record Check(String name, Executable body) {}

    static Check check(String name, Executable body) {
        return new Check(name, body);
    }

    // Result lines: "@@ PASS name", "@@ SKIP name -- reason", "@@ FAIL name" then a stack trace.
    private static final String MARK = "@@ ";
    private static final String REASON = " -- ";

    // ---------------------------------------------------------------- in the forked JVM

    /** Runs the checks in order and exits: 0 when none failed, 1 otherwise. */
    static void run(Check... checks) {
        runAfter(() -> {}, checks);
    }

    /**
     * Runs {@code setup} on the main thread first (e.g. installing a seccomp filter); if it
     * fails, every check is reported failed (or skipped, for a failed assumption) with its cause.
     */
    static void runAfter(Executable setup, Check... checks) {
        PrintStream out = System.out;
        Throwable setupFailure = null;
        try {
            setup.execute();
        } catch (Throwable t) {
            setupFailure = t;
            out.println("setup failed:");
            t.printStackTrace(out);
        }
        int failures = 0;
        for (Check check : checks) {
            Throwable thrown = setupFailure;
            if (thrown == null) {
                try {
                    TestSupport.onNewThread(check.body());
                } catch (Throwable t) {
                    thrown = t;
                }
            }
            if (thrown == null) {
                out.println(MARK + "PASS " + check.name());
            } else if (thrown instanceof TestAbortedException aborted) {
                out.println(MARK + "SKIP " + check.name() + REASON + oneLine(aborted.getMessage()));
            } else {
                failures++;
                out.println(MARK + "FAIL " + check.name());
                if (thrown != setupFailure) {
                    thrown.printStackTrace(out);
                }
            }
            out.flush();
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private static String oneLine(String text) {
        return String.valueOf(text).replace('\n', ' ');
    }

    // ---------------------------------------------------------------- in the test JVM

    /**
     * Runs {@code main} in a new JVM with {@code environment} and returns one dynamic test per
     * check it reported, then one asserting that it exited 0 after reporting at least one.
     * Failures carry the child's whole output.
     */
    static Stream<DynamicTest> forked(Class<?> main, Map<String, String> environment) {
        ForkedJvm.Result result = ForkedJvm.run(main, environment);
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : result.output().lines().toList()) {
            if (!line.startsWith(MARK)) {
                continue;
            }
            String[] verdictAndRest = line.substring(MARK.length()).split(" ", 2);
            String verdict = verdictAndRest[0];
            String rest = verdictAndRest.length > 1 ? verdictAndRest[1] : "";
            switch (verdict) {
                case "PASS" -> tests.add(DynamicTest.dynamicTest(rest, () -> {}));
                case "SKIP" -> {
                    int cut = rest.indexOf(REASON);
                    String name = cut < 0 ? rest : rest.substring(0, cut);
                    String reason = cut < 0 ? "" : rest.substring(cut + REASON.length());
                    tests.add(DynamicTest.dynamicTest(name, () -> Assumptions.abort(reason)));
                }
                default -> tests.add(DynamicTest.dynamicTest(rest, () ->
                        fail("check '" + rest + "' failed in forked " + main.getSimpleName() + ", "
                                + result.describe())));
            }
        }
        boolean reported = !tests.isEmpty();
        tests.add(DynamicTest.dynamicTest("forked JVM exits 0", () -> {
            assertTrue(reported, () -> main.getSimpleName() + " reported no check, " + result.describe());
            assertEquals(0, result.exitCode(), result::describe);
        }));
        return tests.stream();
    }
}
