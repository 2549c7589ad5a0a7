package io.github.rseq4j.doctor;

import io.github.rseq4j.Owner;
import io.github.rseq4j.RseqException;
import io.github.rseq4j.RseqSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs every check and collects the {@link Report}. Never throws: a check that fails
 * unexpectedly becomes a problem, and checks that need rseq say so when it is unavailable.
 */
final class Checks {
    private Checks() {}

    static final String NATIVE_ACCESS = "native access";
    static final String AVAILABLE = "rseq available";
    static final String OWNER = "owner";
    static final String FEATURE_SIZE = "feature size";
    static final String MM_CID = "mm_cid within [0, threads)";
    static final String SLICE_EXTENSION = "time-slice extension";

    /**
     * Bytes of struct rseq up to the end of mm_cid (Linux 6.3): the uapi's offset 24 plus 4. A fact of the kernel's
     * ABI, not of rseq4j's API, so the doctor states it; {@code ChecksTest} holds it to the internals' layout.
     */
    static final int MM_CID_END = 28;

    static Report collect() {
        RseqSupport rseq;
        try {
            rseq = RseqSupport.probe();
        } catch (RuntimeException | LinkageError e) {
            // probe() throws only past its native-access check, so the C library may be asked.
            Platform platform = Platform.probe(true);
            return new Report(platform, null, List.of(), List.of(cannotLoad(platform, e)));
        }
        Platform platform = Platform.probe(rseq.nativeAccess());
        if (!rseq.nativeAccess()) {
            return withoutNativeAccess(platform, rseq);
        }
        Attempt<ThreadSampler.Samples> samples = Attempt.of(() -> ThreadSampler.sample(rseq));
        // Null without rseq: only checks that needingRseq() skips then would read it.
        Attempt<List<CpuProbe>> probes = rseq.available() ? Attempt.of(() -> CpuProbe.onEveryAllowedCpu(rseq)) : null;
        List<Check> checks = List.of(
                available(rseq, platform),
                needingRseq(OWNER, rseq, () -> owner(rseq, platform)),
                guarded(FEATURE_SIZE, () -> featureSize(rseq)),
                needingRseq(RegistrationCheck.NAME, rseq, () -> RegistrationCheck.run(rseq)),
                needingRseq(CpuChecks.CPU_ID, rseq, () -> CpuChecks.cpuId(probes.get())),
                needingRseq(CpuChecks.NODE_ID, rseq, () -> CpuChecks.nodeId(rseq, probes.get())),
                needingRseq(MM_CID, rseq, () -> mmCid(rseq, samples.get())),
                needingRseq(SLICE_EXTENSION, rseq, () -> sliceExtension(rseq)));
        List<ThreadSample> threads = samples.orElse(new ThreadSampler.Samples(List.of(), 0)).threads();
        // Facts for the report, not a verdict: a failure to look leaves the list empty rather than a problem.
        List<RseqSupport.OtherUser> others = Attempt.of(RseqSupport::otherUsers).orElse(List.of());
        return new Report(platform, rseq, threads, checks, others);
    }

    /** The one problem, and every check it keeps from running: nothing about rseq could be learned. */
    static Report withoutNativeAccess(Platform platform, RseqSupport denied) {
        Check problem = Check.problem(NATIVE_ACCESS, "denied: this JVM refuses rseq4j's FFM restricted calls, so "
                + "rseq4j cannot call the kernel and nothing about rseq was checked", denied.reason());
        List<Check> checks = new ArrayList<>(List.of(problem));
        for (String name : List.of(AVAILABLE, OWNER, FEATURE_SIZE, RegistrationCheck.NAME, CpuChecks.CPU_ID,
                CpuChecks.NODE_ID, MM_CID, SLICE_EXTENSION)) {
            checks.add(Check.notRun(name, Platform.NOT_CHECKED, "fix \"" + NATIVE_ACCESS + "\" first"));
        }
        return new Report(platform, denied, List.of(), checks);
    }

    private static Check cannotLoad(Platform platform, Throwable e) {
        return Check.problem(AVAILABLE, "rseq4j cannot initialize on " + platform.machine() + ": " + describe(e),
                "rseq4j runs on Linux x86_64 and aarch64 with JDK 25 or later; if this is such a system, "
                        + "report this output at " + Check.ISSUES);
    }

    private static Check available(RseqSupport rseq, Platform platform) {
        if (rseq.available()) {
            return Check.ok(AVAILABLE, "the kernel has the rseq system call and lets this process use it");
        }
        String fix = switch (rseq.errnoName()) {
            case "ENOSYS" -> "allow the 'rseq' system call in the seccomp profile (containers: a current "
                    + "runtime's default profile allows it, or add it to your custom profile), or run Linux 4.18 "
                    + "or later (this kernel: " + platform.kernel() + ")";
            case "EPERM", "EACCES" ->
                    "allow the 'rseq' system call in the seccomp or LSM policy that denies it";
            default -> "report this output at " + Check.ISSUES;
        };
        return Check.problem(AVAILABLE, "rseq(2) fails with " + errno(rseq) + ": "
                + rseq.reason(), fix);
    }

    /** Not a verdict but the explanation users need most: whose area rseq4j reads, and how to change that. */
    private static Check owner(RseqSupport rseq, Platform platform) {
        if (rseq.owner() == Owner.GLIBC) {
            return Check.ok(OWNER, "glibc: " + platform.libc() + " registered each thread's rseq area (__rseq_size "
                    + rseq.glibcRseqSize() + ", __rseq_offset " + rseq.glibcRseqOffset() + "), and rseq4j adopts "
                    + "it without a system call; to register rseq4j's own areas instead, start the JVM with "
                    + "GLIBC_TUNABLES=glibc.pthread.rseq=0");
        }
        return Check.ok(OWNER, "rseq4j: glibc registers no rseq area in this process (GLIBC_TUNABLES="
                + "glibc.pthread.rseq=0, glibc before 2.35, or another libc), so RseqThread.register() registers "
                + "rseq4j's own " + rseq.registrationLength() + "-byte area per thread");
    }

    /** Missing fields are a limit of the kernel or libc, not a fault: a note, never a problem. */
    private static Check featureSize(RseqSupport rseq) {
        String sizes = "the kernel fills " + rseq.featureSize() + " bytes of struct rseq"
                + (rseq.available() ? ", rseq4j reads " + rseq.usableSize() : " where rseq is allowed");
        return Check.ok(FEATURE_SIZE, rseq.hasMmCid()
                ? sizes + ": cpu_id_start, cpu_id, node_id and mm_cid"
                : sizes + ": " + missingFields(rseq));
    }

    /** An optional kernel feature: its absence is a note with the fix, never a problem. */
    private static Check sliceExtension(RseqSupport rseq) {
        return Check.ok(SLICE_EXTENSION, rseq.hasSliceExtension()
                ? "available: the kernel grants RseqSlice requests a short extension instead of preempting (Linux 7.0, "
                        + "CONFIG_RSEQ_SLICE_EXTENSION, runtime gate rseq_slice_ext on)"
                : "unavailable, RseqSlice.request() does nothing: " + rseq.sliceExtensionReason());
    }

    private static Check mmCid(RseqSupport rseq, ThreadSampler.Samples samples) {
        if (!rseq.hasMmCid()) {
            return Check.ok(MM_CID, "not checked: " + missingFields(rseq));
        }
        long bound = samples.processThreads();
        List<Integer> cids = samples.threads().stream().map(ThreadSample::mmCid).toList();
        String seen = "mm_cid " + cids + " on " + cids.size() + " registered threads, " + bound
                + " threads in the process";
        if (cids.stream().allMatch(cid -> cid != null && cid >= 0 && cid < bound)) {
            return Check.ok(MM_CID, seen);
        }
        return Check.problem(MM_CID, seen + ": not all within [0, " + bound + ")",
                "the kernel's mm_cid is out of range, so per-CPU-slot data indexed by it would overflow; "
                        + "report this output with the kernel version at " + Check.ISSUES);
    }

    private static Check needingRseq(String name, RseqSupport rseq, Supplier<Check> check) {
        if (!rseq.available()) {
            return Check.notRun(name, "needs rseq, which is unavailable", "fix \"" + AVAILABLE + "\" first");
        }
        return guarded(name, check);
    }

    private static Check guarded(String name, Supplier<Check> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            return Check.problem(name, "failed: " + describe(e), e instanceof RseqException
                    ? "follow the advice in the error; if it does not apply, report this output at " + Check.ISSUES
                    : "report this output at " + Check.ISSUES);
        }
    }

    /** The errno that made rseq unavailable as rseq4j's messages write one: "ENOSYS (38)", or "errno 95". */
    static String errno(RseqSupport rseq) {
        String name = rseq.errnoName();
        return name.equals("errno " + rseq.errno()) ? name : name + " (" + rseq.errno() + ")";
    }

    /** RseqException messages already name the errno and the remedy; others need their type. */
    private static String describe(Throwable e) {
        Throwable root = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
        return root instanceof RseqException ? root.getMessage() : root.toString();
    }

    /** Why node_id / mm_cid cannot be read, and what would change that; empty when both can. */
    static String missingFields(RseqSupport rseq) {
        if (rseq.hasMmCid()) {
            return "";
        }
        String missing = rseq.hasNodeId() ? "mm_cid is" : "node_id and mm_cid are";
        if (rseq.featureSize() < MM_CID_END) {
            return missing + " missing: they need Linux 6.3 or later (this kernel fills " + rseq.featureSize()
                    + " bytes of struct rseq; " + MM_CID_END + " are needed)";
        }
        return missing + " missing: glibc registered only " + rseq.usableSize() + " bytes of the " + rseq.featureSize()
                + " this kernel fills; start the JVM with GLIBC_TUNABLES=glibc.pthread.rseq=0 so rseq4j registers "
                + rseq.registrationLength() + " bytes itself";
    }
}
