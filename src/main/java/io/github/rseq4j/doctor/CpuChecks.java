package io.github.rseq4j.doctor;

import static java.util.stream.Collectors.joining;

import io.github.rseq4j.RseqSupport;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/** Verdicts on the kernel's cpu_id and node_id, from one {@link CpuProbe} per allowed CPU. */
final class CpuChecks {
    private CpuChecks() {}

    static final String CPU_ID = "cpu_id matches sched_getcpu on every allowed CPU";
    static final String NODE_ID = "node_id matches getcpu";

    private static final String FIX = "rseq4j would report wrong values: check whether another library in this "
            + "process registers rseq on its own; if none does, report this output at " + Check.ISSUES;

    static Check cpuId(List<CpuProbe> probes) {
        return verdict(CPU_ID, probes, CpuProbe::cpuAgrees, CpuProbe::describeCpu,
                "cpu_id, cpu_id_start, RseqThread.currentCpu() and sched_getcpu() named the CPU the thread was "
                        + "pinned to");
    }

    static Check nodeId(RseqSupport rseq, List<CpuProbe> probes) {
        if (!rseq.hasNodeId()) {
            return Check.ok(NODE_ID, "not checked: " + Checks.missingFields(rseq));
        }
        return verdict(NODE_ID, probes, CpuProbe::nodeAgrees, CpuProbe::describeNode,
                "node_id equalled getcpu()'s node (" + probes.stream().map(p -> String.valueOf(p.nodeId()))
                        .collect(joining(", ")) + ")");
    }

    private static Check verdict(String name, List<CpuProbe> probes, Predicate<CpuProbe> agrees,
                                 Function<CpuProbe, String> describe, String agreement) {
        if (probes.isEmpty()) {
            return Check.problem(name, "no CPU to check: the thread's CPU mask is empty", FIX);
        }
        List<CpuProbe> wrong = probes.stream().filter(agrees.negate()).toList();
        if (!wrong.isEmpty()) {
            return Check.problem(name, wrong.stream().map(describe).collect(joining("; ")), FIX);
        }
        return Check.ok(name, "CPUs " + probes.stream().map(p -> String.valueOf(p.cpu())).collect(joining(", "))
                + ": " + agreement);
    }
}
