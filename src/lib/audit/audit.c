/*
 * The audit pipeline (see audit.h): the remote side, service detection, safe
 * checks, and audit_run() that strings them with the local side (local.c)
 * and the judgement (judge.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit/audit-private.h"
#include "detect/engine.h"
#include "knowledge/services.h"
#include "scan/discovery.h"
#include "scan/engine.h"
#include "util/array.h"
#include "util/privdrop.h"
#include "util/thread.h"

#define AUDIT_TIMING         4    /* -T4: a check of known hosts, not a survey */
#define AUDIT_CHECK_MS       3000 /* deadline of one safe check */
#define AUDIT_CONNECT_MS     1500 /* detection: connect timeout */
#define AUDIT_ENDPOINT_MS    6000 /* detection: one endpoint's deadline */
#define AUDIT_CONFIDENCE     5    /* detection results below this are not taken */
#define AUDIT_TOP_PORTS      1000 /* remote mode without -p */
#define AUDIT_CHECK_THREADS  32   /* safe checks running at once over every host */
#define AUDIT_CHECK_PER_HOST 4    /* of them against one host */

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

/* Remote: names a ("unreachable") among the first targets in rep->silent. */
static void remote_silent(struct audit_report *rep, const struct target_addr *a)
{
	char b[INET6_ADDRSTRLEN];
	size_t at = strlen(rep->silent);

	rep->hosts_silent++;
	snprintf(rep->silent + at, sizeof(rep->silent) - at, "%s%s", at ? ", " : "",
	         target_addr_str(a, b, sizeof(b)));
}

/*
 * Remote: keeps discovery's verdict of h (hosts up get their UDP ports asked).
 * A target is unreachable when discovery found it down (no route, nobody at
 * the address), or when it is up but no port scanned answered (all filtered).
 */
static void remote_host(struct audit_report *rep, const struct scan_host *h)
{
	rep->hosts_done++;
	if (!h->up) {
		if (rep->ndown < AUDIT_MAX_DOWN)
			rep->down[rep->ndown++] =
			    (struct audit_down){.addr = h->addr, .reason = h->reason};
		rep->hosts_down++;
		remote_silent(rep, &h->addr);
		return;
	}
	if (h->nports && !h->counts[SCAN_OPEN] && !h->counts[SCAN_CLOSED])
		remote_silent(rep, &h->addr);
	if (GREEDY_REALLOC(rep->up, rep->capup, rep->nup + 1) < 0) {
		rep->overflow = true;
		return;
	}
	rep->up[rep->nup++] = h->addr;
}

static void scan_host(void *ctx, const struct scan_host *h)
{
	struct audit_job *j = ((struct audit_scan_ctx *)ctx)->j;
	const struct scan_sink *s = j->cfg->sink;

	if (j->cfg->remote)
		remote_host(j->rep, h);
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
	struct disc_config dc;

	if (scan_config_defaults(&cfg, AUDIT_TIMING) < 0)
		return -EINVAL;
	cfg.targets = ts;
	cfg.ports = pl;
	cfg.tech = &scan_tech_connect;
	cfg.cc.max_retries = 1;
	if (j->cfg->remote) {
		/* Only hosts up are audited: nmap's host discovery first, as scan does. */
		dc = (struct disc_config){.targets = ts,
		                          .raw = privdrop_have_net_raw(),
		                          .arp = true,
		                          .cc = cfg.cc,
		                          .seed = cfg.seed};
		cfg.discover = &dc;
		/* the UDP scan after it needs raw sockets; nothing else does */
		cfg.drop_privileges = dc.raw && !(j->cfg->ports && j->cfg->ports->udp.n);
	}
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

/* Whether a safe check applies to UDP port. */
static bool remote_udp_checked(uint16_t port)
{
	for (size_t c = 0; audit_checks[c]; c++)
		if (audit_check_applies(audit_checks[c], IPPROTO_UDP, port, NULL))
			return true;
	return false;
}

/* A remote UDP endpoint of target a: reachable (it answered) or unverified. */
static void remote_udp_ep(struct audit_job *j, const struct target_addr *a, uint16_t port,
                          bool answered)
{
	struct audit_endpoint *e = audit_ep_new(j->rep);
	char b[INET6_ADDRSTRLEN];

	if (!e)
		return;
	*e = (struct audit_endpoint){.proto = IPPROTO_UDP,
	                             .port = port,
	                             .family = a->family,
	                             .reach.exp =
	                                 answered ? AUDIT_EXP_REACHABLE : AUDIT_EXP_UNVERIFIED,
	                             .target = *a,
	                             .have_target = true};
	if (answered)
		snprintf(e->reach.on, sizeof(e->reach.on), "%s", target_addr_str(a, b, sizeof(b)));
}

/*
 * The raw UDP scan's answers: a port that answered is open; a silent one
 * (open|filtered: silent, or closed past the target's ICMP budget) is listed
 * unverified when a safe check may still ask it, else only counted; closed
 * and filtered ones are not open.
 */
static void remote_udp_port(void *ctx, const struct scan_result *r)
{
	struct audit_job *j = ctx;

	if (r->state == SCAN_OPEN)
		remote_udp_ep(j, r->addr, r->port, true);
	else if (r->state == SCAN_OPEN_FILTERED && remote_udp_checked(r->port))
		remote_udp_ep(j, r->addr, r->port, false);
	else if (r->state == SCAN_OPEN_FILTERED)
		j->rep->udp_silent++;
}

/* The UDP scan's hosts: those discovery found up (the down ones have nothing to ask). */
struct up_feed {
	const struct audit_report *rep;
	size_t next;
};

static long up_feed_next(void *ctx, struct target_addr *out, size_t max)
{
	struct up_feed *f = ctx;
	size_t n = 0;

	while (n < max && f->next < f->rep->nup)
		out[n++] = f->rep->up[f->next++];
	return (long)n;
}

static uint64_t up_feed_expect(void *ctx)
{
	return ((struct up_feed *)ctx)->rep->nup;
}

/*
 * Remote UDP: a raw UDP scan of the hosts up when this process may send raw
 * packets (its results stay out of the caller's sink: the history records the
 * TCP scan). Without CAP_NET_RAW there is no UDP scan; a UDP port with a safe
 * check (SNMP) is asked directly, an answer proves it open, and the others
 * are counted as not scanned.
 */
static int remote_udp(struct audit_job *j, const struct portlist *udp)
{
	struct scan_sink sink = {.ctx = j, .on_port = remote_udp_port};
	struct up_feed up = {.rep = j->rep};
	struct scan_feed feed = {.ctx = &up, .next = up_feed_next, .expect = up_feed_expect};
	struct scan_config cfg;
	int rc;

	if (udp->n == 0 || j->rep->nup == 0)
		return 0;
	if (scan_config_defaults(&cfg, AUDIT_TIMING) < 0)
		return -EINVAL;
	cfg.feed = &feed;
	cfg.ports = udp;
	cfg.tech = &scan_tech_udp;
	/*
	 * One try: the audit wants the ports that answer, which no ICMP rate limit
	 * holds back; retries paced to the target's ICMP budget (about a port a
	 * second) would only tell closed from silent ports, at hours for -p-.
	 */
	cfg.cc.max_retries = 0;
	cfg.drop_privileges = false; /* the audit goes on after the scan */
	rc = scan_run(&cfg, &sink, j->why, j->whylen);
	if (rc != -EPERM)
		return rc;
	if (j->why && j->whylen)
		j->why[0] = '\0';
	for (size_t k = 0; k < udp->n; k++) {
		if (!remote_udp_checked(udp->ports[k])) {
			j->rep->udp_skipped++;
			continue;
		}
		for (size_t i = 0; i < j->rep->nup; i++)
			remote_udp_ep(j, &j->rep->up[i], udp->ports[k], false);
	}
	return 0;
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
	/* Without TCP ports, discovery alone: which targets get their UDP ports asked. */
	if (rc == 0)
		rc = audit_scan(j, cfg->targets, pl, remote_on_port);
	if (rc == 0 && cfg->ports)
		rc = remote_udp(j, &cfg->ports->udp);
	if (rc < 0 && rc != -ENOMEM && rc != -EMFILE && rc != -ECANCELED)
		rc = -EIO;
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
		s4->sin_port = htons(e->target_port ? e->target_port : e->port);
		s4->sin_addr = e->target.v4;
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(e->target_port ? e->target_port : e->port);
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
	e->confidence = r->confidence;
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

/* One safe check to run: its endpoint, the outcome's slot, the target host's index. */
struct check_job {
	const struct audit_endpoint *e;
	struct audit_check_outcome *o;
	size_t host;
	bool started;
};

/* The safe checks of every host at once: a few threads, at most a few checks per host. */
struct check_pool {
	struct check_job *jobs;
	size_t n, first;   /* jobs; every one before first has started */
	unsigned *running; /* checks running per host */
	unsigned check_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* The next job whose host has room, or NULL (*left: whether any job is still to start). */
static struct check_job *pool_take(struct check_pool *p, bool *left)
{
	*left = false;
	while (p->first < p->n && p->jobs[p->first].started)
		p->first++;
	for (size_t i = p->first; i < p->n; i++) {
		struct check_job *j = &p->jobs[i];

		if (j->started)
			continue;
		*left = true;
		if (p->running[j->host] < AUDIT_CHECK_PER_HOST)
			return j;
	}
	return NULL;
}

static void *pool_worker(void *arg)
{
	struct check_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct sockaddr_storage ss;
		struct audit_conv conv;
		struct check_job *j;
		socklen_t sl;
		bool left;

		j = pool_take(p, &left);
		if (!j && !left)
			break;
		if (!j) { /* every job left waits for a busy host */
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		j->started = true;
		p->running[j->host]++;
		pthread_mutex_unlock(&p->lock);
		ep_sockaddr(j->e, &ss, &sl);
		j->o->verdict = audit_check_run(j->o->check, &ss, sl, p->check_ms, &conv);
		snprintf(j->o->evidence, sizeof(j->o->evidence), "%s",
		         j->o->verdict < 0 ? "" : conv.evidence);
		pthread_mutex_lock(&p->lock);
		p->running[j->host]--;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * The safe checks that apply to each endpoint the judgement will look at;
 * their outcomes, in the order of the endpoints and checks. They run at once
 * over every host (AUDIT_CHECK_THREADS threads), at most AUDIT_CHECK_PER_HOST
 * at a time against one host, each within check_ms. Returns 0 or -ENOMEM.
 */
static int audit_checks_run(struct audit_report *rep, unsigned check_ms)
{
	struct check_pool p = {.check_ms = check_ms};
	struct target_addr *hosts = NULL;
	pthread_t threads[AUDIT_CHECK_THREADS];
	size_t capjobs = 0, nhosts = 0, caphosts = 0;
	unsigned started = 0;
	int r = 0;

	for (size_t i = 0; i < rep->neps && r == 0; i++) {
		struct audit_endpoint *e = &rep->eps[i];
		size_t h;

		if (!e->have_target ||
		    (e->proto == IPPROTO_TCP && e->reach.exp != AUDIT_EXP_REACHABLE))
			continue;
		for (h = 0; h < nhosts && !target_addr_equal(&hosts[h], &e->target); h++)
			;
		for (size_t c = 0; audit_checks[c] && e->nchecks < AUDIT_MAX_CHECKS; c++) {
			if (!audit_check_applies(audit_checks[c], e->proto, e->port, e->service))
				continue;
			if (h == nhosts && (r = GREEDY_REALLOC(hosts, caphosts, nhosts + 1)) == 0)
				hosts[nhosts++] = e->target;
			if (r == 0)
				r = GREEDY_REALLOC(p.jobs, capjobs, p.n + 1);
			if (r < 0)
				break;
			e->checks[e->nchecks] =
			    (struct audit_check_outcome){.check = audit_checks[c]};
			p.jobs[p.n++] =
			    (struct check_job){.e = e, .o = &e->checks[e->nchecks++], .host = h};
		}
	}
	p.running = r == 0 ? calloc(nhosts + 1, sizeof(*p.running)) : NULL;
	if (r < 0 || !p.running) {
		free(p.jobs);
		free(hosts);
		return -ENOMEM;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	for (; started < AUDIT_CHECK_THREADS && started < p.n; started++)
		if (thread_start(&threads[started], pool_worker, &p))
			break;
	if (!started && p.n)
		pool_worker(&p); /* no thread: one at a time, here */
	for (unsigned t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	free(p.running);
	free(p.jobs);
	free(hosts);
	return 0;
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

/* Endpoints in the order people read them: protocol, port, family, address. */
static int endpoint_cmp(const void *a, const void *b)
{
	const struct audit_endpoint *x = a, *y = b;
	const void *ax = x->local ? (const void *)x->bind : target_addr_bytes(&x->target);
	const void *ay = y->local ? (const void *)y->bind : target_addr_bytes(&y->target);

	if (x->proto != y->proto)
		return x->proto == IPPROTO_TCP ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(ax, ay, target_addr_size(x->family));
}

int audit_run(const struct audit_config *cfg, struct audit_report *rep, char *why, size_t whylen)
{
	struct audit_job j = {.cfg = cfg, .rep = rep, .why = why, .whylen = whylen};
	int rc;

	*rep = (struct audit_report){.remote = cfg->remote};
	if (why && whylen)
		why[0] = '\0';
	rep->eps = calloc(AUDIT_MAX_EPS, sizeof(*rep->eps));
	rep->down = cfg->remote ? calloc(AUDIT_MAX_DOWN, sizeof(*rep->down)) : NULL;
	if (!rep->eps || (cfg->remote && !rep->down))
		return -ENOMEM;
	rc = cfg->remote ? audit_remote(&j) : audit_local(&j);
	if (rc == 0)
		rc = audit_detect(rep);
	if (rc == 0) {
		name_ports(rep, cfg->kb);
		rc = audit_checks_run(rep, cfg->check_ms ? cfg->check_ms : AUDIT_CHECK_MS);
		/* sorted before the judgement: findings point into eps by index */
		if (rc == 0)
			qsort(rep->eps, rep->neps, sizeof(*rep->eps), endpoint_cmp);
		if (rc == 0)
			rc = audit_judge(rep);
	}
	free(j.ports);
	free(j.states);
	return rc;
}

void audit_report_free(struct audit_report *rep)
{
	for (size_t i = 0; rep->eps && i < rep->neps; i++)
		free(rep->eps[i].reach.paths);
	fw_ruleset_free(rep->fw_rs);
	rep->fw_rs = NULL;
	free(rep->eps);
	free(rep->fs);
	free(rep->up);
	free(rep->down);
	rep->eps = NULL;
	rep->fs = NULL;
	rep->up = NULL;
	rep->down = NULL;
	rep->neps = rep->nfs = rep->capfs = 0;
}
