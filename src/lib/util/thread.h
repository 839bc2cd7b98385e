/*
 * Threads with a modest stack. glibc gives each thread a stack the size of
 * RLIMIT_STACK (8 MiB by default) of address space: the many short-lived
 * threads of a scan (host discovery's senders and receiver, the detection
 * worker, the audit's safe checks) would otherwise reserve tens of MiB,
 * which fails under an address-space limit (ulimit -v, RLIMIT_AS). None of
 * them keeps more than a few KiB on its stack.
 */
#pragma once

#include <pthread.h>

/* Stack of a thread_start() thread; sanitizers' frames and fake stacks take more. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THREAD_STACK (4u << 20)
#endif
#endif
#if !defined(THREAD_STACK) && defined(__SANITIZE_ADDRESS__)
#define THREAD_STACK (4u << 20)
#endif
#ifndef THREAD_STACK
#define THREAD_STACK (1u << 20)
#endif

/*
 * pthread_create(t, attributes with a THREAD_STACK stack, fn, arg): 0, or an
 * error number as pthread_create returns (EAGAIN, ...).
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
