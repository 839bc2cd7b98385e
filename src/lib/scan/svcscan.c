/* Service detection of many hosts at once (see svcscan.h). */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scan/svcscan.h"
#include "util/thread.h"

struct sv_host {
	struct sv_host *next;
	struct scan_host h; /* h.res, h.ttl, h.ports are the copies below */
	uint8_t *res, *ttl;
	uint16_t *hports; /* the engine's arrays go with its host group */
	struct svcscan_port *ports;
	size_t n, sent; /* ports to probe; of them given to a round */
	enum probes_proto proto;
};

struct svcscan {
	const struct detect_config *dc;
	unsigned per_host;
	svcscan_done done;
	void *ctx;
	pthread_mutex_t lock; /* the waiting list, the counts, err */
	pthread_cond_t cond;
	pthread_t thread;
	struct sv_host *waiting, **tail;
	size_t nports; /* ports waiting or in a round */
	bool finishing;
	int err;
};

/* One round: which host and port each endpoint is. */
struct sv_round {
	const struct detect_endpoint *eps;
	struct sv_host **host;
	size_t *idx;
};

static void sv_free(struct sv_host *x)
{
	free(x->res);
	free(x->ttl);
	free(x->hports);
	free(x->ports);
	free(x);
}

static void sv_result(void *ctx, const struct detect_result *r)
{
	struct sv_round *rd = ctx;
	size_t i = (size_t)(r->ep - rd->eps);
	struct svcscan_port *p = &rd->host[i]->ports[rd->idx[i]];

	p->r = *r;
	p->r.ep = NULL; /* the endpoints go with the round */
}

static void sv_endpoint(struct detect_endpoint *ep, const struct sv_host *x, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->proto = x->proto;
	if (x->h.addr.family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ep->addr;

		a->sin6_family = AF_INET6;
		a->sin6_addr = x->h.addr.v6;
		a->sin6_port = htons(port);
		ep->addrlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ep->addr;

		a->sin_family = AF_INET;
		a->sin_addr = x->h.addr.v4;
		a->sin_port = htons(port);
		ep->addrlen = sizeof(*a);
	}
}

/*
 * One detect_run() over the next ports of every active host: each gets an
 * equal share of SVCSCAN_ROUND, never fewer than per_host (a host alone gets
 * them all). 0 or a negative errno.
 */
static int sv_round(struct svcscan *s, struct sv_host *active)
{
	struct sv_round rd = {0};
	struct detect_endpoint *eps;
	size_t m = 0, nactive = 0, k;
	int r;

	for (struct sv_host *x = active; x; x = x->next)
		nactive++;
	k = SVCSCAN_ROUND / nactive > s->per_host ? SVCSCAN_ROUND / nactive : s->per_host;
	for (struct sv_host *x = active; x; x = x->next)
		m += x->n - x->sent < k ? x->n - x->sent : k;
	if (m == 0)
		return 0;
	eps = calloc(m, sizeof(*eps));
	rd.host = calloc(m, sizeof(*rd.host));
	rd.idx = calloc(m, sizeof(*rd.idx));
	if (!eps || !rd.host || !rd.idx) {
		r = -ENOMEM;
		goto out;
	}
	m = 0;
	for (struct sv_host *x = active; x; x = x->next)
		for (size_t j = 0; j < k && x->sent < x->n; j++, x->sent++, m++) {
			sv_endpoint(&eps[m], x, x->ports[x->sent].port);
			rd.host[m] = x;
			rd.idx[m] = x->sent;
		}
	rd.eps = eps;
	r = detect_run(s->dc, eps, m, sv_result, &rd);
out:
	free(eps);
	free(rd.host);
	free(rd.idx);
	return r;
}

/* Hands back the active hosts whose every port is decided; returns the rest. */
static struct sv_host *sv_hand_back(struct svcscan *s, struct sv_host *active)
{
	struct sv_host *keep = NULL, **kt = &keep;

	while (active) {
		struct sv_host *x = active;

		active = x->next;
		if (x->sent < x->n) {
			x->next = NULL;
			*kt = x;
			kt = &x->next;
			continue;
		}
		s->done(s->ctx, &x->h, x->ports, x->n);
		pthread_mutex_lock(&s->lock);
		s->nports -= x->n;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		sv_free(x);
	}
	return keep;
}

static void *sv_worker(void *arg)
{
	struct svcscan *s = arg;
	struct sv_host *active = NULL, **at = &active;

	for (;;) {
		int r;

		pthread_mutex_lock(&s->lock);
		while (!s->waiting && !active && !s->finishing)
			pthread_cond_wait(&s->cond, &s->lock);
		/* Hosts that came meanwhile join the next round. */
		for (at = &active; *at; at = &(*at)->next)
			;
		*at = s->waiting;
		s->waiting = NULL;
		s->tail = &s->waiting;
		if (!active) { /* finishing, nothing left */
			pthread_mutex_unlock(&s->lock);
			break;
		}
		pthread_mutex_unlock(&s->lock);
		r = sv_round(s, active);
		if (r < 0) {
			pthread_mutex_lock(&s->lock);
			s->err = s->err ? s->err : r;
			pthread_mutex_unlock(&s->lock);
		}
		active = sv_hand_back(s, active);
	}
	return NULL;
}

int svcscan_start(struct svcscan **out, const struct detect_config *dc, unsigned per_host,
                  svcscan_done done, void *ctx)
{
	struct svcscan *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	*s = (struct svcscan){
	    .dc = dc, .per_host = per_host ? per_host : 1, .done = done, .ctx = ctx};
	s->tail = &s->waiting;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	r = thread_start(&s->thread, sv_worker, s);
	if (r) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -r;
	}
	*out = s;
	return 0;
}

int svcscan_add(struct svcscan *s, const struct scan_host *h, const uint16_t *ports, size_t n,
                enum probes_proto proto)
{
	struct sv_host *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return -ENOMEM;
	x->h = *h;
	x->n = n;
	x->proto = proto;
	x->res = malloc(h->nports ? h->nports : 1);
	x->hports = malloc((h->nports ? h->nports : 1) * sizeof(*x->hports));
	x->ttl = h->ttl ? malloc(h->nports ? h->nports : 1) : NULL;
	x->ports = calloc(n ? n : 1, sizeof(*x->ports));
	if (!x->res || !x->hports || (h->ttl && !x->ttl) || !x->ports) {
		sv_free(x);
		return -ENOMEM;
	}
	if (h->nports) {
		memcpy(x->res, h->res, h->nports);
		memcpy(x->hports, h->ports, h->nports * sizeof(*x->hports));
		if (h->ttl)
			memcpy(x->ttl, h->ttl, h->nports);
	}
	x->h.res = x->res;
	x->h.ports = x->hports;
	x->h.ttl = x->ttl;
	for (size_t i = 0; i < n; i++)
		x->ports[i].port = ports[i];
	pthread_mutex_lock(&s->lock);
	/* Room first: a port scan faster than detection waits here. */
	while (s->nports && s->nports + n > SVCSCAN_MAX_WAITING)
		pthread_cond_wait(&s->cond, &s->lock);
	s->nports += n;
	*s->tail = x;
	s->tail = &x->next;
	err = s->err;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int svcscan_finish(struct svcscan *s)
{
	int err;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->finishing = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	err = s->err;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return err;
}
