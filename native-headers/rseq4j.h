/*
 * Input header for jextract (see README.md and regenerate.sh in this directory).
 * Only the symbols listed in jextract.args end up in the generated binding.
 */
#define _GNU_SOURCE            /* getcpu, gettid, sched_getcpu, cpu_set_t, __rseq_* in glibc headers */

#include <linux/rseq.h>        /* struct rseq, struct rseq_cs, RSEQ_* flags and cpu_id states */
#include <sys/rseq.h>          /* glibc's rseq registration: __rseq_offset, __rseq_size, __rseq_flags */
#include <linux/membarrier.h>  /* MEMBARRIER_CMD_* (private expedited rseq fences) */
#include <sys/auxv.h>          /* getauxval and AT_* (via elf.h) */
#include <unistd.h>            /* syscall, gettid, getpid, sysconf and _SC_* */
#include <sched.h>             /* sched_getcpu, getcpu, sched_{get,set}affinity, cpu_set_t */
#include <pthread.h>           /* pthread_self (thread pointer on x86_64), pthread_kill */
#include <sys/prctl.h>         /* prctl, PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP (tests: seccomp) */
#include <linux/seccomp.h>     /* SECCOMP_* for the test-only filter that denies rseq */
#include <linux/filter.h>      /* struct sock_filter / sock_fprog and BPF_* opcodes */
#include <sys/mman.h>          /* mmap/mprotect/munmap, PROT_*, MAP_* (code and aligned areas) */
#include <sys/utsname.h>       /* uname, struct utsname (kernel version diagnostics) */
#include <gnu/libc-version.h>  /* gnu_get_libc_version (glibc version diagnostics) */
#include <signal.h>            /* sigaction, sigemptyset, SIGURG, SA_* (signal-driven preemption) */
