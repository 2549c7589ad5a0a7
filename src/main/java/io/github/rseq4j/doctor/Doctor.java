package io.github.rseq4j.doctor;

import java.io.PrintStream;

/**
 * {@code java -jar rseq4j.jar}: tells a user whether rseq works on this machine, who owns it,
 * what the kernel provides, and how to fix what does not work. The jar's Main-Class.
 *
 * <p>Exit status 0 exactly when every check passes, 1 when one found a problem, 2 on a usage
 * error, so scripts and container health checks can rely on it.
 */
public final class Doctor {
    private Doctor() {}

    static final int EXIT_OK = 0;
    static final int EXIT_PROBLEM = 1;
    static final int EXIT_USAGE = 2;

    static final String USAGE = """
            usage: java -jar rseq4j.jar [--json | --help]
              (no option)  check rseq on this machine and print a report for people
              --json       print the same report as one JSON object
              --help       print this help
            exit status: 0 when every check passes, 1 when a check found a problem, 2 on a usage error
            """;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the doctor as the command line would, printing to {@code out} and {@code err}.
     * Never throws: whatever goes wrong becomes a problem in the report.
     *
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean json = false;
        for (String arg : args) {
            switch (arg) {
                case "--json" -> json = true;
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return EXIT_OK;
                }
                default -> {
                    err.println("rseq4j doctor: unknown argument '" + arg + "'");
                    err.print(USAGE);
                    return EXIT_USAGE;
                }
            }
        }
        try {
            Report report = Checks.collect();
            out.print(json ? JsonReport.render(report) : TextReport.render(report));
            out.flush();
            return report.ok() ? EXIT_OK : EXIT_PROBLEM;
        } catch (RuntimeException | Error e) {
            // Checks turn failures into problems; this is the last resort for a bug in the doctor itself.
            err.println("rseq4j doctor failed unexpectedly: " + e + "; please report this at " + Check.ISSUES);
            return EXIT_PROBLEM;
        }
    }
}
