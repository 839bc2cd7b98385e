/*
 * The path of a NEW connection through the compiled ruleset.
 *
 * The packet is concrete (family, protocol, destination, arrival interface)
 * except for its source address, which is a set of intervals: a match on
 * saddr splits the set and each part goes on alone, so the outcomes say
 * which sources fare how. A condition that cannot be evaluated forks the
 * walk both ways: when both ways end alike the answer stands, else it is
 * "unknown (rule …)".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw-private.h"

#define STACK_MAX      16     /* jump depth, as the kernel's */
#define FORK_BUDGET    64     /* forks per query */
#define STEP_BUDGET    200000 /* rules looked at per query */
#define CT_NEW         8
#define CT_UNTRACKED   64
#define CT_STATUS_DNAT 32

fw_u128 fw_addr_to_u128(uint8_t family, const uint8_t *addr)
{
	fw_u128 v = 0;

	for (unsigned i = 0; i < (family == 6 ? 16u : 4u); i++)
		v = v << 8 | addr[i];
	return v;
}

void fw_u128_to_addr(uint8_t family, fw_u128 v, uint8_t *addr)
{
	unsigned w = family == 6 ? 16 : 4;

	for (unsigned i = 0; i < w; i++)
		addr[w - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* ---- source regions: sorted disjoint intervals ---- */

struct region {
	size_t n, cap;
	fw_u128 *lo, *hi;
};

static void region_free(struct region *r)
{
	free(r->lo);
	free(r->hi);
	memset(r, 0, sizeof(*r));
}

/*
 * Appends [lo, hi], merged into the last interval when it starts no lower and
 * touches it; an interval starting lower is kept apart (region_norm then sorts
 * and merges): merging it would lose the addresses below the last interval.
 */
static int region_push(struct region *r, fw_u128 lo, fw_u128 hi)
{
	if (r->n && lo >= r->lo[r->n - 1] && r->hi[r->n - 1] != (fw_u128)-1 &&
	    r->hi[r->n - 1] + 1 >= lo) {
		if (hi > r->hi[r->n - 1])
			r->hi[r->n - 1] = hi;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4;
		fw_u128 *l = realloc(r->lo, cap * sizeof(*l)), *h;

		if (!l)
			return -ENOMEM;
		r->lo = l;
		h = realloc(r->hi, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		r->hi = h;
		r->cap = cap;
	}
	r->lo[r->n] = lo;
	r->hi[r->n] = hi;
	r->n++;
	return 0;
}

static int region_copy(struct region *dst, const struct region *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		if (region_push(dst, src->lo[i], src->hi[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* out = a ∩ b (b: sorted, possibly overlapping intervals). */
static int region_and(const struct region *a, const struct region *b, struct region *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
		fw_u128 lo = a->lo[i] > b->lo[j] ? a->lo[i] : b->lo[j];
		fw_u128 hi = a->hi[i] < b->hi[j] ? a->hi[i] : b->hi[j];

		if (lo <= hi && region_push(out, lo, hi) < 0)
			return -ENOMEM;
		if (a->hi[i] < b->hi[j])
			i++;
		else
			j++;
	}
	return 0;
}

/* out = a \ b. */
static int region_minus(const struct region *a, const struct region *b, struct region *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < a->n; i++) {
		fw_u128 lo = a->lo[i], hi = a->hi[i];
		bool done = false;

		for (size_t j = 0; j < b->n && !done; j++) {
			if (b->hi[j] < lo || b->lo[j] > hi)
				continue;
			if (b->lo[j] > lo && region_push(out, lo, b->lo[j] - 1) < 0)
				return -ENOMEM;
			if (b->hi[j] >= hi)
				done = true;
			else
				lo = b->hi[j] + 1;
		}
		if (!done && region_push(out, lo, hi) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int cmp_iv(const void *x, const void *y)
{
	const fw_u128 *a = x, *b = y;

	return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Normalises r (sort, merge). */
static int region_norm(struct region *r)
{
	fw_u128 *pairs;
	struct region out = {0};

	if (r->n < 2)
		return 0;
	pairs = malloc(r->n * 2 * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		pairs[2 * i] = r->lo[i];
		pairs[2 * i + 1] = r->hi[i];
	}
	qsort(pairs, r->n, 2 * sizeof(*pairs), cmp_iv);
	for (size_t i = 0; i < r->n; i++)
		if (region_push(&out, pairs[2 * i], pairs[2 * i + 1]) < 0) {
			free(pairs);
			region_free(&out);
			return -ENOMEM;
		}
	free(pairs);
	region_free(r);
	*r = out;
	return 0;
}

static bool region_equal(const struct region *a, const struct region *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->lo[i] != b->lo[i] || a->hi[i] != b->hi[i])
			return false;
	return true;
}

/* ---- state ---- */

enum stage {
	ST_INGRESS,
	ST_PREROUTING,
	ST_INPUT,
	ST_FORWARD,
	ST_POSTROUTING,
};

static const enum fw_hook stage_hook[] = {FW_HOOK_INGRESS, FW_HOOK_PREROUTING, FW_HOOK_INPUT,
                                          FW_HOOK_FORWARD, FW_HOOK_POSTROUTING};

struct frame {
	const struct fw_table *table;
	const struct fw_chain *chain;
	size_t next; /* the next rule index to look at */
};

struct state {
	uint8_t family, proto;
	struct region src;
	uint8_t daddr[16], odaddr[16];
	uint16_t dport, odport, sport;
	char iif[FW_IFNAMSIZ], oif[FW_IFNAMSIZ];
	uint32_t mark, ctstate, ctstatus;
	uint8_t icmp_type, hoplimit;
	bool natted, local;
	struct fw_ref nat_by;
	enum stage stage;
	size_t base; /* next index into rs->bases */
	bool base_nat_done;
	struct frame stack[STACK_MAX];
	int depth;
	struct fw_ref cur_base;   /* the base chain being walked */
	struct fw_ref acc_rule;   /* the last explicit accept */
	struct fw_ref acc_policy; /* the last policy accept */
};

struct collect {
	struct fw_outcome *v;
	size_t n, max;
	bool overflow;
};

struct ev {
	const struct fw_ruleset *rs;
	const struct fw_env *env;
	const struct fw_query *q;
	struct region domain;
	int forks;
	long steps;
	int err;
};

static int state_copy(struct state *dst, const struct state *src)
{
	*dst = *src;
	return region_copy(&dst->src, &src->src);
}

static void fill_src(struct ev *ev, const struct region *r, struct fw_outcome *o)
{
	o->src_all = region_equal(r, &ev->domain);
	o->nsrc = 0;
	o->src_more = r->n > sizeof(o->src_lo) / sizeof(o->src_lo[0]);
	for (size_t i = 0; i < r->n && o->nsrc < sizeof(o->src_lo) / sizeof(o->src_lo[0]); i++) {
		o->src_lo[o->nsrc] = r->lo[i];
		o->src_hi[o->nsrc] = r->hi[i];
		o->nsrc++;
	}
}

static void emit(struct ev *ev, struct collect *c, struct state *s, struct fw_outcome *o)
{
	if (s->src.n == 0)
		return; /* no source left on this branch */
	fill_src(ev, &s->src, o);
	o->natted = s->natted;
	o->nat_by = s->nat_by;
	o->dfamily = s->family;
	memcpy(o->daddr, s->daddr, 16);
	o->dport = s->dport;
	o->local = s->local;
	memcpy(o->oifname, s->oif, FW_IFNAMSIZ);
	if (c->n == c->max) {
		c->overflow = true;
		return;
	}
	c->v[c->n++] = *o;
}

static void emit_result(struct ev *ev, struct collect *c, struct state *s, enum fw_result r,
                        const struct fw_ref *by, const char *why)
{
	struct fw_outcome o;

	memset(&o, 0, sizeof(o));
	o.result = r;
	if (by)
		o.by = *by;
	o.hook = stage_hook[s->stage];
	if (why)
		snprintf(o.why, sizeof(o.why), "%s", why);
	emit(ev, c, s, &o);
}

/* ---- host facts ---- */

static bool addr_is_local(const struct fw_env *env, uint8_t family, const uint8_t *a,
                          const char *only_if)
{
	static const uint8_t v6lo[16] = {[15] = 1};

	if (family == 4 && a[0] == 127)
		return !only_if || strcmp(only_if, "lo") == 0;
	if (family == 6 && memcmp(a, v6lo, 16) == 0)
		return !only_if || strcmp(only_if, "lo") == 0;
	for (size_t i = 0; i < env->naddrs; i++)
		if (env->addrs[i].family == family &&
		    memcmp(env->addrs[i].addr, a, family == 6 ? 16 : 4) == 0 &&
		    (!only_if || strcmp(env->addrs[i].ifname, only_if) == 0))
			return true;
	return false;
}

static uint8_t fib_type(const struct fw_env *env, uint8_t family, const uint8_t *a, const char *iif)
{
	if (family == 4 && (a[0] & 0xf0) == 0xe0)
		return RTN_MULTICAST;
	if (family == 4 && memcmp(a, "\xff\xff\xff\xff", 4) == 0)
		return RTN_BROADCAST;
	if (family == 6 && a[0] == 0xff)
		return RTN_MULTICAST;
	/* with ". iif": local only when the address is on that interface */
	return addr_is_local(env, family, a, iif) ? RTN_LOCAL : RTN_UNICAST;
}

/* The longest-prefix route of env for (family, v), or NULL. */
static const struct fw_route *route_lookup(const struct fw_env *env, uint8_t family, fw_u128 v)
{
	const struct fw_route *best = NULL;
	unsigned bits = family == 6 ? 128 : 32;

	for (size_t i = 0; i < env->nroutes; i++) {
		const struct fw_route *r = &env->routes[i];
		fw_u128 p = fw_addr_to_u128(family, r->addr), mask;

		if (r->family != family || r->plen > bits)
			continue;
		mask = r->plen == 0 ? 0 : ((fw_u128)-1) << (bits - r->plen);
		if (family == 4)
			mask &= 0xffffffffu;
		if ((v & mask) == (p & mask) && (!best || r->plen > best->plen))
			best = r;
	}
	return best;
}

static int cmp_u128(const void *x, const void *y)
{
	const fw_u128 *a = x, *b = y;

	return *a < *b ? -1 : *a > *b;
}

/* The region of sources whose reverse route exists (via iif when by_iif). */
static int rpf_region(const struct fw_env *env, uint8_t family, const char *iif, bool by_iif,
                      struct region *out)
{
	unsigned bits = family == 6 ? 128 : 32;
	fw_u128 max = family == 6 ? (fw_u128)-1 : 0xffffffffu;
	fw_u128 *starts = malloc((env->nroutes * 2 + 1) * sizeof(*starts));
	size_t ns = 0, m = 0;

	memset(out, 0, sizeof(*out));
	if (!starts)
		return -ENOMEM;
	/* elementary intervals from every route's bounds (sorted, once each); LPM is constant on
	 * each */
	starts[ns++] = 0;
	for (size_t i = 0; i < env->nroutes; i++) {
		const struct fw_route *r = &env->routes[i];
		fw_u128 p, span;

		if (r->family != family || r->plen > bits)
			continue;
		p = fw_addr_to_u128(family, r->addr);
		span = r->plen == 0 ? max : ((fw_u128)1 << (bits - r->plen)) - 1;
		p &= ~span;
		starts[ns++] = p;
		if (p + span < max)
			starts[ns++] = p + span + 1;
	}
	qsort(starts, ns, sizeof(*starts), cmp_u128);
	for (size_t i = 0; i < ns; i++)
		if (m == 0 || starts[i] != starts[m - 1])
			starts[m++] = starts[i];
	for (size_t i = 0; i < m; i++) {
		fw_u128 lo = starts[i], hi = i + 1 < m ? starts[i + 1] - 1 : max;
		const struct fw_route *r = route_lookup(env, family, lo);

		if (r && r->type != RTN_BLACKHOLE && r->type != RTN_UNREACHABLE &&
		    r->type != RTN_PROHIBIT && (!by_iif || strcmp(r->oifname, iif) == 0))
			if (region_push(out, lo, hi) < 0) {
				free(starts);
				region_free(out);
				return -ENOMEM;
			}
	}
	free(starts);
	return 0;
}

/* ---- matching ---- */

enum tri {
	T_FALSE,
	T_TRUE,
	T_UNKNOWN,
	T_SPLIT, /* depends on the source: *in holds the matching sources */
};

static void put_be(uint8_t *p, unsigned w, uint64_t v)
{
	for (unsigned i = 0; i < w; i++)
		p[w - 1 - i] = (uint8_t)(v >> (8 * i));
}

/*
 * The packet's value for one component: 1, 0 when the packet has none (the
 * expression breaks: no match), -1 when it is not known here.
 */
static int comp_key(struct ev *ev, const struct state *s, const struct fw_comp *c, uint8_t *k)
{
	memset(k, 0, c->width);
	switch (c->field) {
	case FW_F_IIFNAME:
		memcpy(k, s->iif, FW_IFNAMSIZ);
		return 1;
	case FW_F_OIFNAME:
		if (!s->oif[0])
			return 0;
		memcpy(k, s->oif, FW_IFNAMSIZ);
		return 1;
	case FW_F_L4PROTO:
		k[0] = s->proto;
		return 1;
	case FW_F_NFPROTO:
		k[0] = s->family == 6 ? 10 : 2;
		return 1;
	case FW_F_ETHERTYPE:
		put_be(k, 2, s->family == 6 ? 0x86dd : 0x0800);
		return 1;
	case FW_F_MARK:
		put_be(k, 4, s->mark);
		return 1;
	case FW_F_PKTTYPE:
		k[0] = 0;
		return 1;
	case FW_F_DADDR:
		if (c->family && c->family != s->family)
			return 0;
		memcpy(k, s->daddr, c->width);
		return 1;
	case FW_F_CT_ODADDR:
		if (c->family && c->family != s->family)
			return 0;
		memcpy(k, s->odaddr, c->width);
		return 1;
	case FW_F_SPORT:
	case FW_F_DPORT:
		if ((c->l4 && c->l4 != s->proto) ||
		    (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP))
			return 0;
		put_be(k, 2, c->field == FW_F_SPORT ? s->sport : s->dport);
		return 1;
	case FW_F_CT_ODPORT:
		put_be(k, 2, s->odport);
		return 1;
	case FW_F_TCPFLAGS:
		if (s->proto != IPPROTO_TCP)
			return 0;
		k[0] = 2; /* syn */
		return 1;
	case FW_F_CTSTATE:
		put_be(k, 4, s->ctstate);
		return 1;
	case FW_F_CTSTATUS:
		put_be(k, 4, s->ctstatus);
		return 1;
	case FW_F_CTDIR:
	case FW_F_CTMARK:
		return 1;
	case FW_F_FIBTYPE:
		k[0] = fib_type(ev->env, s->family, s->daddr, c->fib_iif ? s->iif : NULL);
		return 1;
	case FW_F_FIBOIF: {
		const struct fw_route *r =
		    route_lookup(ev->env, s->family, fw_addr_to_u128(s->family, s->daddr));

		k[0] = r && (!c->fib_iif || strcmp(r->oifname, s->iif) == 0);
		return 1;
	}
	case FW_F_ICMPTYPE:
		if (s->proto != c->l4)
			return 0;
		k[0] = s->icmp_type;
		return 1;
	case FW_F_HOPLIMIT:
		if (!s->hoplimit)
			return -1;
		k[0] = s->hoplimit;
		return 1;
	case FW_F_SADDR:
	case FW_F_NONE:
		break;
	}
	return 0;
}

bool fw_elem_contains(const struct fw_set *s, const struct fw_elem *e, const uint8_t *key)
{
	unsigned off = 0;

	if (e->catchall)
		return true;
	for (unsigned i = 0; i < s->ncomp; off += s->comp[i].width, i++) {
		unsigned w = s->comp[i].width;

		if (memcmp(key + off, e->lo + off, w) < 0 || memcmp(key + off, e->hi + off, w) > 0)
			return false;
	}
	return true;
}

/* The element of s holding key (catch-all last), or -1. */
static long set_find(const struct fw_set *s, const uint8_t *key)
{
	long catchall = -1;

	if (s->single_sorted) {
		size_t a = 0, b = s->nelems;
		unsigned w = s->keylen;

		while (a < b) {
			size_t m = (a + b) / 2;

			if (memcmp(s->elems[m].hi, key, w) < 0)
				a = m + 1;
			else
				b = m;
		}
		if (a < s->nelems && memcmp(s->elems[a].lo, key, w) <= 0)
			return (long)a;
		return -1;
	}
	for (size_t i = 0; i < s->nelems; i++) {
		if (s->elems[i].catchall) {
			catchall = (long)i;
			continue;
		}
		if (fw_elem_contains(s, &s->elems[i], key))
			return (long)i;
	}
	return catchall;
}

/* Index of the saddr component of m, -1 for none, -2 for several. */
static int saddr_comp(const struct fw_match *m)
{
	int at = -1;

	for (unsigned i = 0; i < m->ncomp; i++)
		if (m->comp[i].field == FW_F_SADDR ||
		    (m->comp[i].field == FW_F_FIBOIF && m->comp[i].fib_saddr))
			at = at == -1 ? (int)i : -2;
	return at;
}

/* The key of m, all components but skip (zeros): 1, 0 no value (the expression breaks), -1 unknown.
 */
static int build_key(struct ev *ev, const struct state *s, const struct fw_match *m, int skip,
                     uint8_t *key)
{
	unsigned off = 0;
	int unknown = 0;

	for (unsigned i = 0; i < m->ncomp; off += m->comp[i].width, i++) {
		int rc;

		if ((int)i == skip) {
			memset(key + off, 0, m->comp[i].width);
			continue;
		}
		rc = comp_key(ev, s, &m->comp[i], key + off);
		if (rc == 0)
			return 0;
		if (rc < 0)
			unknown = 1;
	}
	if (unknown)
		return -1;
	if (m->has_mask)
		for (unsigned i = 0; i < m->keylen; i++)
			key[i] &= m->mask[i];
	return 1;
}

/*
 * The sources (within s->src) for which the elements of m's set match, other
 * components concrete. For a map, elements[i] selects per element.
 */
static int saddr_elems(struct ev *ev, const struct state *s, const struct fw_match *m, int at,
                       const uint8_t *key, long only_elem, struct region *out)
{
	const struct fw_set *set = m->set;
	unsigned off = 0;
	struct region r = {0};

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < at; i++)
		off += m->comp[i].width;
	if (m->comp[at].field == FW_F_FIBOIF) {
		/* fib saddr . iif oif exists: the sources with a route back */
		struct region rp;
		long e = -1;

		if (rpf_region(ev->env, s->family, s->iif, m->comp[at].fib_iif, &rp) < 0)
			return -ENOMEM;
		/* which truth value (exists 1 / missing 0) the set holds */
		for (size_t i = 0; i < set->nelems; i++)
			if (only_elem < 0 || (long)i == only_elem)
				e = set->elems[i].lo[off];
		if (e == 1) {
			int rc = region_and(&s->src, &rp, out);

			region_free(&rp);
			return rc;
		}
		if (e == 0) {
			int rc = region_minus(&s->src, &rp, out);

			region_free(&rp);
			return rc;
		}
		region_free(&rp);
		return 0;
	}
	if (m->comp[at].family != s->family)
		return 0;
	for (size_t i = 0; i < set->nelems; i++) {
		const struct fw_elem *e = &set->elems[i];
		unsigned o2 = 0;
		bool ok = true;

		if (only_elem >= 0 && (long)i != only_elem)
			continue;
		if (e->catchall) {
			if (region_push(&r, 0, (fw_u128)-1) < 0)
				goto oom;
			continue;
		}
		for (unsigned c = 0; c < m->ncomp && ok; o2 += m->comp[c].width, c++)
			if ((int)c != (int)at &&
			    (memcmp(key + o2, e->lo + o2, m->comp[c].width) < 0 ||
			     memcmp(key + o2, e->hi + o2, m->comp[c].width) > 0))
				ok = false;
		if (ok && region_push(&r, fw_addr_to_u128(s->family, e->lo + off),
		                      fw_addr_to_u128(s->family, e->hi + off)) < 0)
			goto oom;
	}
	if (region_norm(&r) < 0)
		goto oom;
	{
		int rc = region_and(&s->src, &r, out);

		region_free(&r);
		return rc;
	}
oom:
	region_free(&r);
	return -ENOMEM;
}

/* Evaluates a match; T_SPLIT fills *in (the sources it holds for). */
static enum tri eval_match(struct ev *ev, const struct state *s, const struct fw_match *m,
                           struct region *in)
{
	uint8_t key[FW_KEY_MAX];
	int at = saddr_comp(m);

	int kr;

	if (!m->set || m->set->why || at == -2)
		return T_UNKNOWN;
	kr = build_key(ev, s, m, at, key);
	if (kr == 0)
		return T_FALSE;
	if (kr < 0)
		return T_UNKNOWN;
	if (at >= 0) {
		struct region r;

		if (m->has_mask || m->op == FW_OP_IN || m->op == FW_OP_NOT_IN)
			return T_UNKNOWN;
		if (saddr_elems(ev, s, m, at, key, -1, &r) < 0) {
			ev->err = -ENOMEM;
			return T_UNKNOWN;
		}
		if (m->op == FW_OP_NE) {
			struct region neg;

			if (region_minus(&s->src, &r, &neg) < 0) {
				region_free(&r);
				ev->err = -ENOMEM;
				return T_UNKNOWN;
			}
			region_free(&r);
			r = neg;
		}
		if (r.n == 0) {
			region_free(&r);
			return T_FALSE;
		}
		if (region_equal(&r, &s->src)) {
			region_free(&r);
			return T_TRUE;
		}
		*in = r;
		return T_SPLIT;
	}
	if (m->op == FW_OP_IN || m->op == FW_OP_NOT_IN) {
		const struct fw_set *set = m->set;
		bool any = false;

		if (set->nelems != 1)
			return T_UNKNOWN;
		for (unsigned i = 0; i < m->keylen; i++)
			if (key[i] & set->elems[0].lo[i])
				any = true;
		return any == (m->op == FW_OP_IN) ? T_TRUE : T_FALSE;
	}
	{
		bool found = set_find(m->set, key) >= 0;

		return (m->op == FW_OP_EQ) == found ? T_TRUE : T_FALSE;
	}
}

/* ---- the walk ---- */

static void run(struct ev *ev, struct collect *c, struct state *s, const struct fw_rule *resume,
                size_t item);

static bool family_ok(const struct fw_table *t, uint8_t family)
{
	switch (t->family) {
	case FW_FAM_INET:
	case FW_FAM_NETDEV:
		return true;
	case FW_FAM_IP:
		return family == 4;
	case FW_FAM_IP6:
		return family == 6;
	default:
		return false;
	}
}

static bool push(struct state *s, const struct fw_table *t, const struct fw_chain *ch)
{
	if (s->depth == STACK_MAX)
		return false;
	s->stack[s->depth++] = (struct frame){.table = t, .chain = ch, .next = 0};
	return true;
}

/* The next rule of the top frame to look at (through the port index), or NULL. */
static const struct fw_rule *next_rule(struct state *s)
{
	struct frame *f = &s->stack[s->depth - 1];
	const struct fw_chain *ch = f->chain;
	const struct fw_index *ix = ch->index;
	size_t best = ch->nrules;

	if (f->next >= ch->nrules)
		return NULL;
	if (!ix) {
		best = f->next;
	} else {
		size_t sg = 0, a, b;

		/* the segment of the port */
		a = 0;
		b = ix->nseg;
		while (b - a > 1) {
			size_t m = (a + b) / 2;

			if (ix->seg_lo[m] <= s->dport)
				a = m;
			else
				b = m;
		}
		sg = a;
		{
			const uint32_t *v = ix->rules + ix->seg_off[sg];
			size_t n = ix->seg_off[sg + 1] - ix->seg_off[sg], lo = 0, hi = n;

			while (lo < hi) {
				size_t m = (lo + hi) / 2;

				if (v[m] < f->next)
					lo = m + 1;
				else
					hi = m;
			}
			if (lo < n)
				best = v[lo];
		}
		{
			size_t lo = 0, hi = ix->nuncon;

			while (lo < hi) {
				size_t m = (lo + hi) / 2;

				if (ix->uncon[m] < f->next)
					lo = m + 1;
				else
					hi = m;
			}
			if (lo < ix->nuncon && ix->uncon[lo] < best)
				best = ix->uncon[lo];
		}
	}
	if (best >= ch->nrules)
		return NULL;
	f->next = best + 1;
	return &ch->rules[best];
}

static struct fw_ref ref_of(const struct state *s, const struct fw_rule *r)
{
	const struct frame *f = &s->stack[s->depth - 1];

	return (struct fw_ref){.table = f->table, .chain = f->chain, .rule = r};
}

/* Whether the base chain b applies to the packet at this stage. */
static bool base_applies(const struct state *s, const struct fw_base *b)
{
	const struct fw_chain *ch = b->chain;

	if (b->hook != stage_hook[s->stage] || !family_ok(b->table, s->family))
		return false;
	if (b->table->family == FW_FAM_NETDEV && b->hook != FW_HOOK_INGRESS)
		return false;
	if (b->hook == FW_HOOK_INGRESS && (!ch->dev || strcmp(ch->dev, s->iif) != 0))
		return false;
	if (ch->type == FW_CHAIN_NAT && s->stage == ST_PREROUTING &&
	    (s->base_nat_done || s->ctstate == CT_UNTRACKED))
		return false;
	if (ch->type == FW_CHAIN_NAT && s->ctstate == CT_UNTRACKED)
		return false;
	return true;
}

/* The first address of the family on interface ifname (redirect's target). */
static bool iface_addr(const struct fw_env *env, const char *ifname, uint8_t family, uint8_t *out)
{
	for (size_t i = 0; i < env->naddrs; i++)
		if (env->addrs[i].family == family && strcmp(env->addrs[i].ifname, ifname) == 0) {
			/* IPv6: not a link-local address when another will do */
			if (family == 6 && env->addrs[i].addr[0] == 0xfe &&
			    (env->addrs[i].addr[1] & 0xc0) == 0x80)
				continue;
			memcpy(out, env->addrs[i].addr, 16);
			return true;
		}
	return false;
}

static const struct fw_iface *iface(const struct fw_env *env, const char *name)
{
	for (size_t i = 0; i < env->nifaces; i++)
		if (strcmp(env->ifaces[i].name, name) == 0)
			return &env->ifaces[i];
	return NULL;
}

static void route_drop(struct ev *ev, struct collect *c, struct state *s, enum fw_result r,
                       const char *why)
{
	struct fw_outcome o;

	memset(&o, 0, sizeof(o));
	o.result = r;
	o.reject = FW_REJECT_ICMP;
	o.reject_code = 1; /* host unreachable */
	o.hook = FW_HOOK_PREROUTING;
	o.by_route = true;
	snprintf(o.why, sizeof(o.why), "%s", why);
	emit(ev, c, s, &o);
}

/* After prerouting: local delivery, forwarding, or a drop by routing. Returns false when dropped.
 */
static bool route(struct ev *ev, struct collect *c, struct state *s)
{
	const struct fw_env *env = ev->env;
	const struct fw_route *r;
	char why[160];

	if (s->family == 4 && s->daddr[0] == 127) {
		const struct fw_iface *in = iface(env, s->iif);

		if (!in || !(in->route_localnet || in->loopback)) {
			snprintf(why, sizeof(why),
			         "to 127.0.0.0/8 from %s without route_localnet "
			         "(a martian: the kernel drops it)",
			         s->iif);
			route_drop(ev, c, s, FW_DROPPED, why);
			return false;
		}
		s->local = true;
		s->stage = ST_INPUT;
		return true;
	}
	if ((s->family == 6 && s->daddr[0] == 0xff) ||
	    (s->family == 4 && (s->daddr[0] & 0xf0) == 0xe0)) {
		s->local = true; /* multicast to a group the host is in (neighbor discovery) */
		s->stage = ST_INPUT;
		return true;
	}
	if (addr_is_local(env, s->family, s->daddr, NULL)) {
		static const uint8_t v6lo[16] = {[15] = 1};

		if (s->family == 6 && memcmp(s->daddr, v6lo, 16) == 0) {
			route_drop(ev, c, s, FW_DROPPED,
			           "to ::1 from outside (the kernel drops it)");
			return false;
		}
		s->local = true;
		s->stage = ST_INPUT;
		return true;
	}
	if (!(s->family == 6 ? env->forward6 : env->forward4)) {
		snprintf(why, sizeof(why), "not a local address and %s forwarding is off",
		         s->family == 6 ? "IPv6" : "IPv4");
		route_drop(ev, c, s, FW_DROPPED, why);
		return false;
	}
	r = route_lookup(env, s->family, fw_addr_to_u128(s->family, s->daddr));
	if (!r || r->type == RTN_BLACKHOLE || r->type == RTN_UNREACHABLE ||
	    r->type == RTN_PROHIBIT) {
		route_drop(ev, c, s, r && r->type != RTN_BLACKHOLE ? FW_REJECTED : FW_DROPPED,
		           r ? "routing: unreachable, prohibit or blackhole route" : "no route");
		return false;
	}
	s->stage = ST_FORWARD;
	s->local = false;
	snprintf(s->oif, sizeof(s->oif), "%s", r->oifname);
	return true;
}

static void end_base_accept(struct state *s)
{
	s->depth = 0;
	s->base++;
}

/* Applies nat item it; false when the packet is dropped (redirect without an address). */
static bool apply_nat(struct ev *ev, struct collect *c, struct state *s, const struct fw_item *it,
                      const struct fw_rule *r, enum tri *res)
{
	const struct fw_nat *n = &it->nat;
	uint8_t addr[16] = {0};
	uint16_t port = s->dport;

	*res = T_TRUE;
	if (n->kind == FW_NAT_SNAT || n->kind == FW_NAT_MASQUERADE)
		return true;
	if (s->stage != ST_PREROUTING) {
		*res = T_UNKNOWN;
		return true;
	}
	memcpy(addr, s->daddr, 16);
	if (n->kind == FW_NAT_REDIRECT) {
		if (!iface_addr(ev->env, s->iif, s->family, addr)) {
			emit_result(ev, c, s, FW_DROPPED, NULL,
			            "redirect on an interface without address");
			return false;
		}
		if (s->family == 4) {
			/* redirect goes to the primary address of the interface (127.0.0.1 on lo)
			 */
		}
	}
	if (n->map) {
		uint8_t key[FW_KEY_MAX];
		long e;
		const struct fw_mapval *mv;
		unsigned off = 0;

		if (saddr_comp(n->map) != -1 || !n->map->set || n->map->set->why) {
			*res = T_UNKNOWN;
			return true;
		}
		switch (build_key(ev, s, n->map, -1, key)) {
		case 0:
			*res = T_FALSE;
			return true;
		case -1:
			*res = T_UNKNOWN;
			return true;
		}
		e = set_find(n->map->set, key);
		if (e < 0) {
			*res = T_FALSE; /* no mapping: the expression breaks, rule does not match */
			return true;
		}
		mv = &n->map->set->vals[n->map->set->elems[e].data];
		for (unsigned i = 0; i < n->map->set->ndata;
		     off += n->map->set->data[i].width, i++) {
			const struct fw_comp *dc = &n->map->set->data[i];

			if (dc->field == FW_F_DADDR) {
				memset(addr, 0, 16);
				memcpy(addr, mv->v + off, dc->width);
			} else if (dc->field == FW_F_DPORT) {
				port = (uint16_t)(mv->v[off] << 8 | mv->v[off + 1]);
			}
		}
	}
	if (n->has_addr) {
		memset(addr, 0, 16);
		memcpy(addr, n->addr, n->family == 6 ? 16 : 4);
	}
	if (n->has_port)
		port = n->port;
	memcpy(s->daddr, addr, 16);
	s->dport = port;
	s->natted = true;
	s->nat_by = ref_of(s, r);
	s->ctstatus |= CT_STATUS_DNAT;
	(void)ev;
	return true;
}

/* Whether a later match of rule r (from item i on, before any effect) is surely false. */
static bool later_false(struct ev *ev, const struct state *s, const struct fw_rule *r, size_t i)
{
	for (; i < r->nitems; i++) {
		const struct fw_item *it = &r->items[i];
		struct region in;
		enum tri t;

		if (it->kind == FW_ITEM_NOP || it->kind == FW_ITEM_UNKNOWN_COND)
			continue;
		if (it->kind != FW_ITEM_MATCH)
			return false;
		t = eval_match(ev, s, &it->match, &in);
		if (t == T_SPLIT)
			region_free(&in);
		if (t == T_FALSE)
			return true;
	}
	return false;
}

/* The signature an outcome is compared by when a fork has to agree. */
static bool same_end(const struct fw_outcome *a, const struct fw_outcome *b)
{
	return a->result == b->result && a->reject == b->reject && a->natted == b->natted &&
	       a->dport == b->dport && memcmp(a->daddr, b->daddr, 16) == 0 && a->local == b->local;
}

/* Forks at an unknown condition: both ways; agree → keep, else unknown naming the rule. */
static void fork_unknown(struct ev *ev, struct collect *c, struct state *s, const struct fw_rule *r,
                         size_t item, const char *what)
{
	struct fw_outcome va[FW_MAX_OUTCOMES], vb[FW_MAX_OUTCOMES];
	struct collect ca = {.v = va, .max = FW_MAX_OUTCOMES},
	               cb = {.v = vb, .max = FW_MAX_OUTCOMES};
	struct state a;
	bool agree = true;
	char why[160];

	if (++ev->forks <= FORK_BUDGET && state_copy(&a, s) == 0) {
		struct state b;

		run(ev, &ca, &a, r, item + 1); /* as if it held */
		region_free(&a.src);
		if (state_copy(&b, s) < 0) {
			ev->err = -ENOMEM;
			return;
		}
		run(ev, &cb, &b, NULL, 0); /* as if not: on with the next rule */
		region_free(&b.src);
		for (size_t i = 0; i < ca.n + cb.n && agree; i++) {
			const struct fw_outcome *o = i < ca.n ? &va[i] : &vb[i - ca.n];

			agree = same_end(o, ca.n ? &va[0] : &vb[0]) && o->result != FW_UNKNOWN;
		}
		if (agree && !ca.overflow && !cb.overflow && ca.n && cb.n) {
			/* both ways partition the same sources alike: the way past the rule stands
			 */
			for (size_t i = 0; i < cb.n; i++) {
				if (c->n == c->max) {
					c->overflow = true;
					break;
				}
				if (!vb[i].why[0])
					snprintf(vb[i].why, sizeof(vb[i].why),
					         "the same whether or not handle %llu matches (%s)",
					         (unsigned long long)r->handle,
					         what ? what : "not evaluated");
				c->v[c->n++] = vb[i];
			}
			return;
		}
	}
	{
		struct fw_ref by = ref_of(s, r);

		snprintf(why, sizeof(why), "%s", what ? what : "expression not evaluated");
		emit_result(ev, c, s, FW_UNKNOWN, &by, why);
	}
}

/* Applies verdict v of rule r; returns true when the walk goes on in s. */
static bool apply_verdict(struct ev *ev, struct collect *c, struct state *s,
                          const struct fw_rule *r, enum fw_verdict v, uint32_t target,
                          enum fw_reject how, uint8_t code)
{
	struct fw_ref by = ref_of(s, r);

	switch (v) {
	case FW_VERDICT_NONE:
	case FW_VERDICT_CONTINUE:
		return true;
	case FW_VERDICT_ACCEPT:
		s->acc_rule = by;
		end_base_accept(s);
		return true;
	case FW_VERDICT_DROP:
		emit_result(ev, c, s, FW_DROPPED, &by, NULL);
		return false;
	case FW_VERDICT_REJECT: {
		struct fw_outcome o;

		memset(&o, 0, sizeof(o));
		o.result = FW_REJECTED;
		o.reject = how;
		o.reject_code = code;
		o.by = by;
		o.hook = stage_hook[s->stage];
		emit(ev, c, s, &o);
		return false;
	}
	case FW_VERDICT_JUMP:
	case FW_VERDICT_GOTO: {
		const struct fw_table *t = s->stack[s->depth - 1].table;
		bool from_base = s->depth == 1;

		if (target >= t->nchains) {
			emit_result(ev, c, s, FW_UNKNOWN, &by, "jump to a missing chain");
			return false;
		}
		if (v == FW_VERDICT_GOTO && !from_base)
			s->depth--; /* goto replaces the frame */
		if (!push(s, t, &t->chains[target])) {
			emit_result(ev, c, s, FW_UNKNOWN, &by, "jumps nested too deep");
			return false;
		}
		if (v == FW_VERDICT_GOTO && from_base)
			s->stack[0].next = s->stack[0].chain->nrules; /* its end is the policy */
		return true;
	}
	case FW_VERDICT_RETURN:
		if (s->depth == 1)
			s->stack[0].next =
			    s->stack[0].chain->nrules; /* return in a base chain: policy */
		else
			s->depth--;
		return true;
	case FW_VERDICT_QUEUE:
		break;
	}
	emit_result(ev, c, s, FW_UNKNOWN, &by, "queued to user space");
	return false;
}

/* A verdict map: by key; keyed on the source, one branch per element the sources reach. */
static bool exec_vmap(struct ev *ev, struct collect *c, struct state *s, const struct fw_rule *r,
                      size_t i, const struct fw_item *it)
{
	uint8_t key[FW_KEY_MAX];
	const struct fw_set *set = it->match.set;
	int at = saddr_comp(&it->match);
	struct region rest;
	long e;

	if (!set || set->why || at == -2 || (at >= 0 && it->match.has_mask)) {
		fork_unknown(ev, c, s, r, i, "verdict map not evaluated");
		return false;
	}
	switch (build_key(ev, s, &it->match, at, key)) {
	case 0:
		return true;
	case -1:
		fork_unknown(ev, c, s, r, i, "verdict map key not known");
		return false;
	}
	if (at < 0) {
		const struct fw_mapval *mv;

		e = set_find(set, key);
		if (e < 0)
			return true;
		mv = &set->vals[set->elems[e].data];
		return apply_verdict(ev, c, s, r, mv->verdict, mv->target, FW_REJECT_DEFAULT, 3);
	}
	if (region_copy(&rest, &s->src) < 0) {
		ev->err = -ENOMEM;
		return false;
	}
	for (size_t k = 0; k < set->nelems && rest.n && !ev->err; k++) {
		struct state view = *s, a;
		struct region part, left;

		view.src = rest; /* borrowed */
		if (saddr_elems(ev, &view, &it->match, at, key, (long)k, &part) < 0) {
			ev->err = -ENOMEM;
			break;
		}
		if (region_minus(&rest, &part, &left) < 0) {
			region_free(&part);
			ev->err = -ENOMEM;
			break;
		}
		if (part.n && state_copy(&a, s) == 0) {
			const struct fw_mapval *mv = &set->vals[set->elems[k].data];

			region_free(&a.src);
			a.src = part; /* a owns it now */
			if (apply_verdict(ev, c, &a, r, mv->verdict, mv->target, FW_REJECT_DEFAULT,
			                  3))
				run(ev, c, &a, NULL, 0);
			region_free(&a.src);
		} else {
			region_free(&part);
		}
		region_free(&rest);
		rest = left;
	}
	region_free(&s->src);
	s->src = rest;
	return !ev->err;
}

/* Runs rule r from item on; returns true when the walk goes on in s (next rule or frame). */
static bool exec_rule(struct ev *ev, struct collect *c, struct state *s, const struct fw_rule *r,
                      size_t item)
{
	for (size_t i = item; i < r->nitems; i++) {
		const struct fw_item *it = &r->items[i];
		struct region in;
		enum tri t;

		if (it->only_family && it->only_family != s->family)
			return true;
		switch (it->kind) {
		case FW_ITEM_NOP:
			continue;
		case FW_ITEM_MATCH:
			t = eval_match(ev, s, &it->match, &in);
			if (t == T_FALSE)
				return true;
			if (t == T_TRUE)
				continue;
			if (t == T_SPLIT) {
				struct state a;
				struct region rest;

				if (ev->forks++ > FORK_BUDGET * 4 || state_copy(&a, s) < 0 ||
				    region_minus(&s->src, &in, &rest) < 0) {
					region_free(&in);
					fork_unknown(ev, c, s, r, i,
					             "too many source-address branches");
					return false;
				}
				region_free(&a.src);
				a.src = in;
				run(ev, c, &a, r, i + 1);
				region_free(&a.src);
				region_free(&s->src);
				s->src = rest;
				return true; /* the rest: the rule did not match */
			}
			if (later_false(ev, s, r, i + 1))
				return true;
			fork_unknown(ev, c, s, r, i, "match not evaluated");
			return false;
		case FW_ITEM_UNKNOWN_COND:
			if (later_false(ev, s, r, i + 1))
				return true;
			fork_unknown(ev, c, s, r, i, it->why);
			return false;
		case FW_ITEM_UNKNOWN_STMT: {
			struct fw_ref by = ref_of(s, r);

			emit_result(ev, c, s, FW_UNKNOWN, &by, it->why ? it->why : "statement");
			return false;
		}
		case FW_ITEM_MARK_SET:
			s->mark = it->mark;
			continue;
		case FW_ITEM_NOTRACK:
			s->ctstate = CT_UNTRACKED;
			continue;
		case FW_ITEM_NAT: {
			if (s->stack[0].chain->type != FW_CHAIN_NAT) {
				struct fw_ref by = ref_of(s, r);

				emit_result(ev, c, s, FW_UNKNOWN, &by, "nat outside a nat chain");
				return false;
			}
			if (!apply_nat(ev, c, s, it, r, &t))
				return false;
			if (t == T_FALSE)
				return true;
			if (t == T_UNKNOWN) {
				struct fw_ref by = ref_of(s, r);

				emit_result(ev, c, s, FW_UNKNOWN, &by, "nat mapping not evaluated");
				return false;
			}
			if (s->stage == ST_PREROUTING)
				s->base_nat_done = true;
			end_base_accept(s); /* nat is final for its chain */
			return true;
		}
		case FW_ITEM_VERDICT:
			if (it->verdict == FW_VERDICT_REJECT && it->reject == FW_REJECT_TCP_RST &&
			    s->proto != IPPROTO_TCP)
				return true; /* the implied "meta l4proto tcp" */
			return apply_verdict(ev, c, s, r, it->verdict, it->target, it->reject,
			                     it->reject_code);
		case FW_ITEM_VMAP:
			return exec_vmap(ev, c, s, r, i, it);
		}
	}
	return true;
}

static void run(struct ev *ev, struct collect *c, struct state *s, const struct fw_rule *resume,
                size_t item)
{
	if (resume && !exec_rule(ev, c, s, resume, item))
		return;
	while (!ev->err) {
		const struct fw_rule *r;

		if (s->src.n == 0)
			return;
		if (s->depth == 0) {
			/* the next base chain of this stage, else the next stage */
			while (s->base < ev->rs->nbases &&
			       !base_applies(s, &ev->rs->bases[s->base]) &&
			       ev->rs->bases[s->base].hook <= stage_hook[s->stage])
				s->base++;
			if (s->base < ev->rs->nbases &&
			    ev->rs->bases[s->base].hook == stage_hook[s->stage]) {
				const struct fw_base *b = &ev->rs->bases[s->base];

				push(s, b->table, b->chain);
				s->cur_base = (struct fw_ref){.table = b->table, .chain = b->chain};
				continue;
			}
			switch (s->stage) {
			case ST_INGRESS:
				s->stage = ST_PREROUTING;
				break;
			case ST_PREROUTING:
				if (!route(ev, c, s))
					return;
				break;
			case ST_INPUT:
			case ST_POSTROUTING: {
				struct fw_ref by = s->acc_rule.table ? s->acc_rule : s->acc_policy;

				emit_result(ev, c, s, FW_ACCEPTED, &by, NULL);
				return;
			}
			case ST_FORWARD:
				s->stage = ST_POSTROUTING;
				break;
			}
			/* rescan the bases from the start for the new stage */
			s->base = 0;
			continue;
		}
		if (++ev->steps > STEP_BUDGET) {
			emit_result(ev, c, s, FW_UNKNOWN, NULL, "evaluation too long");
			return;
		}
		r = next_rule(s);
		if (!r) {
			/* end of chain: a regular chain returns, a base chain applies its policy */
			if (s->depth > 1) {
				s->depth--;
				continue;
			}
			if (s->stack[0].chain->policy == FW_VERDICT_DROP) {
				struct fw_ref by = {.table = s->stack[0].table,
				                    .chain = s->stack[0].chain};

				emit_result(ev, c, s, FW_DROPPED, &by, NULL);
				return;
			}
			s->acc_policy =
			    (struct fw_ref){.table = s->stack[0].table, .chain = s->stack[0].chain};
			end_base_accept(s);
			continue;
		}
		if (!exec_rule(ev, c, s, r, 0))
			return;
	}
}

/* The sources: every address of the family but loopback and the host's own. */
static int make_domain(const struct fw_env *env, const struct fw_query *q, struct region *d)
{
	struct region all = {0}, minus = {0};
	int rc;

	memset(d, 0, sizeof(*d));
	if (q->have_saddr) {
		fw_u128 v = fw_addr_to_u128(q->family, q->saddr);

		return region_push(d, v, v);
	}
	if (region_push(&all, 0, q->family == 6 ? (fw_u128)-1 : 0xffffffffu) < 0)
		return -ENOMEM;
	if (q->family == 4)
		rc = region_push(&minus, (fw_u128)127 << 24, ((fw_u128)128 << 24) - 1);
	else
		rc = region_push(&minus, 1, 1);
	for (size_t i = 0; rc == 0 && i < env->naddrs; i++)
		if (env->addrs[i].family == q->family) {
			fw_u128 v = fw_addr_to_u128(q->family, env->addrs[i].addr);

			rc = region_push(&minus, v, v);
		}
	if (rc == 0)
		rc = region_norm(&minus);
	if (rc == 0)
		rc = region_minus(&all, &minus, d);
	region_free(&all);
	region_free(&minus);
	return rc;
}

static bool same_outcome(const struct fw_outcome *a, const struct fw_outcome *b)
{
	return same_end(a, b) && a->reject_code == b->reject_code && a->by.rule == b->by.rule &&
	       a->by.chain == b->by.chain && a->nat_by.rule == b->nat_by.rule &&
	       a->hook == b->hook && strcmp(a->why, b->why) == 0;
}

/* Merges outcomes that differ only in their sources. */
static size_t merge(struct ev *ev, struct fw_outcome *v, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < out; j++)
			if (same_outcome(&v[j], &v[i]))
				break;
		if (j == out) {
			v[out++] = v[i];
			continue;
		}
		/* union of the two source lists */
		struct region r = {0};

		for (size_t k = 0; k < v[j].nsrc; k++)
			region_push(&r, v[j].src_lo[k], v[j].src_hi[k]);
		for (size_t k = 0; k < v[i].nsrc; k++)
			region_push(&r, v[i].src_lo[k], v[i].src_hi[k]);
		if (region_norm(&r) == 0) {
			bool more = v[j].src_more || v[i].src_more;

			fill_src(ev, &r, &v[j]);
			v[j].src_more |= more;
		}
		region_free(&r);
	}
	return out;
}

int fw_eval(const struct fw_ruleset *rs, const struct fw_env *env, const struct fw_query *q,
            struct fw_outcome *out, size_t max)
{
	struct ev ev = {.rs = rs, .env = env, .q = q};
	struct collect c = {.v = out, .max = max};
	struct state s;

	if (!rs || !env || !q || !out || max == 0 || (q->family != 4 && q->family != 6) ||
	    !q->iifname || strlen(q->iifname) >= FW_IFNAMSIZ)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.family = q->family;
	s.proto = q->proto;
	memcpy(s.daddr, q->daddr, q->family == 6 ? 16 : 4);
	memcpy(s.odaddr, s.daddr, 16);
	s.dport = s.odport = q->dport;
	s.sport = q->sport ? q->sport : 40000;
	s.icmp_type = q->icmp_type;
	s.hoplimit = q->hoplimit;
	snprintf(s.iif, sizeof(s.iif), "%s", q->iifname);
	s.ctstate = CT_NEW;
	s.stage = ST_INGRESS;
	if (make_domain(env, q, &ev.domain) < 0 || region_copy(&s.src, &ev.domain) < 0) {
		region_free(&ev.domain);
		return -ENOMEM;
	}
	run(&ev, &c, &s, NULL, 0);
	region_free(&s.src);
	if (ev.err) {
		region_free(&ev.domain);
		return ev.err;
	}
	c.n = merge(&ev, out, c.n);
	if (c.overflow && c.n < max) {
		struct fw_outcome *o = &out[c.n++];

		memset(o, 0, sizeof(*o));
		o->result = FW_UNKNOWN;
		snprintf(o->why, sizeof(o->why), "too many distinct outcomes");
	}
	region_free(&ev.domain);
	return c.n ? (int)c.n : -EINVAL;
}

const char *fw_result_name(enum fw_result r)
{
	switch (r) {
	case FW_ACCEPTED:
		return "accepted";
	case FW_DROPPED:
		return "dropped";
	case FW_REJECTED:
		return "rejected";
	case FW_UNKNOWN:
		break;
	}
	return "unknown";
}

char *fw_ref_format(const struct fw_ref *ref, char *buf, size_t len)
{
	if (!ref->table || !ref->chain) {
		snprintf(buf, len, "no rule");
		return buf;
	}
	if (!ref->rule)
		snprintf(buf, len, "%s %s %s policy %s", fw_family_name(ref->table->family),
		         ref->table->name, ref->chain->name,
		         ref->chain->policy == FW_VERDICT_DROP ? "drop" : "accept");
	else
		snprintf(buf, len, "%s %s %s handle %llu: %s", fw_family_name(ref->table->family),
		         ref->table->name, ref->chain->name, (unsigned long long)ref->rule->handle,
		         ref->rule->text ? ref->rule->text : "");
	return buf;
}
