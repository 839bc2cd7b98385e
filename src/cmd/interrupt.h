/*
 * SIGINT and SIGTERM during a scan or an audit: what was found so far is
 * written as complete documents and the history run is marked interrupted,
 * then the process dies of the signal (a shell sees 130 or 143).
 *
 * The signals are blocked in every thread (cmd_interrupt_block(), before the
 * engines start theirs) and taken by one thread of ours with sigwait(), so no
 * engine is ever interrupted in a system call. That thread takes the lock
 * that every writer of results holds (the caller's), so it never writes
 * beside a host half written, calls on_signal() and raises the signal again.
 *
 *   cmd_interrupt_block();
 *   cmd_interrupt_start(&ci, &lock, finish_outputs, ctx);   ... writers hold lock
 *   cmd_interrupt_stop(&ci);                                  (the run ended by itself)
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct cmd_interrupt {
	pthread_mutex_t *lock; /* held by whoever writes results */
	/* Called from the signal thread with lock held; sig is SIGINT or SIGTERM. */
	void (*on_signal)(void *ctx, int sig);
	void *ctx;
	pthread_t thread;
	bool running;
};

/* Blocks SIGINT and SIGTERM in this thread and the threads it starts later. */
void cmd_interrupt_block(void);

/*
 * Starts the signal thread. Returns 0, or a negative errno: then the signals
 * are unblocked and end the process as they would without us (the run goes on).
 */
int cmd_interrupt_start(struct cmd_interrupt *ci, pthread_mutex_t *lock,
                        void (*on_signal)(void *ctx, int sig), void *ctx);

/*
 * Ends the signal thread (a signal being handled is finished: the process
 * dies of it) and unblocks the signals, so that one arriving now ends the
 * process as it would have without us. NULL or a stopped ci is allowed.
 */
void cmd_interrupt_stop(struct cmd_interrupt *ci);

/* "SIGINT", "SIGTERM". */
const char *cmd_signal_name(int sig);
