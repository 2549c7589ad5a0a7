/**
 * Tests of the per-CPU structures, by structure first, then by what stresses all of them.
 *
 * <p>One structure each (its contract, its misuse):
 * <ul>
 *   <li>{@code PerCpuCounter}: {@link io.github.rseq4j.percpu.PerCpuCounterTest} (LongAdder parity included).
 *   <li>{@code PerCpuDoubleAdder}: {@link io.github.rseq4j.percpu.PerCpuDoubleAdderTest}.
 *   <li>{@code PerCpuHistogram}: {@link io.github.rseq4j.percpu.PerCpuHistogramTest} (bounds, saturation,
 *       reused snapshots) and {@link io.github.rseq4j.percpu.HdrHistogramFormatTest} (HdrHistogram's own
 *       decoder and log reader read its output).
 *   <li>{@code PerCpuSpinLock}: {@link io.github.rseq4j.percpu.SpinLockMisuseTest} (re-entry, wrong unlocks,
 *       tryLock) and {@link io.github.rseq4j.percpu.SpinLockVirtualThreadTest} (a holder that parks).
 *   <li>{@code PerCpuList} and {@code PerCpuBuffer}: {@link io.github.rseq4j.percpu.ListAndBufferMisuseTest}
 *       (consumers that throw, segments of other threads and closed arenas, views kept past drain) and
 *       {@link io.github.rseq4j.percpu.PopAnyTest} (taking from other CPUs).
 *   <li>{@code PerCpuPool}: {@link io.github.rseq4j.percpu.PerCpuPoolTest}.
 *   <li>{@code RseqBarrier}: {@link io.github.rseq4j.percpu.RseqBarrierErrorsTest}.
 * </ul>
 *
 * <p>Every structure at once:
 * <ul>
 *   <li>Exact results under the kernel selftests' workloads ({@link io.github.rseq4j.percpu.Scenarios}):
 *       {@link io.github.rseq4j.percpu.ParamTest} (param_test.c), {@link io.github.rseq4j.percpu.BasicPercpuOpsTest}
 *       (basic_percpu_ops_test.c), and the same workloads with aborts forced by delay loops
 *       ({@link io.github.rseq4j.percpu.ForcedAbortsTest}, {@link io.github.rseq4j.percpu.AbortInjectionTest}) or
 *       by signals ({@link io.github.rseq4j.percpu.SignalAbortTest}).
 *   <li>Modes: rseq4j owning rseq ({@link io.github.rseq4j.percpu.RegisterModeTest}), mm_cid indexing
 *       ({@link io.github.rseq4j.percpu.MmCidIndexingTest}, {@link io.github.rseq4j.percpu.MmCidSectionsTest}),
 *       atomics where sections are refused ({@link io.github.rseq4j.percpu.AtomicFallbackTest}), the possible-CPU
 *       mask hidden ({@link io.github.rseq4j.percpu.PossibleCpusUnknownTest}), a glibc area unregistered behind
 *       glibc's back ({@link io.github.rseq4j.percpu.UnregisteredGlibcAreaTest}).
 *   <li>Bounds and arguments: every section refuses an index past its slots
 *       ({@link io.github.rseq4j.percpu.IndexRangeTest}); every constructor and method refuses bad arguments
 *       ({@link io.github.rseq4j.percpu.PerCpuArgumentsTest}); native memory counts against
 *       {@code -XX:MaxDirectMemorySize} ({@link io.github.rseq4j.percpu.DirectMemoryLimitTest}).
 * </ul>
 */
package io.github.rseq4j.percpu;
