/* The policy linter (see lint.h for the checks and their severities). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "policy/lint.h"

#define RISKS_INLINE 4 /* more risky ports than this in one rule: one summary finding */

/* A rule's ports sorted and merged (adjacent ranges joined); every port when it lists none. */
struct portset {
	struct policy_range *r;
	size_t n;
};

struct linter {
	const struct policy *p;
	struct portset *sets; /* one per rule */
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

static int portset_make(const struct policy_rule *r, struct portset *ps)
{
	return policy_rule_ports_merged(r, &ps->r, &ps->n);
}

/* Whether every port of b is in a (both merged). */
static bool ports_cover(const struct portset *a, const struct portset *b)
{
	for (size_t j = 0; j < b->n; j++) {
		bool in = false;
		for (size_t i = 0; i < a->n && !in; i++)
			in = a->r[i].lo <= b->r[j].lo && b->r[j].hi <= a->r[i].hi;
		if (!in)
			return false;
	}
	return true;
}

/* The first range common to a and b in *out; false when there is none. */
static bool ports_meet(const struct portset *a, const struct portset *b, struct policy_range *out)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++) {
			uint16_t lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
			uint16_t hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;
			if (lo <= hi) {
				*out = (struct policy_range){.lo = lo, .hi = hi};
				return true;
			}
		}
	return false;
}

static bool from_has(const struct policy_rule *r, const struct policy_addr *a)
{
	for (size_t i = 0; i < r->nfrom; i++)
		if (policy_addr_contains(&r->from[i], a))
			return true;
	return false;
}

/* Whether rule a's sources include all of rule b's. */
static bool sources_cover(const struct policy_rule *a, const struct policy_rule *b)
{
	if (a->nfrom == 0)
		return true;
	if (b->nfrom == 0)
		return from_has(a, &any4) && from_has(a, &any6);
	for (size_t j = 0; j < b->nfrom; j++)
		if (!from_has(a, &b->from[j]))
			return false;
	return true;
}

static bool sources_meet(const struct policy_rule *a, const struct policy_rule *b)
{
	if (a->nfrom == 0 || b->nfrom == 0)
		return true;
	for (size_t i = 0; i < a->nfrom; i++)
		for (size_t j = 0; j < b->nfrom; j++)
			if (policy_addr_contains(&a->from[i], &b->from[j]) ||
			    policy_addr_contains(&b->from[j], &a->from[i]))
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

/* Whether rule i matches everything rule j matches. */
static bool covers(const struct linter *l, size_t i, size_t j)
{
	const struct policy_rule *a = &l->p->rules[i], *b = &l->p->rules[j];

	if (b->protos & ~a->protos)
		return false;
	if ((b->protos & POLICY_P_ANY) && !ports_cover(&l->sets[i], &l->sets[j]))
		return false;
	return sources_cover(a, b);
}

static bool allows(const struct policy_rule *r)
{
	return r->action == POLICY_ALLOW;
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

static const char *proto_name(unsigned protos)
{
	switch (protos & POLICY_P_ANY) {
	case POLICY_P_TCP:
		return "tcp";
	case POLICY_P_UDP:
		return "udp";
	default:
		return "tcp+udp";
	}
}

/* unreachable / shadowed; returns 1 when rule j is covered (later checks skip it). */
static int check_shadow(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];

	for (size_t i = 0; i < j; i++) {
		const struct policy_rule *a = &l->p->rules[i];
		int rc;

		if (!covers(l, i, j))
			continue;
		if (catch_all(a))
			rc = report(l, POLICY_SEV_ERROR, "unreachable", b->line, a->line,
			            "never matches: '%s' on line %u decides everything after it",
			            a->text, a->line);
		else if (allows(a) != allows(b))
			rc = report(l, POLICY_SEV_ERROR, "shadowed", b->line, a->line,
			            "never matches: line %u ('%s') covers it with verdict %s, so "
			            "this %s has no effect",
			            a->line, a->text, policy_action_name(a->action),
			            policy_action_name(b->action));
		else
			rc = report(l, POLICY_SEV_WARNING, "shadowed", b->line, a->line,
			            "redundant: line %u ('%s') already covers it (%s)", a->line,
			            a->text, policy_action_name(a->action));
		return rc < 0 ? rc : 1;
	}
	return 0;
}

static int check_overlap(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	struct policy_range m;
	int rc;

	/* Within the rule: ranges as written that meet. */
	for (size_t x = 0; x < b->nports; x++)
		for (size_t y = x + 1; y < b->nports; y++) {
			const struct policy_range *p = &b->ports[x], *q = &b->ports[y];
			if (p->lo > q->hi || q->lo > p->hi)
				continue;
			rc = report(l, POLICY_SEV_WARNING, "overlap", b->line, 0,
			            "port ranges %u-%u and %u-%u overlap within the rule", p->lo,
			            p->hi, q->lo, q->hi);
			if (rc < 0)
				return rc;
			x = y = b->nports; /* once per rule */
		}
	if (!(b->protos & POLICY_P_ANY) || b->nports == 0)
		return 0;
	/* Against earlier rules: ranges that partly overlap (neither holds the other). */
	for (size_t i = 0; i < j; i++) {
		const struct policy_rule *a = &l->p->rules[i];

		if (!(a->protos & b->protos & POLICY_P_ANY) || a->nports == 0 ||
		    !sources_meet(a, b) || !ports_meet(&l->sets[i], &l->sets[j], &m) ||
		    ports_cover(&l->sets[i], &l->sets[j]) || ports_cover(&l->sets[j], &l->sets[i]))
			continue;
		rc = report(
		    l, allows(a) == allows(b) ? POLICY_SEV_INFO : POLICY_SEV_WARNING, "overlap",
		    b->line, a->line,
		    "port ranges overlap line %u ('%s', %s): ports %u-%u/%s are decided there",
		    a->line, a->text, policy_action_name(a->action), m.lo, m.hi,
		    proto_name(a->protos & b->protos));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool has_family(const struct policy_rule *r, int family)
{
	for (size_t i = 0; i < r->nfrom; i++)
		if (r->from[i].family == family)
			return true;
	return false;
}

static int check_family_gap(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	bool v4 = has_family(b, AF_INET), v6 = has_family(b, AF_INET6);
	int missing;

	if (b->nfrom == 0 || (v4 && v6))
		return 0;
	missing = v4 ? AF_INET6 : AF_INET;
	/* Another rule with the same verdict for these ports and the other family closes it. */
	for (size_t k = 0; k < l->p->nrules; k++) {
		const struct policy_rule *c = &l->p->rules[k];
		if (k != j && allows(c) == allows(b) && !(b->protos & ~c->protos) &&
		    (!(b->protos & POLICY_P_ANY) || ports_cover(&l->sets[k], &l->sets[j])) &&
		    has_family(c, missing))
			return 0;
	}
	return report(l, POLICY_SEV_WARNING, v4 ? "ipv6-gap" : "ipv4-gap", b->line, 0,
	              "FROM lists only %s addresses: %s clients never match this rule and fall "
	              "through to later rules",
	              v4 ? "IPv4" : "IPv6", v4 ? "IPv6" : "IPv4");
}

static unsigned kb_proto_bit(unsigned kb)
{
	return kb == KB_PROTO_TCP ? POLICY_P_TCP : kb == KB_PROTO_UDP ? POLICY_P_UDP : 0;
}

static int check_risk(struct linter *l, size_t j)
{
	const struct policy_rule *b = &l->p->rules[j];
	const struct kb_risk *table, *hit[RISKS_INLINE];
	char names[200];
	size_t n, nhit = 0, off = 0;
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
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s %u/%s",
			                        nhit ? ", " : "", k->service, k->port,
			                        k->proto == KB_PROTO_TCP ? "tcp" : "udp");
		high = high || k->severity >= KB_SEV_HIGH;
		nhit++;
	}
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

static int check_default(struct linter *l)
{
	for (size_t i = 0; i < l->p->nrules; i++) {
		const struct policy_rule *r = &l->p->rules[i];
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

int policy_lint(const struct policy *p, policy_finding_fn emit, void *ctx)
{
	struct linter l = {.p = p, .emit = emit, .ctx = ctx};
	int rc = 0;

	l.sets = calloc(p->nrules ? p->nrules : 1, sizeof(*l.sets));
	if (!l.sets)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrules && rc == 0; i++)
		rc = portset_make(&p->rules[i], &l.sets[i]);
	for (size_t j = 0; j < p->nrules && rc >= 0; j++) {
		rc = check_shadow(&l, j);
		if (rc != 0)
			continue; /* a rule that never matches needs no other advice */
		rc = check_overlap(&l, j);
		if (rc == 0)
			rc = check_family_gap(&l, j);
		if (rc == 0)
			rc = check_risk(&l, j);
	}
	if (rc >= 0)
		rc = check_default(&l);
	for (size_t i = 0; i < p->nrules; i++)
		free(l.sets[i].r);
	free(l.sets);
	return rc < 0 ? rc : l.count;
}
