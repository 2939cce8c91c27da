#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <stdlib.h>
#include "lading_threads.h"

struct launch {
    void (*start)(void *);
    void *context;
    int restore;
    cpu_set_t allowed;
};

static void *trampoline(void *raw) {
    struct launch launch = *(struct launch *)raw;
    free(raw);
    if (launch.restore) pthread_setaffinity_np(pthread_self(), sizeof launch.allowed, &launch.allowed);
    launch.start(launch.context);
    return NULL;
}

int lading_thread_start_elsewhere(void (*start)(void *), void *context, size_t stack_size) {
    struct launch *launch = malloc(sizeof *launch);
    if (launch == NULL) return ENOMEM;
    launch->start = start;
    launch->context = context;
    launch->restore = 0;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (stack_size > 0) pthread_attr_setstacksize(&attributes, stack_size);
    int here = sched_getcpu();
    if (here >= 0 && sched_getaffinity(0, sizeof launch->allowed, &launch->allowed) == 0) {
        cpu_set_t elsewhere = launch->allowed;
        CPU_CLR(here, &elsewhere);
        if (CPU_COUNT(&elsewhere) > 0 && pthread_attr_setaffinity_np(&attributes, sizeof elsewhere, &elsewhere) == 0) {
            launch->restore = 1;
        }
    }
    int created = pthread_create(&(pthread_t){0}, &attributes, trampoline, launch);
    pthread_attr_destroy(&attributes);
    if (created != 0) free(launch);
    return created;
}
