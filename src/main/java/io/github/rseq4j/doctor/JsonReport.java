package io.github.rseq4j.doctor;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqSupport;

/**
 * The report as one JSON object, for scripts. Keys are stable; a value that does not apply
 * (or that rseq4j could not determine) is null rather than absent.
 */
final class JsonReport {
    private JsonReport() {}

    static String render(Report report) {
        JsonWriter json = new JsonWriter().beginObject();
        json.name("ok").value(report.ok());
        Platform platform = report.platform();
        json.name("kernel").value(platform.kernel());
        json.name("architecture").value(platform.machine());
        json.name("libc").value(platform.libc());
        json.name("jdk").value(platform.jdk());
        rseq(json, report.rseq());
        otherUsers(json, report);
        json.name("threads").beginArray();
        for (ThreadSample thread : report.threads()) {
            json.beginObject()
                    .name("name").value(thread.name())
                    .name("source").value(thread.source())
                    .name("cpuId").value(thread.cpuId())
                    .name("cpuIdStart").value(thread.cpuIdStart())
                    .name("nodeId").value(thread.nodeId())
                    .name("mmCid").value(thread.mmCid())
                    .endObject();
        }
        json.endArray();
        json.name("checks").beginArray();
        for (Check check : report.checks()) {
            json.beginObject()
                    .name("name").value(check.name())
                    .name("ok").value(check.ok())
                    .name("status").value(check.status().label())
                    .name("detail").value(check.detail())
                    .name("fix").value(check.fix())
                    .endObject();
        }
        json.endArray();
        return json.endObject() + "\n";
    }

    /** Null where rseq4j could not probe; else every other rseq user seen, version null where it does not tell. */
    private static void otherUsers(JsonWriter json, Report report) {
        json.name("otherRseqUsers");
        if (report.rseq() == null || !report.rseq().nativeAccess()) {
            json.value((String) null);
            return;
        }
        json.beginArray();
        for (RseqSupport.OtherUser user : report.otherUsers()) {
            json.beginObject()
                    .name("name").value(user.name())
                    .name("version").value(user.version().isEmpty() ? null : user.version())
                    .name("detail").value(user.detail())
                    .endObject();
        }
        json.endArray();
    }

    /**
     * All null but {@code available} and {@code owner} when rseq4j could not load; all null but
     * {@code nativeAccess} (false) and {@code unavailableReason} (the flag to pass) when the JVM denies rseq4j
     * native access, since nothing else was checked.
     */
    private static void rseq(JsonWriter json, RseqSupport rseq) {
        boolean denied = rseq != null && !rseq.nativeAccess();
        boolean known = rseq != null && !denied;
        json.name("nativeAccess").value(rseq == null ? null : rseq.nativeAccess());
        json.name("available").value(denied ? null : known && rseq.available());
        json.name("unavailableErrno").value(known && !rseq.available() ? Checks.errno(rseq) : null);
        json.name("unavailableReason").value(rseq != null && !rseq.available() ? rseq.reason() : null);
        json.name("owner").value(denied ? null : known ? rseq.owner().label() : Owner.NONE.label());
        json.name("featureSize").value(known ? rseq.featureSize() : null);
        json.name("alignment").value(known ? rseq.alignment() : null);
        json.name("arch").value(known ? rseq.arch() : null);
        json.name("signature").value(known ? rseq.signatureHex() : null);
        boolean glibc = known && rseq.glibcRseqSize() > 0;
        json.name("glibcRseqSize").value(glibc ? rseq.glibcRseqSize() : null);
        json.name("glibcRseqOffset").value(glibc ? rseq.glibcRseqOffset() : null);
        json.name("usableSize").value(known ? rseq.usableSize() : null);
        json.name("registrationLength").value(known ? rseq.registrationLength() : null);
        json.name("perCpu").value(known
                ? PerCpuFacts.describe(rseq.perCpuImplementation(), rseq.perCpuFallbackReason()) : null);
        json.name("perCpuImplementation").value(known ? rseq.perCpuImplementation().name() : null);
        json.name("perCpuSlots").value(known ? PerCpuFacts.slots() : null);
        json.name("perCpuIndexing").value(known ? PerCpuFacts.indexing() : null);
        json.name("sliceExtension").value(denied ? null : known && rseq.hasSliceExtension());
        json.name("sliceExtensionReason")
                .value(known && !rseq.hasSliceExtension() ? rseq.sliceExtensionReason() : null);
    }
}
