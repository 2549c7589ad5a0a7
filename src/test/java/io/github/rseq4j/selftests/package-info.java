/**
 * Port of the Linux kernel's rseq selftests (tools/testing/selftests/rseq), part 1: the
 * registration side. Each class names what it ports:
 * <ul>
 *   <li>{@link io.github.rseq4j.selftests.BasicTest}: basic_test.c ({@code test_cpu_pointer}:
 *       pinned to each CPU, cpu_id, cpu_id_start and sched_getcpu() agree), plus node_id and
 *       mm_cid (Linux 6.3), with glibc's area and with rseq4j's own.
 *   <li>{@link io.github.rseq4j.selftests.SyscallErrorsTest}: syscall_errors_test.c (which
 *       run_syscall_errors_test.sh also runs with glibc's registration off), extended to every
 *       error rule of {@code sys_rseq()} in kernel/rseq.c.
 *   <li>{@link io.github.rseq4j.selftests.RefcountTest}: the registration count of rseq.c's
 *       {@code rseq_register_current_thread()}/{@code rseq_unregister_current_thread()} that
 *       rseq4j keeps itself, across nesting, misuse and hundreds of migrations.
 *   <li>{@link io.github.rseq4j.selftests.UnregisteredStateTest}: rseq.c's view of an
 *       unregistered thread (RSEQ_CPU_ID_UNINITIALIZED, the sched_getcpu() fallback of
 *       {@code rseq_current_cpu()}), before registration and after the kernel's reset.
 *   <li>{@link io.github.rseq4j.selftests.CoexistenceTest}: rseq.c's use of glibc's
 *       registration through {@code __rseq_offset}/{@code __rseq_size}.
 *   <li>{@link io.github.rseq4j.selftests.ConcurrencyTest}: param_test.c's per-thread
 *       registration of many workers, and thread churn with threads dying registered.
 *   <li>{@link io.github.rseq4j.selftests.VirtualThreadTest}: no kernel counterpart; the
 *       static readers on virtual threads, which change carrier at every park.
 *   <li>{@link io.github.rseq4j.selftests.HoistingTest}: no kernel counterpart; a compiled
 *       loop polling cpu_id sees the kernel change it when another thread migrates the poller.
 *   <li>{@link io.github.rseq4j.selftests.RseqBlockedTest}: the selftests'
 *       {@code rseq_available()} being false, here because a seccomp filter returns ENOSYS.
 *   <li>{@link io.github.rseq4j.selftests.OtherRseqUsersTest}: no kernel counterpart; a native library's
 *       own registration, an area unregistered behind rseq4j's back, a second copy in another class loader.
 *   <li>{@link io.github.rseq4j.selftests.SharedRegistrationIT}: the packaged jar in two class loaders
 *       sharing one registration and count per thread, in every order; a copy of an unknown slot layout.
 *   <li>{@link io.github.rseq4j.selftests.LibrseqTest}: librseq preloaded, both glibc modes and both orders:
 *       rseq4j adopts librseq's registration or registers through librseq.
 * </ul>
 * Checks that need another process environment (glibc's registration off, a seccomp filter)
 * run as {@code main} classes in a forked JVM through {@link io.github.rseq4j.selftests.Scenario}.
 */
package io.github.rseq4j.selftests;
