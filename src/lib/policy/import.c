/* policy import: the live input path in the docs' language, by meaning (import.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/import.h"
#include "policy/policy.h"
#include "util/array.h"

#define OUTCOMES_MAX   256  /* outcomes of one evaluation */
#define SOURCES_MAX    4096 /* source stretches judged one by one when the evaluator lumps */
#define FROM_PER_RULE  256  /* prefixes in one FROM list (the language takes 1,024) */
#define PORTS_PER_RULE 256  /* ranges in one PORT list */

typedef fw_u128 u128;

enum verdict {
	V_ALLOW,
	V_DENY,
	V_REJECT,
	V_UNKNOWN,
};

struct span {
	u128 lo, hi;
};

/* Sources of one family that fare alike, and what decided for them. */
struct group {
	enum verdict v;
	struct fw_ref by;
	bool by_route;
	struct span *s;
	size_t n, cap;
	u128 size; /* addresses, saturating */
};

/* One family's verdicts for one protocol and stretch of ports. */
struct decision {
	struct group *g;
	size_t n;
	char why[160]; /* an unknown verdict's reason */
	char *key;     /* canonical text, to tell decisions apart */
};

/* A stretch of ports of one protocol that fares alike in both families. */
struct block {
	int proto; /* 0 tcp, 1 udp */
	uint32_t lo, hi;
	const struct decision *d[2]; /* IPv4, IPv6 (NULL: the family is not judged) */
	const char *key;
};

struct importer {
	const struct fw_ruleset *rs;
	const struct fw_env *env;
	const char *iif;
	bool have[2]; /* a local address of the family to judge connections to */
	uint8_t daddr[2][16];
	uint32_t *ports; /* port boundaries: stretches start there */
	size_t nports, pcap;
	u128 *srcb[2]; /* source boundaries per family (for the one-by-one fallback) */
	size_t nsrcb[2], scap[2];
	struct span *excl[2]; /* sources the evaluator leaves out: loopback, own addresses */
	size_t nexcl[2], ecap[2];
	struct fw_outcome *out;
	struct policy_import_stats st;
	FILE *f;
};

/* ---- boundaries the ruleset draws ---- */

static int add_port(struct importer *im, uint32_t p)
{
	if (p == 0 || p > 65535)
		return 0;
	if (GREEDY_REALLOC(im->ports, im->pcap, im->nports + 1) < 0)
		return -ENOMEM;
	im->ports[im->nports++] = p;
	return 0;
}

static int add_src(struct importer *im, int fi, u128 v)
{
	if (GREEDY_REALLOC(im->srcb[fi], im->scap[fi], im->nsrcb[fi] + 1) < 0)
		return -ENOMEM;
	im->srcb[fi][im->nsrcb[fi]++] = v;
	return 0;
}

static u128 be_value(const uint8_t *b, unsigned w)
{
	u128 v = 0;

	for (unsigned i = 0; i < w; i++)
		v = (v << 8) | b[i];
	return v;
}

/* The boundaries one match draws on destination ports and source addresses. */
static int match_bounds(struct importer *im, const struct fw_match *m)
{
	unsigned off = 0;
	int rc = 0;

	if (!m->set)
		return 0;
	for (unsigned c = 0; c < m->ncomp && rc == 0; off += m->comp[c].width, c++) {
		const struct fw_comp *comp = &m->comp[c];
		bool port = comp->field == FW_F_DPORT || comp->field == FW_F_CT_ODPORT;
		bool src = comp->field == FW_F_SADDR;

		if (!port && !src)
			continue;
		for (size_t e = 0; e < m->set->nelems && rc == 0; e++) {
			const struct fw_elem *el = &m->set->elems[e];
			u128 lo, hi;

			if (el->catchall || off + comp->width > FW_KEY_MAX)
				continue;
			lo = be_value(el->lo + off, comp->width);
			hi = be_value(el->hi + off, comp->width);
			if (port) {
				rc = add_port(im, (uint32_t)lo);
				if (rc == 0)
					rc = add_port(im, (uint32_t)hi + 1);
				/* a comparison (<, >) cuts at its value too */
				if (rc == 0 && m->op != FW_OP_EQ && m->op != FW_OP_NE)
					rc = add_port(im, (uint32_t)lo + 1);
			} else {
				int fi = comp->family == 6 ? 1 : 0;
				rc = add_src(im, fi, lo);
				if (rc == 0 && hi + 1 != 0)
					rc = add_src(im, fi, hi + 1);
			}
		}
	}
	return rc;
}

static int collect_bounds(struct importer *im)
{
	int rc = add_port(im, 1);

	for (size_t t = 0; t < im->rs->ntables && rc == 0; t++)
		for (size_t c = 0; c < im->rs->tables[t].nchains && rc == 0; c++) {
			const struct fw_chain *ch = &im->rs->tables[t].chains[c];

			for (size_t r = 0; r < ch->nrules && rc == 0; r++)
				for (size_t i = 0; i < ch->rules[r].nitems && rc == 0; i++) {
					const struct fw_item *it = &ch->rules[r].items[i];

					if (it->kind == FW_ITEM_MATCH || it->kind == FW_ITEM_VMAP)
						rc = match_bounds(im, &it->match);
					else if (it->kind == FW_ITEM_NAT && it->nat.map)
						rc = match_bounds(im, it->nat.map);
				}
		}
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and drops repeats. */
static size_t uniq(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *p = v;
	size_t m = 0;

	if (n == 0)
		return 0;
	qsort(v, n, size, cmp);
	for (size_t i = 1; i < n; i++)
		if (cmp(p + m * size, p + i * size) != 0)
			memcpy(p + ++m * size, p + i * size, size);
	return m + 1;
}

/* ---- judging ---- */

static enum verdict verdict_of(enum fw_result r)
{
	switch (r) {
	case FW_ACCEPTED:
		return V_ALLOW;
	case FW_DROPPED:
		return V_DENY;
	case FW_REJECTED:
		return V_REJECT;
	case FW_UNKNOWN:
		break;
	}
	return V_UNKNOWN;
}

static bool same_by(const struct group *g, const struct fw_outcome *o)
{
	return g->v == verdict_of(o->result) && g->by.table == o->by.table &&
	       g->by.chain == o->by.chain && g->by.rule == o->by.rule && g->by_route == o->by_route;
}

static u128 sat_add(u128 a, u128 b)
{
	return a + b < a ? ~(u128)0 : a + b;
}

/* Adds sources lo..hi to d's group for outcome o. */
static int decision_add(struct decision *d, const struct fw_outcome *o, u128 lo, u128 hi)
{
	struct group *g = NULL;

	for (size_t i = 0; i < d->n && !g; i++)
		if (same_by(&d->g[i], o))
			g = &d->g[i];
	if (!g) {
		struct group *v = realloc(d->g, (d->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->g = v;
		g = &d->g[d->n++];
		*g = (struct group){
		    .v = verdict_of(o->result), .by = o->by, .by_route = o->by_route};
	}
	if (g->v == V_UNKNOWN && !d->why[0])
		snprintf(d->why, sizeof(d->why), "%s", o->why);
	if (policy_grow((void **)&g->s, &g->cap, g->n, sizeof(*g->s)) < 0)
		return -ENOMEM;
	g->s[g->n++] = (struct span){.lo = lo, .hi = hi};
	g->size = sat_add(g->size, hi - lo == ~(u128)0 ? hi - lo : hi - lo + 1);
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->s[0].lo < y->s[0].lo ? -1 : x->s[0].lo > y->s[0].lo;
}

/* Whether every address of lo..hi is one the evaluator leaves out (sorted, joined spans). */
static bool left_out(const struct span *ex, size_t n, u128 lo, u128 hi)
{
	for (size_t i = 0; i < n; i++)
		if (ex[i].lo <= lo && hi <= ex[i].hi)
			return true;
	return false;
}

/*
 * Sorts and joins each group's spans (across gaps of left-out addresses, so a
 * network is not cut around the host's own address), orders the groups,
 * writes the canonical key.
 */
static int decision_finish(struct decision *d, const struct span *ex, size_t nex)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < d->n; i++) {
		struct group *g = &d->g[i];
		size_t m = 0;

		qsort(g->s, g->n, sizeof(*g->s), cmp_span);
		for (size_t k = 0; k < g->n; k++) {
			if (m && g->s[m - 1].hi + 1 != 0 &&
			    (g->s[k].lo <= g->s[m - 1].hi + 1 ||
			     left_out(ex, nex, g->s[m - 1].hi + 1, g->s[k].lo - 1))) {
				if (g->s[k].hi > g->s[m - 1].hi)
					g->s[m - 1].hi = g->s[k].hi;
			} else {
				g->s[m++] = g->s[k];
			}
		}
		g->n = m;
	}
	if (d->n > 1)
		qsort(d->g, d->n, sizeof(*d->g), cmp_group);
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++) {
		const struct group *g = &d->g[i];

		fprintf(f, "%d:%p:%p:%p:%d", g->v, (const void *)g->by.table,
		        (const void *)g->by.chain, (const void *)g->by.rule, g->by_route);
		for (size_t k = 0; k < g->n; k++)
			fprintf(
			    f, ",%llx%016llx-%llx%016llx", (unsigned long long)(g->s[k].lo >> 64),
			    (unsigned long long)g->s[k].lo, (unsigned long long)(g->s[k].hi >> 64),
			    (unsigned long long)g->s[k].hi);
		fputc(';', f);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	d->key = buf;
	return 0;
}

static void decision_free(struct decision *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->g[i].s);
	free(d->g);
	free(d->key);
}

/* One evaluator run; returns its number of outcomes or a negative errno. */
static int judge(struct importer *im, int fi, int proto, uint32_t port, const u128 *src)
{
	struct fw_query q = {.family = fi ? 6 : 4,
	                     .proto = proto ? IPPROTO_UDP : IPPROTO_TCP,
	                     .dport = (uint16_t)port,
	                     .iifname = im->iif};

	memcpy(q.daddr, im->daddr[fi], 16);
	if (src) {
		q.have_saddr = true;
		fw_u128_to_addr(q.family, *src, q.saddr);
	}
	im->st.evaluations++;
	return fw_eval(im->rs, im->env, &q, im->out, OUTCOMES_MAX);
}

/* The verdicts for sources of family fi connecting to port (one port of a stretch). */
static int decide(struct importer *im, int fi, int proto, uint32_t port, struct decision *d)
{
	bool lumped = false;
	int n = judge(im, fi, proto, port, NULL), rc = 0;

	if (n < 0)
		return n;
	/* an unknown verdict for many sources may be known for each (both branches alike) */
	for (int i = 0; i < n; i++)
		lumped = lumped || im->out[i].src_more || im->out[i].result == FW_UNKNOWN;
	if (!lumped) {
		for (int i = 0; i < n && rc == 0; i++) {
			const struct fw_outcome *o = &im->out[i];
			if (o->src_all)
				rc = decision_add(d, o, 0, fi ? ~(u128)0 : 0xffffffffu);
			for (size_t k = 0; k < o->nsrc && rc == 0 && !o->src_all; k++)
				rc = decision_add(d, o, o->src_lo[k], o->src_hi[k]);
		}
		return rc;
	}
	/* more source stretches than an outcome holds: judge them one by one */
	if (im->nsrcb[fi] > SOURCES_MAX) {
		struct fw_outcome u = {.result = FW_UNKNOWN};
		snprintf(u.why, sizeof(u.why), "more than %d source ranges to tell apart",
		         SOURCES_MAX);
		return decision_add(d, &u, 0, fi ? ~(u128)0 : 0xffffffffu);
	}
	for (size_t b = 0; b < im->nsrcb[fi] && rc == 0; b++) {
		u128 lo = im->srcb[fi][b];
		u128 hi = b + 1 < im->nsrcb[fi] ? im->srcb[fi][b + 1] - 1
		                                : (fi ? ~(u128)0 : (u128)0xffffffffu);
		n = judge(im, fi, proto, port, &lo);
		if (n < 0)
			return n;
		rc = decision_add(d, &im->out[0], lo, hi);
	}
	return rc;
}

/* ---- writing ---- */

/* A label from what decided: "inet filter input #6", "ip filter INPUT policy drop". */
static void label_of(const struct group *g, char *buf, size_t len)
{
	size_t o = 0;

	if (g->by_route)
		snprintf(buf, len, "routing");
	else if (!g->by.table || !g->by.chain)
		snprintf(buf, len, "no rule");
	else if (g->by.rule)
		snprintf(buf, len, "%s %s %s #%llu", fw_family_name(g->by.table->family),
		         g->by.table->name, g->by.chain->name,
		         (unsigned long long)g->by.rule->handle);
	else
		snprintf(buf, len, "%s %s %s policy %s", fw_family_name(g->by.table->family),
		         g->by.table->name, g->by.chain->name,
		         g->by.chain->policy == FW_VERDICT_DROP ? "drop" : "accept");
	/* what a label may hold: printable ASCII but " ( ) */
	for (size_t i = 0; buf[i]; i++) {
		char c = buf[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '(' || c == ')')
			c = '_';
		buf[o++] = c;
	}
	buf[o > POLICY_LABEL_MAX ? POLICY_LABEL_MAX : o] = '\0';
}

static const char *action_word(enum verdict v)
{
	return v == V_ALLOW ? "ALLOW" : v == V_REJECT ? "REJECT" : "DENY";
}

/*
 * Writes *lo..hi of family fi as CIDR blocks (", " between them), while *count
 * stays below max; *lo moves past what was written. Returns whether all is.
 */
static bool put_cidrs(FILE *f, int fi, u128 *lo, u128 hi, size_t *count, size_t max)
{
	unsigned bits = fi ? 128 : 32;

	while (*count < max) {
		unsigned len = bits, host;
		uint8_t a[16] = {0};
		char s[INET6_ADDRSTRLEN];
		u128 last;

		/* the largest block that starts at *lo and ends by hi */
		while (len > 0) {
			unsigned h = bits - len + 1;
			u128 mask = h >= 128 ? ~(u128)0 : ((u128)1 << h) - 1;
			if ((*lo & mask) || (*lo | mask) > hi)
				break;
			len--;
		}
		fw_u128_to_addr(fi ? 6 : 4, *lo, a);
		inet_ntop(fi ? AF_INET6 : AF_INET, a, s, sizeof(s));
		fprintf(f, "%s%s", *count ? ", " : "", s);
		if (len != bits)
			fprintf(f, "/%u", len);
		(*count)++;
		host = bits - len;
		last = *lo | (host >= 128 ? ~(u128)0 : ((u128)1 << host) - 1);
		if (last >= hi)
			return true;
		*lo = last + 1;
	}
	return false;
}

static void put_ports(FILE *f, const struct block *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%u", i ? "," : "", b[i]->lo);
		if (b[i]->hi != b[i]->lo)
			fprintf(f, "-%u", b[i]->hi);
	}
}

/* The head of a rule: "ALLOW TCP PORT 80,443". */
static void put_head(FILE *f, enum verdict v, const char *proto, const struct block *const *b,
                     size_t n)
{
	fprintf(f, "%s %s", action_word(v), proto);
	if (n == 1 && b[0]->lo == 1 && b[0]->hi == 65535)
		return;
	fputs(" PORT ", f);
	put_ports(f, b, n);
}

/* One group of family fi as rules with FROM lists (split when long). */
static void put_group(struct importer *im, const struct group *g, int fi, const char *proto,
                      const struct block *const *b, size_t n)
{
	char label[POLICY_LABEL_MAX + 64];
	size_t k = 0;
	u128 lo;

	label_of(g, label, sizeof(label));
	lo = g->n ? g->s[0].lo : 0;
	while (k < g->n) {
		size_t count = 0;

		put_head(im->f, g->v, proto, b, n);
		fputs(" FROM ", im->f);
		while (k < g->n && count < FROM_PER_RULE) {
			if (!put_cidrs(im->f, fi, &lo, g->s[k].hi, &count, FROM_PER_RULE))
				break; /* this list is full: the stretch goes on in the next rule */
			if (++k < g->n)
				lo = g->s[k].lo;
		}
		fprintf(im->f, " (%s)\n", label);
		im->st.rules++;
	}
}

/* The group of d that holds the most sources: what "everyone else" gets. */
static const struct group *rest_of(const struct decision *d)
{
	const struct group *best = NULL;

	for (size_t i = 0; d && i < d->n; i++)
		if (d->g[i].v != V_UNKNOWN && (!best || d->g[i].size > best->size))
			best = &d->g[i];
	return best;
}

/* The rules for stretches b[0..n) of protocol word proto that share decisions d. */
static void put_blocks(struct importer *im, const char *proto, const struct block *const *b,
                       size_t n)
{
	const struct group *rest[2] = {rest_of(b[0]->d[0]), rest_of(b[0]->d[1])};
	char label[POLICY_LABEL_MAX + 64];

	for (size_t c = 0; c < n; c += PORTS_PER_RULE) {
		size_t m = n - c < PORTS_PER_RULE ? n - c : PORTS_PER_RULE;

		for (int fi = 0; fi < 2; fi++) {
			const struct decision *d = b[0]->d[fi];

			for (size_t i = 0; d && i < d->n; i++) {
				const struct group *g = &d->g[i];

				if (g->v == V_UNKNOWN) {
					fprintf(im->f,
					        "# unknown for %s port %u%s from some IPv%c "
					        "sources: %s\n",
					        proto, b[c]->lo, m > 1 ? " and others" : "",
					        fi ? '6' : '4', d->why);
					im->st.unknown++;
					continue;
				}
				if (g == rest[fi] || (rest[fi] && g->v == rest[fi]->v))
					continue; /* everyone else's verdict covers it */
				put_group(im, g, fi, proto, b + c, m);
			}
		}
		/* everyone else */
		if (rest[0] && rest[1] && rest[0]->v == rest[1]->v) {
			if (rest[0]->v == V_DENY)
				continue; /* the policy's default */
			label_of(rest[0], label, sizeof(label));
			put_head(im->f, rest[0]->v, proto, b + c, m);
			fprintf(im->f, " (%s)\n", label);
			im->st.rules++;
			continue;
		}
		for (int fi = 0; fi < 2; fi++) {
			if (!rest[fi] || rest[fi]->v == V_DENY)
				continue;
			label_of(rest[fi], label, sizeof(label));
			put_head(im->f, rest[fi]->v, proto, b + c, m);
			fprintf(im->f, " FROM %s (%s)\n", fi ? "::/0" : "0.0.0.0/0", label);
			im->st.rules++;
		}
	}
}

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = *(const struct block *const *)a,
	                   *y = *(const struct block *const *)b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_block_port(const void *a, const void *b)
{
	const struct block *const *x = a, *const *y = b;

	if ((*x)->lo != (*y)->lo)
		return (*x)->lo < (*y)->lo ? -1 : 1;
	return (*x)->proto - (*y)->proto;
}

/* Whether the TCP stretches t[0..n) and the UDP stretches u[0..n) are the same ports. */
static bool same_ports(const struct block *const *t, const struct block *const *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i]->lo != u[i]->lo || t[i]->hi != u[i]->hi)
			return false;
	return true;
}

/* Groups the blocks by decision, one protocol or both (ANY), in port order. */
static int put_all(struct importer *im, struct block *blocks, size_t nb)
{
	const struct block **v = malloc((nb ? nb : 1) * sizeof(*v));
	struct {
		size_t at, n;
	} *runs = malloc((nb ? nb : 1) * sizeof(*runs));
	size_t nruns = 0;

	if (!v || !runs) {
		free(v);
		free(runs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nb; i++)
		v[i] = &blocks[i];
	qsort(v, nb, sizeof(*v), cmp_block);
	for (size_t i = 0; i < nb;) {
		size_t j = i;
		while (j < nb && !strcmp(v[j]->key, v[i]->key))
			j++;
		runs[nruns].at = i;
		runs[nruns++].n = j - i;
		i = j;
	}
	/* in the order of each run's first port, so the policy reads from low to high */
	for (size_t r = 0; r < nruns; r++)
		for (size_t s = r + 1; s < nruns; s++) {
			const struct block *a = v[runs[r].at], *b = v[runs[s].at];
			if (cmp_block_port(&b, &a) < 0) {
				size_t at = runs[r].at, n = runs[r].n;
				runs[r] = runs[s];
				runs[s].at = at;
				runs[s].n = n;
			}
		}
	for (size_t r = 0; r < nruns; r++) {
		const struct block **b = v + runs[r].at;
		size_t n = runs[r].n, nt = 0;

		while (nt < n && b[nt]->proto == 0)
			nt++;
		if (nt * 2 == n && same_ports(b, b + nt, nt)) {
			put_blocks(im, "ANY", b, nt);
			continue;
		}
		if (nt)
			put_blocks(im, "TCP", b, nt);
		if (n > nt)
			put_blocks(im, "UDP", b + nt, n - nt);
	}
	free(v);
	free(runs);
	return 0;
}

/* ---- what the language cannot say ---- */

/* Why an item is more than protocol, destination port and source, or NULL. */
static const char *beyond(const struct fw_item *it)
{
	const struct fw_match *m = &it->match;

	switch (it->kind) {
	case FW_ITEM_MATCH:
	case FW_ITEM_VMAP:
		break;
	case FW_ITEM_NAT:
		return "translates the destination: its ports are judged after translation";
	case FW_ITEM_MARK_SET:
		return "sets a mark";
	case FW_ITEM_NOTRACK:
		return "turns connection tracking off";
	case FW_ITEM_UNKNOWN_COND:
	case FW_ITEM_UNKNOWN_STMT:
		return it->why ? it->why : "an expression portscope cannot evaluate";
	case FW_ITEM_VERDICT:
	case FW_ITEM_NOP:
		return NULL;
	}
	if (m->set && m->set->why)
		return "a set portscope could not read whole";
	for (unsigned c = 0; c < m->ncomp; c++)
		switch (m->comp[c].field) {
		case FW_F_IIFNAME:
			return "matches the arrival interface";
		case FW_F_OIFNAME:
			return "matches the outgoing interface";
		case FW_F_DADDR:
		case FW_F_CT_ODADDR:
		case FW_F_FIBTYPE:
		case FW_F_FIBOIF:
			return "matches the destination address or its route";
		case FW_F_SPORT:
			return "matches the source port";
		case FW_F_MARK:
		case FW_F_CTMARK:
			return "matches a mark";
		case FW_F_TCPFLAGS:
			return "matches TCP flags";
		case FW_F_PKTTYPE:
			return "matches the packet type (broadcast, multicast)";
		case FW_F_CTSTATUS:
		case FW_F_CTDIR:
			return "matches connection tracking status";
		default:
			break;
		}
	return NULL;
}

/* Whether a rule only lets the loopback in ("iif lo accept"): the compiled policy does that. */
static bool loopback_only(const struct fw_rule *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		const struct fw_item *it = &r->items[i];
		if (it->kind == FW_ITEM_MATCH && it->match.ncomp == 1 &&
		    it->match.comp[0].field == FW_F_IIFNAME && it->match.set &&
		    it->match.set->nelems == 1 && it->match.op == FW_OP_EQ &&
		    !strcmp((const char *)it->match.set->elems[0].lo, "lo"))
			return true;
	}
	return false;
}

/* Whether a rule can change a verdict: a verdict, a jump, a map of them, a translation... */
static bool has_effect(const struct fw_rule *r)
{
	for (size_t i = 0; i < r->nitems; i++)
		switch (r->items[i].kind) {
		case FW_ITEM_VERDICT:
		case FW_ITEM_VMAP:
		case FW_ITEM_NAT:
		case FW_ITEM_MARK_SET:
		case FW_ITEM_NOTRACK:
		case FW_ITEM_UNKNOWN_STMT:
			return true;
		default:
			break;
		}
	return false;
}

/* Whether a rule is for other protocols than TCP and UDP only (ICMP, ...). */
static bool other_protocol(const struct fw_rule *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		const struct fw_match *m = &r->items[i].match;
		bool tcp_udp = false;

		if (r->items[i].kind != FW_ITEM_MATCH || m->ncomp != 1 ||
		    m->comp[0].field != FW_F_L4PROTO || m->op != FW_OP_EQ || !m->set)
			continue;
		for (size_t e = 0; e < m->set->nelems; e++)
			tcp_udp = tcp_udp || m->set->elems[e].catchall ||
			          (m->set->elems[e].lo[0] <= IPPROTO_TCP &&
			           m->set->elems[e].hi[0] >= IPPROTO_TCP) ||
			          (m->set->elems[e].lo[0] <= IPPROTO_UDP &&
			           m->set->elems[e].hi[0] >= IPPROTO_UDP);
		if (!tcp_udp)
			return true;
	}
	return false;
}

/* Marks the chains of tb that a new connection on its way in can reach. */
static void reach(const struct fw_table *tb, size_t c, bool *seen)
{
	const struct fw_chain *ch = &tb->chains[c];

	if (seen[c])
		return;
	seen[c] = true;
	for (size_t r = 0; r < ch->nrules; r++)
		for (size_t i = 0; i < ch->rules[r].nitems; i++) {
			const struct fw_item *it = &ch->rules[r].items[i];

			if (it->kind == FW_ITEM_VERDICT &&
			    (it->verdict == FW_VERDICT_JUMP || it->verdict == FW_VERDICT_GOTO) &&
			    it->target < tb->nchains)
				reach(tb, it->target, seen);
			if (it->kind == FW_ITEM_VMAP && it->match.set)
				for (size_t v = 0; v < it->match.set->nvals; v++) {
					const struct fw_mapval *mv = &it->match.set->vals[v];
					if ((mv->verdict == FW_VERDICT_JUMP ||
					     mv->verdict == FW_VERDICT_GOTO) &&
					    mv->target < tb->nchains)
						reach(tb, mv->target, seen);
				}
		}
}

/*
 * Comments for each live rule on the way in (chains reached from ingress,
 * prerouting and input) that can change a TCP or UDP verdict and says more
 * than the language can.
 */
static int put_not_expressed(struct importer *im)
{
	for (size_t t = 0; t < im->rs->ntables; t++) {
		const struct fw_table *tb = &im->rs->tables[t];
		bool *seen;

		if (tb->family == FW_FAM_ARP || tb->family == FW_FAM_BRIDGE || !tb->nchains)
			continue;
		seen = calloc(tb->nchains, sizeof(*seen));
		if (!seen)
			return -ENOMEM;
		for (size_t c = 0; c < tb->nchains; c++)
			if (tb->chains[c].base && (tb->chains[c].hook == FW_HOOK_INPUT ||
			                           tb->chains[c].hook == FW_HOOK_PREROUTING ||
			                           tb->chains[c].hook == FW_HOOK_INGRESS))
				reach(tb, c, seen);
		for (size_t c = 0; c < tb->nchains; c++) {
			const struct fw_chain *ch = &tb->chains[c];

			for (size_t r = 0; seen[c] && r < ch->nrules; r++) {
				const struct fw_rule *ru = &ch->rules[r];
				const char *why = NULL;

				if (loopback_only(ru) || !has_effect(ru) || other_protocol(ru))
					continue;
				for (size_t i = 0; i < ru->nitems && !why; i++)
					why = beyond(&ru->items[i]);
				if (!why)
					continue;
				fprintf(im->f, "# not expressed: %s %s %s handle %llu: ",
				        fw_family_name(tb->family), tb->name, ch->name,
				        (unsigned long long)ru->handle);
				for (const char *s = ru->text ? ru->text : ""; *s; s++)
					fputc(*s < 0x20 || *s == 0x7f ? ' ' : *s, im->f);
				fprintf(im->f, "\n#   (%s; judged for new connections on %s)\n",
				        why, im->iif);
				im->st.not_expressed++;
			}
		}
		free(seen);
	}
	return 0;
}

/* ---- the whole ---- */

static int excl_add(struct importer *im, int fi, u128 lo, u128 hi)
{
	if (GREEDY_REALLOC(im->excl[fi], im->ecap[fi], im->nexcl[fi] + 1) < 0)
		return -ENOMEM;
	im->excl[fi][im->nexcl[fi]++] = (struct span){.lo = lo, .hi = hi};
	return 0;
}

/* The sources the evaluator leaves out, as it does: the loopback and the host's own. */
static int left_out_spans(struct importer *im)
{
	int rc = excl_add(im, 0, (u128)127 << 24, ((u128)128 << 24) - 1);

	if (rc == 0)
		rc = excl_add(im, 1, 1, 1);
	for (size_t a = 0; a < im->env->naddrs && rc == 0; a++) {
		const struct fw_addr *ad = &im->env->addrs[a];
		u128 v = fw_addr_to_u128(ad->family, ad->addr);

		rc = excl_add(im, ad->family == 6 ? 1 : 0, v, v);
	}
	for (int fi = 0; fi < 2 && rc == 0; fi++) {
		size_t m = 0;

		qsort(im->excl[fi], im->nexcl[fi], sizeof(struct span), cmp_span);
		for (size_t i = 0; i < im->nexcl[fi]; i++) {
			if (m && im->excl[fi][i].lo <= im->excl[fi][m - 1].hi + 1) {
				if (im->excl[fi][i].hi > im->excl[fi][m - 1].hi)
					im->excl[fi][m - 1].hi = im->excl[fi][i].hi;
			} else {
				im->excl[fi][m++] = im->excl[fi][i];
			}
		}
		im->nexcl[fi] = m;
	}
	return rc;
}

/* The arrival interface and a local address per family to judge connections to. */
static int pick_host(struct importer *im, const struct policy_import_opts *o, char *why,
                     size_t whylen)
{
	const struct fw_env *env = im->env;

	im->iif = o && o->iifname ? o->iifname : NULL;
	if (im->iif) {
		bool found = false;
		for (size_t i = 0; i < env->nifaces; i++)
			found = found || !strcmp(env->ifaces[i].name, im->iif);
		if (!found) {
			snprintf(why, whylen, "no interface %s here", im->iif);
			return -ENOENT;
		}
	}
	for (size_t i = 0; !im->iif && i < env->nifaces; i++) {
		if (!env->ifaces[i].up || env->ifaces[i].loopback)
			continue;
		for (size_t a = 0; a < env->naddrs && !im->iif; a++)
			if (!strcmp(env->addrs[a].ifname, env->ifaces[i].name))
				im->iif = env->ifaces[i].name;
	}
	if (!im->iif) {
		snprintf(why, whylen,
		         "no interface up with an address to judge connections on "
		         "(--iif names one)");
		return -ENOENT;
	}
	/* the interface's own address of each family, else any that is not the loopback's */
	for (int pass = 0; pass < 2; pass++)
		for (size_t a = 0; a < env->naddrs; a++) {
			const struct fw_addr *ad = &env->addrs[a];
			int fi = ad->family == 6 ? 1 : 0;
			bool lo = ad->family == 4 ? ad->addr[0] == 127
			                          : fw_addr_to_u128(6, ad->addr) == 1;

			if (im->have[fi] || lo || (pass == 0 && strcmp(ad->ifname, im->iif)))
				continue;
			/* a link-local IPv6 address answers only on its link: keep looking */
			if (fi && ad->addr[0] == 0xfe && (ad->addr[1] & 0xc0) == 0x80 && pass == 0)
				continue;
			memcpy(im->daddr[fi], ad->addr, fi ? 16 : 4);
			im->have[fi] = true;
		}
	if (!im->have[0] && !im->have[1]) {
		snprintf(why, whylen, "interface %s has no address to judge connections to",
		         im->iif);
		return -ENOENT;
	}
	return 0;
}

static void put_header(struct importer *im, const struct policy_import_opts *o)
{
	char a4[INET6_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";

	if (im->have[0])
		inet_ntop(AF_INET, im->daddr[0], a4, sizeof(a4));
	if (im->have[1])
		inet_ntop(AF_INET6, im->daddr[1], a6, sizeof(a6));
	fprintf(im->f,
	        "# Imported by portscope policy import from %s.\n"
	        "# What the firewall does with new connections that arrive on %s for %s%s%s,\n"
	        "# rule for rule by meaning: tables, chains and jumps come out flattened. The\n"
	        "# loopback and this host's own addresses are left out (accepted first when\n"
	        "# compiled).\n",
	        o && o->origin ? o->origin : "the live ruleset", im->iif, im->have[0] ? a4 : "",
	        im->have[0] && im->have[1] ? " and " : "", im->have[1] ? a6 : "");
	if (im->rs->legacy)
		fprintf(im->f, "# not expressed: rules in legacy xtables (%s) are not read\n",
		        im->rs->legacy);
}

/* Decides every stretch of ports for each protocol and family the ruleset has. */
static int decide_all(struct importer *im, struct decision *dec[2][2], size_t nstretch)
{
	int rc = 0;

	for (int fi = 0; fi < 2 && rc == 0; fi++)
		for (int pr = 0; pr < 2 && rc == 0; pr++) {
			if (!im->have[fi])
				continue;
			dec[fi][pr] = calloc(nstretch, sizeof(struct decision));
			if (!dec[fi][pr])
				return -ENOMEM;
			for (size_t i = 0; i < nstretch && rc == 0; i++) {
				rc = decide(im, fi, pr, im->ports[i], &dec[fi][pr][i]);
				if (rc == 0)
					rc = decision_finish(&dec[fi][pr][i], im->excl[fi],
					                     im->nexcl[fi]);
			}
		}
	return rc;
}

/* Joins neighbouring stretches that fare alike in both families into blocks, each with a
 * key for its pair of decisions. *blocksp (to free with its keys) and *nb are set even on
 * failure. */
static int join_blocks(struct importer *im, struct decision *dec[2][2], size_t nstretch,
                       struct block **blocksp, size_t *nb)
{
	struct block *blocks;

	/* stretches that fare alike in both families, joined */
	blocks = calloc(2 * nstretch, sizeof(*blocks));
	*blocksp = blocks;
	if (!blocks)
		return -ENOMEM;
	for (int pr = 0; pr < 2; pr++)
		for (size_t i = 0; i < nstretch; i++) {
			const struct decision *d4 = dec[0][pr] ? &dec[0][pr][i] : NULL;
			const struct decision *d6 = dec[1][pr] ? &dec[1][pr][i] : NULL;
			uint32_t hi = i + 1 < nstretch ? im->ports[i + 1] - 1 : 65535;
			struct block *last = *nb ? &blocks[*nb - 1] : NULL;

			if (last && last->proto == pr && last->hi + 1 == im->ports[i] &&
			    (!d4 || !strcmp(last->d[0]->key, d4->key)) &&
			    (!d6 || !strcmp(last->d[1]->key, d6->key))) {
				last->hi = hi;
				continue;
			}
			blocks[(*nb)++] = (struct block){
			    .proto = pr, .lo = im->ports[i], .hi = hi, .d = {d4, d6}};
		}
	/* a key for the pair of decisions */
	for (size_t i = 0; i < *nb; i++) {
		const char *k4 = blocks[i].d[0] ? blocks[i].d[0]->key : "",
		           *k6 = blocks[i].d[1] ? blocks[i].d[1]->key : "";
		char *k = malloc(strlen(k4) + strlen(k6) + 2);
		if (!k)
			return -ENOMEM;
		sprintf(k, "%s/%s", k4, k6);
		blocks[i].key = k;
	}
	return 0;
}

int policy_import(const struct fw_ruleset *rs, const struct fw_env *env,
                  const struct policy_import_opts *o, char **text, size_t *len,
                  struct policy_import_stats *st, char *why, size_t whylen)
{
	struct importer im = {.rs = rs, .env = env};
	struct decision *dec[2][2] = {{NULL}};
	struct block *blocks = NULL;
	size_t nb = 0, nstretch = 0;
	char *buf = NULL;
	size_t blen = 0;
	int rc;

	if (why && whylen)
		why[0] = '\0';
	rc = pick_host(&im, o, why, whylen);
	if (rc < 0)
		return rc;
	im.out = malloc(OUTCOMES_MAX * sizeof(*im.out));
	if (!im.out)
		return -ENOMEM;
	rc = left_out_spans(&im);
	if (rc == 0)
		rc = collect_bounds(&im);
	if (rc < 0)
		goto out;
	im.nports = uniq(im.ports, im.nports, sizeof(*im.ports), cmp_u32);
	for (int fi = 0; fi < 2; fi++) {
		rc = add_src(&im, fi, 0);
		if (rc < 0)
			goto out;
		im.nsrcb[fi] = uniq(im.srcb[fi], im.nsrcb[fi], sizeof(u128), cmp_u128);
	}
	nstretch = im.nports;

	rc = decide_all(&im, dec, nstretch);
	if (rc == 0)
		rc = join_blocks(&im, dec, nstretch, &blocks, &nb);
	if (rc < 0)
		goto out;

	im.f = open_memstream(&buf, &blen);
	if (!im.f) {
		rc = -ENOMEM;
		goto out;
	}
	put_header(&im, o);
	rc = put_not_expressed(&im);
	if (rc == 0)
		rc = put_all(&im, blocks, nb);
	fputs("DENY ALL (default)\n", im.f);
	im.st.rules++;
	if (fclose(im.f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0) {
		*text = buf;
		*len = blen;
		buf = NULL;
		if (st)
			*st = im.st;
	}
out:
	free(buf);
	for (size_t i = 0; blocks && i < nb; i++)
		free((char *)blocks[i].key);
	free(blocks);
	for (int fi = 0; fi < 2; fi++)
		for (int pr = 0; pr < 2; pr++) {
			for (size_t i = 0; dec[fi][pr] && i < nstretch; i++)
				decision_free(&dec[fi][pr][i]);
			free(dec[fi][pr]);
		}
	free(im.ports);
	free(im.srcb[0]);
	free(im.srcb[1]);
	free(im.excl[0]);
	free(im.excl[1]);
	free(im.out);
	return rc;
}
