/* Compiles a policy to an nftables script (see nft.h for its shape). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/nft.h"

/* What one policy rule becomes: a match on protocol and ports, then a verdict. */
struct emit {
	FILE *f;
	const struct policy_rule *r;
	const char *table;
	struct policy_range *ports; /* merged */
	size_t nports;
	bool whole; /* the rule names no ports */
};

static bool table_name_ok(const char *s)
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

int policy_nft_compile(const struct policy *p, const struct policy_nft_opts *o, char **out,
                       size_t *outlen)
{
	const char *table = o && o->table ? o->table : POLICY_NFT_TABLE;
	bool ping = !(o && o->no_ping);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	if (!table_name_ok(table))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f,
	        "#!/usr/sbin/nft -f\n# Generated by portscope policy compile%s%s.\n"
	        "# Replaces table inet %s in one transaction; no other table is touched.\n",
	        o && o->source ? " from " : "", o && o->source ? o->source : "", table);
	fprintf(f, "table inet %s {}\ndelete table inet %s\ntable inet %s {\n", table, table,
	        table);
	for (size_t i = 0; i < p->nrules; i++) {
		put_set(f, &p->rules[i], AF_INET);
		put_set(f, &p->rules[i], AF_INET6);
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
	for (size_t i = 0; i < p->nrules && rc == 0; i++)
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
