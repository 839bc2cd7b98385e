/*
 * Where a crafted probe to one target leaves: the route (NETLINK_ROUTE
 * RTM_GETROUTE), the outgoing device (RTM_GETLINK) and the next hop's link
 * address from the neighbour table (RTM_GETNEIGH). With all three known on an
 * Ethernet device, a probe can be sent through a packet socket with our own
 * link header, past the kernel's routing and netfilter output path; without
 * them (loopback, tunnels, a next hop not resolved yet) the raw IP socket is
 * used and the kernel resolves the neighbour.
 *
 *   struct linkpath_ctx *lp;  linkpath_open(&lp);
 *   struct linkpath p;
 *   linkpath_lookup(lp, &dst, NULL, &p);  // p.self: our source address;
 *                                         // p.ifindex > 0: a link header in p.hdr
 *
 * Look-ups of one next hop are cached: a /16 behind one gateway costs one
 * neighbour query.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/targetspec.h"

#define LINKPATH_HDR 14 /* Ethernet header */

struct linkpath {
	struct target_addr self;   /* source address the kernel would use (or the one asked for) */
	int ifindex;               /* > 0: send with hdr on this device; 0: raw IP socket */
	bool noqueue;              /* the device has no queueing discipline (veth) */
	bool pending;              /* ifindex 0 only because the next hop is not resolved yet */
	uint8_t hdr[LINKPATH_HDR]; /* next hop's MAC, ours, ethertype */
};

struct linkpath_ctx;

/* Opens a netlink socket for look-ups. 0 or a negative errno. */
int linkpath_open(struct linkpath_ctx **out);

void linkpath_close(struct linkpath_ctx *lp);

/*
 * Fills p for probes to dst. src, when not NULL, is the source address to
 * use (it must be one of ours: -EADDRNOTAVAIL otherwise); else the route's.
 * Returns 0 (p->ifindex is 0 when only the raw IP socket can be used),
 * -ENETUNREACH / -EHOSTUNREACH without a route, another negative errno.
 */
int linkpath_lookup(struct linkpath_ctx *lp, const struct target_addr *dst,
                    const struct target_addr *src, struct linkpath *p);

/* The source address the kernel would use towards dst (no packet is sent). 0 or a negative errno.
 */
int linkpath_source(const struct target_addr *dst, struct target_addr *self);

/* 0 when a is an address of this machine (a socket can bind to it), else a negative errno. */
int linkpath_local(const struct target_addr *a);

/* What the route to a target says about probing it. */
enum linkpath_kind {
	LINKPATH_NOROUTE, /* unreachable, blackhole, prohibit, or no route at all */
	LINKPATH_LOCAL,   /* an address of this machine */
	LINKPATH_ONLINK,  /* on a directly connected network (oif) */
	LINKPATH_VIA,     /* through a gateway (gw, oif) */
	LINKPATH_OTHER,   /* multicast, multipath…: leave it to the kernel */
};

struct linkpath_route {
	enum linkpath_kind kind;
	uint32_t table;         /* RT_TABLE_LOCAL, _MAIN, _DEFAULT */
	uint8_t plen;           /* prefix length of dst */
	uint32_t priority;      /* metric: the lower wins among equal prefixes */
	struct target_addr dst; /* the prefix */
	int oif;
	struct target_addr gw;
};

/*
 * The routing tables of one family, to classify many targets without a
 * netlink round trip each: longest-prefix match in table local, then main,
 * then default, as the kernel's default rules look them up. With other rules
 * (policy routing) the snapshot is not enough: kernel is set and every look-up
 * asks the kernel.
 *
 * Example: routes local 198.18.4.1/32, main 198.18.4.0/22 dev 3 and main
 * 198.18.8.0/24 via 198.18.4.254: 198.18.4.1 is LOCAL, 198.18.5.9 ONLINK
 * (oif 3), 198.18.8.7 VIA 198.18.4.254, 203.0.113.1 none (-ENETUNREACH).
 */
struct linkpath_fib {
	int family;
	struct linkpath_route *routes;
	size_t n;
	bool kernel; /* rules beyond the defaults: look-ups ask the kernel */
};

/* Dumps the rules and routes of family into fib. 0 or a negative errno. */
int linkpath_fib_load(struct linkpath_ctx *lp, int family, struct linkpath_fib *fib);

void linkpath_fib_free(struct linkpath_fib *fib);

/* The route dst takes: 0 with out filled, -ENETUNREACH when none, another negative errno. */
int linkpath_fib_lookup(struct linkpath_ctx *lp, const struct linkpath_fib *fib,
                        const struct target_addr *dst, struct linkpath_route *out);

/* The longest-prefix match of dst among routes[0..n) (tables local, main, default), or NULL. */
const struct linkpath_route *linkpath_fib_match(const struct linkpath_route *routes, size_t n,
                                                const struct target_addr *dst);

/* The link address of device ifindex, whether it is Ethernet and has no queue. 0 or -errno. */
int linkpath_device(struct linkpath_ctx *lp, int ifindex, uint8_t mac[6], bool *ether,
                    bool *noqueue);

enum linkpath_msg { LINKPATH_ROUTE, LINKPATH_LINK, LINKPATH_NEIGH };

/*
 * Parses a buffer of netlink answers of one kind as linkpath_lookup() reads
 * them (for tests and the fuzzer): ROUTE fills p->ifindex (0 unless a plain
 * unicast route) and p->self with the gateway, if any; LINK the source MAC in
 * p->hdr (Ethernet devices) and p->noqueue; NEIGH the next hop's MAC. Returns
 * 0, or -EINVAL for a malformed or misaligned buffer (netlink messages are
 * 4-byte aligned).
 */
int linkpath_parse(enum linkpath_msg kind, int family, const void *buf, size_t len,
                   struct linkpath *p);
