/* SIGINT/SIGTERM: finish the outputs, mark the run, die of the signal (see interrupt.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cmd/interrupt.h"
#include "util/thread.h"

#ifdef _WIN32
/* Windows has no sigwait(): Ctrl-C ends the process as it always did. */
void cmd_interrupt_block(void)
{
}

int cmd_interrupt_start(struct cmd_interrupt *ci, pthread_mutex_t *lock,
                        void (*on_signal)(void *ctx, int sig), void *ctx)
{
	(void)ci;
	(void)lock;
	(void)on_signal;
	(void)ctx;
	return -ENOSYS;
}

void cmd_interrupt_stop(struct cmd_interrupt *ci)
{
	(void)ci;
}
#else
static void interrupt_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

void cmd_interrupt_block(void)
{
	sigset_t set;

	interrupt_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *interrupt_thread(void *arg)
{
	struct cmd_interrupt *ci = arg;
	sigset_t set;
	int sig = 0;

	interrupt_set(&set);
	while (sigwait(&set, &sig) != 0)
		;
	/* From here the handling runs to the end: the process dies of sig. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(ci->lock);
	ci->on_signal(ci->ctx, sig);
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return NULL; /* not reached: the default action ends the process */
}

int cmd_interrupt_start(struct cmd_interrupt *ci, pthread_mutex_t *lock,
                        void (*on_signal)(void *ctx, int sig), void *ctx)
{
	sigset_t set;
	int r;

	ci->lock = lock;
	ci->on_signal = on_signal;
	ci->ctx = ctx;
	/* The handler writes the outputs' ends and commits the history: stdio and SQLite frames.
	 */
	r = thread_start(&ci->thread, interrupt_thread, ci);
	if (r != 0) {
		/* No thread (no memory): the signals kill the process as they always did. */
		interrupt_set(&set);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		return -r;
	}
	ci->running = true;
	return 0;
}

void cmd_interrupt_stop(struct cmd_interrupt *ci)
{
	sigset_t set;

	if (ci && ci->running) {
		pthread_cancel(ci->thread); /* in sigwait(): ends; handling: runs to the end */
		pthread_join(ci->thread, NULL);
		ci->running = false;
	}
	interrupt_set(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

#endif

const char *cmd_signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
