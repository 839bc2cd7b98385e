/* The roll-back watchdog (rollback.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/nft.h"
#include "policy/rollback.h"
#include "util/clock.h"

enum {
	EXIT_KEPT = 0,
	EXIT_RESTORED = 10,
	EXIT_FAILED = 11,
};

/* The watchdog: waits for a command, the caller's death or the deadline. Never returns. */
static void watch(int ctl, int report, const char *table, const char *saved, unsigned max_seconds)
{
	int64_t deadline = (int64_t)clock_mono_ms() + (int64_t)max_seconds * 1000;
	char why[512];
	int fd;

	/* out of the terminal's session: its hang-up must not reach us */
	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	/* and off its file descriptors (a terminal waits for its last reader) */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	for (;;) {
		struct pollfd pfd = {.fd = ctl, .events = POLLIN};
		int64_t left = deadline - (int64_t)clock_mono_ms();
		unsigned char cmd[5];
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue; /* the deadline is checked above */
		n = read(ctl, cmd, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the caller is gone */
		if (cmd[0] == 'k')
			_exit(EXIT_KEPT);
		if (cmd[0] == 'a' && read(ctl, cmd + 1, 4) == 4) {
			uint32_t s;
			memcpy(&s, cmd + 1, 4);
			deadline = (int64_t)clock_mono_ms() + (int64_t)s * 1000;
			continue;
		}
		break; /* 'r' or anything else: restore */
	}
	if (policy_nft_load(table, saved, false, why, sizeof(why)) == 0)
		_exit(EXIT_RESTORED);
	if (write(report, why, strlen(why)) < 0)
		_exit(EXIT_FAILED);
	_exit(EXIT_FAILED);
}

int policy_rollback_start(struct policy_rollback *rb, const char *table, const char *saved,
                          unsigned max_seconds)
{
	int ctl[2], report[2];
	pid_t pid;

	if (pipe2(ctl, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(report, O_CLOEXEC) < 0) {
		int e = errno;
		close(ctl[0]);
		close(ctl[1]);
		return -e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ctl[0]);
		close(ctl[1]);
		close(report[0]);
		close(report[1]);
		return -e;
	}
	if (pid == 0) {
		close(ctl[1]);
		close(report[0]);
		watch(ctl[0], report[1], table, saved, max_seconds);
	}
	close(ctl[0]);
	close(report[1]);
	*rb = (struct policy_rollback){.pid = pid, .ctl = ctl[1], .report = report[0]};
	return 0;
}

int policy_rollback_arm(struct policy_rollback *rb, unsigned seconds)
{
	unsigned char cmd[5] = {'a'};
	uint32_t s = seconds;

	memcpy(cmd + 1, &s, 4);
	return write(rb->ctl, cmd, sizeof(cmd)) == (ssize_t)sizeof(cmd) ? 0 : -EPIPE;
}

int policy_rollback_finish(struct policy_rollback *rb, bool keep, char *why, size_t whylen)
{
	char cmd = keep ? 'k' : 'r';
	int status = 0, rc;
	ssize_t n;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);

	if (why && whylen)
		why[0] = '\0';
	/* a watchdog that already restored on its deadline has closed its end */
	if (write(rb->ctl, &cmd, 1) < 0) {
	}
	close(rb->ctl);
	while (waitpid(rb->pid, &status, 0) < 0 && errno == EINTR)
		;
	signal(SIGPIPE, old);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_KEPT)
		rc = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RESTORED)
		rc = 1;
	else
		rc = -EIO;
	if (rc < 0 && why && whylen) {
		n = read(rb->report, why, whylen - 1);
		why[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			snprintf(why, whylen, "the roll-back process ended abnormally");
	}
	close(rb->report);
	return rc;
}
