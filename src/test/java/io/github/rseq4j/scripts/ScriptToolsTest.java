package io.github.rseq4j.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A fresh machine has what every Debian system has (packages of priority {@code required}) and the
 * build's prerequisites (a JDK and Maven), nothing more. Every other command that one of the
 * project's host scripts runs must be installed by the script itself, through
 * {@code vmtest/host-tools.sh}'s {@code need_tools COMMAND:PACKAGE...}. A fresh machine found the
 * gap this closes: {@code .ci/run} failed with "cpio: command not found" because need_tools did
 * not name cpio, while every machine that had run the lane before still had it.
 *
 * <p>The scripts are read, not run: {@link ShellCommands} lists the commands they name.
 */
class ScriptToolsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    /** What README's set-up needs before any script runs; JDK tools are run by path. */
    private static final Set<String> PREREQUISITES = Set.of("mvn");
    /** Runs in the VM lane's guests, on the busybox applets their root image carries. */
    private static final Path GUEST_SCRIPT = Path.of("vmtest", "guest.sh");
    private static final Pattern NEED_TOOLS = Pattern.compile("(?m)^\\s*need_tools\\s+(.+)$");

    @Test
    void everyCommandAHostScriptRunsIsInstalledByItOrComesWithEveryDebianSystem() throws IOException {
        assumeDebianHostWithScripts();
        Map<Path, String> scripts = hostScripts();
        assertTrue(scripts.containsKey(Path.of("vmtest", "run.sh")), "found " + scripts.keySet());
        assertEquals(Map.of(), missingOnAFreshMachine(scripts),
                "commands that a fresh Debian machine lacks and no need_tools call of the script installs"
                        + " (add COMMAND:PACKAGE to its need_tools call)");
    }

    @Test
    void aToolLeftOutOfNeedToolsIsReported() throws IOException {
        assumeDebianHostWithScripts();
        Map<Path, String> scripts = hostScripts();
        Path lane = Path.of("vmtest", "run.sh");
        String withoutCpio = scripts.get(lane).replace(" cpio:cpio", "");
        assertTrue(!withoutCpio.equals(scripts.get(lane)), "vmtest/run.sh's need_tools names cpio:cpio");
        scripts.put(lane, withoutCpio);
        assertEquals(Map.of(lane.toString(), Set.of("cpio")), missingOnAFreshMachine(scripts));
    }

    @Test
    void needToolsNamesThePackageThatHoldsEachInstalledCommand() throws IOException {
        assumeDebianHostWithScripts();
        Map<String, String> wrong = new TreeMap<>();
        for (String script : hostScripts().values()) {
            declaredTools(script).forEach((tool, pkg) -> {
                String owner = owningPackage(tool);
                if (owner != null && !owner.equals(pkg)) wrong.put(tool, "declared " + pkg + ", installed by " + owner);
            });
        }
        assertEquals(Map.of(), wrong);
    }

    @Test
    void theScannerFindsCommandsWhereBashRunsThem() {
        String script = """
                # cpio in a comment is not run
                a() { b | c && d; }
                x=$(e f) y="$(g "$(h)")" i 2>&1 > out <(j) || { k; }
                case $1 in l|m) n ;; *) o ;; esac
                [[ -z $p && $q == r ]] && s
                timeout --kill-after=1 5 t; nice -n 10 u; command -v v; bash -c 'w; z'
                cat <<'EOF'
                inside here-document
                EOF
                arr=($(aa) bb) cc "$computed" dd
                """;
        ShellCommands scanned = ShellCommands.scan(script);
        assertEquals(new TreeSet<>(List.of("aa", "b", "bash", "c", "cat", "cc", "command", "d", "e", "g", "h", "i", "j",
                "k", "n", "nice", "o", "s", "t", "timeout", "u", "w", "z")), scanned.commands);
        assertEquals(Set.of("a"), scanned.functions);
    }

    /** Script (relative path) to the commands it runs that a fresh machine would not have. */
    private static Map<String, Set<String>> missingOnAFreshMachine(Map<Path, String> scripts) throws IOException {
        Set<String> functions = new TreeSet<>();
        Map<Path, ShellCommands> scanned = new TreeMap<>();
        scripts.forEach((path, text) -> {
            ShellCommands commands = ShellCommands.scan(text);
            scanned.put(path, commands);
            functions.addAll(commands.functions);
        });
        Set<String> builtins = Set.copyOf(lines("bash", "-c", "compgen -b; compgen -k"));
        Map<String, Set<String>> missing = new TreeMap<>();
        for (var entry : scanned.entrySet()) {
            Set<String> declared = declaredTools(scripts.get(entry.getKey())).keySet();
            for (String command : entry.getValue().commands) {
                if (builtins.contains(command) || functions.contains(command) || declared.contains(command)
                        || PREREQUISITES.contains(command) || isRequired(command)) {
                    continue;
                }
                missing.computeIfAbsent(entry.getKey().toString(), k -> new TreeSet<>()).add(command);
            }
        }
        return missing;
    }

    /** The COMMAND:PACKAGE pairs of a script's need_tools calls. */
    private static Map<String, String> declaredTools(String script) {
        Map<String, String> tools = new TreeMap<>();
        Matcher m = NEED_TOOLS.matcher(script.replace("\\\n", " "));
        while (m.find()) {
            for (String spec : m.group(1).trim().split("\\s+")) {
                int colon = spec.indexOf(':');
                if (colon > 0) tools.put(spec.substring(0, colon), spec.substring(colon + 1));
            }
        }
        return tools;
    }

    private static final Map<String, Boolean> REQUIRED = new HashMap<>();

    /** Whether the command comes from a package of priority required (so every Debian system has it). */
    private static boolean isRequired(String command) {
        return REQUIRED.computeIfAbsent(command, c -> {
            String pkg = owningPackage(c);
            return pkg != null && lines("dpkg-query", "-W", "-f=${Priority}", pkg).equals(List.of("required"));
        });
    }

    /** The package that installed the command found in PATH, or null when none is found. */
    private static String owningPackage(String command) {
        if (command.startsWith("/")) return ownerOf(command);
        List<String> found = lines("bash", "-c", "command -v \"$0\" && readlink -f \"$(command -v \"$0\")\"", command);
        for (String path : found) {
            // On a merged /usr, dpkg may know /bin/x as /bin/x only.
            for (String candidate : List.of(path, path.replaceFirst("^/usr/", "/"))) {
                String owner = ownerOf(candidate);
                if (owner != null) return owner;
            }
        }
        return null;
    }

    private static String ownerOf(String path) {
        for (String line : lines("dpkg-query", "-S", path)) {
            if (line.endsWith(": " + path) && !line.startsWith("diversion")) {
                return line.substring(0, line.indexOf(':'));
            }
        }
        return null;
    }

    private static Map<Path, String> hostScripts() throws IOException {
        Map<Path, String> scripts = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path file : files.filter(Files::isRegularFile).map(ROOT::relativize).toList()) {
                String first = file.getName(0).toString();
                if (first.equals(".git") || file.toString().contains("target/") || file.equals(GUEST_SCRIPT)) continue;
                if (file.toString().endsWith(".sh") || first.equals(".ci")) {
                    scripts.put(file, Files.readString(ROOT.resolve(file)));
                }
            }
        }
        return scripts;
    }

    private static void assumeDebianHostWithScripts() {
        assumeTrue(Files.isRegularFile(ROOT.resolve("vmtest/run.sh")),
                "the project's scripts are not in the working directory " + ROOT + " (a VM lane guest)");
        assumeTrue(!lines("dpkg-query", "-W", "-f=${Priority}", "dpkg").isEmpty(),
                "not a Debian system: dpkg-query cannot tell which packages every system has");
    }

    /** The lines a command prints on standard output; none when it cannot run. */
    private static List<String> lines(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
            return out.lines().filter(l -> !l.isBlank()).collect(Collectors.toCollection(ArrayList::new));
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }
}
