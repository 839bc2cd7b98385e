/* The policy linter (see lint.h for the checks and their severities). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "policy/index.h"
#include "policy/lint.h"
#include "util/array.h"

#define RISKS_INLINE   4    /* more risky ports than this in one rule: one summary finding */
#define DECIDERS_NAMED 3    /* rules named in a shadowed finding */
#define DECIDER_STEPS  4096 /* stretches walked to name the rules that shadow one rule */
#define OVERLAP_STEPS  32   /* stretches walked from the start of each port range */
#define OVERLAPS_MAX   3    /* overlap findings for one rule */
#define PROGRESS_EVERY 4096

/* Merged port ranges per (verdict allows or not, family, plane) of rules naming the family. */
struct famset {
	struct policy_range *r;
	size_t n, cap;
};

struct linter {
	const struct policy *p;
	const struct policy_lint_opts *o;
	struct policy_index *ix;
	struct famset fam[2][2][IX_PLANES]; /* [allows][AF_INET6?][plane] */
	policy_finding_fn emit;
	void *ctx;
	int count;
};

static const struct policy_addr any4 = {.family = AF_INET, .prefix = 0};
static const struct policy_addr any6 = {.family = AF_INET6, .prefix = 0};

const char *policy_severity_name(enum policy_severity s)
{
	switch (s) {
	case POLICY_SEV_INFO:
		return "info";
	case POLICY_SEV_WARNING:
		return "warning";
	case POLICY_SEV_ERROR:
		return "error";
	}
	return "?";
}

static bool from_has(const struct policy_rule *r, const struct policy_addr *a)
{
	for (size_t i = 0; i < r->nfrom; i++)
		if (policy_addr_contains(&r->from[i], a))
			return true;
	return false;
}

static bool from_anywhere(const struct policy_rule *r)
{
	return r->nfrom == 0 || (from_has(r, &any4) && from_has(r, &any6));
}

static bool catch_all(const struct policy_rule *r)
{
	return r->protos == POLICY_P_ALL && from_anywhere(r);
}

static bool allows(const struct policy_rule *r)
{
	return r->action == POLICY_ALLOW;
}

bool policy_allows_nothing(const struct policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (allows(&p->rules[i]))
			return false;
	return true;
}

static int report(struct linter *l, enum policy_severity sev, const char *check, unsigned line,
                  unsigned other, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int report(struct linter *l, enum policy_severity sev, const char *check, unsigned line,
                  unsigned other, const char *fmt, ...)
{
	struct policy_finding f = {
	    .severity = sev, .check = check, .line = line, .other_line = other};
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	rc = l->emit(&f, l->ctx);
	if (rc < 0)
		return rc;
	l->count++;
	return 0;
}

static const char *plane_name(enum ix_plane pl)
{
	return pl == IX_TCP ? "tcp" : pl == IX_UDP ? "udp" : "other";
}

/* The first ports of a rule's range list as written: "8080", "80,443", "1000-2000,...". */
static void ports_text(const struct policy_rule *r, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nports && off + 16 < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s%u", i ? "," : "", r->ports[i].lo);
		if (r->ports[i].hi != r->ports[i].lo)
			off += (size_t)snprintf(buf + off, len - off, "-%u", r->ports[i].hi);
		if (i + 1 < r->nports && off + 16 >= len)
			snprintf(buf + off, len - off, ",...");
	}
}

/* ---- shadowed: the rules that decide a rule that never matches ---- */

struct deciders {
	size_t rule; /* the rule shadowed */
	uint32_t named[DECIDERS_NAMED];
	size_t nnamed, steps; /* steps: stretches walked (bounded) */
	bool more;            /* more deciders than named */
	uint32_t other;       /* the first decider seen without the rule's verdict, or IX_NONE */
};

static void decider_add(struct linter *l, struct deciders *d, uint32_t r)
{
	size_t i;

	if (r == IX_NONE || r >= d->rule)
		return;
	if (allows(&l->p->rules[r]) != allows(&l->p->rules[d->rule]) &&
	    (d->other == IX_NONE || r < d->other))
		d->other = r;
	for (i = 0; i < d->nnamed; i++)
		if (d->named[i] == r)
			return;
	if (d->nnamed == DECIDERS_NAMED) {
		/* keep the earliest ones */
		size_t worst = 0;
		for (i = 1; i < d->nnamed; i++)
			if (d->named[i] > d->named[worst])
				worst = i;
		if (r < d->named[worst]) {
			d->named[worst] = r;
		}
		d->more = true;
		return;
	}
	d->named[d->nnamed++] = r;
}

static void walk_deciders(struct linter *l, struct deciders *d, uint32_t node, enum ix_plane pl,
                          uint32_t lo, uint32_t hi)
{
	const struct ix_node *n = &l->ix->node[node];
	uint32_t pos = lo, last;

	if (n->tiled) {
		for (uint32_t c = node + 1; c < n->end; c = l->ix->node[c].end)
			walk_deciders(l, d, c, pl, lo, hi);
		return;
	}
	while (d->steps < DECIDER_STEPS) {
		decider_add(l, d, ix_decider(l->ix, node, pl, pos, &last));
		d->steps++;
		if (last >= hi)
			return;
		pos = last + 1;
	}
	d->more = true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int report_shadowed(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	struct deciders d = {.rule = j, .other = IX_NONE};
	const struct policy_rule *a;
	char names[400];
	size_t off = 0;

	for (int pl = 0; pl < IX_PLANES; pl++) {
		struct policy_range one;
		const struct policy_range *v;
		size_t nv = ix_rule_ranges(l->ix, j, pl, &one, &v);
		for (size_t k = l->ix->off[j]; k < l->ix->off[j + 1]; k++)
			for (size_t m = 0; m < nv; m++)
				walk_deciders(l, &d, l->ix->src[k], pl, v[m].lo, v[m].hi);
	}
	if (d.nnamed == 0) /* cannot be: the rule never matches */
		return report(l, POLICY_SEV_WARNING, "shadowed", b->line, 0,
		              "never matches: earlier rules decide all of it");
	if (d.other != IX_NONE) {
		/* name one that has another verdict: it is why the rule has no effect */
		bool in = false;
		for (size_t i = 0; i < d.nnamed; i++)
			in = in || d.named[i] == d.other;
		if (!in)
			d.named[d.nnamed - 1] = d.other;
	}
	qsort(d.named, d.nnamed, sizeof(d.named[0]), cmp_u32);
	a = &l->p->rules[d.named[0]];
	if (d.nnamed == 1 && !d.more) {
		if (d.other != IX_NONE)
			return report(l, POLICY_SEV_ERROR, "shadowed", b->line, a->line,
			              "never matches: line %u ('%s') covers it with verdict %s, so "
			              "this %s has no effect",
			              a->line, a->text, policy_action_name(a->action),
			              policy_action_name(b->action));
		return report(l, POLICY_SEV_WARNING, "shadowed", b->line, a->line,
		              "redundant: line %u ('%s') already covers it (%s)", a->line, a->text,
		              policy_action_name(a->action));
	}
	for (size_t i = 0; i < d.nnamed && off < sizeof(names); i++) {
		const struct policy_rule *x = &l->p->rules[d.named[i]];
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%u ('%.60s', %s)",
		                        i ? (i + 1 == d.nnamed && !d.more ? " and " : ", ") : "",
		                        x->line, x->text, policy_action_name(x->action));
	}
	if (d.other != IX_NONE)
		return report(
		    l, POLICY_SEV_ERROR, "shadowed", b->line, a->line,
		    "never matches: lines %s%s decide all of it, so this %s has no effect", names,
		    d.more ? " and others" : "", policy_action_name(b->action));
	return report(l, POLICY_SEV_WARNING, "shadowed", b->line, a->line,
	              "redundant: lines %s%s already decide all of it", names,
	              d.more ? " and others" : "");
}

/* ---- overlap ---- */

struct overlap {
	uint32_t rule;
	uint32_t lo, hi; /* the first stretch it decides */
	enum ix_plane pl;
};

struct overlaps {
	struct overlap o[OVERLAPS_MAX];
	size_t n;
};

/* Whether some merged range of rule d crosses an end of lo..hi (neither holds the other). */
static bool crosses(const struct linter *l, uint32_t d, uint32_t lo, uint32_t hi)
{
	size_t di = d - l->ix->first;

	if (l->p->rules[d].nports == 0)
		return false;
	for (size_t k = 0; k < l->ix->nranges[di]; k++) {
		const struct policy_range *x = &l->ix->ranges[di][k];
		if (x->hi < lo || x->lo > hi)
			continue;
		if ((x->lo >= lo && x->hi <= hi) || (x->lo <= lo && x->hi >= hi))
			continue;
		return true;
	}
	return false;
}

static void overlap_add(struct linter *l, struct overlaps *ov, uint32_t d, size_t j,
                        enum ix_plane pl, uint32_t plo, uint32_t phi, uint32_t lo, uint32_t hi)
{
	if (d == IX_NONE || d >= j || !crosses(l, d, lo, hi))
		return;
	for (size_t i = 0; i < ov->n; i++)
		if (ov->o[i].rule == d)
			return;
	if (ov->n == OVERLAPS_MAX)
		return;
	ov->o[ov->n++] = (struct overlap){.rule = d, .lo = plo, .hi = phi, .pl = pl};
}

static void walk_overlaps(struct linter *l, struct overlaps *ov, size_t j, uint32_t node,
                          enum ix_plane pl, uint32_t lo, uint32_t hi)
{
	uint32_t pos = lo, last, d;

	for (int step = 0; step < OVERLAP_STEPS; step++) {
		d = ix_decider(l->ix, node, pl, pos, &last);
		if (last > hi)
			last = hi;
		overlap_add(l, ov, d, j, pl, pos, last, lo, hi);
		if (last >= hi)
			return;
		pos = last + 1;
	}
	d = ix_decider(l->ix, node, pl, hi, NULL);
	overlap_add(l, ov, d, j, pl, hi, hi, lo, hi);
}

static int cmp_overlap(const void *a, const void *b)
{
	const struct overlap *x = a, *y = b;

	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Port ranges as written that meet within one rule: sorted, each against the widest before. */
static int check_self_overlap(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	struct policy_range *v, widest;
	int rc = 0;

	if (b->nports < 2)
		return 0;
	v = malloc(b->nports * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, b->ports, b->nports * sizeof(*v));
	policy_ranges_sort(v, b->nports);
	widest = v[0];
	for (size_t i = 1; i < b->nports; i++) {
		if (v[i].lo <= widest.hi) {
			rc = report(l, POLICY_SEV_WARNING, "overlap", b->line, 0,
			            "port ranges %u-%u and %u-%u overlap within the rule",
			            widest.lo, widest.hi, v[i].lo, v[i].hi);
			break;
		}
		if (v[i].hi > widest.hi)
			widest = v[i];
	}
	free(v);
	return rc;
}

static int check_overlap(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	struct overlaps ov = {0};
	int rc = check_self_overlap(l, j);

	if (rc < 0 || b->nports == 0)
		return rc;
	for (int pl = IX_TCP; pl <= IX_UDP; pl++) {
		struct policy_range one;
		const struct policy_range *v;
		size_t nv = ix_rule_ranges(l->ix, j, pl, &one, &v);
		for (size_t k = l->ix->off[j]; k < l->ix->off[j + 1]; k++)
			for (size_t m = 0; m < nv && !l->ix->node[l->ix->src[k]].tiled; m++)
				walk_overlaps(l, &ov, j, l->ix->src[k], pl, v[m].lo, v[m].hi);
	}
	qsort(ov.o, ov.n, sizeof(ov.o[0]), cmp_overlap);
	for (size_t i = 0; i < ov.n; i++) {
		const struct policy_rule *a = &l->p->rules[ov.o[i].rule];
		char ports[24];

		if (ov.o[i].lo == ov.o[i].hi)
			snprintf(ports, sizeof(ports), "port %u", ov.o[i].lo);
		else
			snprintf(ports, sizeof(ports), "ports %u-%u", ov.o[i].lo, ov.o[i].hi);
		rc = report(l, allows(a) == allows(b) ? POLICY_SEV_INFO : POLICY_SEV_WARNING,
		            "overlap", b->line, a->line,
		            "port ranges overlap line %u ('%s', %s): %s/%s %s decided there",
		            a->line, a->text, policy_action_name(a->action), ports,
		            plane_name(ov.o[i].pl), ov.o[i].lo == ov.o[i].hi ? "is" : "are");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- IPv4 / IPv6 gaps ---- */

static bool has_family(const struct policy_rule *r, int family)
{
	for (size_t i = 0; i < r->nfrom; i++)
		if (r->from[i].family == family)
			return true;
	return false;
}

static bool famset_holds(const struct famset *fs, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = fs->n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (fs->r[mid].hi < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < fs->n && fs->r[a].lo <= lo && fs->r[a].hi >= hi;
}

static int famsets_build(struct linter *l)
{
	for (size_t j = 0; j < l->p->nrules; j++) {
		const struct policy_rule *r = &l->p->rules[j];

		for (int f = 0; f < 2; f++) {
			if (!has_family(r, f ? AF_INET6 : AF_INET))
				continue;
			for (int pl = 0; pl < IX_PLANES; pl++) {
				struct famset *fs = &l->fam[allows(r)][f][pl];
				struct policy_range one;
				const struct policy_range *v;
				size_t nv = ix_rule_ranges(l->ix, j, pl, &one, &v);

				if (nv == 0)
					continue;
				if (GREEDY_REALLOC(fs->r, fs->cap, fs->n + nv) < 0)
					return -ENOMEM;
				memcpy(fs->r + fs->n, v, nv * sizeof(*v));
				fs->n += nv;
			}
		}
	}
	for (int a = 0; a < 2; a++)
		for (int f = 0; f < 2; f++)
			for (int pl = 0; pl < IX_PLANES; pl++)
				l->fam[a][f][pl].n =
				    policy_ranges_merge(l->fam[a][f][pl].r, l->fam[a][f][pl].n);
	return 0;
}

static int check_family_gap(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	bool v4 = has_family(b, AF_INET), v6 = has_family(b, AF_INET6), closed = true;

	if (b->nfrom == 0 || (v4 && v6))
		return 0;
	/* Rules with the same verdict for these ports and the other family close it. */
	for (int pl = 0; pl < IX_PLANES && closed; pl++) {
		const struct famset *fs = &l->fam[allows(b)][v4 ? 1 : 0][pl];
		struct policy_range one;
		const struct policy_range *v;
		size_t nv = ix_rule_ranges(l->ix, j, pl, &one, &v);
		for (size_t k = 0; k < nv && closed; k++)
			closed = famset_holds(fs, v[k].lo, v[k].hi);
	}
	if (closed)
		return 0;
	return report(l, POLICY_SEV_WARNING, v4 ? "ipv6-gap" : "ipv4-gap", b->line, 0,
	              "FROM lists only %s addresses: %s clients never match this rule and fall "
	              "through to later rules",
	              v4 ? "IPv4" : "IPv6", v4 ? "IPv6" : "IPv4");
}

/* ---- risky ports, service hints, the default ---- */

static unsigned kb_proto_bit(unsigned kb)
{
	return kb == KB_PROTO_TCP ? POLICY_P_TCP : kb == KB_PROTO_UDP ? POLICY_P_UDP : 0;
}

static int check_risk(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	const struct kb_risk *table, *hit[RISKS_INLINE];
	char names[sizeof(((struct policy_finding *)0)->message) - 80];
	size_t n, nhit = 0, off = 0, left = 0;
	bool high = false;

	if (!allows(b) || !from_anywhere(b))
		return 0;
	table = kb_risk_table(&n);
	names[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct kb_risk *k = &table[i];

		if (k->severity < KB_SEV_MEDIUM || !(kb_proto_bit(k->proto) & b->protos) ||
		    !policy_rule_has_port(b, k->port))
			continue;
		if (nhit < RISKS_INLINE)
			hit[nhit] = k;
		/* whole names only: what does not fit is counted ("and 3 more") */
		if (!left) {
			size_t room = sizeof(names) - off;
			int w =
			    snprintf(names + off, room, "%s%s %u/%s", nhit ? ", " : "", k->service,
			             k->port, k->proto == KB_PROTO_TCP ? "tcp" : "udp");

			if (w >= 0 && (size_t)w + 20 < room) { /* room left for ", and N more" */
				off += (size_t)w;
			} else {
				names[off] = '\0';
				left = 1;
			}
		} else {
			left++;
		}
		high = high || k->severity >= KB_SEV_HIGH;
		nhit++;
	}
	if (left)
		snprintf(names + off, sizeof(names) - off, ", and %zu more", left);
	if (nhit > RISKS_INLINE)
		return report(l, high ? POLICY_SEV_WARNING : POLICY_SEV_INFO, "high-risk", b->line,
		              0, "allows %zu catalogued risky ports from anywhere: %s", nhit,
		              names);
	for (size_t i = 0; i < nhit; i++) {
		int rc = report(
		    l, hit[i]->severity >= KB_SEV_HIGH ? POLICY_SEV_WARNING : POLICY_SEV_INFO,
		    "high-risk", b->line, 0, "allows %u/%s (%s, %s risk) from anywhere: %s; %s",
		    hit[i]->port, hit[i]->proto == KB_PROTO_TCP ? "tcp" : "udp", hit[i]->service,
		    kb_severity_name(hit[i]->severity), hit[i]->note, hit[i]->recommendation);
		if (rc < 0)
			return rc;
	}
	return 0;
}

#define HINT_PORTS 64

/* A hint naming a service registered elsewhere: "ssh is 22/tcp; make sure ...". */
static int check_hint(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	struct kb_portproto pp[HINT_PORTS];
	char name[POLICY_LABEL_MAX + 1], regs[160], ports[64];
	size_t shown = 0, off = 0;
	bool any_proto = false;
	int n;

	if (!b->hint || !l->o || !l->o->kb || b->nports == 0)
		return 0;
	n = kb_service_ports(l->o->kb, b->hint, pp, HINT_PORTS);
	if (n <= 0)
		return 0; /* not a service name: free text ("Web", "Admin") */
	if (n > HINT_PORTS)
		n = HINT_PORTS;
	for (int i = 0; i < n; i++) {
		if (!(kb_proto_bit(pp[i].proto) & b->protos))
			continue;
		any_proto = true;
		if (policy_rule_has_port(b, pp[i].port))
			return 0;
	}
	for (size_t i = 0; b->hint[i] && i < POLICY_LABEL_MAX; i++)
		name[i] = (char)tolower((unsigned char)b->hint[i]), name[i + 1] = '\0';
	regs[0] = '\0';
	for (int i = 0; i < n && off < sizeof(regs); i++) {
		if (any_proto && !(kb_proto_bit(pp[i].proto) & b->protos))
			continue;
		if (shown == 4) {
			snprintf(regs + off, sizeof(regs) - off, ", ...");
			break;
		}
		off += (size_t)snprintf(regs + off, sizeof(regs) - off, "%s%u/%s",
		                        shown ? ", " : "", pp[i].port, kb_proto_name(pp[i].proto));
		shown++;
	}
	ports_text(b, ports, sizeof(ports));
	return report(l, POLICY_SEV_WARNING, "hint", b->line, 0,
	              "%s is %s; make sure what answers on %s is what you mean", name, regs, ports);
}

static int check_default(struct linter *l)
{
	const struct policy *p = l->p;

	if (p->nrules == 0)
		return report(l, POLICY_SEV_ERROR, "empty", 0, 0,
		              "empty policy: no rule allows anything, so applied it would drop "
		              "every new connection to this machine (SSH included)");
	if (policy_allows_nothing(p))
		return report(l, POLICY_SEV_ERROR, "no-allow", 0, 0,
		              "the policy has no ALLOW rule: applied, it would drop every new "
		              "connection to this machine (SSH included)");
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		if (!catch_all(r))
			continue;
		if (allows(r))
			return report(l, POLICY_SEV_WARNING, "no-default", r->line, 0,
			              "no default deny: '%s' lets everything not denied above in",
			              r->text);
		return 0;
	}
	return report(l, POLICY_SEV_WARNING, "no-default", 0, 0,
	              "no default deny: end the policy with DENY ALL (the compiled chain drops "
	              "unmatched traffic anyway, but the policy should say so)");
}

static int lint_rule(struct linter *l, size_t j, size_t first_catch_all)
{
	const struct policy_rule *b = &l->p->rules[j];
	int rc;

	if (first_catch_all < j) {
		const struct policy_rule *a = &l->p->rules[first_catch_all];
		return report(l, POLICY_SEV_ERROR, "unreachable", b->line, a->line,
		              "never matches: '%s' on line %u decides everything after it", a->text,
		              a->line);
	}
	if (!ix_rule_wins(l->ix, j))
		return report_shadowed(l, j); /* a rule that never matches needs no other advice */
	rc = check_overlap(l, j);
	if (rc == 0)
		rc = check_family_gap(l, j);
	if (rc == 0)
		rc = check_risk(l, j);
	if (rc == 0)
		rc = check_hint(l, j);
	return rc;
}

int policy_lint_with(const struct policy *p, const struct policy_lint_opts *o,
                     policy_finding_fn emit, void *ctx)
{
	struct linter l = {.p = p, .o = o, .emit = emit, .ctx = ctx};
	size_t first_catch_all = p->nrules;
	int rc;

	rc = policy_index_build(p, 0, p->nrules, &l.ix);
	if (rc < 0)
		return rc;
	rc = famsets_build(&l);
	for (size_t j = 0; j < p->nrules && first_catch_all == p->nrules; j++)
		if (catch_all(&p->rules[j]))
			first_catch_all = j;
	for (size_t j = 0; j < p->nrules && rc >= 0; j++) {
		rc = lint_rule(&l, j, first_catch_all);
		if (o && o->progress && (j + 1) % PROGRESS_EVERY == 0)
			o->progress(j + 1, p->nrules, o->progress_ctx);
	}
	if (rc >= 0)
		rc = check_default(&l);
	for (int a = 0; a < 2; a++)
		for (int f = 0; f < 2; f++)
			for (int pl = 0; pl < IX_PLANES; pl++)
				free(l.fam[a][f][pl].r);
	policy_index_free(l.ix);
	return rc < 0 ? rc : l.count;
}

int policy_lint(const struct policy *p, policy_finding_fn emit, void *ctx)
{
	return policy_lint_with(p, NULL, emit, ctx);
}
