package io.github.rseq4j.internal.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.testing.ForkedJvm;
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

    @Test
    void usageErrorExits2FromMain() {
        ForkedJvm.Result result = ForkedJvm.run(Doctor.class, Map.of(), "--bogus");
        assertEquals(Doctor.EXIT_USAGE, result.exitCode(), result.describe());
        assertTrue(result.output().startsWith("rseq4j doctor: unknown argument '--bogus'\nusage:"), result.describe());
    }
}
