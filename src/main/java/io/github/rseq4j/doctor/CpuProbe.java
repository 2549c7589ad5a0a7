package io.github.rseq4j.doctor;

import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import java.util.ArrayList;
import java.util.List;

/**
 * What every source says about the CPU and node of a registered thread pinned to {@code cpu}.
 * The pinned CPU is the ground truth: glibc's own {@code sched_getcpu()} reads rseq's cpu_id
 * when glibc registered rseq, so agreeing with it alone would prove little.
 *
 * @param nodeId     the kernel's node_id; null when it does not fill that field
 * @param getcpuNode the node from getcpu(2), which does not go through rseq
 */
record CpuProbe(int cpu, int schedGetcpu, int cpuId, int cpuIdStart, int currentCpu, Integer nodeId, int getcpuNode) {

    /** Pins a fresh registered thread to each CPU it may use in turn (it ends pinned); needs rseq available. */
    static List<CpuProbe> onEveryAllowedCpu(RseqSupport rseq) {
        return DoctorThreads.call("rseq4j-doctor-pinned", () -> {
            List<CpuProbe> probes = new ArrayList<>();
            try (var registration = RseqThread.register()) {
                RseqThread handle = registration.thread();
                Os.allowedCpus().stream().forEach(cpu -> {
                    Os.pin(cpu);
                    probes.add(probe(cpu, handle, rseq));
                });
            }
            return probes;
        });
    }

    private static CpuProbe probe(int cpu, RseqThread handle, RseqSupport rseq) {
        return new CpuProbe(cpu, Os.schedGetcpu(), handle.cpuId(), handle.cpuIdStart(), RseqThread.currentCpu(),
                rseq.hasNodeId() ? handle.nodeId() : null, Os.getcpuNode());
    }

    boolean cpuAgrees() {
        return schedGetcpu == cpu && cpuId == cpu && cpuIdStart == cpu && currentCpu == cpu;
    }

    boolean nodeAgrees() {
        return nodeId != null && nodeId == getcpuNode;
    }

    String describeCpu() {
        return "pinned to CPU " + cpu + ": sched_getcpu() " + schedGetcpu + ", cpu_id " + cpuId
                + ", cpu_id_start " + cpuIdStart + ", RseqThread.currentCpu() " + currentCpu;
    }

    String describeNode() {
        return "on CPU " + cpu + ": node_id " + nodeId + ", getcpu() node " + getcpuNode;
    }
}
