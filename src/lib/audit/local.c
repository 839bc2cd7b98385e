/*
 * The audit of this machine up to exposure: its listening sockets (sock_diag)
 * and their owners, its own non-loopback addresses, and a connect scan of
 * those on the listening TCP ports (see audit.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit/audit-private.h"
#include "platform/platform.h"
#include "sockets/sockexpose.h"

static int ep_add_sock(const struct sockdiag_sock *s, void *data)
{
	struct audit_report *rep = data;
	struct audit_endpoint *e;
	bool dual = false;

	for (size_t i = 0; i < rep->neps; i++) {
		e = &rep->eps[i];
		if (e->proto == s->proto && e->port == s->local_port && e->family == s->family &&
		    memcmp(e->bind, s->local, 16) == 0)
			return 0; /* SO_REUSEPORT groups, one per worker */
	}
	e = audit_ep_new(rep);
	if (!e)
		return 0;
	sockexpose_classify(s->family, s->local, s->v6only, &dual);
	*e = (struct audit_endpoint){
	    .proto = s->proto,
	    .port = s->local_port,
	    .family = s->family,
	    .dual = dual,
	    .local = true,
	    .inode = s->inode,
	    .uid = s->uid,
	};
	memcpy(e->bind, s->local, 16);
	return 0;
}

/* The listening TCP and unconnected UDP sockets of this namespace. */
static int dump_sockets(struct audit_report *rep)
{
	struct plat_socktab *d;
	int rc = platform->sockets_open(&d);

	if (rc < 0)
		return rc;
	for (int p = 0; p < 2 && rc == 0; p++)
		for (int f = 0; f < 2 && rc == 0; f++) {
			struct sockdiag_req req = {
			    .family = f == 0 ? AF_INET : AF_INET6,
			    .proto = p == 0 ? IPPROTO_TCP : IPPROTO_UDP,
			    .states = 1u << (p == 0 ? TCP_LISTEN : TCP_CLOSE),
			};

			rc = platform->sockets_dump(d, &req, ep_add_sock, rep);
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0;
		}
	platform->sockets_close(d);
	return rc;
}

/* Owners: pid, process name and user of each socket. */
static void find_owners(struct audit_report *rep)
{
	struct plat_procs *m = platform->procs_new();
	unsigned idx[4];

	if (m && (platform->procs_start(m) < 0 || platform->procs_wait(m) < 0)) {
		platform->procs_free(m);
		m = NULL;
	}
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		struct sockdiag_sock s = {.uid = e->uid, .inode = e->inode};

		if (m && e->inode && platform->procs_lookup(m, &s, idx, 4) > 0) {
			e->pid = (pid_t)platform->procs_pid(m, idx[0]);
			snprintf(e->process, sizeof(e->process), "%s",
			         platform->procs_name(m, idx[0]));
		}
		platform->user_name(&s, e->user, sizeof(e->user));
	}
	if (m)
		platform->procs_free(m);
}

/* Keeps an own address unless it is loopback or link-local IPv6 (it needs a scope). */
static void own_address(int family, const uint8_t *addr, void *data)
{
	struct audit_report *rep = data;
	struct target_addr t = {.family = family};
	bool dup = false;

	if (audit_is_loopback(family, addr))
		return;
	if (family == AF_INET) {
		memcpy(&t.v4, addr, 4);
	} else {
		memcpy(&t.v6, addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&t.v6))
			return;
	}
	for (unsigned k = 0; k < rep->naddrs; k++)
		dup |= memcmp(&rep->addrs[k], &t, sizeof(t)) == 0;
	if (!dup && rep->naddrs < AUDIT_MAX_ADDRS)
		rep->addrs[rep->naddrs++] = t;
}

/* The machine's own non-loopback addresses. */
static void own_addresses(struct audit_report *rep)
{
	platform->own_addresses(own_address, rep);
}

static void local_on_port(struct audit_job *j, const struct scan_result *r)
{
	const uint16_t *p = bsearch(&r->port, j->ports, j->nports, sizeof(*p), audit_cmp_u16);

	if (!p)
		return;
	for (unsigned k = 0; k < j->rep->naddrs; k++)
		if (target_addr_equal(&j->rep->addrs[k], r->addr))
			j->states[k * j->nports + (size_t)(p - j->ports)] = (uint8_t)r->state;
}

/* The listening TCP ports, sorted and distinct, with room for their scan states. */
static int listening_ports(struct audit_job *j)
{
	const struct audit_report *rep = j->rep;
	size_t u = 0;

	j->ports = calloc(rep->neps + 1, sizeof(*j->ports));
	if (!j->ports)
		return -ENOMEM;
	for (size_t i = 0; i < rep->neps; i++)
		if (rep->eps[i].proto == IPPROTO_TCP)
			j->ports[j->nports++] = rep->eps[i].port;
	qsort(j->ports, j->nports, sizeof(*j->ports), audit_cmp_u16);
	for (size_t i = 0; i < j->nports; i++)
		if (u == 0 || j->ports[u - 1] != j->ports[i])
			j->ports[u++] = j->ports[i];
	j->nports = u;
	j->states = calloc((size_t)rep->naddrs * j->nports + 1, 1);
	return j->states ? 0 : -ENOMEM;
}

/* A connect scan of the own addresses of one family on the listening TCP ports. */
static int scan_family(struct audit_job *j, int family, const struct portlist *pl)
{
	struct targetset *ts = targetset_new(family == AF_INET6 ? TARGETSET_IPV6 | TARGETSET_NO_DNS
	                                                        : TARGETSET_NO_DNS);
	unsigned added = 0;
	int rc = 0;

	if (!ts)
		return -ENOMEM;
	for (unsigned k = 0; k < j->rep->naddrs && rc == 0; k++) {
		char b[INET6_ADDRSTRLEN];

		if (j->rep->addrs[k].family != family)
			continue;
		rc = targetset_add(ts, target_addr_str(&j->rep->addrs[k], b, sizeof(b)), j->why,
		                   j->whylen);
		added++;
	}
	if (rc == 0 && added)
		rc = targetset_seal(ts);
	if (rc == 0 && added)
		rc = audit_scan(j, ts, pl, local_on_port);
	targetset_free(ts);
	return rc;
}

/* A UDP socket is not scanned: its target (for the safe checks) is an own address it accepts. */
static void udp_exposure(struct audit_job *j, struct audit_endpoint *e, bool lo)
{
	e->reach.exp = lo ? AUDIT_EXP_LOOPBACK : AUDIT_EXP_UNVERIFIED;
	for (unsigned k = 0; !lo && k < j->rep->naddrs; k++)
		if (audit_accepts(e->family, e->bind, e->dual, j->rep->addrs[k].family,
		                  target_addr_bytes(&j->rep->addrs[k]))) {
			e->target = j->rep->addrs[k];
			e->have_target = true;
			return;
		}
}

int audit_local_state(const struct audit_job *j, uint16_t port, unsigned k)
{
	const uint16_t *p = bsearch(&port, j->ports, j->nports, sizeof(*p), audit_cmp_u16);

	return p ? j->states[k * j->nports + (size_t)(p - j->ports)] : -1;
}

void audit_reach_add(struct audit_job *j, struct audit_endpoint *e, unsigned k, bool want_target)
{
	const struct target_addr *a = &j->rep->addrs[k];
	size_t at = strlen(e->reach.on);
	char b[INET6_ADDRSTRLEN];

	snprintf(e->reach.on + at, sizeof(e->reach.on) - at, "%s%s", at ? "," : "",
	         target_addr_str(a, b, sizeof(b)));
	if (want_target && !e->have_target) {
		e->target = *a;
		e->have_target = true;
	}
}

/* Exposure of a TCP socket from the scan states of the own addresses it accepts. */
static void tcp_exposure(struct audit_job *j, struct audit_endpoint *e, bool lo)
{
	const struct audit_report *rep = j->rep;
	enum scan_state st[AUDIT_MAX_ADDRS];
	unsigned n = 0;

	for (unsigned k = 0; k < rep->naddrs; k++) {
		if (!audit_accepts(e->family, e->bind, e->dual, rep->addrs[k].family,
		                   target_addr_bytes(&rep->addrs[k])))
			continue;
		st[n] = (enum scan_state)audit_local_state(j, e->port, k);
		if (st[n] == SCAN_OPEN)
			audit_reach_add(j, e, k, true);
		n++;
	}
	e->reach.exp = audit_exposure_of(lo, st, n);
}

int audit_local(struct audit_job *j)
{
	struct audit_report *rep = j->rep;
	struct portlist pl;
	int rc = dump_sockets(rep);

	if (rc < 0) {
		snprintf(j->why, j->whylen, "cannot list the sockets: %s", strerror(-rc));
		return rc;
	}
	find_owners(rep);
	own_addresses(rep);
	rc = listening_ports(j);
	if (rc < 0)
		return rc;
	pl = (struct portlist){.ports = j->ports, .n = j->nports};
	if (j->cfg->on_begin && (rc = j->cfg->on_begin(j->cfg->ctx, &pl)) < 0)
		return rc;
	for (int fam = 0; fam < 2 && rc == 0 && j->nports; fam++)
		rc = scan_family(j, fam == 0 ? AF_INET : AF_INET6, &pl);
	if (rc < 0)
		return rc;
	/* the live ruleset, when readable, decides what the outside meets */
	rc = audit_firewall(j);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		bool lo = audit_is_loopback(e->family, e->bind);

		if (e->reach.evaluated)
			continue;

		if (e->proto == IPPROTO_UDP)
			udp_exposure(j, e, lo);
		else
			tcp_exposure(j, e, lo);
	}
	return 0;
}
