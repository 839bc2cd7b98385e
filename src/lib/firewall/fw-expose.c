/* Exposure of sockets and translated endpoints, from the evaluator's outcomes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/expose.h"
#include "firewall/fw-private.h"

const char *fw_expo_name(enum fw_expo_class c)
{
	switch (c) {
	case FW_EXPO_REACHABLE:
		return "reachable";
	case FW_EXPO_BLOCKED:
		return "blocked";
	case FW_EXPO_LOOPBACK:
		return "loopback-only";
	case FW_EXPO_NO_ADDRESS:
		return "no-address";
	case FW_EXPO_UNKNOWN:
		return "unknown";
	case FW_EXPO_NOT_EVALUATED:
		break;
	}
	return "not-evaluated";
}

static bool is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t one[16] = {[15] = 1};

	return family == 4 ? a[0] == 127 : memcmp(a, one, 16) == 0;
}

static bool is_any(uint8_t family, const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, family == 6 ? 16 : 4) == 0;
}

static bool link_local6(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Whether a socket on (family, bind, dual) takes connections to (afamily, addr). */
static bool accepts(uint8_t family, const uint8_t *bind, bool dual, uint8_t afamily,
                    const uint8_t *addr)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (family == afamily)
		return is_any(family, bind) || memcmp(bind, addr, family == 6 ? 16 : 4) == 0;
	if (family == 6 && afamily == 4)
		return (dual && is_any(6, bind)) ||
		       (memcmp(bind, mapped, 12) == 0 && memcmp(bind + 12, addr, 4) == 0);
	return false;
}

/* Whether outcome o delivers to the socket (and not to a translated destination elsewhere). */
static bool reaches(const struct fw_outcome *o, uint8_t family, const uint8_t *bind, bool dual,
                    uint16_t port)
{
	if (o->result != FW_ACCEPTED || !o->local)
		return false;
	if (!o->natted)
		return true;
	return o->dport == port && accepts(family, bind, dual, o->dfamily, o->daddr);
}

/*
 * Whether a neighbor solicitation for addr arriving on iif gets in: 1 for
 * every source, 0 for none (*blk: how it was stopped), -1 mixed or unknown.
 * Without it, no IPv6 packet reaches addr from that link.
 */
static int nd_passes(const struct fw_ruleset *rs, const struct fw_env *env, const uint8_t *addr,
                     const char *iif, struct fw_outcome *blk)
{
	struct fw_query q = {.family = 6,
	                     .proto = IPPROTO_ICMPV6,
	                     .icmp_type = 135,
	                     .hoplimit = 255,
	                     .iifname = iif};
	struct fw_outcome out[FW_MAX_OUTCOMES];
	bool acc = false, stop = false;
	int n;

	/* the solicited-node multicast group of addr: ff02::1:ffXX:XXXX */
	q.daddr[0] = 0xff;
	q.daddr[1] = 0x02;
	q.daddr[11] = 0x01;
	q.daddr[12] = 0xff;
	memcpy(q.daddr + 13, addr + 13, 3);
	n = fw_eval(rs, env, &q, out, FW_MAX_OUTCOMES);
	for (int i = 0; i < n; i++) {
		if (out[i].result == FW_ACCEPTED)
			acc = true;
		else if (out[i].result == FW_UNKNOWN)
			return -1;
		else if (!stop) {
			*blk = out[i];
			stop = true;
		}
	}
	if (n <= 0 || (acc && stop))
		return -1;
	return acc ? 1 : 0;
}

int fw_expose_socket(const struct fw_ruleset *rs, const struct fw_env *env, uint8_t proto,
                     uint8_t family, const uint8_t *bind, bool dual_stack, uint16_t port,
                     struct fw_expo *e)
{
	bool unknown = false;

	memset(e, 0, sizeof(*e));
	if (is_loopback(family, bind) ||
	    (family == 6 && bind[10] == 0xff && bind[11] == 0xff && bind[12] == 127)) {
		e->cls = FW_EXPO_LOOPBACK;
		return 0;
	}
	for (size_t a = 0; a < env->naddrs; a++) {
		const struct fw_addr *ad = &env->addrs[a];

		if (is_loopback(ad->family, ad->addr) ||
		    (ad->family == 6 && link_local6(ad->addr)) ||
		    !accepts(family, bind, dual_stack, ad->family, ad->addr))
			continue;
		for (size_t i = 0; i < env->nifaces; i++) {
			const struct fw_iface *in = &env->ifaces[i];
			struct fw_expo_path *p;
			struct fw_query q = {.family = ad->family,
			                     .proto = proto,
			                     .dport = port,
			                     .iifname = in->name};
			struct fw_outcome out[FW_MAX_OUTCOMES];
			int n;

			if (!in->up || in->loopback)
				continue;
			if (e->npaths % 8 == 0) {
				struct fw_expo_path *v =
				    realloc(e->paths, (e->npaths + 8) * sizeof(*e->paths));

				if (!v) {
					fw_expo_release(e);
					return -ENOMEM;
				}
				e->paths = v;
			}
			p = &e->paths[e->npaths++];
			memset(p, 0, sizeof(*p));
			p->family = ad->family;
			memcpy(p->addr, ad->addr, 16);
			memcpy(p->iif, in->name, FW_IFNAMSIZ);
			if (!rs)
				continue;
			memcpy(q.daddr, ad->addr, 16);
			n = fw_eval(rs, env, &q, out, FW_MAX_OUTCOMES);
			if (n < 0) {
				fw_expo_release(e);
				return n;
			}
			for (int k = 0; k < n && p->nout < FW_EXPO_OUT; k++)
				p->out[p->nout++] = out[k];
			if (ad->family == 6) {
				struct fw_outcome blk;

				if (nd_passes(rs, env, ad->addr, in->name, &blk) == 0) {
					/* nothing gets through: the neighbor discovery decides */
					blk.src_all = true;
					blk.nsrc = 0;
					blk.natted = false;
					snprintf(
					    blk.why, sizeof(blk.why),
					    "IPv6 neighbor discovery is %s here: no IPv6 packet "
					    "reaches this address from the link",
					    blk.result == FW_REJECTED ? "rejected" : "dropped");
					if (blk.result == FW_REJECTED)
						blk.result = FW_DROPPED; /* the solicitation gets no
						                            answer */
					p->out[0] = blk;
					p->nout = 1;
				}
			}
			for (size_t k = 0; k < p->nout; k++) {
				const struct fw_outcome *o = &p->out[k];

				if (reaches(o, family, bind, dual_stack, port)) {
					if (ad->family == 6)
						e->v6 = true;
					else
						e->v4 = true;
				} else {
					e->restricted = true;
				}
				if (o->result == FW_UNKNOWN)
					unknown = true;
			}
		}
	}
	if (!rs || rs->legacy)
		e->cls = FW_EXPO_NOT_EVALUATED;
	else if (e->npaths == 0)
		e->cls = FW_EXPO_NO_ADDRESS;
	else if (e->v4 || e->v6)
		e->cls = FW_EXPO_REACHABLE;
	else
		e->cls = unknown ? FW_EXPO_UNKNOWN : FW_EXPO_BLOCKED;
	if (e->cls != FW_EXPO_REACHABLE)
		e->restricted = false;
	return 0;
}

const struct fw_outcome *fw_expo_decider(const struct fw_expo *e, uint8_t *family)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < e->npaths; i++)
			for (size_t k = 0; k < e->paths[i].nout; k++) {
				const struct fw_outcome *o = &e->paths[i].out[k];
				bool want;

				switch (e->cls) {
				case FW_EXPO_REACHABLE:
					/* first pass: an outcome for every source */
					want = o->result == FW_ACCEPTED && !o->natted &&
					       (pass || o->src_all);
					break;
				case FW_EXPO_BLOCKED:
					want = o->result == FW_DROPPED || o->result == FW_REJECTED;
					break;
				case FW_EXPO_UNKNOWN:
					want = o->result == FW_UNKNOWN;
					break;
				default:
					return NULL;
				}
				if (want) {
					if (family)
						*family = e->paths[i].family;
					return o;
				}
			}
	return NULL;
}

char *fw_expo_describe(const struct fw_expo *e, char *buf, size_t len)
{
	uint8_t fam = 4;
	const struct fw_outcome *o = fw_expo_decider(e, &fam);
	char by[600] = "", src[200] = "";
	size_t off;

	if (o)
		fw_ref_format(&o->by, by, sizeof(by));
	off = (size_t)snprintf(buf, len, "%s", fw_expo_name(e->cls));
	if (off >= len)
		return buf;
	if (e->cls == FW_EXPO_REACHABLE)
		off += (size_t)snprintf(buf + off, len - off, " (%s%s%s)", e->v4 ? "IPv4" : "",
		                        e->v4 && e->v6 ? ", " : "", e->v6 ? "IPv6" : "");
	if (o && off < len && e->cls == FW_EXPO_REACHABLE && !o->src_all)
		off += (size_t)snprintf(buf + off, len - off, " from %s only",
		                        fw_sources_format(o, fam, src, sizeof(src)));
	if (o && off < len && o->why[0] && (e->cls != FW_EXPO_REACHABLE || !o->by.table))
		off += (size_t)snprintf(buf + off, len - off, ": %s", o->why);
	if (o && off < len && o->by.table)
		snprintf(buf + off, len - off, "%s %s",
		         e->cls == FW_EXPO_UNKNOWN ? " (rule" : " by", by);
	if (o && e->cls == FW_EXPO_UNKNOWN && o->by.table && strlen(buf) + 2 < len)
		strcat(buf, ")");
	return buf;
}

void fw_expo_release(struct fw_expo *e)
{
	free(e->paths);
	memset(e, 0, sizeof(*e));
}

const char *fw_scan_state(const struct fw_outcome *o, uint8_t proto, bool listening)
{
	switch (o->result) {
	case FW_ACCEPTED:
		if (listening)
			return "open";
		return "closed";
	case FW_DROPPED:
		return proto == IPPROTO_UDP ? "open|filtered" : "filtered";
	case FW_REJECTED:
		if (o->reject == FW_REJECT_TCP_RST)
			return proto == IPPROTO_TCP ? "closed" : "open|filtered";
		/* ICMP: port unreachable closes a UDP port; anything else filters */
		if (proto == IPPROTO_UDP && !o->by_route &&
		    (o->reject == FW_REJECT_DEFAULT || o->reject_code == (o->dfamily == 6 ? 4 : 3)))
			return "closed";
		return "filtered";
	case FW_UNKNOWN:
		break;
	}
	return "unknown";
}

bool fw_outcome_has_source(const struct fw_outcome *o, uint8_t family, const uint8_t *src)
{
	fw_u128 v = fw_addr_to_u128(family, src);

	if (o->src_all)
		return true;
	for (size_t i = 0; i < o->nsrc; i++)
		if (v >= o->src_lo[i] && v <= o->src_hi[i])
			return true;
	return false;
}

/* One interval as an address, a CIDR block, or a range. */
static void iv_format(uint8_t family, fw_u128 lo, fw_u128 hi, char *buf, size_t len)
{
	unsigned bits = family == 6 ? 128 : 32;
	uint8_t a[16] = {0}, b[16] = {0};
	char s1[INET6_ADDRSTRLEN], s2[INET6_ADDRSTRLEN];
	int af = family == 6 ? AF_INET6 : AF_INET;

	fw_u128_to_addr(family, lo, a);
	fw_u128_to_addr(family, hi, b);
	inet_ntop(af, a, s1, sizeof(s1));
	if (lo == hi) {
		snprintf(buf, len, "%s", s1);
		return;
	}
	for (unsigned p = 0; p < bits; p++) {
		/* the host bits of a /p: all 128 of them would shift past the type */
		fw_u128 span = bits - p == 128 ? (fw_u128)-1 : (((fw_u128)1) << (bits - p)) - 1;

		if ((lo & span) == 0 && hi == (lo | span)) {
			snprintf(buf, len, "%s/%u", s1, p);
			return;
		}
	}
	inet_ntop(af, b, s2, sizeof(s2));
	snprintf(buf, len, "%s-%s", s1, s2);
}

char *fw_sources_format(const struct fw_outcome *o, uint8_t family, char *buf, size_t len)
{
	size_t off = 0;

	if (o->src_all || o->nsrc == 0) {
		snprintf(buf, len, o->src_all ? "any" : "none");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < o->nsrc && off + 1 < len; i++) {
		char one[100];

		iv_format(family, o->src_lo[i], o->src_hi[i], one, sizeof(one));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", one);
		if (off >= len)
			break;
	}
	if (o->src_more && off + 6 < len)
		snprintf(buf + off, len - off, ", ...");
	return buf;
}

/* ---- translated endpoints ---- */

struct bounds {
	uint16_t *v;
	size_t n, cap;
	int err;
};

static void bound_add(struct bounds *b, uint32_t p)
{
	if (p > 65535 || b->err)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		uint16_t *v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (uint16_t)p;
}

/* Adds the port bounds of set s's dport component at offset off. */
static void set_bounds(struct bounds *b, const struct fw_set *s, unsigned off)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nelems; i++) {
		const struct fw_elem *e = &s->elems[i];

		if (e->catchall)
			continue;
		bound_add(b, (uint32_t)(e->lo[off] << 8 | e->lo[off + 1]));
		bound_add(b, (uint32_t)(e->hi[off] << 8 | e->hi[off + 1]) + 1);
	}
}

static void match_bounds(struct bounds *b, const struct fw_match *m)
{
	unsigned off = 0;

	for (unsigned c = 0; c < m->ncomp; off += m->comp[c].width, c++)
		if (m->comp[c].field == FW_F_DPORT)
			set_bounds(b, m->set, off);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The port bounds every rule of a table with a nat prerouting chain tells apart. */
static int nat_bounds(const struct fw_ruleset *rs, struct bounds *b, bool *any)
{
	*any = false;
	bound_add(b, 1);
	for (size_t t = 0; t < rs->ntables; t++) {
		const struct fw_table *tb = &rs->tables[t];
		bool nat = false;

		for (size_t c = 0; c < tb->nchains; c++)
			if (tb->chains[c].base && tb->chains[c].type == FW_CHAIN_NAT &&
			    tb->chains[c].hook == FW_HOOK_PREROUTING)
				nat = true;
		if (!nat)
			continue;
		*any = true;
		for (size_t c = 0; c < tb->nchains; c++)
			for (size_t r = 0; r < tb->chains[c].nrules; r++) {
				const struct fw_rule *ru = &tb->chains[c].rules[r];

				for (size_t i = 0; i < ru->nitems; i++) {
					const struct fw_item *it = &ru->items[i];

					if (it->kind == FW_ITEM_MATCH || it->kind == FW_ITEM_VMAP)
						match_bounds(b, &it->match);
					if (it->kind == FW_ITEM_NAT && it->nat.map)
						match_bounds(b, it->nat.map);
				}
			}
	}
	if (b->err)
		return b->err;
	qsort(b->v, b->n, sizeof(*b->v), cmp_u16);
	{
		size_t out = 0;

		for (size_t i = 0; i < b->n; i++)
			if (b->v[i] != 0 && (out == 0 || b->v[i] != b->v[out - 1]))
				b->v[out++] = b->v[i];
		b->n = out;
	}
	return 0;
}

int fw_nat_endpoints(const struct fw_ruleset *rs, const struct fw_env *env, fw_nat_cb cb,
                     void *data)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP};
	struct bounds b = {0};
	bool any;
	int rc = nat_bounds(rs, &b, &any);

	if (rc < 0 || !any) {
		free(b.v);
		return rc;
	}
	for (size_t pi = 0; pi < sizeof(protos) && rc == 0; pi++)
		for (size_t a = 0; a < env->naddrs && rc == 0; a++) {
			const struct fw_addr *ad = &env->addrs[a];

			if (is_loopback(ad->family, ad->addr) ||
			    (ad->family == 6 && link_local6(ad->addr)))
				continue;
			for (size_t i = 0; i < env->nifaces && rc == 0; i++) {
				const struct fw_iface *in = &env->ifaces[i];

				if (!in->up || in->loopback)
					continue;
				for (size_t k = 0; k < b.n && rc == 0; k++) {
					struct fw_query q = {.family = ad->family,
					                     .proto = protos[pi],
					                     .dport = b.v[k],
					                     .iifname = in->name};
					struct fw_outcome out[FW_MAX_OUTCOMES];
					uint16_t hi =
					    k + 1 < b.n ? (uint16_t)(b.v[k + 1] - 1) : 65535;
					int n;

					memcpy(q.daddr, ad->addr, 16);
					n = fw_eval(rs, env, &q, out, FW_MAX_OUTCOMES);
					if (n < 0) {
						rc = n;
						break;
					}
					for (int o = 0; o < n && rc == 0; o++) {
						struct fw_nat_endpoint ep;

						if (!out[o].natted)
							continue;
						memset(&ep, 0, sizeof(ep));
						ep.proto = protos[pi];
						ep.family = ad->family;
						memcpy(ep.addr, ad->addr, 16);
						ep.port_lo = b.v[k];
						ep.port_hi = hi;
						memcpy(ep.iif, in->name, FW_IFNAMSIZ);
						ep.out = out[o];
						ep.port_kept = out[o].dport == b.v[k];
						rc = cb(&ep, data);
					}
				}
			}
		}
	free(b.v);
	return rc;
}
