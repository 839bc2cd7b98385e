/* Raw sockets for crafted probes (see rawsock.h). */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scan/rawsock.h"

/* A socket filter that accepts nothing: these sockets only send. */
static int rawsock_deaf(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {.len = 1, .filter = &drop};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static void rawsock_init_batch(struct rawsock_batch *b, int fd)
{
	b->fd = fd;
	b->n = b->first = 0;
}

int rawsock_open(struct rawsock *rs, int proto, char *why, size_t whylen)
{
	int fd4, fd6, sndbuf = 4 << 20, save;

	rawsock_init_batch(&rs->b4, -1);
	rawsock_init_batch(&rs->b6, -1);
	rs->route4 = rs->route6 = -1;
	fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd4 < 0 && (errno == EPERM || errno == EACCES)) {
		snprintf(why, whylen, "raw sockets need CAP_NET_RAW (run as root)");
		return -EPERM;
	}
	fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd4 < 0 && fd6 < 0) {
		save = errno;
		snprintf(why, whylen, "cannot open a raw socket: %s", strerror(save));
		return -save;
	}
	if (fd4 >= 0) {
		setsockopt(fd4, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		rawsock_deaf(fd4);
	}
	if (fd6 >= 0) {
		setsockopt(fd6, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		rawsock_deaf(fd6);
	}
	rawsock_init_batch(&rs->b4, fd4);
	rawsock_init_batch(&rs->b6, fd6);
	rs->route4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rs->route6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return 0;
}

void rawsock_close(struct rawsock *rs)
{
	int fds[] = {rs->b4.fd, rs->b6.fd, rs->route4, rs->route6};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	rs->b4.fd = rs->b6.fd = rs->route4 = rs->route6 = -1;
}

uint8_t *rawsock_slot(struct rawsock_batch *b, const struct target_addr *dst)
{
	struct sockaddr_storage *ss;

	if (b->n == RAWSOCK_BATCH)
		return NULL;
	ss = &b->sa[b->n];
	memset(ss, 0, sizeof(*ss));
	if (dst->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_addr = dst->v4;
		b->msgs[b->n].msg_hdr.msg_namelen = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = dst->v6; /* sin6_port stays 0: the socket's protocol */
		b->msgs[b->n].msg_hdr.msg_namelen = sizeof(*s);
	}
	return b->buf[b->n];
}

void rawsock_commit(struct rawsock_batch *b, size_t len)
{
	struct msghdr *m = &b->msgs[b->n].msg_hdr;

	b->iov[b->n] = (struct iovec){.iov_base = b->buf[b->n], .iov_len = len};
	m->msg_name = &b->sa[b->n];
	m->msg_iov = &b->iov[b->n];
	m->msg_iovlen = 1;
	m->msg_control = NULL;
	m->msg_controllen = 0;
	m->msg_flags = 0;
	b->n++;
}

int rawsock_flush(struct rawsock_batch *b)
{
	unsigned sent = 0;

	while (b->first < b->n) {
		int r = sendmmsg(b->fd, b->msgs + b->first, b->n - b->first, 0);

		if (r < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err == EPERM || err == EACCES || err == EHOSTUNREACH ||
			    err == ENETUNREACH || err == EINVAL || err == EADDRNOTAVAIL) {
				b->first++; /* this one cannot go (a firewall, no route): skip it */
				continue;
			}
			return -err; /* the unsent ones stay queued */
		}
		b->first += (unsigned)r;
		sent += (unsigned)r;
	}
	b->n = b->first = 0;
	return (int)sent;
}

int rawsock_source(struct rawsock *rs, const struct target_addr *dst, struct target_addr *src)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = dst->family == AF_INET ? rs->route4 : rs->route6;

	if (fd < 0)
		return -EAFNOSUPPORT;
	if (dst->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_addr = dst->v4;
		s->sin_port = htons(9);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = dst->v6;
		s->sin6_port = htons(9);
		len = sizeof(*s);
	}
	/* A UDP connect() only looks up the route: nothing is sent. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	src->family = dst->family;
	if (dst->family == AF_INET)
		src->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		src->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	return 0;
}
