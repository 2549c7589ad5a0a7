package io.github.rseq4j.testing;

import io.github.rseq4j.PerCpuBuffer;
import io.github.rseq4j.PerCpuCounter;
import io.github.rseq4j.PerCpuDoubleAdder;
import io.github.rseq4j.PerCpuHistogram;
import io.github.rseq4j.PerCpuIndexing;
import io.github.rseq4j.PerCpuList;
import io.github.rseq4j.PerCpuLongArray;
import io.github.rseq4j.PerCpuPool;
import io.github.rseq4j.PerCpuSpinLock;
import io.github.rseq4j.RseqBarrier;
import io.github.rseq4j.RseqSlice;
import io.github.rseq4j.RseqSupport;
import io.github.rseq4j.RseqThread;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The child JVM of {@code NativeAccessDeniedTest}: uses every public entry point of rseq4j twice, in a JVM that
 * denies rseq4j native access, and prints one line per use: {@code name<TAB>what it threw or returned}.
 */
public final class NativeAccessDeniedChild {
    private NativeAccessDeniedChild() {}

    /** Every public constructor and public static method, and the methods of the enum constants that need native. */
    public static final Map<String, Callable<?>> ENTRY_POINTS = entryPoints();

    private static Map<String, Callable<?>> entryPoints() {
        Map<String, Callable<?>> entries = new LinkedHashMap<>();
        entries.put("RseqSupport.probe", RseqSupport::probe);
        entries.put("RseqThread.currentCpu", RseqThread::currentCpu);
        entries.put("RseqThread.currentNode", RseqThread::currentNode);
        entries.put("RseqThread.currentMmCid", RseqThread::currentMmCid);
        entries.put("RseqThread.register", RseqThread::register);
        entries.put("RseqThread.current", RseqThread::current);
        entries.put("RseqThread.threadFactory", RseqThread::threadFactory);
        entries.put("RseqThread.ofPlatform", RseqThread::ofPlatform);
        entries.put("RseqBarrier.register", () -> {
            RseqBarrier.register();
            return null;
        });
        entries.put("RseqBarrier.abortAll", () -> {
            RseqBarrier.abortAll();
            return null;
        });
        entries.put("RseqBarrier.abortOn", () -> {
            RseqBarrier.abortOn(0);
            return null;
        });
        entries.put("RseqSlice.request", RseqSlice::request);
        entries.put("PerCpuSpinLock.slots", PerCpuSpinLock::slots);
        entries.put("PerCpuSpinLock.maxSlotCount", PerCpuSpinLock::maxSlotCount);
        entries.put("PerCpuIndexing.slots", PerCpuIndexing.MM_CID::slots);
        entries.put("PerCpuIndexing.sectionSlots", PerCpuIndexing.MM_CID::sectionSlots);
        entries.put("PerCpuIndexing.isAvailable", PerCpuIndexing.MM_CID::isAvailable);
        entries.put("PerCpuIndexing.unavailableReason", PerCpuIndexing.MM_CID::unavailableReason);
        entries.put("PerCpuCounter.<init>", () -> new PerCpuCounter(PerCpuIndexing.CPU_ID));
        entries.put("PerCpuDoubleAdder.<init>", () -> new PerCpuDoubleAdder(PerCpuIndexing.CPU_ID));
        entries.put("PerCpuHistogram.appendLogHeader", () -> {
            StringBuilder header = new StringBuilder();
            PerCpuHistogram.appendLogHeader(header, 0);
            return header.length();
        });
        entries.put("PerCpuLongArray.<init>", () -> new PerCpuLongArray(4, PerCpuIndexing.CPU_ID));
        entries.put("PerCpuSpinLock.<init>", () -> new PerCpuSpinLock(PerCpuIndexing.CPU_ID));
        entries.put("PerCpuList.<init>", () -> new PerCpuList(PerCpuIndexing.CPU_ID));
        entries.put("PerCpuBuffer.<init>", () -> new PerCpuBuffer(64, PerCpuIndexing.CPU_ID));
        entries.put("PerCpuHistogram.<init>", () -> new PerCpuHistogram(1000, 2, PerCpuIndexing.CPU_ID));
        entries.put("PerCpuPool.<init>", () -> new PerCpuPool<>(4, Object::new, PerCpuIndexing.CPU_ID));
        return entries;
    }

    public static void main(String[] args) {
        for (int round = 1; round <= 2; round++) {
            for (Map.Entry<String, Callable<?>> entry : ENTRY_POINTS.entrySet()) {
                System.out.println(round + "\t" + entry.getKey() + "\t" + outcome(entry.getValue()));
            }
        }
    }

    private static String outcome(Callable<?> use) {
        try {
            return "returned " + use.call();
        } catch (Throwable t) {
            return "threw " + t.toString().replace('\n', ' ');
        }
    }
}
