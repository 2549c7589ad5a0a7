package io.github.rseq4j.doctor;

import static io.github.rseq4j.doctor.ReportAssertions.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.testing.ForkedJvm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The doctor through {@code main}, in a JVM whose glibc does not register rseq, so rseq4j
 * registers its own areas. The child's stdout and stderr are read together: a JVM warning
 * would break the JSON.
 */
class DoctorForkedTest {

    @Test
    void rseq4jOwnsRseqWhenGlibcRegistrationIsOff() {
        ForkedJvm.Result result = ForkedJvm.run(Doctor.class, ForkedJvm.GLIBC_RSEQ_OFF, "--json");
        Map<String, Object> json = Json.parseObject(result.output());
        ReportAssertions.assertHealthy(json, "rseq4j", result.exitCode());
    }

    @Test
    void humanReportNamesRseq4jAsOwner() {
        ForkedJvm.Result result = ForkedJvm.run(Doctor.class, ForkedJvm.GLIBC_RSEQ_OFF);
        assertEquals(Doctor.EXIT_OK, result.exitCode(), result.describe());
        assertTrue(result.output().contains("available, owned by rseq4j"), result.describe());
        assertTrue(result.output().contains("unregister() released it"), result.describe());
    }

    /**
     * {@code --illegal-native-access=deny} without rseq4j's flag: the report says so, names the flag, states what
     * it could not check as such (before: kernel "unknown", libc "unknown (not glibc)", owner "none", and "report
     * this output"), and exits 1.
     */
    @Test
    void deniedOnTheClassPathTheJsonNamesTheFlagAndClaimsNothingUnchecked() {
        ForkedJvm.Result result = ForkedJvm.run(ForkedJvm.deniedNativeAccess(false, Doctor.class.getName(), "--json"),
                Map.of(), "doctor, denied");
        assertEquals(Doctor.EXIT_PROBLEM, result.exitCode(), result.describe());
        Map<String, Object> json = Json.parseObject(result.output());
        assertEquals(false, json.get("nativeAccess"), result.describe());
        assertEquals(System.getProperty("os.version"), json.get("kernel"), result.describe());
        assertEquals(Platform.NOT_CHECKED, json.get("libc"), result.describe());
        for (String unchecked :
                List.of("owner", "available", "featureSize", "sliceExtension", "perCpuImplementation")) {
            assertTrue(json.containsKey(unchecked), unchecked);
            assertNull(json.get(unchecked), unchecked + ": " + result.describe());
        }
        List<Map<String, Object>> checks = list(json, "checks");
        assertEquals(Checks.NATIVE_ACCESS, checks.getFirst().get("name"));
        assertEquals("problem", checks.getFirst().get("status"));
        assertTrue(((String) checks.getFirst().get("fix")).contains("--enable-native-access=ALL-UNNAMED"),
                result.describe());
        assertTrue(checks.stream().skip(1).allMatch(c -> c.get("status").equals("not run")
                && c.get("detail").equals(Platform.NOT_CHECKED)), result.describe());
        assertFalse(result.output().contains(Check.ISSUES), result.describe());
    }

    @Test
    void deniedOnTheModulePathTheReportNamesTheModulesFlag() {
        ForkedJvm.Result result = ForkedJvm.run(ForkedJvm.deniedNativeAccess(true, Doctor.class.getName()),
                Map.of(), "doctor on the module path, denied");
        assertEquals(Doctor.EXIT_PROBLEM, result.exitCode(), result.describe());
        String text = result.output();
        assertTrue(text.contains("  native access DENIED: rseq4j cannot call the kernel\n"), result.describe());
        assertTrue(text.contains("  libc          " + Platform.NOT_CHECKED + "\n"), result.describe());
        assertTrue(text.contains("  kernel        " + System.getProperty("os.version") + " ("), result.describe());
        assertTrue(text.contains("fix: rseq4j needs native access") && text.contains(
                "--enable-native-access=io.github.rseq4j"), result.describe());
        assertFalse(text.contains("unknown") || text.contains(Check.ISSUES) || text.contains("owned by"),
                result.describe());
    }

    @Test
    void usageErrorExits2FromMain() {
        ForkedJvm.Result result = ForkedJvm.run(Doctor.class, Map.of(), "--bogus");
        assertEquals(Doctor.EXIT_USAGE, result.exitCode(), result.describe());
        assertTrue(result.output().startsWith("rseq4j doctor: unknown argument '--bogus'\nusage:"), result.describe());
    }
}
