import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.xml.sax.InputSource;

/**
 * Turns JMH JSON results into bench/results/DATE-HOST.{md,svg,json}. A single source file with no
 * dependencies, so it runs as {@code java bench/report/Report.java} on any JDK 25 without a build.
 *
 * <pre>
 * java bench/report/Report.java [--out-dir DIR] [--command CMD]... JMH.json...
 * java bench/report/Report.java --selftest
 * </pre>
 *
 * The machine header is read from the machine running the report, so run it where the benchmarks
 * ran (bench/run.sh does).
 */
public final class Report {

    private static final String CPU_BASELINE = "WhichCpuBenchmark.ffmSchedGetcpuCritical";

    /**
     * Per benchmark class, in presentation order: its baseline (a ratio is only taken against the
     * baseline's result at the same thread count, which bench/run.sh measures in the same JMH run)
     * and which methods are rseq4j's own, for the chart's colours. The first matching rule wins.
     */
    private static final List<Rule> RULES = List.of(
            new Rule("WhichCpuBenchmark", ".*", CPU_BASELINE, "rseq4j.*"),
            new Rule("CarrierThreadBenchmark", ".*", CPU_BASELINE, ".*"),
            new Rule("VirtualThreadBenchmark", ".*", CPU_BASELINE, ".*"),
            new Rule("KernelFieldsBenchmark", ".*", CPU_BASELINE, ".*"),
            new Rule("SpinLockBenchmark", ".*", CPU_BASELINE, ".*"),
            new Rule("CounterBenchmark", ".*Sum", "CounterBenchmark.longAdderSum", "perCpu.*"),
            new Rule("CounterBenchmark", ".*", "CounterBenchmark.longAdderIncrement", "perCpu.*"),
            new Rule("HistogramBenchmark", ".*", "HistogramBenchmark.concurrentHistogramRecordValue", "perCpu.*"),
            new Rule("VirtualHistogramBenchmark", ".*", "VirtualHistogramBenchmark.concurrentHistogramRecordValue",
                    "perCpu.*"),
            new Rule("PoolBenchmark", ".*", "PoolBenchmark.jacksonLockFreePoolPair", "perCpu.*"),
            new Rule("VirtualPoolBenchmark", ".*", "VirtualPoolBenchmark.jacksonLockFreePoolPair", "perCpu.*"),
            new Rule("PoolTasksBenchmark", ".*", "PoolTasksBenchmark.jacksonLockFreePoolTasks", "perCpu.*"),
            new Rule("JsonPoolBenchmark", ".*", "JsonPoolBenchmark.jacksonLockFreePoolJson", "perCpu.*"),
            new Rule("MeterBenchmark", ".*Increment", "MeterBenchmark.micrometerCounterIncrement", "perCpu.*"),
            new Rule("MeterBenchmark", ".*Record", "MeterBenchmark.micrometerTimerRecord", "perCpu.*"),
            new Rule("RegistrationBenchmark", ".*", null, ".*"),
            new Rule("FirstRegistrationBenchmark", ".*", null, ".*"));

    record Rule(String benchmarkClass, String methods, String baseline, String ours) {
        boolean matches(Result r) {
            return r.benchmarkClass().equals(benchmarkClass) && r.method().matches(methods);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--selftest")) {
            System.exit(SelfTest.run());
        }
        Path outDir = Path.of("bench/results");
        List<String> commands = new ArrayList<>();
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out-dir" -> outDir = Path.of(args[++i]);
                case "--command" -> commands.add(args[++i]);
                default -> inputs.add(Path.of(args[i]));
            }
        }
        if (inputs.isEmpty()) {
            System.err.println("usage: java Report.java [--out-dir DIR] [--command CMD]... JMH.json... | --selftest");
            System.exit(2);
        }
        List<String> jsons = new ArrayList<>();
        for (Path input : inputs) {
            jsons.add(Files.readString(input));
        }
        Report report = Report.of(jsons, Machine.local(), commands);

        String base = LocalDate.now() + "-" + Machine.hostname();
        Files.createDirectories(outDir);
        Path md = outDir.resolve(base + ".md");
        Path svg = outDir.resolve(base + ".svg");
        Path json = outDir.resolve(base + ".json");
        Files.writeString(json, mergeArrays(jsons));
        Files.writeString(svg, report.svg(base));
        Files.writeString(md, report.markdown(base, svg.getFileName().toString(), json.getFileName().toString()));
        System.out.println("report:   " + md + "\nchart:    " + svg + "\nraw JMH:  " + json);
    }

    // ---------------------------------------------------------------- model

    /** One JMH result; {@code run} is the index of the input file, i.e. of the JMH invocation. */
    record Result(int run, String benchmarkClass, String method, String params, int threads,
                  double nsPerOp, double errorNs, String jdk, String jmh, List<String> jvmArgs) {

        String qualified() {
            return benchmarkClass + "." + method;
        }

        String name() {
            return qualified() + params;
        }

        Rule rule() {
            return RULES.stream().filter(r -> r.matches(this)).findFirst()
                    .orElse(new Rule(benchmarkClass, ".*", null, "$^"));
        }

        boolean ours() {
            return method.matches(rule().ours());
        }

        @SuppressWarnings("unchecked")
        static Result of(int run, Map<String, Object> o) {
            String full = (String) o.get("benchmark");
            int dot = full.lastIndexOf('.');
            String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
            Map<String, Object> metric = (Map<String, Object>) o.get("primaryMetric");
            double toNs = nanosPer((String) metric.get("scoreUnit"));
            Map<String, Object> params = (Map<String, Object>) o.getOrDefault("params", Map.of());
            String p = params.isEmpty() ? "" : params.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "[", "]"));
            String jdk = o.get("jdkVersion") + " (" + o.get("vmName") + " " + o.get("vmVersion") + ")";
            return new Result(run, cls, full.substring(dot + 1), p, number(o.get("threads")).intValue(),
                    number(metric.get("score")) * toNs, number(metric.get("scoreError")) * toNs,
                    jdk, String.valueOf(o.get("jmhVersion")), (List<String>) o.getOrDefault("jvmArgs", List.of()));
        }

        /** JMH writes NaN and infinities as strings. */
        private static Double number(Object v) {
            return v instanceof Double d ? d : Double.valueOf(String.valueOf(v));
        }

        private static double nanosPer(String unit) {
            return switch (unit) {
                case "ns/op" -> 1;
                case "us/op", "µs/op" -> 1e3;
                case "ms/op" -> 1e6;
                case "s/op" -> 1e9;
                default -> throw new IllegalArgumentException("only time-per-operation modes are supported, got " + unit);
            };
        }
    }

    private final List<Result> results;
    private final Machine machine;
    private final List<String> commands;

    private Report(List<Result> results, Machine machine, List<String> commands) {
        this.results = results;
        this.machine = machine;
        this.commands = commands;
    }

    @SuppressWarnings("unchecked")
    static Report of(List<String> jsons, Machine machine, List<String> commands) {
        List<Result> all = new ArrayList<>();
        for (int run = 0; run < jsons.size(); run++) {
            for (Object o : (List<Object>) Json.parse(jsons.get(run))) {
                all.add(Result.of(run, (Map<String, Object>) o));
            }
        }
        // Thread count first: what is compared (same count, same run) then sits together.
        all.sort(Comparator.comparingInt(Result::threads)
                .thenComparingInt((Result r) -> RULES.indexOf(firstRuleOf(r.benchmarkClass())))
                .thenComparing(Result::benchmarkClass)
                .thenComparingInt(Result::run)
                .thenComparingDouble(Result::nsPerOp));
        return new Report(all, machine, commands);
    }

    /** Rule index orders classes; unknown classes (index -1 would sort first) go last. */
    private static Rule firstRuleOf(String cls) {
        return RULES.stream().filter(r -> r.benchmarkClass().equals(cls)).findFirst().orElse(RULES.getLast());
    }

    /** Ratio to the baseline from the same JMH run at the same thread count, or NaN when there is none. */
    double ratio(Result r) {
        String baseline = r.rule().baseline();
        if (baseline == null) {
            return Double.NaN;
        }
        return results.stream()
                .filter(b -> b.qualified().equals(baseline) && b.run() == r.run() && b.threads() == r.threads())
                .findFirst().map(b -> r.nsPerOp() / b.nsPerOp()).orElse(Double.NaN);
    }

    boolean isBaseline(Result r) {
        return r.qualified().equals(r.rule().baseline());
    }

    /**
     * Results of one class, thread count and run, titled for the chart. The run is only named
     * when the same class and thread count came from more than one run.
     */
    Map<String, List<Result>> sections() {
        Map<String, Set<Integer>> runsPerTitle = new LinkedHashMap<>();
        for (Result r : results) {
            runsPerTitle.computeIfAbsent(title(r), k -> new java.util.HashSet<>()).add(r.run());
        }
        Map<String, List<Result>> sections = new LinkedHashMap<>();
        for (Result r : results) {
            String key = title(r) + (runsPerTitle.get(title(r)).size() > 1 ? " · run " + (r.run() + 1) : "");
            sections.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return sections;
    }

    private static String title(Result r) {
        return r.benchmarkClass() + " · " + r.threads() + (r.threads() == 1 ? " thread" : " threads");
    }

    // ---------------------------------------------------------------- markdown

    String markdown(String title, String svgFile, String jsonFile) {
        StringBuilder md = new StringBuilder();
        md.append("# rseq4j benchmarks: ").append(title).append("\n\n");
        md.append("| | |\n|---|---|\n");
        row(md, "CPUs (nproc)", String.valueOf(machine.nproc()));
        row(md, "CPU model", machine.cpuModel());
        row(md, "kernel", machine.kernel());
        row(md, "glibc", machine.glibc());
        row(md, "JDK", distinct(Result::jdk));
        row(md, "JMH", distinct(Result::jmh));
        row(md, "fork JVM args", results.stream().map(r -> "`" + String.join(" ", r.jvmArgs()) + "`")
                .distinct().collect(Collectors.joining("<br>")));
        md.append("\nCommands:\n\n```sh\n");
        commands.forEach(c -> md.append(c).append('\n'));
        md.append("```\n\nRaw JMH results: [").append(jsonFile).append("](").append(jsonFile).append(")\n\n");

        md.append("Ratios divide by the class's baseline measured at the same thread count:\n\n");
        md.append("| class | methods | baseline |\n|---|---|---|\n");
        Set<String> present = results.stream().map(Result::benchmarkClass).collect(Collectors.toSet());
        RULES.stream().filter(r -> present.contains(r.benchmarkClass())).forEach(r -> row(md, r.benchmarkClass(),
                "`" + r.methods() + "`", r.baseline() == null ? "none" : r.baseline()));

        md.append("\n| benchmark | threads | ns/op | ± error (99.9%) | ratio |\n|---|--:|--:|--:|--:|\n");
        for (Result r : results) {
            double ratio = ratio(r);
            String ratioText = Double.isNaN(ratio) ? "" : isBaseline(r) ? "1.00 (baseline)" : ratio(ratio);
            row(md, r.name(), String.valueOf(r.threads()), ns(r.nsPerOp()), error(r), ratioText);
        }
        md.append("\n![ns/op per benchmark, log scale](").append(svgFile).append(")\n");
        return md.toString();
    }

    private static void row(StringBuilder md, String... cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private String distinct(java.util.function.Function<Result, String> f) {
        return results.stream().map(f).distinct().collect(Collectors.joining("; "));
    }

    /** Three significant digits, at most. */
    static String ns(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "n/a";
        }
        int decimals = v < 10 ? 2 : v < 100 ? 1 : 0;
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    /** JMH cannot give an interval from a single measurement; it reports NaN. */
    static String error(Result r) {
        return Double.isNaN(r.errorNs()) ? "n/a" : "± " + ns(r.errorNs());
    }

    static String ratio(double ratio) {
        return String.format(Locale.ROOT, "%.2f×", ratio);
    }

    // ---------------------------------------------------------------- svg

    private static final int WIDTH = 1100;
    private static final int ROW = 22;
    private static final int BAR = 14;
    private static final int SECTION = 30;
    private static final int TOP = 100;
    private static final int RIGHT = 170;
    private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";
    private static final String OURS = "#d95f02";
    private static final String BASELINE = "#4d4d4d";
    private static final String OTHER = "#7570b3";

    String svg(String title) {
        int labelChars = results.stream().mapToInt(r -> r.method().length() + r.params().length()).max().orElse(10);
        int left = 24 + (int) Math.ceil(labelChars * 7.4);
        int plotWidth = WIDTH - left - RIGHT;
        Map<String, List<Result>> sections = sections();
        int height = TOP + sections.size() * SECTION + results.size() * ROW + 60;

        double min = results.stream().mapToDouble(r -> low(r)).min().orElse(1);
        double max = results.stream().mapToDouble(r -> high(r)).max().orElse(10);
        int lo = (int) Math.floor(Math.log10(Math.max(min, 1e-3)));
        int hi = Math.max(lo + 1, (int) Math.ceil(Math.log10(Math.max(max, 1e-3))));
        LogAxis axis = new LogAxis(lo, hi, left, plotWidth);

        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" %s font-size=\"13\">\n", WIDTH, height, WIDTH, height, FONT));
        s.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height));
        text(s, 16, 26, "start", "font-size=\"17\" font-weight=\"bold\"", "rseq4j benchmarks: " + title);
        text(s, 16, 46, "start", "fill=\"#444\"", "ns/op, log scale, lower is better; whiskers: 99.9% error;"
                + " ratio to the class baseline at the same thread count");
        legend(s, 16, 68);

        int plotTop = TOP;
        int plotBottom = height - 40;
        axis.grid(s, plotTop, plotBottom);

        int y = plotTop;
        for (Map.Entry<String, List<Result>> section : sections.entrySet()) {
            y += SECTION;
            text(s, 16, y - 9, "start", "font-weight=\"bold\"", section.getKey());
            for (Result r : section.getValue()) {
                bar(s, axis, left, y, r);
                y += ROW;
            }
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double low(Result r) {
        return Double.isNaN(r.errorNs()) || r.errorNs() >= r.nsPerOp() ? r.nsPerOp() : r.nsPerOp() - r.errorNs();
    }

    private static double high(Result r) {
        return Double.isNaN(r.errorNs()) ? r.nsPerOp() : r.nsPerOp() + r.errorNs();
    }

    private void bar(StringBuilder s, LogAxis axis, int left, int y, Result r) {
        String colour = isBaseline(r) ? BASELINE : r.ours() ? OURS : OTHER;
        double end = axis.x(r.nsPerOp());
        int mid = y + ROW / 2;
        text(s, left - 8, mid + 4, "end", "", r.method() + r.params());
        s.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\""
                + " fill=\"%s\"><title>%s</title></rect>\n", left, mid - BAR / 2, Math.max(1, end - left), BAR,
                colour, esc(r.name() + ", " + r.threads() + " threads: " + ns(r.nsPerOp()) + " ns/op " + error(r))));
        if (!Double.isNaN(r.errorNs())) {
            double a = axis.x(low(r));
            double b = axis.x(high(r));
            s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %dH%.1fM%.1f %dv8M%.1f %dv8\" stroke=\"black\""
                    + " stroke-width=\"1\" fill=\"none\"/>\n", a, mid, b, a, mid - 4, b, mid - 4));
        }
        double ratio = ratio(r);
        String label = ns(r.nsPerOp()) + " ns"
                + (isBaseline(r) ? " · baseline" : Double.isNaN(ratio) ? "" : " · " + ratio(ratio));
        text(s, (int) Math.max(end, axis.x(high(r))) + 6, mid + 4, "start", "", label);
    }

    private static void legend(StringBuilder s, int x, int y) {
        String[][] entries = {{OURS, "rseq4j"}, {BASELINE, "baseline"}, {OTHER, "other"}};
        for (String[] e : entries) {
            s.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y - 10, e[0]));
            text(s, x + 17, y, "start", "", e[1]);
            x += 30 + e[1].length() * 8;
        }
    }

    /** Decades as labelled gridlines, 2..9 of each decade as faint ones. */
    record LogAxis(int lo, int hi, int left, int width) {
        double x(double ns) {
            double v = Math.max(ns, Math.pow(10, lo));
            return left + (Math.log10(v) - lo) / (hi - lo) * width;
        }

        void grid(StringBuilder s, int top, int bottom) {
            for (int d = lo; d <= hi; d++) {
                for (int m = 1; m < 10 && (d < hi || m == 1); m++) {
                    double x = x(m * Math.pow(10, d));
                    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n",
                            x, top, x, bottom, m == 1 ? "#bbbbbb" : "#eeeeee"));
                }
                double x = x(Math.pow(10, d));
                text(s, (int) Math.round(x), top - 4, "middle", "fill=\"#444\"", decade(d));
                text(s, (int) Math.round(x), bottom + 16, "middle", "fill=\"#444\"", decade(d));
            }
        }

        static String decade(int d) {
            String[] units = {"ns", "µs", "ms", "s"};
            int unit = Math.clamp(Math.floorDiv(d, 3), 0, units.length - 1);
            double v = Math.pow(10, d - 3 * unit);
            String number = v >= 1 ? String.valueOf((long) v) : new java.math.BigDecimal(v).round(
                    java.math.MathContext.DECIMAL32).stripTrailingZeros().toPlainString();
            return number + " " + units[unit];
        }
    }

    private static void text(StringBuilder s, int x, int y, String anchor, String attrs, String text) {
        s.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" %s>%s</text>\n", x, y, anchor, attrs, esc(text)));
    }

    private static String esc(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    // ---------------------------------------------------------------- inputs

    /** JMH files are top-level arrays; concatenating their elements keeps every byte JMH wrote. */
    static String mergeArrays(List<String> jsons) {
        List<String> bodies = new ArrayList<>();
        for (String json : jsons) {
            String t = json.strip();
            if (!t.startsWith("[") || !t.endsWith("]")) {
                throw new IllegalArgumentException("not a JMH JSON array");
            }
            String body = t.substring(1, t.length() - 1).strip();
            if (!body.isEmpty()) {
                bodies.add(body);
            }
        }
        return "[\n" + String.join(",\n", bodies) + "\n]\n";
    }

    record Machine(int nproc, String cpuModel, String kernel, String glibc) {
        static Machine local() {
            String model = read("/proc/cpuinfo").lines().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
            return new Machine(Runtime.getRuntime().availableProcessors(), model,
                    read("/proc/sys/kernel/osrelease").strip(), libcVersion());
        }

        static String hostname() {
            String name = read("/proc/sys/kernel/hostname").strip();
            if (name.isEmpty()) {
                try {
                    name = InetAddress.getLocalHost().getHostName();
                } catch (IOException e) {
                    name = "unknown-host";
                }
            }
            return name.replaceAll("[^A-Za-z0-9._-]", "_");
        }

        private static String libcVersion() {
            try {
                Process p = new ProcessBuilder("getconf", "GNU_LIBC_VERSION").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes()).strip();
                return p.waitFor() == 0 && !out.isEmpty() ? out : "unknown";
            } catch (IOException | InterruptedException e) {
                return "unknown";
            }
        }

        private static String read(String file) {
            try {
                return Files.readString(Path.of(file));
            } catch (IOException e) {
                return "";
            }
        }
    }

    /** Just enough JSON for JMH output: objects, arrays, strings, numbers, true/false/null. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != p.s.length()) {
                throw p.error("trailing text");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> number();
            };
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            if (peek('}')) {
                return m;
            }
            do {
                ws();
                String key = string();
                expect(':');
                m.put(key, value());
            } while (peek(','));
            expect('}');
            return m;
        }

        private List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            if (peek(']')) {
                return l;
            }
            do {
                l.add(value());
            } while (peek(','));
            expect(']');
            return l;
        }

        private String string() {
            if (s.charAt(i) != '"') {
                throw error("string expected");
            }
            StringBuilder b = new StringBuilder();
            for (i++; s.charAt(i) != '"'; i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    c = s.charAt(++i);
                    switch (c) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> b.append(c); // \" \\ \/
                    }
                } else {
                    b.append(c);
                }
            }
            i++;
            return b.toString();
        }

        private Double number() {
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw error("value expected");
            }
            return Double.valueOf(s.substring(start, i));
        }

        private Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) {
                throw error(word + " expected");
            }
            i += word.length();
            return v;
        }

        private boolean peek(char c) {
            ws();
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("'" + c + "' expected");
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at offset " + i);
        }
    }

    // ---------------------------------------------------------------- self-test

    /** Renders canned JMH output and checks the result, so the report can be tested without JMH. */
    static final class SelfTest {
        private static final String RUN_1 = """
                [
                  %s,
                  %s,
                  %s,
                  %s
                ]
                """.formatted(
                entry("WhichCpuBenchmark.ffmSchedGetcpuCritical", 1, 6.0, 0.5, "ns/op"),
                entry("WhichCpuBenchmark.ffmSchedGetcpu", 1, 18.0, 1.25, "ns/op"),
                entry("WhichCpuBenchmark.rseq4jPlainThread", 1, 0.0015, "NaN", "us/op"),
                entry("RegistrationBenchmark.nestedRegisterUnregister", 1, 4.0, 0.1, "ns/op"));
        private static final String RUN_2 = "[" + String.join(",",
                entry("WhichCpuBenchmark.ffmSchedGetcpuCritical", 2, 8.0, 0.5, "ns/op"),
                entry("WhichCpuBenchmark.ffmGetcpuSyscall", 2, 2000.0, 30.0, "ns/op"),
                entry("CounterBenchmark.longAdderSum", 2, 4.0, 0.2, "ns/op"),
                entry("CounterBenchmark.perCpuCounterSum", 2, 2.0, 0.2, "ns/op"),
                entry("CounterBenchmark.longAdderIncrement", 2, 10.0, 0.2, "ns/op"),
                entry("CounterBenchmark.perCpuCounterIncrement", 2, 5.0, 0.2, "ns/op")) + "]";
        /** Same benchmark and thread count as in RUN_1, other environment: must not mix with it. */
        private static final String RUN_3 = "[" + entry("WhichCpuBenchmark.ffmSchedGetcpuCritical", 1, 30.0, 1.0, "ns/op") + "]";

        private static String entry(String name, int threads, double score, Object error, String unit) {
            String err = error instanceof String e ? "\"" + e + "\"" : String.valueOf(error);
            return """
                    {"jmhVersion":"1.37","benchmark":"io.github.rseq4j.bench.%s","mode":"avgt","threads":%d,
                     "forks":1,"jvm":"/jdk/bin/java","jvmArgs":["--enable-native-access=ALL-UNNAMED"],
                     "jdkVersion":"25","vmName":"OpenJDK 64-Bit Server VM","vmVersion":"25+36","params":{},
                     "primaryMetric":{"score":%s,"scoreError":%s,"scoreConfidence":[0,1],
                       "scorePercentiles":{"0.0":1.0},"scoreUnit":"%s","rawData":[[1.0,"a\\"b\\u00e9"]]},
                     "secondaryMetrics":{}}""".formatted(name, threads, score, err, unit);
        }

        static int run() throws Exception {
            List<String> failures = new ArrayList<>();
            Report report = Report.of(List.of(RUN_1, RUN_2, RUN_3), new Machine(2, "Test CPU", "6.0-test", "glibc 2.36"),
                    List.of("java -jar benchmarks.jar -t 1"));
            String md = report.markdown("2000-01-01-test", "x.svg", "x.json");
            for (String expected : List.of(
                    "| WhichCpuBenchmark.ffmSchedGetcpuCritical | 1 | 6.00 | ± 0.50 | 1.00 (baseline) |",
                    "| WhichCpuBenchmark.ffmSchedGetcpu | 1 | 18.0 | ± 1.25 | 3.00× |",
                    "| WhichCpuBenchmark.rseq4jPlainThread | 1 | 1.50 | n/a | 0.25× |",
                    "| WhichCpuBenchmark.ffmGetcpuSyscall | 2 | 2,000 | ± 30.0 | 250.00× |",
                    "| CounterBenchmark.perCpuCounterSum | 2 | 2.00 | ± 0.20 | 0.50× |",
                    "| CounterBenchmark.perCpuCounterIncrement | 2 | 5.00 | ± 0.20 | 0.50× |",
                    "| RegistrationBenchmark.nestedRegisterUnregister | 1 | 4.00 | ± 0.10 |  |",
                    "| CPU model | Test CPU |", "java -jar benchmarks.jar -t 1")) {
                check(md.contains(expected), "markdown lacks: " + expected, failures);
            }
            check(md.indexOf("WhichCpuBenchmark.rseq4jPlainThread") < md.indexOf("WhichCpuBenchmark.ffmSchedGetcpu |"),
                    "rows are not sorted by score within a section", failures);
            check(md.indexOf("| RegistrationBenchmark.") < md.indexOf("| WhichCpuBenchmark.ffmSchedGetcpuCritical | 2")
                    && md.indexOf("| WhichCpuBenchmark.ffmSchedGetcpuCritical | 2") < md.indexOf("| CounterBenchmark.perCpuCounterSum | 2"),
                    "rows are not ordered by threads, then RULES order", failures);

            String svg = report.svg("2000-01-01-test");
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new InputSource(new StringReader(svg)));
            check(doc.getDocumentElement().getTagName().equals("svg"), "root element is not svg", failures);
            int bars = 0;
            var rects = doc.getElementsByTagName("rect");
            for (int k = 0; k < rects.getLength(); k++) {
                bars += "bar".equals(((org.w3c.dom.Element) rects.item(k)).getAttribute("class")) ? 1 : 0;
            }
            check(bars == 11, "expected 11 bars, got " + bars, failures);
            for (String expected : List.of(">1 ns<", ">10 ns<", ">1 µs<", ">10 µs<", ">WhichCpuBenchmark · 2 threads<",
                    ">ffmGetcpuSyscall<", "18.0 ns · 3.00×", ">WhichCpuBenchmark · 1 thread · run 3<", "6.00 ns · baseline")) {
                check(svg.contains(expected), "svg lacks: " + expected, failures);
            }
            check(LogAxis.decade(-1).equals("0.1 ns") && LogAxis.decade(4).equals("10 µs"), "decade labels", failures);

            List<?> merged = (List<?>) Json.parse(mergeArrays(List.of(RUN_1, RUN_2, RUN_3, "[]")));
            check(merged.size() == 11, "merged JSON has " + merged.size() + " entries, expected 11", failures);

            failures.forEach(f -> System.err.println("FAIL: " + f));
            System.out.println(failures.isEmpty() ? "selftest OK" : "selftest FAILED: " + failures.size());
            return failures.isEmpty() ? 0 : 1;
        }

        private static void check(boolean ok, String message, List<String> failures) {
            if (!ok) {
                failures.add(message);
            }
        }
    }
}
