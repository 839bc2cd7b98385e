/*
 * Host discovery (see discovery.h).
 *
 * Raw mode: the calling thread sets up one block of targets at a time
 * (classified by the routing snapshot), runs a sender thread over it (passes
 * over a random permutation of host x probe, helpers on the other cores) and
 * hands verdicts to the sink; a receiver thread parses captured frames for the
 * whole run. Per block the shared state is one slot per target; the receiver
 * moves a slot from pending to up (or down, on a router's ICMP error) and
 * appends it to the up list, which the calling thread reads to stream the ups.
 *
 * Connect mode (unprivileged): discovery-connect.c, with the routing
 * snapshot saying which targets are this machine's or unreachable.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "net/perm.h"
#include "scan/capture.h"
#include "scan/discovery-private.h"
#include "scan/discovery.h"
#include "scan/discprobe.h"
#include "scan/engine.h"
#include "scan/linkpath.h"
#include "scan/packet.h"
#include "scan/ratectl.h"
#include "scan/rawscan.h"
#include "scan/rawsock.h"
#include "scan/udp-payloads.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/why.h"

#define DISC_BLOCK       65536 /* targets set up at a time */
#define DISC_MAX_ROUTES  1024  /* distinct paths in one run */
#define DISC_MAX_SENDERS 4
#define DISC_CHUNK       256       /* entries a sender takes at a time */
#define DISC_TRIES       16        /* source ports (TCP, UDP) and check bits (ICMP) */
#define DISC_QUIET_US    20000     /* nothing captured this long: the receiver is idle */
#define DISC_CAPTURE     (4 << 20) /* ring bytes: replies are far fewer than probes */
#define DISC_NO_ROUTE    0xffff    /* a slot's route: none (down, no-route) */
#define DISC_NO_PATH     0xfffe /* a slot's route: none usable (broadcast…): down, no-response */
#define DISC_ARP_RTO_US  200000 /* probe timeout before any reply, every target on-link */

enum disc_state {
	DS_PENDING = 0, /* probed, nothing decided yet */
	DS_UP,          /* answered: up */
	DS_DOWN,        /* a router's ICMP error said so (an answer may still come) */
	DS_FIXED,       /* decided up front: local (up) or without a route (down) */
};

enum disc_kind {
	DK_ECHO,
	DK_TIMESTAMP,
	DK_MASK,
	DK_SYN,
	DK_ACK,
	DK_UDP,
};

enum disc_proto { DP_ICMP, DP_TCP, DP_UDP, DP_N }; /* the raw IPv6 socket a probe takes */

struct disc_probe {
	uint8_t kind; /* enum disc_kind */
	uint16_t port;
};

/* How probes to the targets of one route leave. */
struct disc_route {
	int family;
	enum linkpath_kind kind;
	int oif;
	struct target_addr gw;
	bool arp;                /* ARP or ND on oif, from mac */
	uint8_t mac[6];          /* ours on oif */
	bool noqueue;            /* oif has no queue: sends bypass it */
	struct target_addr self; /* our source address */
	struct linkpath path;    /* IP probes: path.ifindex > 0 link-level, else raw IP */
	struct cc_state cc;      /* round trips of its hosts' replies: its probe timeout */
	bool pending;            /* some host of the block on this route is still silent */
};

struct disc_slot {
	struct target_addr addr;
	_Atomic uint8_t state;
	uint8_t reason, ttl, has_mac;
	uint8_t mac[6];
	uint16_t route;           /* index into routes, DISC_NO_ROUTE */
	_Atomic uint32_t sent_us; /* the last probe, us since the run began */
	uint32_t rtt_us;
};

struct disc;

struct disc_tx {
	struct disc *d;
	struct rawsock_tx *sock[DP_N];
	pthread_t thread;
	struct ratectl_bucket bucket; /* its share of the rate */
	int err;
};

struct disc {
	struct disc_config cfg;
	char *why;
	size_t whylen;
	/* Probes for targets that are not probed by ARP/ND, per family. */
	struct disc_probe *probes[2];
	size_t nprobes[2];
	uint8_t key[16];
	uint16_t sport_lo, sport_hi;
	struct linkpath_ctx *lp;
	struct linkpath_fib fib[2];
	struct disc_route *routes;
	size_t nroutes;
	struct rawsock rs[DP_N];
	struct capture *cap;
	struct disc_tx tx[DISC_MAX_SENDERS];
	unsigned nsend;
	uint64_t t0; /* monotonic us */

	/* The block. */
	pthread_mutex_t blk_lock; /* the receiver against a block being set up */
	struct disc_slot *slots;
	size_t n, maxp;
	uint32_t *htab; /* open addressing: slot + 1, 0 empty */
	size_t hmask;
	uint32_t *ups;       /* slots found up, in order found */
	_Atomic size_t nups; /* written by one producer at a time (under blk_lock) */
	struct perm perm;
	uint64_t total; /* n * maxp entries */
	bool blk_live;  /* the receiver may match against the block */
	unsigned pass_try;
	atomic_uint_fast64_t cursor;
	atomic_uint active;

	pthread_mutex_t lock; /* cc */
	struct cc_state cc;
	_Atomic double rate;
	atomic_bool stop, stop_rx, tx_done;
	atomic_int error;
	atomic_uint_fast64_t sent, replies, late, retries, drops, nobufs, last_reply_us;
	pthread_t rx;
	bool rx_started;
};

static int disc_fam(int family)
{
	return family == AF_INET6;
}

static void disc_set_error(struct disc *d, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&d->error, &zero, err);
}

enum scan_reason disc_icmp_reason(int family, uint8_t type, uint8_t code)
{
	if (family == AF_INET ? type == 11 : type == 3)
		return SCAN_REASON_TIME_EXCEEDED;
	if (family == AF_INET && type == 3 && code == 2)
		return SCAN_REASON_PROTO_UNREACH; /* the host itself: up (a port scan calls it
		                                     filtered) */
	return rawscan_icmp_reason(family, type, code);
}

/* ---- the probe list ---- */

static int disc_add_probe(struct disc *d, int f, uint8_t kind, uint16_t port)
{
	struct disc_probe *p = realloc(d->probes[f], (d->nprobes[f] + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	d->probes[f] = p;
	p[d->nprobes[f]++] = (struct disc_probe){.kind = kind, .port = port};
	return 0;
}

static int disc_add_ports(struct disc *d, int f, uint8_t kind, const struct portlist *pl)
{
	for (size_t i = 0; pl && i < pl->n; i++) {
		int r = disc_add_probe(d, f, kind, pl->ports[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The probes of each family, as asked or nmap's defaults. */
static int disc_build_probes(struct disc *d)
{
	const struct disc_config *c = &d->cfg;
	bool asked = c->icmp || (c->syn_ports && c->syn_ports->n) ||
	             (c->ack_ports && c->ack_ports->n) || (c->udp_ports && c->udp_ports->n);
	int r = 0;

	for (int f = 0; f < 2 && r == 0; f++) {
		if (!asked) {
			if (!c->raw) {
				r = disc_add_probe(d, f, DK_SYN, 80);
				if (r == 0)
					r = disc_add_probe(d, f, DK_SYN, 443);
				continue;
			}
			r = disc_add_probe(d, f, DK_ECHO, 0);
			if (r == 0)
				r = disc_add_probe(d, f, DK_SYN, 443);
			if (r == 0)
				r = disc_add_probe(d, f, DK_ACK, 80);
			if (r == 0 && f == 0)
				r = disc_add_probe(d, f, DK_TIMESTAMP, 0);
			continue;
		}
		if (c->icmp & DISC_ECHO)
			r = disc_add_probe(d, f, DK_ECHO, 0);
		if (r == 0 && f == 0 && (c->icmp & DISC_TIMESTAMP))
			r = disc_add_probe(d, f, DK_TIMESTAMP, 0);
		if (r == 0 && f == 0 && (c->icmp & DISC_MASK))
			r = disc_add_probe(d, f, DK_MASK, 0);
		if (r == 0)
			r = disc_add_ports(d, f, DK_SYN, c->syn_ports);
		/* Unprivileged, an ACK probe is a connect() too (as nmap). */
		if (r == 0)
			r = disc_add_ports(d, f, c->raw ? DK_ACK : DK_SYN, c->ack_ports);
		if (r == 0)
			r = disc_add_ports(d, f, DK_UDP, c->udp_ports);
	}
	return r;
}

/* ---- routes ---- */

/* The index of the route to a (classified by the snapshot), or DISC_NO_ROUTE; negative errno. */
static long disc_route_for(struct disc *d, const struct target_addr *a)
{
	int f = disc_fam(a->family);
	struct linkpath_route rt;
	struct disc_route *x;
	int r = linkpath_fib_lookup(d->lp, &d->fib[f], a, &rt);

	if (r == -ENETUNREACH)
		return DISC_NO_ROUTE;
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->nroutes; i++) {
		x = &d->routes[i];
		if (x->family == a->family && x->kind == rt.kind && x->oif == rt.oif &&
		    (rt.kind != LINKPATH_VIA || target_addr_equal(&x->gw, &rt.gw)))
			return (long)i;
	}
	if (d->nroutes == DISC_MAX_ROUTES)
		return -E2BIG;
	x = &d->routes[d->nroutes];
	*x = (struct disc_route){.family = a->family, .kind = rt.kind, .oif = rt.oif, .gw = rt.gw};
	cc_init(&x->cc, &d->cfg.cc, clock_mono_us());
	if (rt.kind == LINKPATH_LOCAL) {
		x->self = *a;
		return (long)d->nroutes++;
	}
	r = linkpath_lookup(d->lp, a, NULL, &x->path);
	if (r == -ENOMEM)
		return r;
	if (r < 0) /* a broadcast address (EACCES), an unusable route: this target only */
		return r == -ENETUNREACH || r == -EHOSTUNREACH ? DISC_NO_ROUTE : DISC_NO_PATH;
	x->self = x->path.self;
	if (rt.kind == LINKPATH_ONLINK && d->cfg.raw && d->cfg.arp && !d->cfg.send_ip) {
		bool ether = false;

		if (linkpath_device(d->lp, rt.oif, x->mac, &ether, &x->noqueue) == 0 && ether)
			x->arp = true;
	}
	/* On-link hosts each need their own link address: the kernel resolves it. */
	if (rt.kind != LINKPATH_VIA || d->cfg.send_ip)
		x->path.ifindex = 0;
	return (long)d->nroutes++;
}

/* Gateways left to the raw IP path because unresolved get another look (between passes). */
static void disc_refresh_routes(struct disc *d)
{
	for (size_t i = 0; i < d->nroutes; i++) {
		struct disc_route *x = &d->routes[i];
		struct linkpath p;

		if (x->kind != LINKPATH_VIA || !x->path.pending || d->cfg.send_ip)
			continue;
		if (linkpath_lookup(d->lp, &x->gw, NULL, &p) == 0 && !p.pending &&
		    target_addr_equal(&p.self, &x->self))
			x->path = p;
	}
}

/* ---- the block ---- */

static long disc_find(const struct disc *d, const struct target_addr *a)
{
	if (!d->htab)
		return -1;
	for (size_t i = target_addr_hash(a) & d->hmask;; i = (i + 1) & d->hmask) {
		uint32_t v = d->htab[i];

		if (v == 0)
			return -1;
		if (target_addr_equal(&d->slots[v - 1].addr, a))
			return (long)v - 1;
	}
}

/* Appends slot i to the up list (callers hold blk_lock: one producer at a time). */
static void disc_push_up(struct disc *d, size_t i)
{
	size_t k = atomic_load_explicit(&d->nups, memory_order_relaxed);

	d->ups[k] = (uint32_t)i;
	atomic_store_explicit(&d->nups, k + 1, memory_order_release);
}

/* ---- the receiver ---- */

/* Marks slot i up with reason (from pending, or from a router's "down"). */
static void disc_mark_up(struct disc *d, size_t i, enum scan_reason reason,
                         const struct disc_reply *rep, unsigned tryno)
{
	struct disc_slot *sl = &d->slots[i];
	uint8_t st = atomic_load(&sl->state);
	uint64_t now = clock_mono_us(), sent;

	while (st == DS_PENDING || st == DS_DOWN) {
		if (atomic_compare_exchange_weak(&sl->state, &st, DS_UP))
			break;
	}
	if (st != DS_PENDING && st != DS_DOWN)
		return; /* already up */
	sent = d->t0 + atomic_load_explicit(&sl->sent_us, memory_order_relaxed);
	sl->reason = (uint8_t)reason;
	sl->ttl = rep->ttl;
	if (rep->has_mac && d->routes[sl->route].kind == LINKPATH_ONLINK) {
		memcpy(sl->mac, rep->mac, 6);
		sl->has_mac = 1;
	}
	sl->rtt_us = now > sent && now - sent < 60000000u ? (uint32_t)(now - sent) : 0;
	disc_push_up(d, i);
	atomic_fetch_add(&d->replies, 1);
	atomic_store(&d->last_reply_us, now);
	if (tryno > 0)
		atomic_fetch_add(&d->late, 1);
	if (now > sent) {
		pthread_mutex_lock(&d->lock);
		cc_on_reply(&d->cc, sent, now, tryno);
		cc_on_reply(&d->routes[sl->route].cc, sent, now, tryno);
		pthread_mutex_unlock(&d->lock);
	}
}

/* A router's error about slot i: down with reason, unless something answers yet. */
static void disc_mark_down(struct disc *d, size_t i, enum scan_reason reason, uint8_t ttl)
{
	struct disc_slot *sl = &d->slots[i];
	uint8_t st = DS_PENDING;

	if (atomic_compare_exchange_strong(&sl->state, &st, DS_DOWN)) {
		sl->reason = (uint8_t)reason;
		sl->ttl = ttl;
		atomic_fetch_add(&d->replies, 1);
		atomic_store(&d->last_reply_us, clock_mono_us());
	}
}

/* The cookie of a probe from self:sport to host:port (ICMP: port is 0x100 + query type). */
static uint32_t disc_cookie(const struct disc *d, const struct target_addr *host, uint16_t port,
                            const struct target_addr *self, uint16_t sport)
{
	return packet_cookie(d->key, host, port, self, sport);
}

static uint16_t disc_icmp_port(int family, enum disc_icmp q)
{
	return (uint16_t)(0x100 + (family == AF_INET6 ? 128 : (unsigned)q));
}

/* The error's quoted probe is one of ours to its target: its try, or -1. */
static int disc_error_try(const struct disc *d, const struct disc_reply *r,
                          const struct target_addr *self)
{
	uint32_t c;

	switch (r->inner_proto) {
	case IPPROTO_TCP:
		if (r->sport < d->sport_lo || r->sport > d->sport_hi || !r->inner_has_check)
			return -1;
		c = disc_cookie(d, &r->host, r->dport, self, r->sport);
		/* A SYN carries the cookie as its sequence; an ACK a mix of it. */
		if (r->inner_check != c && r->inner_check != (c ^ 0x5bd1e995u))
			return -1;
		return r->sport - d->sport_lo;
	case IPPROTO_UDP:
		if (r->sport < d->sport_lo || r->sport > d->sport_hi)
			return -1;
		if (r->host.family == AF_INET &&
		    r->inner_ipid != (uint16_t)disc_cookie(d, &r->host, r->dport, self, r->sport))
			return -1;
		return r->sport - d->sport_lo;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!r->inner_has_check)
			return -1;
		c = disc_cookie(d, &r->host, (uint16_t)(0x100 + (r->sport >> 8)), self, 0);
		return discprobe_try(c, r->inner_check);
	default:
		return -1;
	}
}

/* The verdict of a TCP segment to one of our source ports, or NONE. */
static enum scan_reason disc_tcp_reason(const struct disc *d, const struct disc_reply *r,
                                        unsigned *tryno)
{
	uint32_t c;

	if (r->dport < d->sport_lo || r->dport > d->sport_hi)
		return SCAN_REASON_NONE;
	c = disc_cookie(d, &r->host, r->sport, &r->to, r->dport);
	*tryno = (unsigned)(r->dport - d->sport_lo);
	if ((r->tcp_flags & PKT_TCP_ACK) && r->ack - 1 == c) /* to a SYN */
		return (r->tcp_flags & (PKT_TCP_SYN | PKT_TCP_RST)) == PKT_TCP_SYN
		           ? SCAN_REASON_SYN_ACK
		       : (r->tcp_flags & PKT_TCP_RST) ? SCAN_REASON_RESET
		                                      : SCAN_REASON_NONE;
	if ((r->tcp_flags & PKT_TCP_RST) && r->seq == c) /* to an ACK */
		return SCAN_REASON_RESET;
	return SCAN_REASON_NONE;
}

static void disc_on_frame(void *ctx, int linktype, const uint8_t *frame, size_t len)
{
	struct disc *d = ctx;
	struct disc_reply r;
	enum scan_reason why = SCAN_REASON_NONE;
	const struct disc_route *rt;
	unsigned tryno = 0;
	long i;
	int t;

	if (discprobe_parse(linktype, frame, len, &r) < 0 || r.kind == DISC_REP_NONE)
		return;
	i = disc_find(d, &r.host);
	if (i < 0 || d->slots[i].route >= DISC_NO_PATH)
		return;
	rt = &d->routes[d->slots[i].route];
	switch (r.kind) {
	case DISC_REP_ARP:
	case DISC_REP_NA:
		/* Only an answer to us, about a host we asked by ARP/ND. */
		if (!rt->arp || !target_addr_equal(&r.to, &rt->self))
			return;
		why = r.kind == DISC_REP_ARP ? SCAN_REASON_ARP_RESPONSE : SCAN_REASON_ND_RESPONSE;
		break;
	case DISC_REP_ECHO:
	case DISC_REP_TIMESTAMP:
	case DISC_REP_MASK: {
		enum disc_icmp q = r.kind == DISC_REP_ECHO        ? DISC_ICMP_ECHO
		                   : r.kind == DISC_REP_TIMESTAMP ? DISC_ICMP_TIMESTAMP
		                                                  : DISC_ICMP_MASK;

		t = discprobe_try(
		    disc_cookie(d, &r.host, disc_icmp_port(r.host.family, q), &r.to, 0), r.check);
		if (t < 0)
			return;
		tryno = (unsigned)t;
		why = r.kind == DISC_REP_ECHO        ? SCAN_REASON_ECHO_REPLY
		      : r.kind == DISC_REP_TIMESTAMP ? SCAN_REASON_TIMESTAMP_REPLY
		                                     : SCAN_REASON_ADDRESSMASK_REPLY;
		break;
	}
	case DISC_REP_TCP:
		why = disc_tcp_reason(d, &r, &tryno);
		if (why == SCAN_REASON_NONE)
			return;
		break;
	case DISC_REP_UDP:
		if (r.dport < d->sport_lo || r.dport > d->sport_hi)
			return;
		tryno = (unsigned)(r.dport - d->sport_lo);
		why = SCAN_REASON_UDP_RESPONSE;
		break;
	case DISC_REP_ERROR:
		why = disc_icmp_reason(r.host.family, r.icmp_type, r.icmp_code);
		t = disc_error_try(d, &r, &rt->self);
		if (why == SCAN_REASON_NONE || t < 0)
			return;
		tryno = (unsigned)t;
		if (!target_addr_equal(&r.from, &r.host)) {
			/* A router speaks for a host it cannot reach: down. */
			disc_mark_down(d, (size_t)i, why, r.ttl);
			return;
		}
		break; /* the target itself answered (port, protocol unreachable…): up */
	default:
		return;
	}
	disc_mark_up(d, (size_t)i, why, &r, tryno);
}

static void disc_drop_frame(void *ctx, int linktype, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)linktype;
	(void)frame;
	(void)len;
}

static void *disc_receiver(void *arg)
{
	struct disc *d = arg;
	struct pollfd pfd = {.fd = capture_fd(d->cap), .events = POLLIN};
	uint64_t last_stats = 0;

	for (;;) {
		bool stop = atomic_load(&d->stop_rx);
		uint64_t now;
		int r;

		poll(&pfd, 1, stop ? 0 : 5);
		pthread_mutex_lock(&d->blk_lock);
		r = capture_dispatch_frames(d->cap, d->blk_live ? disc_on_frame : disc_drop_frame,
		                            d);
		pthread_mutex_unlock(&d->blk_lock);
		if (r < 0) {
			disc_set_error(d, -EIO);
			break;
		}
		now = clock_mono_us();
		if (now - last_stats >= RATECTL_TICK_US / 2) {
			atomic_store(&d->drops, capture_drops(d->cap));
			last_stats = now;
		}
		if (stop)
			break;
	}
	return NULL;
}

/* ---- the senders ---- */

static int disc_flush(struct disc_tx *tx, struct rawsock_batch *b)
{
	return rawsock_flush_wait(b, &tx->d->nobufs, &tx->d->error);
}

static int disc_flush_all(struct disc_tx *tx)
{
	for (int p = 0; p < DP_N; p++)
		for (int k = 0; k < RAWSOCK_KINDS; k++) {
			int r = disc_flush(tx, &tx->sock[p]->b[k]);

			if (r < 0)
				return r;
		}
	return 0;
}

static void disc_rate_tick(struct disc *d, struct ratectl *rt, uint64_t now)
{
	struct ratectl_counts c = {
	    .sent = atomic_load(&d->sent),
	    .replies = atomic_load(&d->replies),
	    .late = atomic_load(&d->late),
	    .drops = atomic_load(&d->drops),
	    .nobufs = atomic_load(&d->nobufs),
	};

	/*
	 * Never as a first pass: how many targets answer says how many live, not
	 * loss (a sweep meets long silent stretches), so the reply ratio is no
	 * signal here. Capture drops, full queues and late answers are.
	 */
	atomic_store(&d->rate, ratectl_tick(rt, &c, now, false, d->pass_try));
}

/* Waits for the rate to allow one more probe from tx; rt is the first sender's control. */
static int disc_pace(struct disc_tx *tx, struct ratectl *rt)
{
	struct disc *d = tx->d;

	for (;;) {
		uint64_t now = clock_mono_us(), wait;
		int r;

		if (rt && now - rt->last_tick >= RATECTL_TICK_US)
			disc_rate_tick(d, rt, now);
		wait =
		    ratectl_take(&tx->bucket, atomic_load(&d->rate) / atomic_load(&d->active), now);
		if (!wait)
			return 0;
		r = disc_flush_all(tx);
		if (r < 0)
			return r;
		if (atomic_load(&d->error))
			return atomic_load(&d->error);
		clock_sleep_us(wait);
	}
}

/* Builds and queues an ARP request or neighbour solicitation for slot sl. */
static int disc_send_nd(struct disc_tx *tx, const struct disc_route *rt, const struct disc_slot *sl)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct rawsock *rs = &tx->d->rs[DP_ICMP];
	int kind = rt->noqueue && rs->fd[RAWSOCK_DIRECT] >= 0 ? RAWSOCK_DIRECT : RAWSOCK_LINK;
	struct rawsock_batch *b = &tx->sock[DP_ICMP]->b[kind];
	uint8_t dmac[6] = {0x33, 0x33, 0xff};
	bool v6 = sl->addr.family == AF_INET6;
	uint8_t *buf = NULL;
	size_t n;
	int r;

	if (b->fd < 0)
		return -EAFNOSUPPORT;
	if (v6)
		memcpy(dmac + 3, &sl->addr.v6.s6_addr[13], 3);
	for (int k = 0; k < 2 && !buf; k++) {
		buf =
		    rawsock_frame_slot(b, rt->oif, v6 ? ETH_P_IPV6 : ETH_P_ARP, v6 ? dmac : bcast);
		if (!buf && (r = disc_flush(tx, b)) < 0)
			return r;
	}
	if (!buf)
		return -ENOBUFS;
	n = v6 ? discprobe_ns(buf, RAWSOCK_MTU, rt->mac, &rt->self.v6, &sl->addr.v6)
	       : discprobe_arp(buf, RAWSOCK_MTU, rt->mac, &rt->self.v4, &sl->addr.v4);
	if (!n)
		return -EMSGSIZE;
	rawsock_commit(b, n);
	return 0;
}

/* Builds the IP probe p (try tryno) to sl along rt into buf; its length. */
static size_t disc_build_ip(const struct disc *d, uint8_t *buf, const struct disc_route *rt,
                            const struct disc_slot *sl, const struct disc_probe *p, unsigned tryno)
{
	const struct target_addr *self = &rt->self, *dst = &sl->addr;
	bool v4 = dst->family == AF_INET;
	uint16_t sport = (uint16_t)(d->sport_lo + tryno);
	uint32_t c;

	switch (p->kind) {
	case DK_ECHO:
	case DK_TIMESTAMP:
	case DK_MASK: {
		enum disc_icmp q = p->kind == DK_ECHO        ? DISC_ICMP_ECHO
		                   : p->kind == DK_TIMESTAMP ? DISC_ICMP_TIMESTAMP
		                                             : DISC_ICMP_MASK;

		c = discprobe_check(disc_cookie(d, dst, disc_icmp_port(dst->family, q), self, 0),
		                    tryno);
		return v4 ? discprobe_icmp4(buf, RAWSOCK_MTU, &self->v4, &dst->v4, q, c)
		          : discprobe_icmp6_echo(buf, RAWSOCK_MTU, &self->v6, &dst->v6, c);
	}
	case DK_SYN:
		c = disc_cookie(d, dst, p->port, self, sport);
		return v4 ? packet_build_tcp4(buf, RAWSOCK_MTU, &self->v4, &dst->v4, sport, p->port,
		                              c)
		          : packet_build_tcp6(buf, RAWSOCK_MTU, &self->v6, &dst->v6, sport, p->port,
		                              c);
	case DK_ACK:
		c = disc_cookie(d, dst, p->port, self, sport);
		return v4 ? packet_build_tcp_ack4(buf, RAWSOCK_MTU, &self->v4, &dst->v4, sport,
		                                  p->port, c)
		          : packet_build_tcp_ack6(buf, RAWSOCK_MTU, &self->v6, &dst->v6, sport,
		                                  p->port, c);
	case DK_UDP: {
		size_t plen;
		const uint8_t *pl = udp_payload_for(p->port, &plen);

		c = disc_cookie(d, dst, p->port, self, sport);
		return v4 ? packet_build_udp4(buf, RAWSOCK_MTU, &self->v4, &dst->v4, sport, p->port,
		                              (uint16_t)c, pl, plen)
		          : packet_build_udp6(buf, RAWSOCK_MTU, &self->v6, &dst->v6, sport, p->port,
		                              pl, plen);
	}
	default:
		return 0;
	}
}

static int disc_send_ip(struct disc_tx *tx, const struct disc_route *rt, const struct disc_slot *sl,
                        const struct disc_probe *p, unsigned tryno)
{
	struct disc *d = tx->d;
	int pi = p->kind == DK_SYN || p->kind == DK_ACK ? DP_TCP
	         : p->kind == DK_UDP                    ? DP_UDP
	                                                : DP_ICMP;
	uint8_t proto = pi == DP_TCP                  ? IPPROTO_TCP
	                : pi == DP_UDP                ? IPPROTO_UDP
	                : sl->addr.family == AF_INET6 ? IPPROTO_ICMPV6
	                                              : IPPROTO_ICMP;
	struct rawsock_batch *b =
	    rawsock_batch_for(tx->sock[pi], &d->rs[pi], sl->addr.family, &rt->path);
	uint8_t *buf = NULL;
	size_t n;

	if (b->fd < 0)
		return -EAFNOSUPPORT;
	for (int k = 0; k < 2 && !buf; k++) {
		buf = rawsock_slot(b, &rt->self, &sl->addr, &rt->path, proto);
		if (!buf) {
			int r = disc_flush(tx, b);

			if (r < 0)
				return r;
		}
	}
	if (!buf)
		return -ENOBUFS;
	n = disc_build_ip(d, buf, rt, sl, p, tryno);
	if (!n)
		return -EMSGSIZE;
	rawsock_commit(b, n);
	return 0;
}

/* Sends entry e of the block's permutation on try tryno, if it is still to send. */
static int disc_send_entry(struct disc_tx *tx, struct ratectl *rt, uint64_t e, unsigned tryno)
{
	struct disc *d = tx->d;
	struct disc_slot *sl = &d->slots[e % d->n];
	size_t k = (size_t)(e / d->n);
	const struct disc_route *route;
	int r;

	if (atomic_load_explicit(&sl->state, memory_order_acquire) != DS_PENDING)
		return 0;
	route = &d->routes[sl->route];
	if (route->arp ? k > 0 : k >= d->nprobes[disc_fam(sl->addr.family)])
		return 0;
	r = disc_pace(tx, rt);
	if (r < 0)
		return r;
	atomic_store_explicit(&sl->sent_us, (uint32_t)(clock_mono_us() - d->t0),
	                      memory_order_relaxed);
	if (route->arp)
		r = disc_send_nd(tx, route, sl);
	else
		r = disc_send_ip(tx, route, sl, &d->probes[disc_fam(sl->addr.family)][k], tryno);
	if (r == -EAFNOSUPPORT)
		return 0; /* no socket for it: the host stays silent */
	if (r < 0)
		return r;
	atomic_fetch_add(&d->sent, 1);
	if (tryno)
		atomic_fetch_add(&d->retries, 1);
	return 0;
}

/* tx's share of the pass: chunks of the permutation from the shared cursor. */
static int disc_send_share(struct disc_tx *tx, struct ratectl *rt)
{
	struct disc *d = tx->d;
	int r = 0;

	for (;;) {
		uint64_t i = atomic_fetch_add(&d->cursor, DISC_CHUNK);
		uint64_t end = i + DISC_CHUNK < d->total ? i + DISC_CHUNK : d->total;

		if (i >= d->total || atomic_load(&d->error) || atomic_load(&d->stop))
			break;
		for (; i < end && r == 0; i++)
			r = disc_send_entry(tx, rt, perm_at(&d->perm, i), d->pass_try);
		if (r < 0)
			return r;
	}
	return disc_flush_all(tx);
}

static void *disc_helper(void *arg)
{
	struct disc_tx *tx = arg;

	tx->err = disc_send_share(tx, NULL);
	return NULL;
}

static int disc_pass(struct disc *d, struct ratectl *rt, unsigned tryno)
{
	unsigned want = d->total >= (uint64_t)d->nsend * DISC_CHUNK * 8 ? d->nsend : 1;
	unsigned started = 1;
	int r;

	d->pass_try = tryno;
	atomic_store(&d->cursor, 0);
	atomic_store(&d->active, want);
	for (; started < want; started++) {
		d->tx[started].err = 0;
		if (thread_start(&d->tx[started].thread, disc_helper, &d->tx[started]))
			break;
	}
	atomic_store(&d->active, started);
	r = disc_send_share(&d->tx[0], rt);
	if (r < 0)
		disc_set_error(d, r);
	for (unsigned k = 1; k < started; k++) {
		pthread_join(d->tx[k].thread, NULL);
		if (d->tx[k].err < 0)
			disc_set_error(d, d->tx[k].err);
	}
	atomic_store(&d->active, 1);
	return atomic_load(&d->error);
}

/* Whether some host of the block is still pending; marks the routes that have one. */
static bool disc_pending(struct disc *d)
{
	bool any = false;

	for (size_t r = 0; r < d->nroutes; r++)
		d->routes[r].pending = false;
	for (size_t i = 0; i < d->n; i++)
		if (atomic_load(&d->slots[i].state) == DS_PENDING) {
			d->routes[d->slots[i].route].pending = true;
			any = true;
		}
	return any;
}

/*
 * The probe timeout for the silent hosts: the longest of their routes' (each
 * from its own hosts' round trips, nmap's group timing per path). A route
 * without a reply yet has the template's initial timeout, but on-link (ARP,
 * ND) far less than that. Called with d->lock held.
 */
static uint32_t disc_rto(struct disc *d)
{
	uint32_t rto = 0;

	for (size_t r = 0; r < d->nroutes; r++) {
		const struct disc_route *x = &d->routes[r];
		uint32_t t = cc_rto_us(&x->cc);

		if (!x->pending)
			continue;
		if (!x->cc.have_rtt && x->arp && t > DISC_ARP_RTO_US)
			t = DISC_ARP_RTO_US;
		rto = t > rto ? t : rto;
	}
	return rto ? rto : cc_rto_us(&d->cc);
}

/* After a pass: a probe timeout past the last send, and the receiver idle. */
static void disc_wait_pass(struct disc *d, struct ratectl *rt, uint64_t last_send)
{
	uint32_t rto, maxrtt = d->cfg.cc.max_rtt_us;

	for (;;) {
		uint64_t now = clock_mono_us(), last_reply = atomic_load(&d->last_reply_us);

		pthread_mutex_lock(&d->lock);
		rto = disc_rto(d);
		pthread_mutex_unlock(&d->lock);
		if (atomic_load(&d->error) || atomic_load(&d->stop))
			return;
		if (now >= last_send + rto && now >= last_reply + DISC_QUIET_US)
			return;
		if (now >= last_send + maxrtt + DISC_QUIET_US)
			return;
		if (now - rt->last_tick >= RATECTL_TICK_US)
			disc_rate_tick(d, rt, now);
		clock_sleep_us(2000);
	}
}

/* Sends allowed: up to max_retries resends, at least one, more once a resend was answered. */
static unsigned disc_allowed_tries(struct disc *d)
{
	unsigned n;

	pthread_mutex_lock(&d->lock);
	n = cc_retries_allowed(&d->cc) + 1;
	pthread_mutex_unlock(&d->lock);
	return n < DISC_TRIES ? n : DISC_TRIES;
}

static void *disc_sender(void *arg)
{
	struct disc *d = arg;
	struct ratectl *rt = &(struct ratectl){0};
	int r = 0;

	ratectl_init(rt, &d->cfg.cc, clock_mono_us());
	atomic_store(&d->rate, rt->rate);
	for (unsigned k = 0; k < d->nsend; k++)
		d->tx[k].bucket.last_refill = clock_mono_us();
	for (unsigned tryno = 0; tryno < disc_allowed_tries(d); tryno++) {
		if (tryno > 0)
			disc_refresh_routes(d);
		r = disc_pass(d, rt, tryno);
		if (r < 0)
			break;
		/* the routes whose timeouts the wait takes; none: every target is decided
		 * already (the machine's own addresses, answers during the pass) */
		if (!disc_pending(d))
			break;
		disc_wait_pass(d, rt, clock_mono_us());
		if (!disc_pending(d) || atomic_load(&d->error) || atomic_load(&d->stop))
			break;
	}
	if (r < 0)
		disc_set_error(d, r);
	atomic_store(&d->tx_done, true);
	return NULL;
}

/* ---- the calling thread: blocks and verdicts ---- */

static void disc_emit(struct disc *d, const struct disc_sink *sink, size_t i, bool up,
                      struct disc_stats *st)
{
	const struct disc_slot *sl = &d->slots[i];
	struct disc_host h = {
	    .addr = sl->addr,
	    .up = up,
	    .reason = (enum scan_reason)sl->reason,
	    .ttl = sl->ttl,
	    .has_mac = sl->has_mac,
	    .rtt_us = sl->rtt_us,
	};

	memcpy(h.mac, sl->mac, 6);
	st->targets++;
	st->up += up;
	if (sink->on_host)
		sink->on_host(sink->ctx, &h);
}

static void disc_progress(struct disc *d, const struct disc_sink *sink, const struct disc_stats *st,
                          uint64_t total)
{
	struct scan_progress p = {
	    .done = st->targets,
	    .total = total,
	    .sent = atomic_load(&d->sent),
	    .found = st->up,
	    .elapsed = (double)(clock_mono_us() - d->t0) / 1e6,
	};

	if (sink->on_progress)
		sink->on_progress(sink->ctx, &p);
}

/* Sets up the block of targets from index b0 (the receiver waits meanwhile). */
static int disc_setup_block(struct disc *d, const struct perm *hperm, uint64_t b0, size_t n)
{
	int r = 0;

	pthread_mutex_lock(&d->blk_lock);
	d->blk_live = false;
	d->n = n;
	atomic_store(&d->nups, 0);
	memset(d->htab, 0, (d->hmask + 1) * sizeof(*d->htab));
	for (size_t i = 0; i < n && r == 0; i++) {
		struct disc_slot *sl = &d->slots[i];
		uint64_t idx = d->cfg.randomize_hosts ? perm_at(hperm, b0 + i) : b0 + i;
		long ri;
		size_t j;

		memset(sl, 0, sizeof(*sl));
		r = targetset_get(d->cfg.targets, idx, &sl->addr);
		if (r < 0)
			break;
		ri = disc_route_for(d, &sl->addr);
		if (ri < 0) {
			r = (int)ri;
			break;
		}
		sl->route = (uint16_t)ri;
		if (ri >= DISC_NO_PATH) {
			atomic_store(&sl->state, DS_FIXED);
			sl->reason =
			    ri == DISC_NO_ROUTE ? SCAN_REASON_NO_ROUTE : SCAN_REASON_NO_RESPONSE;
		} else if (d->routes[ri].kind == LINKPATH_LOCAL) {
			atomic_store(&sl->state, DS_FIXED);
			sl->reason = SCAN_REASON_LOCALHOST;
			disc_push_up(d, i);
		}
		for (j = target_addr_hash(&sl->addr) & d->hmask; d->htab[j]; j = (j + 1) & d->hmask)
			;
		d->htab[j] = (uint32_t)i + 1;
	}
	d->total = (uint64_t)n * d->maxp;
	d->blk_live = r == 0;
	pthread_mutex_unlock(&d->blk_lock);
	return r;
}

/* Streams the ups found since *seen. */
static void disc_emit_ups(struct disc *d, const struct disc_sink *sink, size_t *seen,
                          struct disc_stats *st)
{
	size_t n = atomic_load_explicit(&d->nups, memory_order_acquire);

	for (; *seen < n; (*seen)++)
		disc_emit(d, sink, d->ups[*seen], true, st);
}

/* Runs the senders over the block, streaming ups, then reports the rest as down. */
static int disc_run_block(struct disc *d, const struct disc_sink *sink, struct disc_stats *st,
                          uint64_t grand_total)
{
	pthread_t tx;
	size_t seen = 0;
	int r;

	atomic_store(&d->tx_done, false);
	r = thread_start(&tx, disc_sender, d);
	if (r)
		return -r;
	for (uint64_t last = 0; !atomic_load(&d->tx_done);) {
		clock_sleep_us(10000);
		disc_emit_ups(d, sink, &seen, st);
		if (clock_mono_us() - last >= 250000) {
			disc_progress(d, sink, st, grand_total);
			last = clock_mono_us();
		}
	}
	pthread_join(tx, NULL);
	r = atomic_load(&d->error);
	if (r < 0)
		return r;
	if (atomic_load(&d->stop))
		return -ECANCELED;
	/* Late answers until here count; nothing is matched after. */
	pthread_mutex_lock(&d->blk_lock);
	d->blk_live = false;
	pthread_mutex_unlock(&d->blk_lock);
	disc_emit_ups(d, sink, &seen, st);
	for (size_t i = 0; i < d->n; i++) {
		struct disc_slot *sl = &d->slots[i];
		uint8_t state = atomic_load(&sl->state);

		if (state == DS_UP || (state == DS_FIXED && sl->reason == SCAN_REASON_LOCALHOST))
			continue;
		if (state == DS_PENDING)
			sl->reason = SCAN_REASON_NO_RESPONSE;
		disc_emit(d, sink, i, false, st);
	}
	return 0;
}

static int disc_run_raw(struct disc *d, const struct disc_sink *sink, struct disc_stats *st)
{
	uint64_t count = targetset_count(d->cfg.targets);
	struct perm hperm;
	int r;

	perm_init(&hperm, count, d->cfg.seed ^ 0x9e3779b97f4a7c15ull);
	r = thread_start(&d->rx, disc_receiver, d);
	if (r) {
		why_set(d->why, d->whylen, "cannot start the receiver: %s", strerror(r));
		return -r;
	}
	d->rx_started = true;
	for (uint64_t b0 = 0; b0 < count; b0 += DISC_BLOCK) {
		size_t n = count - b0 < DISC_BLOCK ? (size_t)(count - b0) : DISC_BLOCK;

		r = disc_setup_block(d, &hperm, b0, n);
		if (r < 0) {
			why_set(d->why, d->whylen, "cannot set up the targets: %s", strerror(-r));
			return r;
		}
		perm_init(&d->perm, d->total, d->cfg.seed + b0);
		r = disc_run_block(d, sink, st, count);
		if (r < 0) {
			if (r != -ECANCELED)
				why_set(d->why, d->whylen, "host discovery failed: %s",
				        strerror(-r));
			return r;
		}
	}
	disc_progress(d, sink, st, count);
	return 0;
}

/* ---- connect mode (discovery-connect.c) ---- */

/* Where the routing snapshot sends a: 1 this machine, 0 elsewhere, -ENETUNREACH nowhere. */
static int disc_conn_where(void *ctx, const struct target_addr *a)
{
	struct disc *d = ctx;
	struct linkpath_route rt;
	int r = linkpath_fib_lookup(d->lp, &d->fib[disc_fam(a->family)], a, &rt);

	if (r < 0)
		return r;
	return rt.kind == LINKPATH_LOCAL;
}

static int disc_run_connect(struct disc *d, const struct disc_sink *sink, struct disc_stats *st)
{
	struct portlist ports = {0};
	int r = 0;

	/* The SYN ports of either family (the same lists): connect() to each. */
	for (size_t i = 0; i < d->nprobes[0] && r == 0; i++)
		r = portlist_add_range(&ports, d->probes[0][i].port, d->probes[0][i].port);
	if (r == 0)
		r = disc_connect_run(&d->cfg, &ports, disc_conn_where, d, sink, st, d->why,
		                     d->whylen);
	portlist_free(&ports);
	return r;
}

/* ---- open, run, close ---- */

static int disc_open_raw(struct disc *d)
{
	static const int protos[DP_N] = {IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP};
	char filter[256];
	int r;

	for (int p = 0; p < DP_N; p++) {
		r = rawsock_open(&d->rs[p], protos[p], d->why, d->whylen);
		if (r < 0)
			return r;
	}
	for (unsigned k = 0; k < d->nsend; k++) {
		d->tx[k] = (struct disc_tx){.d = d};
		for (int p = 0; p < DP_N; p++) {
			d->tx[k].sock[p] = rawsock_tx_new(&d->rs[p]);
			if (!d->tx[k].sock[p]) {
				why_set(d->why, d->whylen, "out of memory for send buffers");
				return -ENOMEM;
			}
		}
	}
	snprintf(filter, sizeof(filter),
	         "arp or icmp or icmp6 or (tcp dst portrange %u-%u) or "
	         "(udp dst portrange %u-%u)",
	         d->sport_lo, d->sport_hi, d->sport_lo, d->sport_hi);
	return capture_open_sized(filter, DISC_CAPTURE, &d->cap, d->why, d->whylen);
}

static int disc_alloc_block(struct disc *d, uint64_t count)
{
	size_t n = count < DISC_BLOCK ? (size_t)count : DISC_BLOCK, hcap = 16;

	n = n ? n : 1;
	while (hcap < 2 * n)
		hcap <<= 1;
	d->hmask = hcap - 1;
	d->slots = calloc(n, sizeof(*d->slots));
	d->ups = calloc(n, sizeof(*d->ups));
	d->htab = calloc(hcap, sizeof(*d->htab));
	d->routes = calloc(DISC_MAX_ROUTES, sizeof(*d->routes));
	return d->slots && d->ups && d->htab && d->routes ? 0 : -ENOMEM;
}

int disc_open(const struct disc_config *cfg, struct disc **out, char *why, size_t whylen)
{
	struct disc *d;
	uint64_t count;
	int r;

	*out = NULL;
	if (!cfg->targets) {
		why_set(why, whylen, "no targets");
		return -EINVAL;
	}
	if (!cfg->raw && (cfg->icmp || (cfg->udp_ports && cfg->udp_ports->n))) {
		why_set(why, whylen, "%s needs CAP_NET_RAW (root or a file capability)",
		        cfg->icmp ? "ICMP host discovery (-PE, -PP, -PM)"
		                  : "UDP host discovery (-PU)");
		return -EPERM;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->why = why;
	d->whylen = whylen;
	for (int p = 0; p < DP_N; p++)
		for (int k = 0; k < RAWSOCK_KINDS; k++)
			d->rs[p].fd[k] = -1;
	pthread_mutex_init(&d->blk_lock, NULL);
	pthread_mutex_init(&d->lock, NULL);
	if (getrandom(d->key, sizeof(d->key), 0) != (ssize_t)sizeof(d->key)) {
		uint64_t x = clock_mono_us() ^ cfg->seed;

		for (size_t i = 0; i < sizeof(d->key); i++, x = x * 6364136223846793005ull + 1)
			d->key[i] = (uint8_t)(x >> 56);
	}
	/* Source ports below the port scans' (61000 and up), 16 in a row at a place of the seed. */
	d->sport_lo = (uint16_t)(53000 + (cfg->seed >> 21) % 256 * 16);
	d->sport_hi = (uint16_t)(d->sport_lo + DISC_TRIES - 1);
	d->nsend = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	d->nsend = d->nsend < 1 ? 1 : d->nsend > DISC_MAX_SENDERS ? DISC_MAX_SENDERS : d->nsend;
	atomic_store(&d->active, 1);
	count = targetset_count(cfg->targets);
	r = disc_build_probes(d);
	if (r == 0)
		r = disc_alloc_block(d, count);
	if (r < 0) {
		why_set(why, whylen, "out of memory");
		goto fail;
	}
	d->maxp = d->nprobes[0] > d->nprobes[1] ? d->nprobes[0] : d->nprobes[1];
	d->maxp = d->maxp ? d->maxp : 1;
	r = linkpath_open(&d->lp);
	for (int f = 0; r == 0 && f < 2; f++)
		r = linkpath_fib_load(d->lp, f ? AF_INET6 : AF_INET, &d->fib[f]);
	if (r < 0) {
		why_set(why, whylen, "cannot read the routing tables: %s", strerror(-r));
		goto fail;
	}
	if (cfg->raw) {
		r = disc_open_raw(d);
		if (r < 0)
			goto fail;
	}
	*out = d;
	return 0;
fail:
	disc_close(d);
	return r;
}

int disc_run(struct disc *d, const struct disc_sink *sink, struct disc_stats *st, char *why,
             size_t whylen)
{
	struct disc_stats local = {0};
	int r;

	if (!st)
		st = &local;
	*st = (struct disc_stats){0};
	d->why = why;
	d->whylen = whylen;
	d->t0 = clock_mono_us();
	cc_init(&d->cc, &d->cfg.cc, d->t0);
	r = d->cfg.raw ? disc_run_raw(d, sink, st) : disc_run_connect(d, sink, st);
	if (d->rx_started) {
		atomic_store(&d->stop_rx, true);
		pthread_join(d->rx, NULL);
		d->rx_started = false;
	}
	st->sent = atomic_load(&d->sent);
	st->retries = atomic_load(&d->retries);
	st->elapsed = (double)(clock_mono_us() - d->t0) / 1e6;
	return r;
}

void disc_stop(struct disc *d)
{
	atomic_store(&d->stop, true);
	disc_set_error(d, -ECANCELED); /* the senders stop at their next flush or wait */
}

void disc_close(struct disc *d)
{
	if (!d)
		return;
	for (unsigned k = 0; k < DISC_MAX_SENDERS; k++)
		for (int p = 0; p < DP_N; p++)
			free(d->tx[k].sock[p]);
	capture_close(d->cap);
	for (int p = 0; p < DP_N; p++)
		rawsock_close(&d->rs[p]);
	for (int f = 0; f < 2; f++) {
		linkpath_fib_free(&d->fib[f]);
		free(d->probes[f]);
	}
	linkpath_close(d->lp);
	free(d->slots);
	free(d->ups);
	free(d->htab);
	free(d->routes);
	pthread_mutex_destroy(&d->blk_lock);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
