#ifndef LADING_THREADS_H
#define LADING_THREADS_H
#include <stddef.h>

/* Runs `start(context)` on a new detached thread that begins on another core than the
 * caller's (when the process may use another), then may run on any core it is allowed.
 *
 * Linux queues a new thread on its parent's core; an idle core (a halted vCPU) takes it
 * over only at the next balancing tick, so while the parent keeps its core busy the
 * thread waited 0.5-2 ms to begin on the 2-core build machine, against about 50 us here.
 * `sched_getcpu` and the affinity calls need _GNU_SOURCE, which Swift's Glibc does not
 * import: hence C. `stack_size` 0 keeps the default. Returns 0, or pthread_create's
 * error (then nothing was started). */
int lading_thread_start_elsewhere(void (*start)(void *context), void *context, size_t stack_size);
#endif
