/* The audit's judgement: endpoints and their facts in, findings out (see audit.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/svcname.h"
#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "util/array.h"

#define AUDIT_RISKS_MAX 4 /* catalogue entries looked at per port */

static struct audit_finding *finding_add(struct audit_report *rep, size_t ep, int sev,
                                         const char *id)
{
	struct audit_finding *f;

	if (GREEDY_REALLOC(rep->fs, rep->capfs, rep->nfs + 1) < 0)
		return NULL;
	f = &rep->fs[rep->nfs++];
	*f = (struct audit_finding){.sev = sev, .id = id, .ep = ep};
	return f;
}

/* A finding per confirmed safe check. Returns how many, or -ENOMEM. */
static int judge_checks(struct audit_report *rep, size_t i)
{
	struct audit_endpoint *e = &rep->eps[i];
	int n = 0;

	for (unsigned k = 0; k < e->nchecks; k++) {
		const struct audit_check_outcome *o = &e->checks[k];
		const struct audit_check *c = o->check;
		struct audit_finding *f;

		if (o->verdict != AUDIT_CHECK_YES)
			continue;
		if (e->proto == IPPROTO_UDP && e->reach.exp == AUDIT_EXP_UNVERIFIED) {
			char b[INET6_ADDRSTRLEN];

			e->reach.exp = AUDIT_EXP_REACHABLE; /* it answered */
			snprintf(e->reach.on, sizeof(e->reach.on), "%s",
			         target_addr_str(&e->target, b, sizeof(b)));
		}
		f = finding_add(rep, i, c->severity, c->name);
		if (!f)
			return -ENOMEM;
		snprintf(f->title, sizeof(f->title), "%s", c->title);
		snprintf(f->evidence, sizeof(f->evidence), "%s", o->evidence);
		snprintf(f->recommendation, sizeof(f->recommendation), "%s%s", c->recommendation,
		         e->local ? "; or allow only an admin address with portscope policy" : "");
		f->citation = c->citation;
		n++;
	}
	return n;
}

/* Port ≠ service: the detected service is not the one the port is named for. */
static int judge_mismatch(struct audit_report *rep, size_t i)
{
	struct audit_endpoint *e = &rep->eps[i];
	struct audit_finding *f;

	e->mismatch = true;
	f = finding_add(rep, i, KB_SEV_INFO, "port-service-mismatch");
	if (!f)
		return -ENOMEM;
	snprintf(f->title, sizeof(f->title), "%s on port %u, the port of %s", e->service, e->port,
	         e->port_default);
	snprintf(f->evidence, sizeof(f->evidence), "service detection found %s%s%s%s%s%s",
	         e->service, e->product[0] ? " (" : "", e->product, e->version[0] ? " " : "",
	         e->version, e->product[0] ? ")" : "");
	snprintf(f->recommendation, sizeof(f->recommendation),
	         "a port says nothing certain about its service: document it, and make "
	         "sure firewall rules for port %u match what really answers",
	         e->port);
	f->citation = "port numbers are conventions (IANA registry, RFC 6335)";
	return 0;
}

/*
 * A translated endpoint (issue 14): a socket bound to loopback that a DNAT
 * (with route_localnet) publishes is reachable from outside, high; a port the
 * firewall publishes with nothing listening behind it in any namespace is a
 * finding of its own, medium (whatever starts there next is exposed at once).
 */
static int judge_nat(struct audit_report *rep, size_t i)
{
	const struct audit_endpoint *e = &rep->eps[i];
	char to[64], a[48];
	struct audit_finding *f;

	if (!e->reach.nat || e->local)
		return 0;
	if (!inet_ntop(e->reach.to_family == 6 ? AF_INET6 : AF_INET, e->reach.to_addr, a,
	               sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(to, sizeof(to), e->reach.to_family == 6 ? "[%s]:%u" : "%s:%u", a,
	         e->reach.to_port);
	if (e->reach.loopback_bound) {
		f = finding_add(rep, i, KB_SEV_HIGH, "loopback-exposed-by-dnat");
		if (!f)
			return -ENOMEM;
		snprintf(f->title, sizeof(f->title),
		         "a loopback-only socket (%s) is reachable from outside through a DNAT",
		         to);
		snprintf(f->evidence, sizeof(f->evidence),
		         "%.240s (route_localnet lets it through)", e->reach.nat_rule);
		snprintf(f->recommendation, sizeof(f->recommendation),
		         "remove the DNAT to %s or bind the service where it is meant to be "
		         "reached, behind an explicit firewall rule",
		         to);
		f->citation = "ip-sysctl: route_localnet; nft(8) dnat";
		return 0;
	}
	if (!e->reach.owner_found) {
		f = finding_add(rep, i, KB_SEV_MEDIUM, "published-port-no-owner");
		if (!f)
			return -ENOMEM;
		snprintf(f->title, sizeof(f->title),
		         "port %u/%s is published to %s, where nothing listens in any namespace",
		         e->port, e->proto == IPPROTO_UDP ? "udp" : "tcp", to);
		snprintf(f->evidence, sizeof(f->evidence), "%.200s%s%.60s", e->reach.nat_rule,
		         e->reach.netns[0] ? "; the address is in namespace " : "", e->reach.netns);
		snprintf(f->recommendation, sizeof(f->recommendation),
		         "remove the stale DNAT (a container gone?) or the next service on %s is "
		         "exposed at once",
		         to);
		f->citation = "nft(8) dnat";
	}
	return 0;
}

/* The risk catalogue's entries for a reachable TCP port, capped at low when a check said no. */
static int judge_risks(struct audit_report *rep, size_t i, bool checked_no)
{
	const struct audit_endpoint *e = &rep->eps[i];
	const struct kb_risk *risks[AUDIT_RISKS_MAX];
	size_t nr = kb_risks_for(e->port, KB_PROTO_TCP, risks, AUDIT_RISKS_MAX);

	for (size_t k = 0; k < nr && k < AUDIT_RISKS_MAX; k++) {
		int sev = risks[k]->severity;
		struct audit_finding *f;

		if (checked_no && sev > KB_SEV_LOW)
			sev = KB_SEV_LOW; /* the safe check did not confirm it */
		f = finding_add(rep, i, sev, "exposed-risky-service");
		if (!f)
			return -ENOMEM;
		snprintf(f->title, sizeof(f->title), "%s reachable: %s", risks[k]->service,
		         risks[k]->note);
		snprintf(f->evidence, sizeof(f->evidence), "port %u/tcp open%s%s%s", e->port,
		         e->service[0] ? ", detected " : "", e->service,
		         checked_no ? "; the safe check did not confirm the risk" : "");
		snprintf(f->recommendation, sizeof(f->recommendation), "%s",
		         risks[k]->recommendation);
		f->citation = risks[k]->citation;
	}
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct audit_finding *x = a, *y = b;

	if (x->sev != y->sev)
		return y->sev - x->sev;
	return (x->ep > y->ep) - (x->ep < y->ep);
}

int audit_judge(struct audit_report *rep)
{
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		bool checked_no = false;
		int confirmed, r = judge_nat(rep, i);

		if (r < 0)
			return r;
		if (!e->have_target ||
		    (e->proto == IPPROTO_TCP && e->reach.exp != AUDIT_EXP_REACHABLE))
			continue;
		confirmed = judge_checks(rep, i);
		if (confirmed < 0)
			return confirmed;
		for (unsigned k = 0; k < e->nchecks; k++)
			checked_no |= e->checks[k].verdict != AUDIT_CHECK_YES;
		if (e->proto != IPPROTO_TCP)
			continue;
		if (e->service[0] && e->port_default &&
		    audit_service_mismatch(e->service, e->port_default))
			r = judge_mismatch(rep, i);
		else if (!confirmed)
			r = judge_risks(rep, i, checked_no);
		if (r < 0)
			return r;
	}
	if (rep->nfs)
		qsort(rep->fs, rep->nfs, sizeof(*rep->fs), cmp_finding);
	return 0;
}

void audit_count(const struct audit_report *rep, struct audit_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < rep->neps; i++) {
		if (rep->remote && rep->eps[i].reach.exp == AUDIT_EXP_UNVERIFIED) {
			c->unverified++; /* no answer: not an open port */
			continue;
		}
		c->endpoints++;
		c->reachable += rep->eps[i].reach.exp == AUDIT_EXP_REACHABLE;
		c->loopback += rep->eps[i].reach.exp == AUDIT_EXP_LOOPBACK;
		c->blocked += rep->eps[i].reach.exp == AUDIT_EXP_BLOCKED;
	}
	for (size_t i = 0; i < rep->nfs; i++)
		if (rep->fs[i].sev >= 0 && (size_t)rep->fs[i].sev < ARRAY_SIZE(c->sev))
			c->sev[rep->fs[i].sev]++;
}
