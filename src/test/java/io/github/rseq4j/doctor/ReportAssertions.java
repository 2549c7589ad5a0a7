package io.github.rseq4j.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rseq4j.PerCpuImplementation;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.internal.arch.Arch;
import io.github.rseq4j.internal.binding.RseqNative;
import io.github.rseq4j.internal.sys.Affinity;
import io.github.rseq4j.internal.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * The doctor's JSON as a user on a healthy machine must see it: every key with its type, and
 * values checked against independent sources (auxv, uname via os.version, the arch table).
 */
final class ReportAssertions {
    private ReportAssertions() {}

    static final List<String> REQUIRED_CHECKS = List.of("rseq available", "owner", "feature size", "registration",
            "cpu_id matches sched_getcpu on every allowed CPU", "node_id matches getcpu", "mm_cid within [0, threads)",
            "time-slice extension");

    /**
     * The owner a JVM started with this environment gets: glibc registers rseq from 2.35 on unless the tunable
     * turns it off (Debian bullseye's glibc 2.31 in the VM lane does not).
     */
    static String defaultOwner() {
        String tunables = System.getenv("GLIBC_TUNABLES");
        boolean tunedOff = tunables != null && tunables.contains("glibc.pthread.rseq=0");
        return !tunedOff && glibcRegistersRseq(Libc.glibcVersion()) ? "glibc" : "rseq4j";
    }

    private static boolean glibcRegistersRseq(String version) {
        if (version == null) {
            return false;
        }
        String[] parts = version.split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
        return major > 2 || (major == 2 && minor >= 35);
    }

    static void assertHealthy(Map<String, Object> json, String owner, int exitCode) {
        String context = "report:\n" + json;
        assertEquals(Boolean.TRUE, json.get("ok"), context);
        assertEquals(Doctor.EXIT_OK, exitCode, context);
        assertEquals(Boolean.TRUE, json.get("available"), context);
        assertNull(json.get("unavailableErrno"), context);
        assertEquals(owner, json.get("owner"), context);

        assertEquals(System.getProperty("os.version"), json.get("kernel"), context);
        assertEquals(Arch.current().name(), json.get("arch"), context);
        assertEquals(json.get("architecture"), json.get("arch"), "uname -m and rseq4j's arch disagree; " + context);
        assertTrue(((String) json.get("libc")).startsWith("glibc 2."), context);

        long auxFeatureSize = Libc.getauxval(RseqNative.AT_RSEQ_FEATURE_SIZE());
        long featureSize = number(json, "featureSize");
        assertEquals(auxFeatureSize != 0 ? auxFeatureSize : 20, featureSize, context);
        assertEquals(Math.max(32, Libc.getauxval(RseqNative.AT_RSEQ_ALIGN())), number(json, "alignment"), context);
        assertTrue(((String) json.get("signature")).matches("0x[0-9a-f]{8}"), context);
        assertEquals(Integer.toUnsignedLong(Arch.current().rseqSignature()),
                Long.parseLong(((String) json.get("signature")).substring(2), 16), context);
        assertEquals(Math.max(32, featureSize), number(json, "registrationLength"), context);
        PerCpuImplementation sections = owner.equals("glibc")
                ? PerCpuImplementation.SECTIONS_ON_GLIBC_AREA : PerCpuImplementation.SECTIONS_ON_OWN_AREAS;
        assertEquals(sections.name(), json.get("perCpuImplementation"), context);
        assertTrue(((String) json.get("perCpuSlots"))
                .startsWith(PerCpuSpinLock.maxSlotCount() + " (PerCpuSpinLock.maxSlotCount())"), context);
        if (owner.equals("rseq4j")) {
            assertTrue(((String) json.get("perCpu")).contains("share the one extra slot"), context);
        }
        long usable = number(json, "usableSize");
        assertTrue(usable >= 20 && usable <= featureSize, context);
        if (owner.equals("glibc")) {
            assertTrue(number(json, "glibcRseqSize") >= 20, context);
            assertInstanceOf(Long.class, json.get("glibcRseqOffset"), context);
        } else {
            assertNull(json.get("glibcRseqSize"), context);
            assertNull(json.get("glibcRseqOffset"), context);
        }

        boolean slices = (Boolean) json.get("sliceExtension");
        assertEquals(slices, json.get("sliceExtensionReason") == null, "a missing feature must say why; " + context);

        assertThreads(list(json, "threads"), usable, context);
        assertChecks(list(json, "checks"), context);
    }

    private static void assertThreads(List<Map<String, Object>> threads, long usable, String context) {
        assertEquals(1 + ThreadSampler.STARTED_THREADS, threads.size(), context);
        BitSet allowed = Affinity.allowed();
        for (Map<String, Object> thread : threads) {
            assertInstanceOf(String.class, thread.get("name"), context);
            assertEquals("rseq", thread.get("source"), context);
            assertTrue(allowed.get((int) number(thread, "cpuId")), "cpuId outside the allowed CPUs; " + context);
            assertTrue(allowed.get((int) number(thread, "cpuIdStart")), context);
            assertField(thread, "nodeId", usable >= 24, Integer.MAX_VALUE, context);
            // The kernel keeps mm_cid below its number of possible CPUs.
            assertField(thread, "mmCid", usable >= 28, possibleCpus(), context);
        }
    }

    private static void assertField(Map<String, Object> thread, String key, boolean provided, long bound,
                                    String context) {
        assertTrue(thread.containsKey(key), context);
        if (!provided) {
            assertNull(thread.get(key), context);
            return;
        }
        long value = number(thread, key);
        assertTrue(value >= 0 && value < bound, key + " " + value + " outside [0, " + bound + "); " + context);
    }

    private static void assertChecks(List<Map<String, Object>> checks, String context) {
        assertEquals(REQUIRED_CHECKS, checks.stream().map(check -> check.get("name")).toList(), context);
        for (Map<String, Object> check : checks) {
            assertEquals(Boolean.TRUE, check.get("ok"), context);
            assertEquals("ok", check.get("status"), context);
            assertFalse(((String) check.get("detail")).isBlank(), context);
            assertTrue(check.containsKey("fix") && check.get("fix") == null, context);
        }
    }

    static long number(Map<String, Object> json, String key) {
        return assertInstanceOf(Long.class, json.get(key), key + " is not an integer in " + json);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> json, String key) {
        List<Object> list = assertInstanceOf(List.class, json.get(key), key + " is not an array in " + json);
        list.forEach(element -> assertInstanceOf(Map.class, element, key + " has a non-object element"));
        return (List<Map<String, Object>>) (List<?>) list;
    }

    /** nr_cpu_ids: one more than the highest CPU in /sys/devices/system/cpu/possible ("0-1", "0-3,8-11"). */
    private static long possibleCpus() {
        try {
            String possible = Files.readString(Path.of("/sys/devices/system/cpu/possible")).strip();
            String[] parts = possible.split("[-,]");
            return Long.parseLong(parts[parts.length - 1]) + 1;
        } catch (IOException e) {
            throw new AssertionError("cannot read the possible CPUs", e);
        }
    }
}
