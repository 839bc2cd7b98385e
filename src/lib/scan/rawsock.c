/* Raw and packet sockets for crafted probes (see rawsock.h). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/packet.h"
#include "scan/rawsock.h"
#include "util/clock.h"

#define RAWSOCK_SNDBUF (4 << 20)

/* A socket filter that accepts nothing: these sockets only send. */
static int rawsock_deaf(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {.len = 1, .filter = &drop};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static void rawsock_tune(int fd)
{
	int sndbuf = RAWSOCK_SNDBUF;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	rawsock_deaf(fd);
}

int rawsock_open(struct rawsock *rs, int proto, char *why, size_t whylen)
{
	int *fd = rs->fd, one = 1, save;

	for (int k = 0; k < RAWSOCK_KINDS; k++)
		fd[k] = -1;
	fd[RAWSOCK_IP4] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd[RAWSOCK_IP4] < 0 && (errno == EPERM || errno == EACCES)) {
		snprintf(why, whylen, "raw sockets need CAP_NET_RAW (run as root)");
		return -EPERM;
	}
	fd[RAWSOCK_IP6] = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd[RAWSOCK_IP4] < 0 && fd[RAWSOCK_IP6] < 0) {
		save = errno;
		snprintf(why, whylen, "cannot open a raw socket: %s", strerror(save));
		return -save;
	}
	/* Protocol 0: a packet socket that receives nothing, so costs nothing per packet. */
	fd[RAWSOCK_LINK] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	fd[RAWSOCK_DIRECT] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd[RAWSOCK_DIRECT] >= 0 && setsockopt(fd[RAWSOCK_DIRECT], SOL_PACKET,
	                                          PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		close(fd[RAWSOCK_DIRECT]);
		fd[RAWSOCK_DIRECT] = -1;
	}
	for (int k = 0; k < RAWSOCK_KINDS; k++)
		rawsock_tune(fd[k]);
	return 0;
}

void rawsock_close(struct rawsock *rs)
{
	for (int k = 0; k < RAWSOCK_KINDS; k++) {
		if (rs->fd[k] >= 0)
			close(rs->fd[k]);
		rs->fd[k] = -1;
	}
}

bool rawsock_can(const struct rawsock *rs, int family)
{
	return rs->fd[family == AF_INET ? RAWSOCK_IP4 : RAWSOCK_IP6] >= 0;
}

struct rawsock_tx *rawsock_tx_new(const struct rawsock *rs)
{
	struct rawsock_tx *tx = malloc(sizeof(*tx));

	if (!tx)
		return NULL;
	for (int k = 0; k < RAWSOCK_KINDS; k++)
		tx->b[k] = (struct rawsock_batch){.fd = rs->fd[k], .kind = (enum rawsock_kind)k};
	return tx;
}

struct rawsock_batch *rawsock_batch_for(struct rawsock_tx *tx, const struct rawsock *rs, int family,
                                        const struct linkpath *p)
{
	if (p && p->ifindex > 0) {
		if (p->noqueue && rs->fd[RAWSOCK_DIRECT] >= 0)
			return &tx->b[RAWSOCK_DIRECT];
		if (rs->fd[RAWSOCK_LINK] >= 0)
			return &tx->b[RAWSOCK_LINK];
	}
	return &tx->b[family == AF_INET ? RAWSOCK_IP4 : RAWSOCK_IP6];
}

uint8_t *rawsock_slot(struct rawsock_batch *b, const struct target_addr *self,
                      const struct target_addr *dst, const struct linkpath *p, uint8_t proto)
{
	struct sockaddr_storage *ss;
	uint8_t *buf;
	socklen_t len;

	if (b->n == RAWSOCK_BATCH)
		return NULL;
	ss = &b->sa[b->n];
	buf = b->buf[b->n];
	memset(ss, 0, sizeof(*ss));
	b->off[b->n] = 0;
	if (b->kind == RAWSOCK_LINK || b->kind == RAWSOCK_DIRECT) {
		struct sockaddr_ll *sl = (struct sockaddr_ll *)ss;

		sl->sll_family = AF_PACKET;
		sl->sll_ifindex = p->ifindex;
		sl->sll_protocol = htons(dst->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
		sl->sll_halen = ETH_ALEN;
		memcpy(sl->sll_addr, p->hdr, ETH_ALEN);
		len = sizeof(*sl);
		memcpy(buf, p->hdr, LINKPATH_HDR);
		b->off[b->n] = LINKPATH_HDR;
		if (dst->family == AF_INET6) {
			/* The payload length is filled in by rawsock_commit(). */
			packet_ip6_header(buf + LINKPATH_HDR, 0, proto, &self->v6, &dst->v6);
			b->off[b->n] = RAWSOCK_HEAD;
		}
	} else if (dst->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_addr = dst->v4;
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = dst->v6; /* sin6_port stays 0: the socket's protocol */
		len = sizeof(*s);
	}
	b->msgs[b->n].msg_hdr.msg_namelen = len;
	return buf + b->off[b->n];
}

uint8_t *rawsock_frame_slot(struct rawsock_batch *b, int ifindex, uint16_t ethertype,
                            const uint8_t dmac[6])
{
	struct sockaddr_ll *sl;

	if (b->n == RAWSOCK_BATCH)
		return NULL;
	sl = (struct sockaddr_ll *)&b->sa[b->n];
	memset(sl, 0, sizeof(*sl));
	sl->sll_family = AF_PACKET;
	sl->sll_ifindex = ifindex;
	sl->sll_protocol = htons(ethertype);
	sl->sll_halen = ETH_ALEN;
	memcpy(sl->sll_addr, dmac, ETH_ALEN);
	b->off[b->n] = 0;
	b->msgs[b->n].msg_hdr.msg_namelen = sizeof(*sl);
	return b->buf[b->n];
}

void rawsock_commit(struct rawsock_batch *b, size_t len)
{
	struct msghdr *m = &b->msgs[b->n].msg_hdr;
	uint8_t *buf = b->buf[b->n];

	if (b->off[b->n] == RAWSOCK_HEAD) {
		buf[LINKPATH_HDR + 4] = (uint8_t)(len >> 8);
		buf[LINKPATH_HDR + 5] = (uint8_t)len;
	}
	b->iov[b->n] = (struct iovec){.iov_base = buf, .iov_len = b->off[b->n] + len};
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
			    err == ENETUNREACH || err == EINVAL || err == EADDRNOTAVAIL ||
			    err == ENETDOWN || err == ENXIO) {
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

int rawsock_flush_wait(struct rawsock_batch *b, atomic_uint_fast64_t *nobufs,
                       const atomic_int *error)
{
	while (b->n) {
		int r = rawsock_flush(b);

		if (r >= 0)
			return 0;
		if (r != -ENOBUFS && r != -EAGAIN)
			return r;
		atomic_fetch_add(nobufs, 1);
		clock_sleep_us(200);
		if (atomic_load(error))
			return atomic_load(error);
	}
	return 0;
}
