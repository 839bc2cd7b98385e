/*
 * Host discovery by connect() (the unprivileged mode, and Windows'): the
 * connect engine over the TCP ports of the targets that need probing, fed
 * from here; a host with an open or refusing port is up. where() says which
 * targets are decided without a probe (this machine's: up, localhost-response;
 * unreachable: down, no-route).
 */
#include <errno.h>
#include <pthread.h>

#include "net/perm.h"
#include "scan/discovery-private.h"
#include "scan/engine.h"

struct disc_conn {
	const struct disc_config *cfg;
	int (*where)(void *ctx, const struct target_addr *a);
	void *where_ctx;
	const struct disc_sink *sink;
	struct disc_stats *st;
	pthread_mutex_t lock; /* the sink, against the engine's threads */
	uint64_t next, count;
	struct perm perm;
};

/* A verdict of the connect path, counted and handed to the sink. */
static void disc_conn_emit(struct disc_conn *c, const struct disc_host *h)
{
	pthread_mutex_lock(&c->lock);
	c->st->targets++;
	c->st->up += h->up;
	if (c->sink->on_host)
		c->sink->on_host(c->sink->ctx, h);
	pthread_mutex_unlock(&c->lock);
}

/* The feed of the connect engine: targets that need probing; the others are decided here. */
static long disc_conn_next(void *ctx, struct target_addr *out, size_t max)
{
	struct disc_conn *c = ctx;
	size_t n = 0;

	while (n < max && c->next < c->count) {
		uint64_t idx = c->cfg->randomize_hosts ? perm_at(&c->perm, c->next) : c->next;
		struct disc_host h = {.reason = SCAN_REASON_NONE};
		int r;

		c->next++;
		r = targetset_get(c->cfg->targets, idx, &h.addr);
		if (r < 0)
			return r;
		r = c->where(c->where_ctx, &h.addr);
		if (r < 0 && r != -ENETUNREACH)
			return r;
		if (r == 0) {
			out[n++] = h.addr;
			continue;
		}
		h.up = r > 0;
		h.reason = r > 0 ? SCAN_REASON_LOCALHOST : SCAN_REASON_NO_ROUTE;
		disc_conn_emit(c, &h);
	}
	return (long)n;
}

static uint64_t disc_conn_expect(void *ctx)
{
	struct disc_conn *c = ctx;

	return c->count;
}

/* A host's connect() results: an open or refusing port is up. */
static void disc_conn_host(void *ctx, const struct scan_host *sh)
{
	struct disc_conn *c = ctx;
	struct disc_host h = {.addr = sh->addr, .reason = SCAN_REASON_NO_RESPONSE};

	h.up = sh->counts[SCAN_OPEN] + sh->counts[SCAN_CLOSED] > 0;
	for (size_t i = 0; i < sh->nports; i++) {
		enum scan_state s = scan_res_state(sh->res[i]);
		enum scan_reason r = scan_res_reason(sh->res[i]);

		if (s == SCAN_OPEN) {
			h.reason = SCAN_REASON_SYN_ACK;
			break;
		}
		if (h.up ? s == SCAN_CLOSED : r != SCAN_REASON_NO_RESPONSE && r != SCAN_REASON_NONE)
			h.reason = r;
	}
	h.rtt_us = h.up ? sh->srtt_us : 0;
	disc_conn_emit(c, &h);
}

static void disc_conn_progress(void *ctx, const struct scan_progress *p)
{
	struct disc_conn *c = ctx;
	struct scan_progress q = *p;

	pthread_mutex_lock(&c->lock);
	q.done = c->st->targets;
	q.total = c->count;
	q.found = c->st->up;
	if (c->sink->on_progress)
		c->sink->on_progress(c->sink->ctx, &q);
	pthread_mutex_unlock(&c->lock);
}

int disc_connect_run(const struct disc_config *cfg, const struct portlist *ports,
                     int (*where)(void *ctx, const struct target_addr *a), void *where_ctx,
                     const struct disc_sink *sink, struct disc_stats *st, char *why, size_t whylen)
{
	struct disc_conn c = {
	    .cfg = cfg, .where = where, .where_ctx = where_ctx, .sink = sink, .st = st};
	struct scan_feed feed = {.ctx = &c, .next = disc_conn_next, .expect = disc_conn_expect};
	struct scan_sink ss = {
	    .ctx = &c, .on_host_done = disc_conn_host, .on_progress = disc_conn_progress};
	struct scan_config sc = {
	    .feed = &feed,
	    .tech = &scan_tech_connect,
	    .cc = cfg->cc,
	    .seed = cfg->seed,
	    .threads = cfg->threads,
	    .ports = ports,
	};
	int r;

	c.count = targetset_count(cfg->targets);
	perm_init(&c.perm, c.count, cfg->seed ^ 0x9e3779b97f4a7c15ull);
	pthread_mutex_init(&c.lock, NULL);
	r = scan_run(&sc, &ss, why, whylen);
	pthread_mutex_destroy(&c.lock);
	return r;
}
