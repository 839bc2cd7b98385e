/* Host discovery streamed into the port scan (see pipeline.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan/discovery.h"
#include "scan/pipeline.h"
#include "util/clock.h"
#include "util/privdrop.h"
#include "util/thread.h"
#include "util/why.h"

#define PIPE_QUEUE  65536 /* hosts found up, waiting for the engine */
#define PIPE_LINGER 200   /* ms a group waits for more hosts after its first */

struct pipe {
	const struct scan_config *cfg;
	const struct scan_sink *sink;
	struct disc *disc;
	pthread_mutex_t lock; /* everything below, and the sink's calls */
	pthread_cond_t cond;
	pthread_t thread;
	bool started, done;
	int err;
	char dwhy[512];
	struct disc_stats st;
	/* Hosts up, waiting for the engine (a ring). */
	struct disc_host *q;
	size_t qhead, qlen;
	/* The group the engine has: what discovery said of each host. */
	struct disc_host *grp;
	size_t ngrp, gcap, gcur;
	uint64_t ups;
	struct scan_summary sum; /* the engine's */
};

/* A host with no ports to report (down, or up with -sn); called with the lock held. */
static void pipe_report(struct pipe *p, const struct disc_host *h)
{
	struct scan_host sh = {
	    .addr = h->addr,
	    .up = h->up,
	    .reason = h->reason,
	    .reason_ttl = h->ttl,
	    .has_mac = h->has_mac,
	    .srtt_us = h->rtt_us,
	    .proto = p->cfg->tech ? p->cfg->tech->proto : 0,
	    .start = clock_wall(),
	};

	memcpy(sh.mac, h->mac, 6);
	sh.end = sh.start;
	if (p->sink->on_host_done)
		p->sink->on_host_done(p->sink->ctx, &sh);
}

/* Discovery's verdicts: ups wait for the engine (or, with -sn, go out), downs go out. */
static void pipe_on_host(void *ctx, const struct disc_host *h)
{
	struct pipe *p = ctx;
	bool scan = p->cfg->ports && p->cfg->ports->n;

	pthread_mutex_lock(&p->lock);
	if (h->up)
		p->ups++;
	if (!h->up || !scan) {
		pipe_report(p, h);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	while (p->qlen == PIPE_QUEUE && !p->err)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->err) { /* the scan stops: nobody takes it */
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->q[(p->qhead + p->qlen) % PIPE_QUEUE] = *h;
	p->qlen++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void pipe_on_progress(void *ctx, const struct scan_progress *pr)
{
	struct pipe *p = ctx;

	/* With a port scan, the engine reports progress. */
	if (p->cfg->ports && p->cfg->ports->n)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->sink->on_progress)
		p->sink->on_progress(p->sink->ctx, pr);
	pthread_mutex_unlock(&p->lock);
}

static void *pipe_discover(void *arg)
{
	struct pipe *p = arg;
	struct disc_sink ds = {.ctx = p, .on_host = pipe_on_host, .on_progress = pipe_on_progress};
	struct disc_stats st;
	int r = disc_run(p->disc, &ds, &st, p->dwhy, sizeof(p->dwhy));

	pthread_mutex_lock(&p->lock);
	p->st = st;
	p->done = true;
	if (r < 0 && !p->err)
		p->err = r;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* The engine's feed: waits for hosts found up, then lingers a little for more. */
static long pipe_next(void *ctx, struct target_addr *out, size_t max)
{
	struct pipe *p = ctx;
	size_t n;
	int r;

	pthread_mutex_lock(&p->lock);
	if (!p->started) {
		/* Only now: a raw engine has opened its sockets and dropped privileges. */
		r = thread_start(&p->thread, pipe_discover, p);
		if (r) {
			pthread_mutex_unlock(&p->lock);
			return -r;
		}
		p->started = true;
	}
	while (p->qlen == 0 && !p->done && !p->err)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->qlen && p->qlen < max && !p->done && !p->err) {
		struct timespec until = clock_mono_after_ms(PIPE_LINGER);

		while (p->qlen < max && !p->done && !p->err &&
		       pthread_cond_timedwait(&p->cond, &p->lock, &until) != ETIMEDOUT)
			;
	}
	if (p->err) {
		r = p->err;
		pthread_mutex_unlock(&p->lock);
		return r;
	}
	n = p->qlen < max ? p->qlen : max;
	if (n > p->gcap) {
		struct disc_host *g = realloc(p->grp, n * sizeof(*g));

		if (!g) {
			pthread_mutex_unlock(&p->lock);
			return -ENOMEM;
		}
		p->grp = g;
		p->gcap = n;
	}
	for (size_t i = 0; i < n; i++) {
		p->grp[i] = p->q[p->qhead];
		out[i] = p->grp[i].addr;
		p->qhead = (p->qhead + 1) % PIPE_QUEUE;
	}
	p->qlen -= n;
	p->ngrp = n;
	p->gcur = 0;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return (long)n;
}

static uint64_t pipe_expect(void *ctx)
{
	struct pipe *p = ctx;
	uint64_t n;

	pthread_mutex_lock(&p->lock);
	n = p->ups;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void pipe_port(void *ctx, const struct scan_result *r)
{
	struct pipe *p = ctx;

	pthread_mutex_lock(&p->lock);
	if (p->sink->on_port)
		p->sink->on_port(p->sink->ctx, r);
	pthread_mutex_unlock(&p->lock);
}

/* A port-scanned host: with what discovery said of it (engines report in group order). */
static void pipe_host_done(void *ctx, const struct scan_host *h)
{
	struct pipe *p = ctx;
	struct scan_host x = *h;

	pthread_mutex_lock(&p->lock);
	for (size_t k = 0; k < p->ngrp; k++) {
		const struct disc_host *d = &p->grp[(p->gcur + k) % p->ngrp];

		if (!target_addr_equal(&d->addr, &h->addr))
			continue;
		x.reason = d->reason;
		x.reason_ttl = d->ttl;
		x.has_mac = d->has_mac;
		memcpy(x.mac, d->mac, 6);
		if (!x.srtt_us)
			x.srtt_us = d->rtt_us;
		p->gcur = (p->gcur + k + 1) % p->ngrp;
		break;
	}
	if (p->sink->on_host_done)
		p->sink->on_host_done(p->sink->ctx, &x);
	pthread_mutex_unlock(&p->lock);
}

static void pipe_progress(void *ctx, const struct scan_progress *pr)
{
	struct pipe *p = ctx;

	pthread_mutex_lock(&p->lock);
	if (p->sink->on_progress)
		p->sink->on_progress(p->sink->ctx, pr);
	pthread_mutex_unlock(&p->lock);
}

static void pipe_done(void *ctx, const struct scan_summary *s)
{
	struct pipe *p = ctx;

	pthread_mutex_lock(&p->lock);
	p->sum = *s;
	pthread_mutex_unlock(&p->lock);
}

/* Stops discovery and waits for its thread. */
static void pipe_join(struct pipe *p)
{
	if (!p->started)
		return;
	disc_stop(p->disc);
	pthread_mutex_lock(&p->lock);
	p->err = p->err ? p->err : (p->done ? 0 : -ECANCELED);
	pthread_cond_broadcast(&p->cond); /* a discovery waiting for room in the queue */
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->started = false;
}

int pipeline_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                 size_t whylen)
{
	struct pipe p = {.cfg = cfg, .sink = sink};
	struct disc_config dc = *cfg->discover;
	struct scan_feed feed = {.ctx = &p, .next = pipe_next, .expect = pipe_expect};
	struct scan_sink ws = {.ctx = &p,
	                       .on_port = pipe_port,
	                       .on_host_done = pipe_host_done,
	                       .on_progress = pipe_progress,
	                       .on_done = pipe_done};
	struct scan_config ec = *cfg;
	double start = clock_wall();
	struct scan_summary sum = {.start = start};
	bool scan = cfg->ports && cfg->ports->n;
	uint64_t t0 = clock_mono_us();
	pthread_condattr_t ca;
	int r;

	dc.targets = cfg->targets;
	if (scan && !dc.raw && dc.cc.cwnd_max >= 2) {
		/* Two connect engines at once: half the descriptors each. */
		dc.cc.cwnd_max /= 2;
		ec.cc.cwnd_max /= 2;
		ec.cc.cwnd_init =
		    ec.cc.cwnd_init < ec.cc.cwnd_max ? ec.cc.cwnd_init : ec.cc.cwnd_max;
		dc.cc.cwnd_init =
		    dc.cc.cwnd_init < dc.cc.cwnd_max ? dc.cc.cwnd_init : dc.cc.cwnd_max;
	}
	r = disc_open(&dc, &p.disc, why, whylen);
	if (r < 0)
		return r;
	pthread_mutex_init(&p.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p.cond, &ca);
	pthread_condattr_destroy(&ca);
	p.q = scan ? calloc(PIPE_QUEUE, sizeof(*p.q)) : NULL;
	if (scan && !p.q) {
		why_set(why, whylen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (cfg->drop_privileges && (!scan || !cfg->tech->needs_raw)) {
		r = privdrop_all(why, whylen);
		if (r < 0)
			goto out;
	}
	if (!scan) {
		struct disc_sink ds = {
		    .ctx = &p, .on_host = pipe_on_host, .on_progress = pipe_on_progress};

		r = disc_run(p.disc, &ds, &p.st, why, whylen);
		if (r < 0)
			goto out;
	} else {
		ec.discover = NULL;
		ec.feed = &feed;
		r = scan_run(&ec, &ws, why, whylen);
		if (r < 0 && p.err && p.err != -ECANCELED && p.dwhy[0])
			why_set(why, whylen, "%s", p.dwhy); /* discovery failed first */
		pipe_join(&p);
		if (r < 0)
			goto out;
		sum = p.sum;
		sum.start = start;
	}
	sum.hosts_total = p.st.targets;
	sum.hosts_up = p.ups;
	sum.probes_sent += p.st.sent;
	sum.retries += p.st.retries;
	sum.end = clock_wall();
	sum.elapsed = (double)(clock_mono_us() - t0) / 1e6;
	if (sink->on_done)
		sink->on_done(sink->ctx, &sum);
out:
	pipe_join(&p);
	disc_close(p.disc);
	free(p.q);
	free(p.grp);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	return r;
}
