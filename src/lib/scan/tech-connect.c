/*
 * TCP connect scan (-sT): a non-blocking connect() per probe, the answer read
 * from SO_ERROR. Open ports are closed with SO_LINGER {1, 0} so the kernel
 * sends RST and keeps no TIME_WAIT. A connection reset after the handshake
 * (ECONNRESET: a service that accepts and resets) is an open port.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "scan/technique.h"

static bool connect_same_endpoint(const struct sockaddr_storage *a, const struct sockaddr *b,
                                  bool with_port)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!with_port || x->sin_port == y->sin_port);
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       (!with_port || x->sin6_port == y->sin6_port);
	}
	return false;
}

/*
 * The connection is up: open, unless it is a TCP self-connect (source port
 * chosen equal to the destination port on the same address: simultaneous
 * open with itself), which answers nothing about the port.
 */
static int connect_established(int fd, const struct sockaddr *sa, struct scan_verdict *v)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);

	*v = (struct scan_verdict){.state = SCAN_OPEN, .reason = SCAN_REASON_SYN_ACK};
	if (getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
	    connect_same_endpoint(&local, sa, false)) {
		v->local = true;
		v->again = connect_same_endpoint(&local, sa, true);
	}
	return SCAN_PROBE_DONE;
}

/* Maps a connect() error on fd to a verdict; returns SCAN_PROBE_DONE, PENDING or -errno. */
static int connect_errno_verdict(int fd, int err, const struct sockaddr *sa, struct scan_verdict *v)
{
	switch (err) {
	case EINPROGRESS:
	case EALREADY:
	case EINTR:
		return SCAN_PROBE_PENDING;
	case ECONNREFUSED:
		*v =
		    (struct scan_verdict){.state = SCAN_CLOSED, .reason = SCAN_REASON_CONN_REFUSED};
		return SCAN_PROBE_DONE;
	case ECONNRESET:
	case EPIPE:
		/*
		 * Reset after the handshake completed (a SYN's RST is ECONNREFUSED): the
		 * port accepted the connection, so it is open, as nmap says.
		 */
		return connect_established(fd, sa, v);
	case EHOSTUNREACH:
	case EHOSTDOWN:
		*v = (struct scan_verdict){.state = SCAN_FILTERED,
		                           .reason = SCAN_REASON_HOST_UNREACH};
		return SCAN_PROBE_DONE;
	case ENETUNREACH:
	case ENETDOWN:
		*v = (struct scan_verdict){.state = SCAN_FILTERED,
		                           .reason = SCAN_REASON_NET_UNREACH};
		return SCAN_PROBE_DONE;
	case EACCES:
	case EPERM:
		/* An ICMP "administratively prohibited" answer, or a local firewall reject. */
		*v = (struct scan_verdict){.state = SCAN_FILTERED,
		                           .reason = SCAN_REASON_ADMIN_PROHIBITED};
		return SCAN_PROBE_DONE;
	case ETIMEDOUT:
		*v = (struct scan_verdict){.state = SCAN_FILTERED,
		                           .reason = SCAN_REASON_NO_RESPONSE};
		return SCAN_PROBE_DONE;
	default:
		return -err;
	}
}

static int connect_probe_start(const struct sockaddr *sa, socklen_t salen, int *fd,
                               struct scan_verdict *v)
{
	int s = *fd, r;

	if (s < 0) {
		s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (s < 0)
			return -errno;
		*fd = s;
	}
	if (connect(s, sa, salen) == 0)
		return connect_established(s, sa, v);
	r = connect_errno_verdict(s, errno, sa, v);
	/* A refusal reported by connect() itself leaves the socket unconnected, unbound. */
	v->reuse = r == SCAN_PROBE_DONE && v->state == SCAN_CLOSED;
	return r;
}

/* A second connect() reports the state without a trip through epoll. */
static int connect_probe_check(int fd, const struct sockaddr *sa, socklen_t salen,
                               struct scan_verdict *v)
{
	int r;

	if (connect(fd, sa, salen) == 0 || errno == EISCONN)
		return connect_established(fd, sa, v);
	r = connect_errno_verdict(fd, errno, sa, v);
	v->reuse = r == SCAN_PROBE_DONE && v->state == SCAN_CLOSED;
	return r;
}

static int connect_probe_event(int fd, uint32_t events, const struct sockaddr *sa, socklen_t salen,
                               struct scan_verdict *v)
{
	int err = 0;
	socklen_t len = sizeof(err);

	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return connect_errno_verdict(fd, err, sa, v);
	if (events & (EPOLLOUT | EPOLLIN))
		return connect_established(fd, sa, v);
	return SCAN_PROBE_PENDING;
}

static void connect_probe_close(int fd, enum scan_state state)
{
	if (state == SCAN_OPEN) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
}

const struct scan_technique scan_tech_connect = {
    .name = "connect",
    .flag = "-sT",
    .help = "TCP connect scan (the default without CAP_NET_RAW)",
    .xml_type = "connect",
    .proto = IPPROTO_TCP,
    .needs_raw = false,
    .probe_start = connect_probe_start,
    .probe_check = connect_probe_check,
    .probe_event = connect_probe_event,
    .probe_close = connect_probe_close,
};
