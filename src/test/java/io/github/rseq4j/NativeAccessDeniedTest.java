package io.github.rseq4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.testing.ForkedJvm;
import io.github.rseq4j.testing.NativeAccessDeniedChild;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A JVM that denies rseq4j native access ({@code --illegal-native-access=deny} without the matching
 * {@code --enable-native-access}), on the class path and on the module path: every use of every entry point,
 * the first and each later one, gets the same clear error naming the flag for that path, never a
 * {@link NoClassDefFoundError} from a class whose initialization failed; {@link RseqSupport#probe()} reports
 * the denial instead of throwing. (JDK 25's default, {@code warn}, grants access with a warning; a
 * {@code java -jar} of rseq4j's jar is granted it by the jar's {@code Enable-Native-Access} manifest line.)
 */
class NativeAccessDeniedTest {

    private static final String DENY = "--illegal-native-access=deny";
    private static final String CLEAR = "threw java.lang.UnsatisfiedLinkError: rseq4j needs native access";

    @Test
    void onTheClassPathEveryUseNamesAllUnnamed() {
        assertEveryUseDenied(ForkedJvm.run(ForkedJvm.deniedNativeAccess(false, NativeAccessDeniedChild.class.getName()),
                Map.of(), "class path, denied"), "--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void onTheModulePathEveryUseNamesTheModule() {
        // The flag a class-path user would pass does not grant access to the named module.
        ForkedJvm.Result result = ForkedJvm.run(ForkedJvm.deniedNativeAccess(true,
                NativeAccessDeniedChild.class.getName()), Map.of(), "module path, denied");
        assertEveryUseDenied(result, "--enable-native-access=io.github.rseq4j");
        assertTrue(result.output().contains("the class path's flag does not cover a named module"), result::describe);
    }

    private static void assertEveryUseDenied(ForkedJvm.Result result, String flag) {
        assertEquals(0, result.exitCode(), result::describe);
        List<String> lines = result.output().lines().filter(line -> line.matches("[12]\t.*")).toList();
        assertEquals(2 * NativeAccessDeniedChild.ENTRY_POINTS.size(), lines.size(), result::describe);
        for (String line : lines) {
            String[] fields = line.split("\t", 3);
            if (fields[1].equals("RseqSlice.request")) {
                // Documented never to throw: without access, as without the kernel feature, it does nothing.
                assertTrue(fields[2].startsWith("returned io.github.rseq4j.RseqSlice"), line);
            } else if (fields[1].equals("PerCpuHistogram.appendLogHeader")) {
                // Text only: an interval log's header needs no native access.
                assertTrue(fields[2].startsWith("returned "), line);
            } else if (fields[1].equals("RseqSupport.probe")) {
                assertTrue(fields[2].startsWith("returned RseqSupport[available=false"), line);
                assertTrue(fields[2].contains("nativeAccess=false"), line);
                assertTrue(fields[2].contains(flag), line);
            } else {
                assertTrue(fields[2].startsWith(CLEAR), () -> "round " + fields[0] + ", " + fields[1] + ": "
                        + fields[2] + "\n" + result.describe());
                assertTrue(fields[2].contains(flag), line);
            }
        }
        assertFalse(result.output().contains("NoClassDefFoundError"), result::describe);
    }

    /** The child's list misses no public static method, public constructor or enum method of the API. */
    @Test
    void theChildUsesEveryEntryPoint() throws IOException {
        Set<String> listed = NativeAccessDeniedChild.ENTRY_POINTS.keySet();
        Set<String> missing = new TreeSet<>();
        for (Class<?> api : apiClasses()) {
            if (api.isRecord() || api == Owner.class || api == PerCpuImplementation.class) {
                continue; // data only: building or reading them needs no native access
            }
            if (Arrays.stream(api.getConstructors()).findAny().isPresent()) {
                missing.add(api.getSimpleName() + ".<init>");
            }
            for (Method method : api.getDeclaredMethods()) {
                boolean isStatic = Modifier.isStatic(method.getModifiers());
                boolean enumValues = api.isEnum() && (method.getName().equals("values")
                        || method.getName().equals("valueOf"));
                if (Modifier.isPublic(method.getModifiers()) && !enumValues && (isStatic || api.isEnum())) {
                    missing.add(api.getSimpleName() + "." + method.getName());
                }
            }
        }
        missing.removeAll(listed);
        assertEquals(Set.of(), missing, "entry points NativeAccessDeniedChild does not use");
    }

    private static List<Class<?>> apiClasses() throws IOException {
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(ForkedJvm.rseq4jClasses().resolve("io/github/rseq4j"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String name = file.getFileName().toString().replace(".class", "");
                Class<?> type = load("io.github.rseq4j." + name);
                if (Modifier.isPublic(type.getModifiers())) {
                    classes.add(type);
                }
            }
        }
        return classes;
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, NativeAccessDeniedTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
