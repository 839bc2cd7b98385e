/* Compiles a policy to an nftables script (see nft.h for its shape). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/index.h"
#include "policy/nft.h"
#include "util/array.h"

#define MAP_BUDGET_PER_ITEM 4    /* map elements a stretch of rules may take per port range */
#define MAP_BUDGET_BASE     1024 /* ... plus this many */

/* What one policy rule becomes: a match on protocol and ports, then a verdict. */
struct emit {
	FILE *f;
	const struct policy_rule *r;
	const char *table;
	struct policy_range *ports; /* merged */
	size_t nports;
	bool whole; /* the rule names no ports */
};

bool policy_nft_table_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9' && i > 0) || s[i] == '_'))
			return false;
	return true;
}

static void put_ports(struct emit *e)
{
	if (e->nports == 1) {
		fprintf(e->f, "%u", e->ports[0].lo);
		if (e->ports[0].hi != e->ports[0].lo)
			fprintf(e->f, "-%u", e->ports[0].hi);
		return;
	}
	fputs("{ ", e->f);
	for (size_t i = 0; i < e->nports; i++) {
		fprintf(e->f, "%s%u", i ? ", " : "", e->ports[i].lo);
		if (e->ports[i].hi != e->ports[i].lo)
			fprintf(e->f, "-%u", e->ports[i].hi);
	}
	fputs(" }", e->f);
}

/* Whether address i of the rule is inside another of its addresses (then it is left out:
 * an interval set refuses overlapping elements). */
static bool addr_redundant(const struct policy_rule *r, size_t i)
{
	for (size_t k = 0; k < r->nfrom; k++) {
		if (k == i || !policy_addr_contains(&r->from[k], &r->from[i]))
			continue;
		/* Identical entries: keep the first. */
		if (r->from[k].prefix != r->from[i].prefix || k < i)
			return true;
	}
	return false;
}

static bool has_family(const struct policy_rule *r, int family)
{
	for (size_t i = 0; i < r->nfrom; i++)
		if (r->from[i].family == family)
			return true;
	return false;
}

static void put_set(FILE *f, const struct policy_rule *r, int family)
{
	char buf[64];
	bool first = true;

	if (!has_family(r, family))
		return;
	fprintf(f, "\tset from_l%u_v%c {\n\t\ttype %s; flags interval;\n\t\telements = { ", r->line,
	        family == AF_INET ? '4' : '6', family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = 0; i < r->nfrom; i++) {
		if (r->from[i].family != family || addr_redundant(r, i))
			continue;
		policy_addr_format(&r->from[i], buf, sizeof(buf));
		fprintf(f, "%s%s", first ? "" : ", ", buf);
		first = false;
	}
	fputs(" }\n\t}\n", f);
}

/* One nftables rule: source (family or none), protocol/ports, verdict, comment. */
static void put_rule(struct emit *e, int family, unsigned proto, const char *verdict)
{
	FILE *f = e->f;
	const struct policy_rule *r = e->r;

	fputs("\t\t", f);
	if (family)
		fprintf(f, "%s saddr @from_l%u_v%c ", family == AF_INET ? "ip" : "ip6", r->line,
		        family == AF_INET ? '4' : '6');
	if (proto == POLICY_P_TCP || proto == POLICY_P_UDP) {
		const char *name = proto == POLICY_P_TCP ? "tcp" : "udp";
		if (e->whole) {
			fprintf(f, "meta l4proto %s ", name);
		} else {
			fprintf(f, "%s dport ", name);
			put_ports(e);
			fputc(' ', f);
		}
	} else if (proto == POLICY_P_ANY) {
		fputs("meta l4proto { tcp, udp } ", f);
		if (!e->whole) {
			fputs("th dport ", f);
			put_ports(e);
			fputc(' ', f);
		}
	}
	if (r->label)
		fprintf(f, "%s comment \"%s\"\n", verdict, r->label);
	else
		fprintf(f, "%s comment \"policy line %u\"\n", verdict, r->line);
}

/* The rule for one source family (0: any source). */
static void put_family(struct emit *e, int family)
{
	const struct policy_rule *r = e->r;

	switch (r->action) {
	case POLICY_ALLOW:
		put_rule(e, family, r->protos, "accept");
		return;
	case POLICY_DENY:
		put_rule(e, family, r->protos, "drop");
		return;
	case POLICY_REJECT:
		break;
	}
	/* A TCP reset only answers TCP: split the protocols. */
	if (r->protos == POLICY_P_UDP) {
		put_rule(e, family, POLICY_P_UDP, "reject with icmpx port-unreachable");
		return;
	}
	if (r->protos == POLICY_P_TCP) {
		put_rule(e, family, POLICY_P_TCP, "reject with tcp reset");
		return;
	}
	put_rule(e, family, POLICY_P_TCP, "reject with tcp reset");
	put_rule(e, family, r->protos == POLICY_P_ALL ? POLICY_P_ALL : POLICY_P_UDP,
	         "reject with icmpx port-unreachable");
}

static int put_policy_rule(FILE *f, const struct policy_rule *r, const char *table)
{
	struct emit e = {.f = f, .r = r, .table = table, .whole = r->nports == 0};
	int rc = policy_rule_ports_merged(r, &e.ports, &e.nports);

	if (rc < 0)
		return rc;
	fprintf(f, "\t\t# line %u: %s\n", r->line, r->text);
	if (r->nfrom == 0) {
		put_family(&e, 0);
	} else {
		if (has_family(r, AF_INET))
			put_family(&e, AF_INET);
		if (has_family(r, AF_INET6))
			put_family(&e, AF_INET6);
	}
	free(e.ports);
	return 0;
}

/* ---- the maps layout ---- */

/* One map element: ports lo..hi from the addresses of node (a root: any) decided by rule. */
struct melem {
	uint32_t node;
	uint32_t lo, hi;
	uint32_t rule;
};

struct melems {
	struct melem *e;
	size_t n, cap;
};

static int melem_add(struct melems *m, uint32_t node, uint32_t lo, uint32_t hi, uint32_t rule)
{
	if (GREEDY_REALLOC(m->e, m->cap, m->n + 1) < 0)
		return -ENOMEM;
	m->e[m->n++] = (struct melem){.node = node, .lo = lo, .hi = hi, .rule = rule};
	return 0;
}

/*
 * The ports lo..hi of rule at node where it beats every rule of the prefixes
 * around node (their first match there is a later rule or none) into m.
 */
static int own_pieces(const struct policy_index *ix, uint32_t node, enum ix_plane pl, uint32_t lo,
                      uint32_t hi, uint32_t rule, uint32_t anc, struct melems *m)
{
	const struct ix_plane_segs *ps;
	uint32_t max = ix_plane_max(pl), pos = lo;
	size_t k;
	int rc;

	while (anc != IX_NONE && ix->node[anc].plane[pl].n == 0)
		anc = ix->node[anc].parent;
	if (anc == IX_NONE)
		return melem_add(m, node, lo, hi, rule);
	ps = &ix->node[anc].plane[pl];
	k = ix_seg_find(ps, lo);
	while (pos <= hi) {
		uint32_t s, e;
		size_t k2;

		/* the next stretch where this ancestor decides first (rule <= ours) */
		k = ix_seg_lt(ps, k, rule + 1);
		if (k == ps->n || ps->seg[k].lo > hi)
			return own_pieces(ix, node, pl, pos, hi, rule, ix->node[anc].parent, m);
		s = ps->seg[k].lo > pos ? ps->seg[k].lo : pos;
		k2 = ix_seg_ge(ps, k, rule + 1);
		e = k2 == ps->n ? max : ps->seg[k2].lo - 1;
		if (s > pos) {
			rc = own_pieces(ix, node, pl, pos, s - 1, rule, ix->node[anc].parent, m);
			if (rc < 0)
				return rc;
		}
		if (e >= hi)
			return 0;
		pos = e + 1;
		k = k2;
	}
	return 0;
}

/* Every element of plane pl for the indexed rules, nodes in pre-order. */
static int plane_elements(const struct policy_index *ix, enum ix_plane pl, struct melems *m)
{
	for (uint32_t n = 0; n < ix->nnodes; n++) {
		const struct ix_plane_segs *ps = &ix->node[n].plane[pl];

		for (size_t k = 0; k < ps->n; k++) {
			int rc;

			if (ps->seg[k].rule == IX_NONE)
				continue;
			rc = own_pieces(ix, n, pl, ps->seg[k].lo, ps->seg[k].hi, ps->seg[k].rule,
			                ix->node[n].parent, m);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static const char *map_verdict(const struct policy_rule *r, enum ix_plane pl)
{
	switch (r->action) {
	case POLICY_ALLOW:
		return "accept";
	case POLICY_DENY:
		return "drop";
	case POLICY_REJECT:
		break;
	}
	return pl == IX_TCP ? "goto reject_tcp" : "goto reject_icmpx";
}

static void put_comment(FILE *f, const struct policy_rule *r)
{
	if (r->label)
		fprintf(f, "comment \"%s\"", r->label);
	else
		fprintf(f, "comment \"policy line %u\"", r->line);
}

static void put_node_addr(FILE *f, const struct ix_node *n)
{
	struct policy_addr a = {.family = n->family, .prefix = n->len};
	char buf[64];

	memcpy(a.bytes, n->addr, 16);
	policy_addr_format(&a, buf, sizeof(buf));
	fputs(buf, f);
}

/* One verdict map over the elements e[0..n) (one family and depth, or a root). */
static void put_map(FILE *f, const struct policy *p, const struct policy_index *ix,
                    enum ix_plane pl, const struct melem *e, size_t n, bool with_addr,
                    const char *family)
{
	static const char *const l4[IX_PLANES] = {"tcp dport", "udp dport", NULL};

	fputs("\t\t", f);
	if (pl == IX_OTHER)
		fputs("meta l4proto != { tcp, udp } ", f);
	if (!with_addr && family)
		fprintf(f, "meta nfproto %s ", family);
	if (with_addr)
		fprintf(f, "%s saddr%s", family, pl != IX_OTHER ? " . " : "");
	if (pl != IX_OTHER)
		fputs(l4[pl], f);
	fputs(" vmap {", f);
	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &p->rules[e[i].rule];

		fputs(i ? ",\n\t\t\t" : "\n\t\t\t", f);
		if (with_addr) {
			put_node_addr(f, &ix->node[e[i].node]);
			if (pl != IX_OTHER)
				fputs(" . ", f);
		}
		if (pl != IX_OTHER) {
			fprintf(f, "%u", e[i].lo);
			if (e[i].hi != e[i].lo)
				fprintf(f, "-%u", e[i].hi);
		}
		fputc(' ', f);
		put_comment(f, r);
		fprintf(f, " : %s", map_verdict(r, pl));
	}
	fputs("\n\t\t}\n", f);
}

/* Whether the IPv4 and IPv6 roots decide plane pl alike. */
static bool roots_alike(const struct policy_index *ix, enum ix_plane pl)
{
	const struct ix_plane_segs *a = &ix->node[ix->root[0]].plane[pl],
	                           *b = &ix->node[ix->root[1]].plane[pl];

	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->seg[i].lo != b->seg[i].lo || a->seg[i].hi != b->seg[i].hi ||
		    a->seg[i].rule != b->seg[i].rule)
			return false;
	return true;
}

/* The rules for one plane: maps deepest first, then the roots. */
static int put_plane(FILE *f, const struct policy *p, const struct policy_index *ix,
                     enum ix_plane pl, const struct melems *m)
{
	struct melem *tmp = malloc((m->n ? m->n : 1) * sizeof(*tmp));
	static const char *const fam[2] = {"ip", "ip6"};
	static const char *const nfp[2] = {"ipv4", "ipv6"};

	if (!tmp)
		return -ENOMEM;
	for (uint32_t d = ix->maxdepth; d >= 1; d--)
		for (int fi = 0; fi < 2; fi++) {
			size_t n = 0;
			for (size_t i = 0; i < m->n; i++) {
				const struct ix_node *nd = &ix->node[m->e[i].node];
				if (nd->depth == d && nd->family == (fi ? AF_INET6 : AF_INET))
					tmp[n++] = m->e[i];
			}
			if (n)
				put_map(f, p, ix, pl, tmp, n, true, fam[fi]);
		}
	for (int fi = 0; fi < 2; fi++) {
		bool alike = roots_alike(ix, pl);
		size_t n = 0;

		if (alike && fi == 1)
			break;
		for (size_t i = 0; i < m->n; i++)
			if (m->e[i].node == ix->root[fi])
				tmp[n++] = m->e[i];
		if (n == 0)
			continue;
		if (pl == IX_OTHER) {
			/* one element at most: a plain rule */
			fputs("\t\tmeta l4proto != { tcp, udp } ", f);
			if (!alike)
				fprintf(f, "meta nfproto %s ", nfp[fi]);
			fprintf(f, "%s ", map_verdict(&p->rules[tmp[0].rule], pl));
			put_comment(f, &p->rules[tmp[0].rule]);
			fputc('\n', f);
			continue;
		}
		put_map(f, p, ix, pl, tmp, n, false, alike ? NULL : nfp[fi]);
	}
	free(tmp);
	return 0;
}

/* Compiles rules [a, b) as maps, splitting the stretch while its maps exceed the budget. */
static int put_maps(FILE *f, const struct policy *p, size_t a, size_t b)
{
	struct melems m[IX_PLANES] = {{0}};
	struct policy_index *ix;
	size_t budget = MAP_BUDGET_BASE, total = 0;
	int rc;

	if (a == b)
		return 0;
	for (size_t r = a; r < b; r++) {
		const struct policy_rule *x = &p->rules[r];
		budget += MAP_BUDGET_PER_ITEM * (x->nports ? x->nports : 1) *
		          (x->nfrom ? x->nfrom : 2) * 3;
	}
	rc = policy_index_build(p, a, b, &ix);
	if (rc < 0)
		return rc;
	for (int pl = 0; pl < IX_PLANES && rc == 0; pl++) {
		rc = plane_elements(ix, pl, &m[pl]);
		total += m[pl].n;
	}
	if (rc == 0 && total > budget && b - a > 1) {
		size_t mid = a + (b - a) / 2;
		rc = put_maps(f, p, a, mid);
		if (rc == 0)
			rc = put_maps(f, p, mid, b);
		goto out;
	}
	/* the IPv6 root's elements are not written when both roots decide alike */
	for (int pl = 0; pl < IX_PLANES && rc == 0; pl++)
		if (roots_alike(ix, pl))
			for (size_t i = 0; i < m[pl].n; i++)
				total -= m[pl].e[i].node == ix->root[1];
	if (rc == 0)
		fprintf(f, "\t\t# lines %u-%u: %zu rules as %zu map elements\n", p->rules[a].line,
		        p->rules[b - 1].line, b - a, total);
	for (int pl = 0; pl < IX_PLANES && rc == 0; pl++)
		rc = put_plane(f, p, ix, pl, &m[pl]);
out:
	for (int pl = 0; pl < IX_PLANES; pl++)
		free(m[pl].e);
	policy_index_free(ix);
	return rc;
}

static bool from_anywhere(const struct policy_rule *r)
{
	static const struct policy_addr any4 = {.family = AF_INET}, any6 = {.family = AF_INET6};
	bool v4 = false, v6 = false;

	if (r->nfrom == 0)
		return true;
	for (size_t i = 0; i < r->nfrom; i++) {
		v4 = v4 || policy_addr_contains(&r->from[i], &any4);
		v6 = v6 || policy_addr_contains(&r->from[i], &any6);
	}
	return v4 && v6;
}

/* The policy as maps: the rules before the first catch-all, then it alone. */
static int put_map_layout(FILE *f, const struct policy *p, const char *table)
{
	size_t c = 0;
	int rc;

	while (c < p->nrules &&
	       !(p->rules[c].protos == POLICY_P_ALL && from_anywhere(&p->rules[c])))
		c++;
	rc = put_maps(f, p, 0, c);
	if (rc < 0 || c == p->nrules)
		return rc;
	/* a catch-all decides the rest: drop its FROM, it names everyone */
	{
		struct policy_rule all = p->rules[c];
		all.nfrom = 0;
		rc = put_policy_rule(f, &all, table);
	}
	if (rc == 0 && c + 1 < p->nrules)
		fprintf(f, "\t\t# lines %u-%u never match: line %u decides everything\n",
		        p->rules[c + 1].line, p->rules[p->nrules - 1].line, p->rules[c].line);
	return rc;
}

static bool use_maps(const struct policy *p, const struct policy_nft_opts *o)
{
	enum policy_nft_layout l = o ? o->layout : POLICY_NFT_AUTO;

	return l == POLICY_NFT_MAPS || (l == POLICY_NFT_AUTO && p->nrules > POLICY_NFT_RULES_MAX);
}

int policy_nft_compile(const struct policy *p, const struct policy_nft_opts *o, char **out,
                       size_t *outlen)
{
	const char *table = o && o->table ? o->table : POLICY_NFT_TABLE;
	bool ping = !(o && o->no_ping), maps = use_maps(p, o);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	if (!policy_nft_table_ok(table))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f,
	        "#!/usr/sbin/nft -f\n# Generated by portscope policy compile%s%s.\n"
	        "# Replaces table inet %s in one transaction; no other table is touched.\n",
	        o && o->source ? " from " : "", o && o->source ? o->source : "", table);
	if (o && o->body_only)
		fprintf(f, "table inet %s {\n", table);
	else
		fprintf(f, "table inet %s {}\ndelete table inet %s\ntable inet %s {\n", table,
		        table, table);
	if (maps) {
		fputs("\tchain reject_tcp {\n\t\treject with tcp reset\n\t}\n"
		      "\tchain reject_icmpx {\n\t\treject with icmpx port-unreachable\n\t}\n",
		      f);
	} else {
		for (size_t i = 0; i < p->nrules; i++) {
			put_set(f, &p->rules[i], AF_INET);
			put_set(f, &p->rules[i], AF_INET6);
		}
	}
	fputs("\tchain input {\n"
	      "\t\ttype filter hook input priority filter; policy drop;\n"
	      "\t\tct state established,related accept\n"
	      "\t\tct state invalid drop\n"
	      "\t\tiif \"lo\" accept\n"
	      "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept\n"
	      "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
	      "parameter-problem, nd-router-advert, nd-neighbor-solicit, "
	      "nd-neighbor-advert } accept\n",
	      f);
	if (ping)
		fputs("\t\ticmp type echo-request accept\n\t\ticmpv6 type echo-request accept\n",
		      f);
	if (maps)
		rc = put_map_layout(f, p, table);
	for (size_t i = 0; !maps && i < p->nrules && rc == 0; i++)
		rc = put_policy_rule(f, &p->rules[i], table);
	fputs("\t}\n}\n", f);
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
