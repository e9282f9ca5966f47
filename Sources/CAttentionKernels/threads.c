// What the worker pool needs from the system that Swift's Glibc module does not spell out.
#define _GNU_SOURCE
#include "attention_kernels.h"
#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

void ak_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

int ak_set_thread_nice(int nice) {
#if defined(__linux__)
    // On Linux a nice value belongs to a thread: PRIO_PROCESS with a thread id sets that thread's.
    return setpriority(PRIO_PROCESS, (id_t)gettid(), nice) == 0 ? 0 : errno;
#else
    (void)nice;
    return ENOSYS;
#endif
}

int ak_thread_nice(void) {
#if defined(__linux__)
    errno = 0;
    return getpriority(PRIO_PROCESS, (id_t)gettid());
#else
    return 0;
#endif
}
