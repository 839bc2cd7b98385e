/* Route, device and neighbour look-ups for link-level probe sending (see linkpath.h). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "scan/linkpath.h"

struct linkpath_hop {
	int ifindex;
	struct target_addr addr; /* the next hop: a gateway or the target itself */
	bool ok;
	uint8_t mac[ETH_ALEN];
};

struct linkpath_dev {
	int ifindex;
	bool ether, noqueue;
	uint8_t mac[ETH_ALEN];
};

struct linkpath_ctx {
	struct mnl_socket *nl;
	unsigned seq;
	int udp4, udp6;          /* route look-ups of the source address by connect() */
	struct linkpath_hop hop; /* the last next hop looked up */
	struct linkpath_dev dev; /* the last device looked up */
	uint8_t buf[8192];
};

int linkpath_open(struct linkpath_ctx **out)
{
	struct linkpath_ctx *lp = calloc(1, sizeof(*lp));
	struct timeval tv = {.tv_sec = 1};
	int save;

	*out = NULL;
	if (!lp)
		return -ENOMEM;
	lp->udp4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	lp->udp6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	lp->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!lp->nl || mnl_socket_bind(lp->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		save = errno;
		linkpath_close(lp);
		return -save;
	}
	/* The kernel answers at once; never hang a scan on it. */
	setsockopt(mnl_socket_get_fd(lp->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	lp->seq = (unsigned)time(NULL);
	*out = lp;
	return 0;
}

void linkpath_close(struct linkpath_ctx *lp)
{
	if (!lp)
		return;
	if (lp->nl)
		mnl_socket_close(lp->nl);
	if (lp->udp4 >= 0)
		close(lp->udp4);
	if (lp->udp6 >= 0)
		close(lp->udp6);
	free(lp);
}

/*
 * Whether buf holds whole netlink messages only: libmnl trusts nlmsg_len (a
 * length near 2^32 walks it off the buffer), so it is checked first.
 */
static bool lp_whole(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		uint32_t l;

		memcpy(&l, p, sizeof(l));
		if (l < sizeof(struct nlmsghdr) || l > len)
			return false;
		l = NLMSG_ALIGN(l);
		if (l >= len)
			return true;
		p += l;
		len -= l;
	}
	return len == 0;
}

/* Sends the request in lp->buf and runs cb over the answer. 0 or a negative errno. */
static int lp_ask(struct linkpath_ctx *lp, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned portid = mnl_socket_get_portid(lp->nl);
	ssize_t n;
	int r;

	nlh->nlmsg_seq = ++lp->seq;
	if (mnl_socket_sendto(lp->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* Every request here is a single get: one answer (or an error), no dump. */
	n = mnl_socket_recvfrom(lp->nl, lp->buf, sizeof(lp->buf));
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (!lp_whole(lp->buf, (size_t)n))
		return -EBADMSG;
	r = mnl_cb_run(lp->buf, (size_t)n, lp->seq, portid, cb, data);
	return r < 0 ? -errno : 0;
}

struct lp_route {
	int family;
	int oif;
	unsigned char type;
	bool has_gw;
	struct target_addr gw;
	/* Filled for dumps: */
	uint32_t table, priority;
	unsigned char dst_len;
	struct target_addr dst;
};

/* Copies an address attribute of the route's family into a; false when its size is wrong. */
static bool lp_attr_addr(const struct nlattr *a, int family, struct target_addr *out)
{
	if (mnl_attr_get_payload_len(a) != target_addr_size(family))
		return false;
	out->family = family;
	memcpy(family == AF_INET ? (void *)&out->v4 : (void *)&out->v6, mnl_attr_get_payload(a),
	       target_addr_size(family));
	return true;
}

/* Reads one RTM_NEWROUTE message into rt (rt->family set by the caller); false when it is none. */
static bool lp_route_parse(const struct nlmsghdr *nlh, struct lp_route *rt)
{
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rm))
		return false;
	rt->type = rm->rtm_type;
	rt->table = rm->rtm_table;
	rt->dst_len = rm->rtm_dst_len;
	rt->dst = (struct target_addr){.family = rt->family};
	mnl_attr_for_each(a, nlh, sizeof(*rm))
	{
		uint16_t t = mnl_attr_get_type(a);

		if (t == RTA_OIF && mnl_attr_get_payload_len(a) == 4) {
			rt->oif = (int)mnl_attr_get_u32(a);
		} else if (t == RTA_GATEWAY) {
			rt->has_gw = lp_attr_addr(a, rt->family, &rt->gw);
		} else if (t == RTA_DST) {
			lp_attr_addr(a, rt->family, &rt->dst);
		} else if (t == RTA_TABLE && mnl_attr_get_payload_len(a) == 4) {
			rt->table = mnl_attr_get_u32(a);
		} else if (t == RTA_PRIORITY && mnl_attr_get_payload_len(a) == 4) {
			rt->priority = mnl_attr_get_u32(a);
		} else if (t == RTA_VIA || t == RTA_MULTIPATH) {
			rt->type = RTN_UNSPEC; /* not a plain next hop: leave it to the kernel */
		}
	}
	return true;
}

static int lp_route_cb(const struct nlmsghdr *nlh, void *data)
{
	lp_route_parse(nlh, data);
	return MNL_CB_OK;
}

static int lp_route(struct linkpath_ctx *lp, const struct target_addr *dst,
                    const struct target_addr *src, struct lp_route *rt)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(lp->buf);
	struct rtmsg *rm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = (unsigned char)dst->family;
	rm->rtm_dst_len = (unsigned char)(target_addr_size(dst->family) * 8);
	mnl_attr_put(nlh, RTA_DST, target_addr_size(dst->family), target_addr_bytes(dst));
	if (src) {
		rm->rtm_src_len = rm->rtm_dst_len;
		mnl_attr_put(nlh, RTA_SRC, target_addr_size(src->family), target_addr_bytes(src));
	}
	*rt = (struct lp_route){.family = dst->family};
	return lp_ask(lp, nlh, lp_route_cb, rt);
}

static int lp_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct linkpath_dev *d = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	bool mac = false;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	d->ether = ifi->ifi_type == ARPHRD_ETHER;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		uint16_t t = mnl_attr_get_type(a);

		if (t == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == ETH_ALEN) {
			memcpy(d->mac, mnl_attr_get_payload(a), ETH_ALEN);
			mac = true;
		} else if (t == IFLA_QDISC && mnl_attr_validate(a, MNL_TYPE_STRING) == 0) {
			d->noqueue = strcmp(mnl_attr_get_str(a), "noqueue") == 0;
		}
	}
	d->ether = d->ether && mac;
	return MNL_CB_OK;
}

static int lp_link(struct linkpath_ctx *lp, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (lp->dev.ifindex == ifindex)
		return 0;
	nlh = mnl_nlmsg_put_header(lp->buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	lp->dev = (struct linkpath_dev){0};
	r = lp_ask(lp, nlh, lp_link_cb, &lp->dev);
	if (r < 0)
		return r;
	lp->dev.ifindex = ifindex;
	return 0;
}

static int lp_neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct linkpath_hop *h = data;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*nd) ||
	    !(nd->ndm_state & usable))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*nd))
	{
		if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == ETH_ALEN) {
			memcpy(h->mac, mnl_attr_get_payload(a), ETH_ALEN);
			h->ok = true;
		}
	}
	return MNL_CB_OK;
}

/* Fills lp->hop for next hop addr on ifindex; hop.ok when its link address is known. */
static void lp_neigh(struct linkpath_ctx *lp, int ifindex, const struct target_addr *addr)
{
	struct nlmsghdr *nlh;
	struct ndmsg *nd;

	if (lp->hop.ifindex == ifindex && target_addr_equal(&lp->hop.addr, addr))
		return;
	nlh = mnl_nlmsg_put_header(lp->buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (unsigned char)addr->family;
	nd->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, target_addr_size(addr->family), target_addr_bytes(addr));
	lp->hop = (struct linkpath_hop){.ifindex = ifindex, .addr = *addr};
	if (lp_ask(lp, nlh, lp_neigh_cb, &lp->hop) < 0)
		lp->hop.ok = false; /* no entry yet: the kernel resolves it on the first send */
}

/* The source address the kernel picks for dst, by a connect() of UDP socket fd (nothing is sent).
 */
static int lp_source_fd(int fd, const struct target_addr *dst, struct target_addr *self)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;

	if (dst->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		*s = (struct sockaddr_in){
		    .sin_family = AF_INET, .sin_port = htons(9), .sin_addr = dst->v4};
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		*s = (struct sockaddr_in6){
		    .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = dst->v6};
		len = sizeof(*s);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	self->family = dst->family;
	if (dst->family == AF_INET)
		self->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		self->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	return 0;
}

static int lp_source(struct linkpath_ctx *lp, const struct target_addr *dst,
                     struct target_addr *self)
{
	int fd = dst->family == AF_INET ? lp->udp4 : lp->udp6;

	return fd < 0 ? -EAFNOSUPPORT : lp_source_fd(fd, dst, self);
}

int linkpath_source(const struct target_addr *dst, struct target_addr *self)
{
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	r = lp_source_fd(fd, dst, self);
	close(fd);
	return r;
}

int linkpath_lookup(struct linkpath_ctx *lp, const struct target_addr *dst,
                    const struct target_addr *src, struct linkpath *p)
{
	struct lp_route rt;
	uint16_t ethertype;
	int r;

	memset(p, 0, sizeof(*p));
	if (src) {
		if (src->family != dst->family)
			return -EAFNOSUPPORT;
		r = linkpath_local(src);
		if (r < 0)
			return r;
		p->self = *src;
	} else {
		r = lp_source(lp, dst, &p->self);
		if (r < 0)
			return r;
	}
	r = lp_route(lp, dst, src, &rt);
	if (r < 0)
		return r;
	if (rt.type != RTN_UNICAST || rt.oif <= 0)
		return 0; /* local, multicast, broadcast, multipath: the raw IP socket */
	if (lp_link(lp, rt.oif) < 0 || !lp->dev.ether)
		return 0;
	lp_neigh(lp, rt.oif, rt.has_gw ? &rt.gw : dst);
	if (!lp->hop.ok) {
		lp->hop.ifindex = 0; /* ask again next time: sending makes the kernel resolve it */
		p->pending = true;
		return 0;
	}
	ethertype = htons(dst->family == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	memcpy(p->hdr, lp->hop.mac, ETH_ALEN);
	memcpy(p->hdr + ETH_ALEN, lp->dev.mac, ETH_ALEN);
	memcpy(p->hdr + 2 * ETH_ALEN, &ethertype, 2);
	p->ifindex = rt.oif;
	p->noqueue = lp->dev.noqueue;
	return 0;
}

int linkpath_local(const struct target_addr *a)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (a->family == AF_INET) {
		*(struct sockaddr_in *)&ss =
		    (struct sockaddr_in){.sin_family = AF_INET, .sin_addr = a->v4};
		len = sizeof(struct sockaddr_in);
	} else {
		*(struct sockaddr_in6 *)&ss =
		    (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_addr = a->v6};
		len = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- a snapshot of the routing tables (see linkpath_fib_load) ---- */

/* Sends the dump request in lp->buf and runs cb over every answer until it ends. */
static int lp_dump(struct linkpath_ctx *lp, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned portid = mnl_socket_get_portid(lp->nl);
	int r;

	nlh->nlmsg_seq = ++lp->seq;
	if (mnl_socket_sendto(lp->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(lp->nl, lp->buf, sizeof(lp->buf));

		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (!lp_whole(lp->buf, (size_t)n))
			return -EBADMSG;
		r = mnl_cb_run(lp->buf, (size_t)n, lp->seq, portid, cb, data);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

struct lp_fib_build {
	struct linkpath_fib *fib;
	size_t cap;
	int family;
	int err;
};

/* The kind of a route for probes; false for routes a look-up passes over. */
static bool lp_route_kind(const struct lp_route *rt, enum linkpath_kind *k)
{
	switch (rt->type) {
	case RTN_LOCAL:
		*k = LINKPATH_LOCAL;
		return true;
	case RTN_UNICAST:
		*k = rt->has_gw ? LINKPATH_VIA : rt->oif > 0 ? LINKPATH_ONLINK : LINKPATH_OTHER;
		return true;
	case RTN_UNSPEC: /* multipath, via another family */
	case RTN_MULTICAST:
		*k = LINKPATH_OTHER;
		return true;
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		*k = LINKPATH_NOROUTE;
		return true;
	default: /* broadcast, anycast, throw: the next table decides */
		return false;
	}
}

static int lp_fib_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lp_fib_build *b = data;
	struct lp_route rt = {.family = b->family};
	struct linkpath_route *r;
	enum linkpath_kind kind;

	if (!lp_route_parse(nlh, &rt) || !lp_route_kind(&rt, &kind))
		return MNL_CB_OK;
	if (rt.table != RT_TABLE_LOCAL && rt.table != RT_TABLE_MAIN && rt.table != RT_TABLE_DEFAULT)
		return MNL_CB_OK; /* reached only through rules: see the rules check */
	if (rt.dst_len > target_addr_size(b->family) * 8)
		return MNL_CB_OK;
	if (b->fib->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 32;
		struct linkpath_route *nr = realloc(b->fib->routes, ncap * sizeof(*nr));

		if (!nr) {
			b->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		b->fib->routes = nr;
		b->cap = ncap;
	}
	r = &b->fib->routes[b->fib->n++];
	*r = (struct linkpath_route){
	    .kind = kind,
	    .table = rt.table,
	    .plen = rt.dst_len,
	    .priority = rt.priority,
	    .dst = rt.dst,
	    .oif = rt.oif,
	    .gw = rt.gw,
	};
	r->dst.family = b->family;
	return MNL_CB_OK;
}

/* Whether a rule is one of the kernel's defaults: to table local, main or default, no selector. */
static int lp_fib_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lp_fib_build *b = data;
	const struct fib_rule_hdr *fr = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*fr))
		return MNL_CB_OK;
	table = fr->table;
	if (fr->action != FR_ACT_TO_TBL || fr->src_len || fr->dst_len || fr->tos || fr->flags)
		b->fib->kernel = true;
	mnl_attr_for_each(a, nlh, sizeof(*fr))
	{
		uint16_t t = mnl_attr_get_type(a);

		if (t == FRA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
		else if (t != FRA_PRIORITY && t != FRA_PROTOCOL && t != FRA_PAD && t != FRA_TABLE)
			b->fib->kernel = true;
	}
	if (table != RT_TABLE_LOCAL && table != RT_TABLE_MAIN && table != RT_TABLE_DEFAULT)
		b->fib->kernel = true;
	return MNL_CB_OK;
}

int linkpath_fib_load(struct linkpath_ctx *lp, int family, struct linkpath_fib *fib)
{
	struct lp_fib_build b = {.fib = fib, .family = family};
	struct nlmsghdr *nlh;
	int r;

	*fib = (struct linkpath_fib){.family = family};
	nlh = mnl_nlmsg_put_header(lp->buf);
	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	((struct fib_rule_hdr *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct fib_rule_hdr)))
	    ->family = (uint8_t)family;
	r = lp_dump(lp, nlh, lp_fib_rule_cb, &b);
	if (r < 0)
		fib->kernel = true; /* rules unknown: the kernel decides each time */
	nlh = mnl_nlmsg_put_header(lp->buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	((struct rtmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)))->rtm_family =
	    (unsigned char)family;
	r = lp_dump(lp, nlh, lp_fib_route_cb, &b);
	if (r < 0 || b.err < 0) {
		linkpath_fib_free(fib);
		return b.err < 0 ? b.err : r;
	}
	return 0;
}

void linkpath_fib_free(struct linkpath_fib *fib)
{
	free(fib->routes);
	fib->routes = NULL;
	fib->n = 0;
}

/* Whether dst lies in the prefix of r. */
static bool lp_prefix_has(const struct linkpath_route *r, const struct target_addr *dst)
{
	const uint8_t *a = target_addr_bytes(&r->dst), *b = target_addr_bytes(dst);
	unsigned full = r->plen / 8, rest = r->plen % 8;

	if (r->dst.family != dst->family || memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff00 >> rest)) == 0;
}

const struct linkpath_route *linkpath_fib_match(const struct linkpath_route *routes, size_t n,
                                                const struct target_addr *dst)
{
	static const uint32_t tables[] = {RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT};

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const struct linkpath_route *best = NULL;

		for (size_t i = 0; i < n; i++) {
			const struct linkpath_route *r = &routes[i];

			if (r->table != tables[t] || !lp_prefix_has(r, dst))
				continue;
			if (!best || r->plen > best->plen ||
			    (r->plen == best->plen && r->priority < best->priority))
				best = r;
		}
		if (best)
			return best;
	}
	return NULL;
}

int linkpath_fib_lookup(struct linkpath_ctx *lp, const struct linkpath_fib *fib,
                        const struct target_addr *dst, struct linkpath_route *out)
{
	const struct linkpath_route *m;
	struct lp_route rt;
	int r;

	if (!fib->kernel) {
		m = linkpath_fib_match(fib->routes, fib->n, dst);
		if (!m || m->kind == LINKPATH_NOROUTE)
			return -ENETUNREACH;
		*out = *m;
		return 0;
	}
	r = lp_route(lp, dst, NULL, &rt);
	if (r < 0)
		return r == -EHOSTUNREACH || r == -ENETUNREACH || r == -EACCES || r == -EINVAL
		           ? -ENETUNREACH
		           : r;
	*out = (struct linkpath_route){.dst = *dst,
	                               .plen = (uint8_t)(target_addr_size(dst->family) * 8),
	                               .table = rt.table,
	                               .oif = rt.oif,
	                               .gw = rt.gw};
	if (!lp_route_kind(&rt, &out->kind))
		out->kind = LINKPATH_OTHER;
	return out->kind == LINKPATH_NOROUTE ? -ENETUNREACH : 0;
}

int linkpath_device(struct linkpath_ctx *lp, int ifindex, uint8_t mac[6], bool *ether,
                    bool *noqueue)
{
	int r = lp_link(lp, ifindex);

	if (r < 0)
		return r;
	memcpy(mac, lp->dev.mac, ETH_ALEN);
	*ether = lp->dev.ether;
	*noqueue = lp->dev.noqueue;
	return 0;
}

int linkpath_parse(enum linkpath_msg kind, int family, const void *buf, size_t len,
                   struct linkpath *p)
{
	struct lp_route rt = {.family = family};
	struct linkpath_dev dev = {0};
	struct linkpath_hop hop = {0};
	int r;

	memset(p, 0, sizeof(*p));
	if ((family != AF_INET && family != AF_INET6) || ((uintptr_t)buf & 3) ||
	    !lp_whole(buf, len))
		return -EINVAL;
	switch (kind) {
	case LINKPATH_ROUTE:
		r = mnl_cb_run(buf, len, 0, 0, lp_route_cb, &rt);
		p->ifindex = rt.type == RTN_UNICAST && rt.oif > 0 ? rt.oif : 0;
		if (rt.has_gw)
			p->self = rt.gw;
		break;
	case LINKPATH_LINK:
		r = mnl_cb_run(buf, len, 0, 0, lp_link_cb, &dev);
		p->noqueue = dev.noqueue;
		if (dev.ether)
			memcpy(p->hdr + ETH_ALEN, dev.mac, ETH_ALEN);
		break;
	case LINKPATH_NEIGH:
		r = mnl_cb_run(buf, len, 0, 0, lp_neigh_cb, &hop);
		if (hop.ok)
			memcpy(p->hdr, hop.mac, ETH_ALEN);
		break;
	default:
		return -EINVAL;
	}
	return r < 0 ? -EINVAL : 0;
}
