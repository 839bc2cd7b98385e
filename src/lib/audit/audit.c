/*
 * The audit pipeline (see audit.h): the remote side, service detection, safe
 * checks, and audit_run() that strings them with the local side (local.c)
 * and the judgement (judge.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit/audit-private.h"
#include "detect/engine.h"
#include "knowledge/services.h"
#include "scan/engine.h"

#define AUDIT_TIMING      4    /* -T4: a check of known hosts, not a survey */
#define AUDIT_CHECK_MS    3000 /* deadline of one safe check */
#define AUDIT_CONNECT_MS  1500 /* detection: connect timeout */
#define AUDIT_ENDPOINT_MS 6000 /* detection: one endpoint's deadline */
#define AUDIT_CONFIDENCE  5    /* detection results below this are not taken */
#define AUDIT_TOP_PORTS   1000 /* remote mode without -p */

struct audit_endpoint *audit_ep_new(struct audit_report *rep)
{
	if (rep->neps == AUDIT_MAX_EPS) {
		rep->overflow = true;
		return NULL;
	}
	rep->eps[rep->neps] = (struct audit_endpoint){0};
	return &rep->eps[rep->neps++];
}

int audit_cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The scans' sink: the job's handler, and the caller's sink (history) for everything. */
struct audit_scan_ctx {
	struct audit_job *j;
	void (*on_port)(struct audit_job *j, const struct scan_result *r);
};

static void scan_port(void *ctx, const struct scan_result *r)
{
	struct audit_scan_ctx *c = ctx;
	const struct scan_sink *s = c->j->cfg->sink;

	if (s && s->on_port)
		s->on_port(s->ctx, r);
	c->on_port(c->j, r);
}

static void scan_host(void *ctx, const struct scan_host *h)
{
	const struct scan_sink *s = ((struct audit_scan_ctx *)ctx)->j->cfg->sink;

	if (s && s->on_host_done)
		s->on_host_done(s->ctx, h);
}

static void scan_progress(void *ctx, const struct scan_progress *p)
{
	const struct scan_sink *s = ((struct audit_scan_ctx *)ctx)->j->cfg->sink;

	if (s && s->on_progress)
		s->on_progress(s->ctx, p);
}

static void scan_done(void *ctx, const struct scan_summary *sum)
{
	const struct scan_sink *s = ((struct audit_scan_ctx *)ctx)->j->cfg->sink;

	if (s && s->on_done)
		s->on_done(s->ctx, sum);
}

int audit_scan(struct audit_job *j, const struct targetset *ts, const struct portlist *pl,
               void (*on_port)(struct audit_job *j, const struct scan_result *r))
{
	struct audit_scan_ctx c = {.j = j, .on_port = on_port};
	struct scan_sink sink = {.ctx = &c,
	                         .on_port = scan_port,
	                         .on_host_done = scan_host,
	                         .on_progress = scan_progress,
	                         .on_done = scan_done};
	struct scan_config cfg;

	if (scan_config_defaults(&cfg, AUDIT_TIMING) < 0)
		return -EINVAL;
	cfg.targets = ts;
	cfg.ports = pl;
	cfg.tech = &scan_tech_connect;
	cfg.cc.max_retries = 1;
	return scan_run(&cfg, &sink, j->why, j->whylen);
}

static void remote_on_port(struct audit_job *j, const struct scan_result *r)
{
	struct audit_endpoint *e;
	char b[INET6_ADDRSTRLEN];

	if (r->state != SCAN_OPEN || !(e = audit_ep_new(j->rep)))
		return;
	*e = (struct audit_endpoint){.proto = IPPROTO_TCP,
	                             .port = r->port,
	                             .family = r->addr->family,
	                             .reach.exp = AUDIT_EXP_REACHABLE,
	                             .target = *r->addr,
	                             .have_target = true};
	snprintf(e->reach.on, sizeof(e->reach.on), "%s", target_addr_str(r->addr, b, sizeof(b)));
}

/*
 * Remote UDP: without the raw-socket engine there is no UDP scan; a UDP port
 * with a safe check (SNMP) is asked directly, and an answer proves it open.
 */
static void remote_udp(struct audit_job *j, const struct portlist *udp)
{
	uint64_t n = targetset_count(j->cfg->targets);

	for (size_t k = 0; k < udp->n; k++) {
		bool any = false;

		for (size_t c = 0; audit_checks[c]; c++)
			any |=
			    audit_check_applies(audit_checks[c], IPPROTO_UDP, udp->ports[k], NULL);
		if (!any) {
			j->rep->udp_skipped++;
			continue;
		}
		for (uint64_t i = 0; i < n; i++) {
			struct audit_endpoint *e;
			struct target_addr a;

			if (targetset_get(j->cfg->targets, i, &a) < 0 ||
			    !(e = audit_ep_new(j->rep)))
				return;
			*e = (struct audit_endpoint){.proto = IPPROTO_UDP,
			                             .port = udp->ports[k],
			                             .family = a.family,
			                             .reach.exp = AUDIT_EXP_UNVERIFIED,
			                             .target = a,
			                             .have_target = true};
		}
	}
}

/* Remote mode: the TCP ports (-p, else the most common), the scan, then UDP. */
static int audit_remote(struct audit_job *j)
{
	const struct audit_config *cfg = j->cfg;
	struct portlist top = {0};
	const struct portlist *pl = cfg->ports ? &cfg->ports->tcp : &top;
	int rc;

	if (!cfg->ports) {
		uint16_t *v = calloc(AUDIT_TOP_PORTS, sizeof(*v));
		int got = v ? kb_top_ports(cfg->kb, KB_PROTO_TCP, AUDIT_TOP_PORTS, v) : -ENOMEM;

		if (got < 0) {
			free(v);
			return got;
		}
		qsort(v, (size_t)got, sizeof(*v), audit_cmp_u16);
		top = (struct portlist){.ports = v, .n = (size_t)got};
	}
	rc = cfg->on_begin ? cfg->on_begin(cfg->ctx, pl) : 0;
	if (rc == 0 && pl->n)
		rc = audit_scan(j, cfg->targets, pl, remote_on_port);
	if (rc < 0 && rc != -ENOMEM && rc != -EMFILE && rc != -ECANCELED)
		rc = -EIO;
	if (rc == 0 && cfg->ports)
		remote_udp(j, &cfg->ports->udp);
	portlist_free(&top);
	return rc;
}

/* A sockaddr for e's target and port. */
static void ep_sockaddr(const struct audit_endpoint *e, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (e->target.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(e->port);
		s4->sin_addr = e->target.v4;
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->port);
		s6->sin6_addr = e->target.v6;
		*len = sizeof(*s6);
	}
}

struct detect_ctx {
	struct audit_report *rep;
	const struct detect_endpoint *base;
	size_t *map; /* detect endpoint index → endpoint index */
};

static void audit_detect_sink(void *ctx, const struct detect_result *r)
{
	struct detect_ctx *dc = ctx;
	struct audit_endpoint *e = &dc->rep->eps[dc->map[r->ep - dc->base]];

	if (!r->svc.name[0] || r->confidence < AUDIT_CONFIDENCE)
		return;
	snprintf(e->service, sizeof(e->service), "%s", r->svc.name);
	snprintf(e->product, sizeof(e->product), "%s", r->svc.product);
	snprintf(e->version, sizeof(e->version), "%s", r->svc.version);
}

/* Service detection (built-in probes) on every reachable TCP endpoint. */
static int audit_detect(struct audit_report *rep)
{
	struct detect_endpoint *eps = calloc(rep->neps + 1, sizeof(*eps));
	size_t *map = calloc(rep->neps + 1, sizeof(*map)), n = 0;
	struct detect_ctx dc = {.rep = rep, .base = eps, .map = map};
	struct detect_config cfg;
	int rc = -ENOMEM;

	for (size_t i = 0; eps && map && i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];

		if (e->proto != IPPROTO_TCP || e->reach.exp != AUDIT_EXP_REACHABLE ||
		    !e->have_target)
			continue;
		ep_sockaddr(e, &eps[n].addr, &eps[n].addrlen);
		eps[n].proto = PROBES_TCP;
		map[n++] = i;
	}
	if (eps && map) {
		detect_config_default(&cfg);
		cfg.connect_timeout_ms = AUDIT_CONNECT_MS;
		cfg.endpoint_timeout_ms = AUDIT_ENDPOINT_MS;
		rc = n ? detect_run(&cfg, eps, n, audit_detect_sink, &dc) : 0;
	}
	free(eps);
	free(map);
	return rc;
}

/* The safe checks that apply to each endpoint the judgement will look at; their outcomes. */
static void audit_checks_run(struct audit_report *rep, unsigned check_ms)
{
	for (size_t i = 0; i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];

		if (!e->have_target ||
		    (e->proto == IPPROTO_TCP && e->reach.exp != AUDIT_EXP_REACHABLE))
			continue;
		for (size_t c = 0; audit_checks[c] && e->nchecks < AUDIT_MAX_CHECKS; c++) {
			struct audit_check_outcome *o = &e->checks[e->nchecks];
			struct sockaddr_storage ss;
			struct audit_conv conv;
			socklen_t sl;

			if (!audit_check_applies(audit_checks[c], e->proto, e->port, e->service))
				continue;
			ep_sockaddr(e, &ss, &sl);
			o->check = audit_checks[c];
			o->verdict = audit_check_run(audit_checks[c], &ss, sl, check_ms, &conv);
			snprintf(o->evidence, sizeof(o->evidence), "%s",
			         o->verdict < 0 ? "" : conv.evidence);
			e->nchecks++;
		}
	}
}

/* Each endpoint's port name in the services files (the judgement compares it with detection). */
static void name_ports(struct audit_report *rep, const struct kb *kb)
{
	for (size_t i = 0; kb && i < rep->neps; i++) {
		struct audit_endpoint *e = &rep->eps[i];

		e->port_default = kb_service_name(
		    kb, e->port, e->proto == IPPROTO_TCP ? KB_PROTO_TCP : KB_PROTO_UDP);
	}
}

int audit_run(const struct audit_config *cfg, struct audit_report *rep, char *why, size_t whylen)
{
	struct audit_job j = {.cfg = cfg, .rep = rep, .why = why, .whylen = whylen};
	int rc;

	*rep = (struct audit_report){.remote = cfg->remote};
	if (why && whylen)
		why[0] = '\0';
	rep->eps = calloc(AUDIT_MAX_EPS, sizeof(*rep->eps));
	if (!rep->eps)
		return -ENOMEM;
	rc = cfg->remote ? audit_remote(&j) : audit_local(&j);
	if (rc == 0)
		rc = audit_detect(rep);
	if (rc == 0) {
		name_ports(rep, cfg->kb);
		audit_checks_run(rep, cfg->check_ms ? cfg->check_ms : AUDIT_CHECK_MS);
		rc = audit_judge(rep);
	}
	free(j.ports);
	free(j.states);
	return rc;
}

void audit_report_free(struct audit_report *rep)
{
	free(rep->eps);
	free(rep->fs);
	rep->eps = NULL;
	rep->fs = NULL;
	rep->neps = rep->nfs = rep->capfs = 0;
}
