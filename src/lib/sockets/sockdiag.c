#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sockets/sockdiag.h"

/* The kernel fills at most 32 KiB per dump recv(); twice that leaves room. */
#define SOCKDIAG_RECV_BUF (64 * 1024)
/* Socket receive buffer asked for, best effort. */
#define SOCKDIAG_SO_RCVBUF (4 * 1024 * 1024)

struct sockdiag {
	struct mnl_socket *nl;
	uint32_t seq;
	char *buf; /* SOCKDIAG_RECV_BUF bytes */
};

/* Walks the attributes in [off, end) of msg; returns 0 or -EBADMSG. */
static int parse_attrs(const unsigned char *msg, size_t off, size_t end, struct sockdiag_sock *s)
{
	while (end - off >= sizeof(struct nlattr)) {
		struct nlattr a;
		size_t plen;

		memcpy(&a, msg + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > end - off)
			return -EBADMSG;
		plen = a.nla_len - sizeof(a);
		if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY) {
			if (plen < 1)
				return -EBADMSG;
			s->v6only = msg[off + sizeof(a)] ? 1 : 0;
		}
		off += NLA_ALIGN(a.nla_len);
		if (off > end)
			break;
	}
	return 0;
}

int sockdiag_parse_msg(const struct nlmsghdr *nlh, uint8_t proto, struct sockdiag_sock *out)
{
	const unsigned char *p = (const unsigned char *)nlh;
	struct inet_diag_msg m;
	struct nlmsghdr h;
	size_t len;

	memcpy(&h, p, sizeof(h));
	len = h.nlmsg_len;
	if (len < NLMSG_HDRLEN + sizeof(m))
		return -EBADMSG;
	memcpy(&m, p + NLMSG_HDRLEN, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->family = m.idiag_family;
	out->proto = proto;
	out->state = m.idiag_state;
	out->v6only = -1;
	out->local_port = ntohs(m.id.idiag_sport);
	out->peer_port = ntohs(m.id.idiag_dport);
	if (m.idiag_family == AF_INET) {
		memcpy(out->local, m.id.idiag_src, 4);
		memcpy(out->peer, m.id.idiag_dst, 4);
	} else {
		memcpy(out->local, m.id.idiag_src, 16);
		memcpy(out->peer, m.id.idiag_dst, 16);
	}
	out->uid = m.idiag_uid;
	out->inode = m.idiag_inode;
	out->ifindex = m.id.idiag_if;
	return parse_attrs(p, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(m)), len, out);
}

int sockdiag_parse_buf(const void *buf, size_t len, uint8_t proto, sockdiag_cb cb, void *data)
{
	const unsigned char *p = buf;
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct sockdiag_sock s;
		int rc;

		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EBADMSG;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR: {
			struct nlmsgerr e;

			if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(e.error))
				return -EBADMSG;
			memcpy(&e.error, p + off + NLMSG_HDRLEN, sizeof(e.error));
			if (e.error == 0)
				break; /* an acknowledgement */
			return e.error < 0 && e.error > -4096 ? e.error : -EBADMSG;
		}
		case SOCK_DIAG_BY_FAMILY:
			rc = sockdiag_parse_msg((const struct nlmsghdr *)(p + off), proto, &s);
			if (rc < 0)
				return rc;
			rc = cb(&s, data);
			if (rc)
				return rc;
			break;
		default:
			break; /* NLMSG_NOOP, NLMSG_OVERRUN and unknown types */
		}
		if (NLMSG_ALIGN(h.nlmsg_len) >= len - off)
			break;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return 0;
}

int sockdiag_open(struct sockdiag **out)
{
	struct sockdiag *d = calloc(1, sizeof(*d));
	int size = SOCKDIAG_SO_RCVBUF, rc;

	if (!d)
		return -ENOMEM;
	d->buf = malloc(SOCKDIAG_RECV_BUF);
	if (!d->buf) {
		free(d);
		return -ENOMEM;
	}
	d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->nl) {
		rc = -errno;
		sockdiag_close(d);
		return rc;
	}
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		sockdiag_close(d);
		return rc;
	}
	/* Best effort: a bigger queue lets the kernel fill whole pages per recv. */
	(void)setsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	d->seq = (uint32_t)time(NULL);
	*out = d;
	return 0;
}

void sockdiag_close(struct sockdiag *d)
{
	if (!d)
		return;
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d->buf);
	free(d);
}

int sockdiag_dump(struct sockdiag *d, const struct sockdiag_req *req, sockdiag_cb cb, void *data)
{
	char reqbuf[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_req_v2))];
	struct inet_diag_req_v2 *r;
	struct nlmsghdr *nlh;
	int rc;

	memset(reqbuf, 0, sizeof(reqbuf));
	nlh = mnl_nlmsg_put_header(reqbuf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = req->family;
	r->sdiag_protocol = req->proto;
	r->idiag_states = req->states;
	r->idiag_ext = 0;

	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, SOCKDIAG_RECV_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EBADMSG;
		rc = sockdiag_parse_buf(d->buf, (size_t)n, req->proto, cb, data);
		if (rc == 1)
			return 0;
		if (rc != 0)
			return rc;
	}
}
