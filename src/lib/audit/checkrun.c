/* Runs one safe check over the network: non-blocking socket, deadline, bounded reads. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit/check.h"
#include "util/clock.h"
#include "util/seed.h"

/* Waits for events on fd until deadline. Returns revents, 0 on timeout, or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - (int64_t)clock_mono_ms();
		struct pollfd p = {.fd = fd, .events = events};
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		return p.revents;
	}
}

/* Sends all of conv->out. Returns 0, or a note for the evidence. */
static const char *send_all(int fd, const struct audit_conv *conv, int64_t deadline)
{
	size_t done = 0;

	while (done < conv->outlen) {
		ssize_t w = send(fd, conv->out + done, conv->outlen - done, MSG_NOSIGNAL);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ev = wait_fd(fd, POLLOUT, deadline);

			if (ev <= 0)
				return "timeout";
			continue;
		}
		return errno == ECONNREFUSED ? "connection refused" : "closed by the server";
	}
	return NULL;
}

int audit_check_run(const struct audit_check *c, const void *addr, unsigned addrlen,
                    unsigned timeout_ms, struct audit_conv *conv)
{
	const struct sockaddr *sa = addr;
	int64_t deadline = (int64_t)clock_mono_ms() + timeout_ms;
	int type = c->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	uint8_t *buf;
	size_t have = 0;
	int fd, r, verdict = AUDIT_CHECK_NO;
	const char *fail = NULL;
	unsigned sends = 0;

	memset(conv, 0, sizeof(*conv));
	if (c->proto == IPPROTO_UDP) {
		conv->cookie = (uint32_t)seed_random();
		/* 0x40000000-0x7fffffff: a positive BER INTEGER of four octets, minimal */
		conv->cookie = (conv->cookie & 0x3fffffffu) | 0x40000000u;
	}
	buf = malloc(AUDIT_CHECK_READ_MAX);
	if (!buf)
		return -ENOMEM;
	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	if (connect(fd, sa, addrlen) < 0 && errno != EINPROGRESS) {
		fail = errno == ECONNREFUSED ? "connection refused" : "connect failed";
		goto out;
	}
	if (type == SOCK_STREAM) {
		int ev = wait_fd(fd, POLLOUT, deadline), err = 0;
		socklen_t el = sizeof(err);

		if (ev <= 0) {
			fail = "connect timeout";
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			fail = err == ECONNREFUSED ? "connection refused" : "connect failed";
			goto out;
		}
	}
	if (c->start)
		c->start(conv);
	for (;;) {
		ssize_t n;
		int ev;

		if (conv->outlen) {
			if (++sends > AUDIT_CHECK_STEPS_MAX) {
				fail = "too many exchanges";
				goto out;
			}
			fail = send_all(fd, conv, deadline);
			if (fail)
				goto out;
			conv->outlen = 0;
		}
		ev = wait_fd(fd, POLLIN, deadline);
		if (ev < 0 || ev == 0) {
			fail = "timeout";
			goto out;
		}
		n = recv(fd, buf + have, AUDIT_CHECK_READ_MAX - have, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0) {
			fail = errno == ECONNREFUSED ? "connection refused (port unreachable)"
			                             : "connection reset";
			goto out;
		}
		if (n == 0) {
			fail = "closed by the server";
			goto out;
		}
		have += (size_t)n;
		verdict = c->step(conv, buf, have);
		if (verdict == AUDIT_CHECK_YES || verdict == AUDIT_CHECK_NO)
			goto out;
		if (verdict == AUDIT_CHECK_SEND) {
			conv->step++;
			have = 0;
		} else if (have == AUDIT_CHECK_READ_MAX || type == SOCK_DGRAM) {
			fail = "no verdict within the read limit";
			goto out;
		}
	}
out:
	if (fail) {
		verdict = AUDIT_CHECK_NO;
		audit_conv_note(conv, fail, NULL, 0);
	}
	close(fd);
	free(buf);
	return verdict;
}
