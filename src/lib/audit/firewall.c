/*
 * The local audit's exposure from the live ruleset (issue 14): a scan of the
 * machine's own addresses travels over the loopback, which every firewall
 * accepts first, so what the outside meets comes from the firewall evaluator
 * (src/lib/firewall) instead: per socket, every path from outside (address ×
 * interface), the rule that decided, the sources it admits; and the endpoints
 * DNAT and redirect make, with their owners in whichever namespace holds them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit/audit-private.h"
#include "firewall/expose.h"
#include "firewall/owner.h"
#include "sockets/sockns.h"
#include "sockets/sockproc.h"

static enum audit_exposure exp_of(enum fw_expo_class c)
{
	switch (c) {
	case FW_EXPO_REACHABLE:
		return AUDIT_EXP_REACHABLE;
	case FW_EXPO_BLOCKED:
		return AUDIT_EXP_BLOCKED;
	case FW_EXPO_LOOPBACK:
		return AUDIT_EXP_LOOPBACK;
	case FW_EXPO_NO_ADDRESS:
		return AUDIT_EXP_NO_ADDRESS;
	case FW_EXPO_UNKNOWN:
	case FW_EXPO_NOT_EVALUATED:
		break;
	}
	return AUDIT_EXP_UNKNOWN;
}

static void to_target(uint8_t family, const uint8_t *a, struct target_addr *t)
{
	memset(t, 0, sizeof(*t));
	t->family = family == 6 ? AF_INET6 : AF_INET;
	memcpy(family == 6 ? (void *)&t->v6 : (void *)&t->v4, a, family == 6 ? 16 : 4);
}

/* Fills e->reach from the evaluator's exposure x (paths handed over). */
static void reach_from(struct audit_endpoint *e, struct fw_expo *x)
{
	uint8_t fam = 4;
	const struct fw_outcome *o = fw_expo_decider(x, &fam);
	char src[AUDIT_REACH_MAX];

	e->reach.evaluated = true;
	e->reach.exp = exp_of(x->cls);
	e->reach.v4 = x->v4;
	e->reach.v6 = x->v6;
	e->reach.restricted = x->restricted;
	e->reach.paths = x->paths;
	e->reach.npaths = x->npaths;
	x->paths = NULL;
	x->npaths = 0;
	if (o) {
		fw_ref_format(&o->by, e->reach.rule, sizeof(e->reach.rule));
		if (!o->by.table && o->why[0])
			snprintf(e->reach.rule, sizeof(e->reach.rule), "%s", o->why);
		if (x->cls == FW_EXPO_REACHABLE)
			snprintf(e->reach.sources, sizeof(e->reach.sources), "%s",
			         fw_sources_format(o, fam, src, sizeof(src)));
	}
	/* where it is reachable, and the first such address for detection */
	for (size_t i = 0; i < e->reach.npaths; i++) {
		const struct fw_expo_path *p = &e->reach.paths[i];
		char b[INET6_ADDRSTRLEN];
		bool ok = false;

		for (size_t k = 0; k < p->nout; k++)
			ok |=
			    p->out[k].result == FW_ACCEPTED && p->out[k].local && !p->out[k].natted;
		if (!ok)
			continue;
		inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, b, sizeof(b));
		if (!strstr(e->reach.on, b)) {
			size_t at = strlen(e->reach.on);

			snprintf(e->reach.on + at, sizeof(e->reach.on) - at, "%s%s", at ? "," : "",
			         b);
		}
		if (!e->have_target) {
			to_target(p->family, p->addr, &e->target);
			e->have_target = true;
		}
	}
}

/* The local endpoint a translated destination (local delivery) reaches, or NULL. */
static struct audit_endpoint *local_owner(struct audit_report *rep, size_t nsock,
                                          const struct fw_nat_endpoint *ep)
{
	for (size_t i = 0; i < nsock; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		uint8_t fam = e->family == AF_INET6 ? 6 : 4;
		static const uint8_t zero[16];
		bool any = memcmp(e->bind, zero, fam == 6 ? 16 : 4) == 0;

		if (e->proto != ep->proto || e->port != ep->out.dport)
			continue;
		if (fam == ep->out.dfamily
		        ? (any || memcmp(e->bind, ep->out.daddr, fam == 6 ? 16 : 4) == 0)
		        : (fam == 6 && ep->out.dfamily == 4 && any && e->dual))
			return e;
	}
	return NULL;
}

struct nat_ctx {
	struct audit_job *j;
	size_t nsock;       /* the socket endpoints come first */
	struct sockns *all; /* every namespace, for forwarded destinations */
	size_t nall;
	struct sockproc *procs; /* process look-up of the owners */
};

/* Whether an endpoint for this translation exists already (other address or interface). */
static struct audit_endpoint *nat_seen(struct audit_report *rep, const struct fw_nat_endpoint *ep)
{
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];

		if (e->reach.nat && e->proto == ep->proto && e->port == ep->port_lo &&
		    e->reach.to_port == ep->out.dport && e->reach.to_family == ep->out.dfamily &&
		    memcmp(e->reach.to_addr, ep->out.daddr, 16) == 0)
			return e;
	}
	return NULL;
}

static void owner_process(struct nat_ctx *c, struct audit_endpoint *e, uint32_t inode, uint32_t uid)
{
	unsigned idx[1];
	struct passwd pw, *res = NULL;
	char buf[1024];

	e->inode = inode;
	e->uid = uid;
	if (c->procs && inode && sockproc_lookup(c->procs, inode, idx, 1) > 0) {
		e->pid = sockproc_pid(c->procs, idx[0]);
		snprintf(e->process, sizeof(e->process), "%s", sockproc_name(c->procs, idx[0]));
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(e->user, sizeof(e->user), "%s", res->pw_name);
	else
		snprintf(e->user, sizeof(e->user), "%u", uid);
}

static int on_nat(const struct fw_nat_endpoint *ep, void *data)
{
	struct nat_ctx *c = data;
	struct audit_report *rep = c->j->rep;
	struct audit_endpoint *e, *sock = NULL;
	char by[AUDIT_RULE_MAX], b[INET6_ADDRSTRLEN];

	if (ep->out.result != FW_ACCEPTED)
		return 0; /* translated, then stopped: nothing published */
	if ((e = nat_seen(rep, ep))) {
		/* the same translation on another address: note where */
		size_t at = strlen(e->reach.on);

		inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, b, sizeof(b));
		if (!strstr(e->reach.on, b))
			snprintf(e->reach.on + at, sizeof(e->reach.on) - at, "%s%s", at ? "," : "",
			         b);
		return 0;
	}
	if (ep->out.local)
		sock = local_owner(rep, c->nsock, ep);
	e = audit_ep_new(rep);
	if (!e)
		return 0;
	e->proto = ep->proto;
	e->port = ep->port_lo;
	e->family = ep->family == 6 ? AF_INET6 : AF_INET;
	memcpy(e->bind, ep->addr, 16);
	e->reach.exp = AUDIT_EXP_REACHABLE;
	e->reach.evaluated = true;
	e->reach.nat = true;
	e->reach.v4 = ep->family == 4;
	e->reach.v6 = ep->family == 6;
	e->reach.port_hi = ep->port_hi;
	e->reach.to_family = ep->out.dfamily;
	memcpy(e->reach.to_addr, ep->out.daddr, 16);
	e->reach.to_port = ep->out.dport;
	e->reach.forwarded = !ep->out.local;
	e->reach.restricted = !ep->out.src_all;
	fw_ref_format(&ep->out.nat_by, e->reach.nat_rule, sizeof(e->reach.nat_rule));
	fw_ref_format(&ep->out.by, by, sizeof(by));
	snprintf(e->reach.rule, sizeof(e->reach.rule), "%s", ep->out.by.table ? by : "");
	fw_sources_format(&ep->out, ep->family, e->reach.sources, sizeof(e->reach.sources));
	inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, e->reach.on, sizeof(e->reach.on));
	if (sock) {
		/* delivered here: the socket's owner, and it is reachable after all */
		e->reach.owner_found = true;
		e->reach.loopback_bound = audit_is_loopback(sock->family, sock->bind);
		e->inode = sock->inode;
		e->uid = sock->uid;
		e->pid = sock->pid;
		snprintf(e->process, sizeof(e->process), "%s", sock->process);
		snprintf(e->user, sizeof(e->user), "%s", sock->user);
		if (sock->reach.exp != AUDIT_EXP_REACHABLE) {
			sock->reach.exp = AUDIT_EXP_REACHABLE;
			sock->reach.nat = true; /* reachable through the translation only */
			snprintf(sock->reach.nat_rule, sizeof(sock->reach.nat_rule), "%s",
			         e->reach.nat_rule);
		}
	} else if (!ep->out.local) {
		struct fw_dest d = {
		    .proto = ep->proto, .family = ep->out.dfamily, .port = ep->out.dport};
		struct fw_owner own;

		memcpy(d.addr, ep->out.daddr, 16);
		if (fw_owner_find(c->all, c->nall, &d, &own) == 0 && own.addr_known) {
			snprintf(e->reach.netns, sizeof(e->reach.netns), "%s", own.netns);
			e->reach.owner_found = own.found;
			if (own.found)
				owner_process(c, e, own.sock.inode, own.sock.uid);
		}
		if (!own.addr_known)
			snprintf(e->reach.netns, sizeof(e->reach.netns), "%s", "");
	}
	/* detection and checks go to the destination (local packets skip prerouting) */
	if (e->reach.owner_found) {
		to_target(ep->out.dfamily, ep->out.daddr, &e->target);
		e->target_port = ep->out.dport;
		e->have_target = true;
	}
	return 0;
}

int audit_firewall(struct audit_job *j)
{
	struct audit_report *rep = j->rep;
	struct fw_ruleset *rs = NULL;
	struct fw_env env;
	struct nat_ctx c = {.j = j, .nsock = rep->neps};
	char why[256] = "";
	int rc;

	if (fw_ruleset_read(-1, &rs, why, sizeof(why)) < 0 ||
	    fw_env_read(-1, &env, why, sizeof(why)) < 0) {
		snprintf(rep->firewall, sizeof(rep->firewall), "not evaluated: %s", why);
		fw_ruleset_free(rs);
		return 1;
	}
	if (rs->legacy) {
		snprintf(rep->firewall, sizeof(rep->firewall),
		         "not evaluated: rules in legacy xtables (%s)", rs->legacy);
		fw_ruleset_free(rs);
		fw_env_free(&env);
		return 1;
	}
	rep->fw_evaluated = true;
	snprintf(rep->firewall, sizeof(rep->firewall), "evaluated: %zu table%s of the live ruleset",
	         rs->ntables, rs->ntables == 1 ? "" : "s");
	rc = 0;
	for (size_t i = 0; i < rep->neps && rc == 0; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		struct fw_expo x;

		rc = fw_expose_socket(rs, &env, (uint8_t)e->proto, e->family == AF_INET6 ? 6 : 4,
		                      e->bind, e->dual, e->port, &x);
		if (rc < 0)
			break;
		/* no interface to come in by: the ruleset has nothing to say, the scan's word
		 * stands */
		if (x.cls != FW_EXPO_NO_ADDRESS)
			reach_from(e, &x);
		fw_expo_release(&x);
	}
	if (rc == 0) {
		c.procs = sockproc_new();
		if (c.procs && sockproc_scan(c.procs, "/proc") < 0) {
			sockproc_free(c.procs);
			c.procs = NULL;
		}
		if (sockns_list_all(SOCKNS_RUN_DIR, "/proc", &c.all, &c.nall) < 0)
			c.nall = 0;
		rc = fw_nat_endpoints(rs, &env, on_nat, &c);
		sockns_free_list(c.all, c.nall);
		sockproc_free(c.procs);
	}
	rep->fw_rs = rs; /* the paths' rule references point into it */
	fw_env_free(&env);
	return rc < 0 ? rc : 0;
}
