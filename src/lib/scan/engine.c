/*
 * The scan engine (see engine.h).
 *
 * The main thread sets up one host group at a time, starts the workers on it,
 * reports progress while they run and, once they have all finished, reports
 * the group's hosts. Workers take (host, port) indexes from a shared counter
 * in chunks, map them through the group's permutation, and keep their own
 * probes: a slot table, an in-flight list ordered by send time (so timeouts
 * expire from the head, all probes sharing the worker's current timeout), and a
 * queue of probes to send again (retries, self-connects, confirmations).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "net/perm.h"
#include "scan/engine.h"
#include "scan/pipeline.h"
#include "scan/timing.h"
#include "util/clock.h"
#include "util/seed.h"
#include "util/why.h"

#define SCAN_CHUNK         64         /* indexes a worker takes at a time */
#define SCAN_GROUP_RESULTS (1u << 20) /* (host, port) results per host group */
#define SCAN_MAX_GROUP     4096       /* hosts per group */
#define SCAN_MAX_THREADS   4
#define SCAN_MAX_WINDOW    16384
#define SCAN_STARVE_US     (5 * 1000000ull) /* no descriptor, nothing in flight: give up */
#define SCAN_PROGRESS_MS   250              /* progress reports while a group runs */
#define SCAN_CHECKPOINT_US 500000           /* checkpoints while a group runs */

struct scan_ghost {
	struct target_addr addr;
	struct sockaddr_storage sa; /* the address, port filled per probe */
	socklen_t salen;
	atomic_bool timedout;
	atomic_uint_fast64_t rtt_sum_us, rtt_n;
};

/* One host group: what the workers share. */
struct scan_group {
	const struct scan_config *cfg;
	const struct scan_sink *sink;
	pthread_mutex_t *sink_lock;
	struct scan_ghost *hosts;
	size_t nhosts, nports;
	uint8_t *res;        /* nhosts * nports, host-major */
	uint16_t *own_ports; /* a host's ports of this shard (reports) */
	uint8_t *own_res;
	struct perm perm;
	uint64_t total;            /* nhosts * nports */
	atomic_uint_fast64_t next; /* next index to hand out */
	uint64_t start_us;
	atomic_int error; /* first failure, stops everyone */
	atomic_uint_fast64_t *done, *sent, *found, *retries;
};

struct scan_item {
	uint32_t host, pidx;
	uint8_t tries;  /* sends before this one */
	uint8_t agains; /* self-connects so far */
	bool confirm;   /* second probe confirming a local open */
};

struct scan_probe {
	int fd;
	struct scan_item it;
	uint64_t sent_us;
	uint32_t prev, next; /* in-flight list, oldest first; UINT32_MAX ends */
};

struct scan_worker {
	struct scan_group *g;
	pthread_t thread;
	int ep;
	struct cc_state cc;
	struct scan_probe *slots;
	uint32_t nslots, *free, nfree;
	uint32_t head, tail; /* in-flight list */
	unsigned inflight;
	struct scan_item *queue; /* ring of probes to send again */
	size_t qcap, qhead, qlen;
	uint64_t chunk_next, chunk_end;
	bool indexes_left;
	int spare;             /* a descriptor handed back for reuse (v.reuse), or -1 */
	uint64_t starve_since; /* when EMFILE hit with nothing in flight, 0 otherwise */
	unsigned fp_tries, fp_hits, fp_skip; /* the fast path's sampling (scan_fastpath()) */
	pthread_mutex_t *fin_lock;
	pthread_cond_t *fin_cond;
	unsigned *finished;
};

static unsigned scan_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 16;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 2 ? n - 2 : n; /* "." and ".." */
}

unsigned scan_fd_budget(void)
{
	struct rlimit rl;
	uint64_t cur, used, headroom, b;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return SCAN_MAX_WINDOW;
	cur = rl.rlim_cur;
	used = scan_open_fds();
	headroom = 16 + cur / 32;
	b = cur > used + headroom ? cur - used - headroom : 1;
	return b > SCAN_MAX_WINDOW ? SCAN_MAX_WINDOW : (unsigned)b;
}

void scan_hostiter_init(struct scan_hostiter *it, const struct scan_config *cfg)
{
	*it = (struct scan_hostiter){.cfg = cfg};
	if (cfg->feed)
		return;
	it->count = targetset_count(cfg->targets);
	perm_init(&it->perm, it->count, cfg->seed ^ 0x9e3779b97f4a7c15ull);
	if (cfg->resume) {
		uint64_t skip = cfg->resume->hosts_done + cfg->resume->nhosts;

		it->next = it->taken = skip < it->count ? skip : it->count;
		it->resume_pending = cfg->resume->nhosts > 0;
	}
}

long scan_hostiter_take(struct scan_hostiter *it, struct target_addr *out, size_t max)
{
	const struct scan_config *cfg = it->cfg;
	size_t n = 0;

	it->from_checkpoint = false;
	if (it->resume_pending) {
		const struct scan_checkpoint *c = cfg->resume;

		it->resume_pending = false;
		if (c->nhosts > max)
			return -EINVAL; /* not this scan's checkpoint */
		memcpy(out, c->hosts, c->nhosts * sizeof(*out));
		it->from_checkpoint = true;
		return (long)c->nhosts;
	}
	if (cfg->feed) {
		long r = cfg->feed->next(cfg->feed->ctx, out, max);

		if (r > 0)
			it->taken += (uint64_t)r;
		return r;
	}
	for (; n < max && it->next < it->count; n++, it->next++) {
		uint64_t idx = cfg->randomize_hosts ? perm_at(&it->perm, it->next) : it->next;
		int r = targetset_get(cfg->targets, idx, &out[n]);

		if (r < 0)
			return r;
	}
	it->taken += n;
	return (long)n;
}

uint64_t scan_hostiter_resume(const struct scan_hostiter *it, uint8_t *res, size_t total)
{
	const struct scan_checkpoint *c = it->cfg->resume;
	uint64_t n = 0;

	if (!it->from_checkpoint || c->nhosts * c->nports != total)
		return 0;
	for (size_t i = 0; i < total; i++)
		if (res[i] == 0 && c->res[i] != 0 && c->res[i] != SCAN_RES_OTHER_SHARD) {
			res[i] = c->res[i];
			n++;
		}
	return n;
}

uint64_t scan_hostiter_expect(const struct scan_hostiter *it)
{
	uint64_t e;

	if (!it->cfg->feed)
		return it->count;
	e = it->cfg->feed->expect ? it->cfg->feed->expect(it->cfg->feed->ctx) : 0;
	return e > it->taken ? e : it->taken;
}

int scan_config_defaults(struct scan_config *cfg, unsigned level)
{
	int r;

	*cfg = (struct scan_config){0};
	r = scan_timing_template(level, scan_fd_budget(), &cfg->cc, &cfg->host_timeout_us);
	if (r < 0) {
		*cfg = (struct scan_config){0};
		return r;
	}
	cfg->seed = seed_random();
	return 0;
}

/* ---- the retry queue ---- */

static int scan_queue_push(struct scan_worker *w, const struct scan_item *it, bool front)
{
	if (w->qlen == w->qcap) {
		size_t ncap = w->qcap ? w->qcap * 2 : 64;
		struct scan_item *q = malloc(ncap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (size_t i = 0; i < w->qlen; i++)
			q[i] = w->queue[(w->qhead + i) % w->qcap];
		free(w->queue);
		w->queue = q;
		w->qcap = ncap;
		w->qhead = 0;
	}
	if (front) {
		w->qhead = (w->qhead + w->qcap - 1) % w->qcap;
		w->queue[w->qhead] = *it;
	} else {
		w->queue[(w->qhead + w->qlen) % w->qcap] = *it;
	}
	w->qlen++;
	return 0;
}

static void scan_set_error(struct scan_group *g, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&g->error, &zero, err);
}

/* Next work item: the queue first, then fresh indexes. Returns false when none. */
static bool scan_next_item(struct scan_worker *w, struct scan_item *it)
{
	struct scan_group *g = w->g;
	uint64_t v;

	if (w->qlen) {
		*it = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
		return true;
	}
	do {
		if (w->chunk_next == w->chunk_end) {
			uint64_t start = atomic_fetch_add(&g->next, SCAN_CHUNK);

			if (start >= g->total) {
				w->indexes_left = false;
				return false;
			}
			w->chunk_next = start;
			w->chunk_end =
			    start + SCAN_CHUNK < g->total ? start + SCAN_CHUNK : g->total;
		}
		v = perm_at(&g->perm, w->chunk_next++);
		*it = (struct scan_item){.host = (uint32_t)(v % g->nhosts),
		                         .pidx = (uint32_t)(v / g->nhosts)};
		/* Decided before the group began: another shard's. */
	} while (g->res[(size_t)it->host * g->nports + it->pidx] != 0);
	return true;
}

static bool scan_host_expired(struct scan_group *g, uint32_t host, uint64_t now)
{
	struct scan_ghost *h = &g->hosts[host];

	if (atomic_load_explicit(&h->timedout, memory_order_relaxed))
		return true;
	if (g->cfg->host_timeout_us && now - g->start_us > g->cfg->host_timeout_us) {
		atomic_store(&h->timedout, true);
		return true;
	}
	return false;
}

/* Records a decided port and reports it. */
static void scan_record(struct scan_worker *w, const struct scan_item *it, enum scan_state st,
                        enum scan_reason why, uint32_t rtt_us)
{
	struct scan_group *g = w->g;
	struct scan_ghost *h = &g->hosts[it->host];

	atomic_fetch_add_explicit(g->done, 1, memory_order_relaxed);
	if (atomic_load_explicit(&h->timedout, memory_order_relaxed))
		return;
	g->res[(size_t)it->host * g->nports + it->pidx] = scan_res_pack(st, why);
	if (st == SCAN_OPEN)
		atomic_fetch_add_explicit(g->found, 1, memory_order_relaxed);
	if (rtt_us && it->tries == 0) {
		atomic_fetch_add_explicit(&h->rtt_sum_us, rtt_us, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->rtt_n, 1, memory_order_relaxed);
	}
	if (g->sink->on_port) {
		struct scan_result r = {
		    .addr = &h->addr,
		    .proto = g->cfg->tech->proto,
		    .port = g->cfg->ports->ports[it->pidx],
		    .state = st,
		    .reason = why,
		    .rtt_us = rtt_us,
		};

		pthread_mutex_lock(g->sink_lock);
		g->sink->on_port(g->sink->ctx, &r);
		pthread_mutex_unlock(g->sink_lock);
	}
}

/* A probe sent at sent_us got verdict v at now. */
static void scan_decide(struct scan_worker *w, const struct scan_item *it, uint64_t sent_us,
                        uint64_t now, const struct scan_verdict *v)
{
	struct scan_item again = *it;
	uint32_t rtt = now > sent_us ? (uint32_t)(now - sent_us) : 1;

	if (v->again && it->agains < 8) {
		/* A self-connect says nothing about the port: send again. */
		again.agains++;
		if (scan_queue_push(w, &again, true) < 0)
			scan_set_error(w->g, -ENOMEM);
		return;
	}
	if (v->state != SCAN_FILTERED || v->reason != SCAN_REASON_NO_RESPONSE)
		cc_on_reply(&w->cc, sent_us, now, it->tries);
	if (v->state == SCAN_OPEN && v->local && !it->confirm) {
		/*
		 * Both ends on this host: two probes can open simultaneously into
		 * each other. A second connect to the port confirms it listens.
		 */
		again.confirm = true;
		if (scan_queue_push(w, &again, true) < 0)
			scan_set_error(w->g, -ENOMEM);
		return;
	}
	scan_record(w, it, v->state, v->reason, rtt);
}

static void scan_list_remove(struct scan_worker *w, uint32_t s)
{
	struct scan_probe *p = &w->slots[s];

	if (p->prev != UINT32_MAX)
		w->slots[p->prev].next = p->next;
	else
		w->head = p->next;
	if (p->next != UINT32_MAX)
		w->slots[p->next].prev = p->prev;
	else
		w->tail = p->prev;
	p->fd = -1;
	w->free[w->nfree++] = s;
	w->inflight--;
}

static void scan_list_append(struct scan_worker *w, uint32_t s)
{
	struct scan_probe *p = &w->slots[s];

	p->prev = w->tail;
	p->next = UINT32_MAX;
	if (w->tail != UINT32_MAX)
		w->slots[w->tail].next = s;
	else
		w->head = s;
	w->tail = s;
	w->inflight++;
}

static void scan_fill_sa(const struct scan_group *g, const struct scan_item *it,
                         struct sockaddr_storage *sa, socklen_t *len)
{
	const struct scan_ghost *h = &g->hosts[it->host];
	uint16_t port = htons(g->cfg->ports->ports[it->pidx]);

	memcpy(sa, &h->sa, h->salen);
	*len = h->salen;
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = port;
	else
		((struct sockaddr_in6 *)sa)->sin6_port = port;
}

/* A silent probe: send again or call it no-response. */
static void scan_silent(struct scan_worker *w, const struct scan_item *it, uint64_t sent_us,
                        uint64_t now)
{
	cc_on_timeout(&w->cc, sent_us, now);
	if (it->tries < cc_retries_allowed(&w->cc)) {
		struct scan_item again = *it;

		again.tries++;
		atomic_fetch_add_explicit(w->g->retries, 1, memory_order_relaxed);
		if (scan_queue_push(w, &again, false) < 0)
			scan_set_error(w->g, -ENOMEM);
		return;
	}
	scan_record(w, it, SCAN_FILTERED, SCAN_REASON_NO_RESPONSE, 0);
}

static void scan_expire(struct scan_worker *w, uint64_t now)
{
	const struct scan_technique *t = w->g->cfg->tech;

	while (w->head != UINT32_MAX) {
		struct scan_probe *p = &w->slots[w->head];
		struct scan_item it = p->it;
		uint64_t sent = p->sent_us;

		if (now - sent < cc_rto_us(&w->cc))
			break;
		t->probe_close(p->fd, SCAN_PENDING);
		scan_list_remove(w, w->head);
		if (scan_host_expired(w->g, it.host, now))
			scan_record(w, &it, SCAN_PENDING, SCAN_REASON_NONE, 0);
		else
			scan_silent(w, &it, sent, now);
	}
}

/*
 * The fast path: a connect() to a near host (loopback, the LAN) is often
 * accepted or refused before it returns, and asking the descriptor at once
 * (probe_check) saves a trip through epoll; towards a far host it never has
 * an answer yet and each ask is a wasted system call. So the asks are
 * sampled: every SCAN_FP_SAMPLE fresh probes, fewer than SCAN_FP_MIN_HITS
 * answers (one in eight) turn the fast path off for the next SCAN_FP_PAUSE
 * probes, after which it is sampled again.
 */
#define SCAN_FP_SAMPLE   64   /* fresh probes per sample */
#define SCAN_FP_MIN_HITS 8    /* immediate answers a sample needs to keep asking */
#define SCAN_FP_PAUSE    2048 /* probes started without asking after a poor sample */

/* Whether to ask a fresh probe for its answer right away: sampled, kept while it pays. */
static bool scan_fastpath(struct scan_worker *w)
{
	if (w->fp_skip) {
		w->fp_skip--;
		return false;
	}
	return true;
}

static void scan_fastpath_count(struct scan_worker *w, bool hit)
{
	w->fp_tries++;
	w->fp_hits += hit;
	if (w->fp_tries == SCAN_FP_SAMPLE) {
		if (w->fp_hits < SCAN_FP_MIN_HITS)
			w->fp_skip = SCAN_FP_PAUSE;
		w->fp_tries = w->fp_hits = 0;
	}
}

/* Starts one probe; returns 0, 1 when out of resources (item requeued), or -errno. */
static int scan_launch_one(struct scan_worker *w, const struct scan_item *it, uint64_t now)
{
	const struct scan_technique *t = w->g->cfg->tech;
	struct sockaddr_storage sa;
	struct scan_verdict v = {0};
	socklen_t salen;
	int fd = w->spare, r;
	uint32_t s;

	w->spare = -1;
	scan_fill_sa(w->g, it, &sa, &salen);
	r = t->probe_start((struct sockaddr *)&sa, salen, &fd, &v);
	if (r == SCAN_PROBE_PENDING && t->probe_check && scan_fastpath(w)) {
		r = t->probe_check(fd, (struct sockaddr *)&sa, salen, &v);
		scan_fastpath_count(w, r != SCAN_PROBE_PENDING);
	}
	if (r < 0) {
		if (fd >= 0)
			t->probe_close(fd, SCAN_PENDING);
		if (!scan_technique_transient(r))
			return r;
		if (scan_queue_push(w, it, true) < 0)
			return -ENOMEM;
		cc_on_emfile(&w->cc, w->inflight);
		if (w->inflight == 0 && !w->starve_since)
			w->starve_since = now;
		return 1;
	}
	w->starve_since = 0;
	cc_on_send(&w->cc, now);
	atomic_fetch_add_explicit(w->g->sent, 1, memory_order_relaxed);
	if (r == SCAN_PROBE_DONE) {
		if (fd >= 0 && v.reuse)
			w->spare = fd;
		else if (fd >= 0)
			t->probe_close(fd, v.again ? SCAN_OPEN : v.state);
		scan_decide(w, it, now, clock_mono_us(), &v);
		return 0;
	}
	s = w->free[--w->nfree];
	w->slots[s] = (struct scan_probe){.fd = fd, .it = *it, .sent_us = now};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd,
	              &(struct epoll_event){.events = EPOLLOUT, .data.u32 = s}) < 0) {
		r = -errno;
		t->probe_close(fd, SCAN_PENDING);
		w->slots[s].fd = -1;
		w->free[w->nfree++] = s;
		return r;
	}
	scan_list_append(w, s);
	return 0;
}

static int scan_launch(struct scan_worker *w, uint64_t now)
{
	unsigned budget = cc_send_budget(&w->cc, w->inflight, now), rounds = 0;
	struct scan_item it;

	if (budget > w->nfree)
		budget = w->nfree;
	while (budget > 0 && scan_next_item(w, &it)) {
		int r;

		if (scan_host_expired(w->g, it.host, now)) {
			scan_record(w, &it, SCAN_PENDING, SCAN_REASON_NONE, 0);
			continue;
		}
		r = scan_launch_one(w, &it, now);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		budget--;
		/* Immediate answers free their budget again: re-ask the window. */
		if (budget == 0 && w->nfree && ++rounds < 64) {
			now = clock_mono_us();
			budget = cc_send_budget(&w->cc, w->inflight, now);
			if (budget > w->nfree)
				budget = w->nfree;
		}
	}
	return 0;
}

static void scan_events(struct scan_worker *w, const struct epoll_event *ev, int n)
{
	const struct scan_technique *t = w->g->cfg->tech;
	uint64_t now = clock_mono_us();

	for (int i = 0; i < n; i++) {
		uint32_t s = ev[i].data.u32;
		struct scan_probe *p = &w->slots[s];
		struct sockaddr_storage sa;
		struct scan_verdict v = {0};
		struct scan_item it;
		uint64_t sent;
		socklen_t salen;
		int r;

		if (p->fd < 0)
			continue;
		scan_fill_sa(w->g, &p->it, &sa, &salen);
		r = t->probe_event(p->fd, ev[i].events, (struct sockaddr *)&sa, salen, &v);
		if (r == SCAN_PROBE_PENDING)
			continue;
		it = p->it;
		sent = p->sent_us;
		t->probe_close(p->fd, r == SCAN_PROBE_DONE && !v.again ? v.state : SCAN_OPEN);
		scan_list_remove(w, s);
		if (r < 0) {
			if (scan_technique_transient(r)) {
				scan_silent(w, &it, sent, now);
				continue;
			}
			scan_set_error(w->g, r);
			return;
		}
		if (scan_host_expired(w->g, it.host, now))
			scan_record(w, &it, SCAN_PENDING, SCAN_REASON_NONE, 0);
		else
			scan_decide(w, &it, sent, now, &v);
	}
}

/* Milliseconds epoll may sleep: until the oldest probe times out or the rate allows more. */
static int scan_wait_ms(struct scan_worker *w, uint64_t now)
{
	uint64_t until = now + 1000000;

	if (w->head != UINT32_MAX) {
		uint64_t dl = w->slots[w->head].sent_us + cc_rto_us(&w->cc);

		if (dl < until)
			until = dl;
	}
	if ((w->qlen || w->indexes_left) && w->nfree) {
		uint64_t next = cc_next_send_us(&w->cc, now);

		if (w->starve_since)
			next = now + 10000; /* out of descriptors: look again in 10 ms */
		else if (cc_send_budget(&w->cc, w->inflight, now) > 0)
			return 0;
		/* Window-limited (next <= now): wait for answers and timeouts instead. */
		if (next > now && next < until)
			until = next;
	}
	if (until <= now)
		return 0;
	return (int)((until - now + 999) / 1000);
}

static void scan_drain(struct scan_worker *w)
{
	const struct scan_technique *t = w->g->cfg->tech;

	while (w->head != UINT32_MAX) {
		t->probe_close(w->slots[w->head].fd, SCAN_PENDING);
		scan_list_remove(w, w->head);
	}
	w->qlen = 0;
	if (w->spare >= 0)
		t->probe_close(w->spare, SCAN_PENDING);
	w->spare = -1;
}

static void *scan_worker_main(void *arg)
{
	struct scan_worker *w = arg;
	struct epoll_event ev[256];

	w->indexes_left = true;
	w->chunk_next = w->chunk_end = 0;
	w->starve_since = 0;
	for (;;) {
		uint64_t now = clock_mono_us();
		int n, r;

		if (atomic_load_explicit(&w->g->error, memory_order_relaxed))
			break;
		scan_expire(w, now);
		r = scan_launch(w, now);
		if (r < 0) {
			scan_set_error(w->g, r);
			break;
		}
		if (w->starve_since && w->inflight == 0 && now - w->starve_since > SCAN_STARVE_US) {
			scan_set_error(w->g, -EMFILE);
			break;
		}
		if (w->inflight == 0 && w->qlen == 0 && !w->indexes_left)
			break;
		n = epoll_wait(w->ep, ev, 256, scan_wait_ms(w, clock_mono_us()));
		if (n < 0 && errno != EINTR) {
			scan_set_error(w->g, -errno);
			break;
		}
		if (n > 0)
			scan_events(w, ev, n);
	}
	scan_drain(w);
	pthread_mutex_lock(w->fin_lock);
	(*w->finished)++;
	pthread_cond_signal(w->fin_cond);
	pthread_mutex_unlock(w->fin_lock);
	return NULL;
}

static int scan_worker_init(struct scan_worker *w, const struct cc_params *p, unsigned nslots,
                            uint64_t now)
{
	*w = (struct scan_worker){.ep = -1, .spare = -1, .head = UINT32_MAX, .tail = UINT32_MAX};
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return -errno;
	w->nslots = nslots;
	w->slots = calloc(nslots, sizeof(*w->slots));
	w->free = calloc(nslots, sizeof(*w->free));
	if (!w->slots || !w->free)
		return -ENOMEM;
	for (uint32_t i = 0; i < nslots; i++) {
		w->slots[i].fd = -1;
		w->free[w->nfree++] = nslots - 1 - i;
	}
	cc_init(&w->cc, p, now);
	return 0;
}

static void scan_worker_free(struct scan_worker *w)
{
	if (w->ep >= 0)
		close(w->ep);
	free(w->slots);
	free(w->free);
	free(w->queue);
}

/* ---- the main thread ---- */

static unsigned scan_threads(const struct scan_config *cfg, uint64_t work)
{
	unsigned n = cfg->threads;

	if (!n) {
		int cpus = get_nprocs();

		n = cpus > 0 ? (unsigned)cpus : 1;
		if (n > SCAN_MAX_THREADS)
			n = SCAN_MAX_THREADS;
	}
	/* A serial template, or too little work to share. */
	if (cfg->cc.cwnd_max < 2 * n || work < 4 * SCAN_CHUNK)
		n = 1;
	return n;
}

/* Per-thread share of the scan's window and rates. */
static struct cc_params scan_share(const struct cc_params *p, unsigned n)
{
	struct cc_params q = *p;

	q.cwnd_max = fmax(1, floor(p->cwnd_max / n));
	q.cwnd_init = fmax(1, fmin(q.cwnd_max, ceil(p->cwnd_init / n)));
	q.ssthresh_init = fmax(1, ceil(p->ssthresh_init / n));
	q.cwnd_min = fmin(p->cwnd_min, q.cwnd_max);
	q.min_rate = p->min_rate / n;
	q.max_rate = p->max_rate / n;
	return q;
}

static void scan_progress(const struct scan_config *cfg, const struct scan_sink *sink,
                          pthread_mutex_t *lock, const struct scan_group *g, uint64_t total,
                          uint64_t t0)
{
	struct scan_progress pr;

	if (!sink->on_progress)
		return;
	(void)cfg;
	pr = (struct scan_progress){
	    .done = atomic_load(g->done),
	    .total = total,
	    .sent = atomic_load(g->sent),
	    .found = atomic_load(g->found),
	    .elapsed = (double)(clock_mono_us() - t0) / 1e6,
	};
	pthread_mutex_lock(lock);
	sink->on_progress(sink->ctx, &pr);
	pthread_mutex_unlock(lock);
}

/* Reports the group's hosts in target order and adds them to the summary. */
static void scan_report_group(struct scan_group *g, struct scan_worker *w0, double start,
                              struct scan_summary *sum, pthread_mutex_t *lock)
{
	const struct scan_sink *sink = g->sink;

	for (size_t i = 0; i < g->nhosts; i++) {
		struct scan_ghost *gh = &g->hosts[i];
		uint64_t n = atomic_load(&gh->rtt_n);
		struct scan_host h = {
		    .addr = gh->addr,
		    .up = true,
		    .reason = SCAN_REASON_USER_SET,
		    .timedout = atomic_load(&gh->timedout),
		    .srtt_us = n ? (uint32_t)(atomic_load(&gh->rtt_sum_us) / n) : 0,
		    .rttvar_us = (uint32_t)w0->cc.rttvar_us,
		    .rto_us = cc_rto_us(&w0->cc),
		    .proto = g->cfg->tech->proto,
		    .nports = g->nports,
		    .ports = g->cfg->ports->ports,
		    .res = g->res + i * g->nports,
		    .start = start,
		    .end = clock_wall(),
		};

		if (g->cfg->shard.count > 1)
			scan_host_own_ports(&h, g->own_ports, g->own_res, &h); /* counts them */
		else
			for (size_t p = 0; p < g->nports; p++)
				h.counts[scan_res_state(h.res[p])]++;
		for (int s = 0; s < SCAN_STATE_MAX; s++)
			sum->counts[s] += h.counts[s];
		sum->hosts_up += h.up;
		sum->hosts_timedout += h.timedout;
		if (sink->on_host_done) {
			pthread_mutex_lock(lock);
			sink->on_host_done(sink->ctx, &h);
			pthread_mutex_unlock(lock);
		}
	}
}

static void scan_fill_hosts(struct scan_group *g, const struct target_addr *addrs)
{
	for (size_t i = 0; i < g->nhosts; i++) {
		struct scan_ghost *h = &g->hosts[i];

		h->addr = addrs[i];
		memset(&h->sa, 0, sizeof(h->sa));
		if (h->addr.family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&h->sa;

			s->sin_family = AF_INET;
			s->sin_addr = h->addr.v4;
			h->salen = sizeof(*s);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&h->sa;

			s->sin6_family = AF_INET6;
			s->sin6_addr = h->addr.v6;
			h->salen = sizeof(*s);
		}
		atomic_store(&h->timedout, false);
		atomic_store(&h->rtt_sum_us, 0);
		atomic_store(&h->rtt_n, 0);
	}
}

static int scan_check_config(const struct scan_config *cfg, char *why, size_t whylen)
{
	const struct scan_technique *t = cfg->tech;

	if (!t || (!t->run && (!t->probe_start || !t->probe_event || !t->probe_close))) {
		why_set(why, whylen, "incomplete scan technique");
		return -EINVAL;
	}
	if ((!cfg->targets && !cfg->feed) || !cfg->ports || cfg->ports->n == 0) {
		why_set(why, whylen, "no ports to scan");
		return -EINVAL;
	}
	if (cfg->cc.cwnd_max < 1 || cfg->cc.min_rtt_us == 0 ||
	    cfg->cc.max_rtt_us < cfg->cc.min_rtt_us) {
		why_set(why, whylen, "bad timing parameters");
		return -EINVAL;
	}
	return 0;
}

/* What scan_run() shares with the helpers that set up and run its host groups. */
struct scan_main {
	const struct scan_config *cfg;
	const struct scan_sink *sink;
	pthread_mutex_t sink_lock, fin_lock;
	pthread_cond_t fin_cond; /* a worker finished its share of the group */
	unsigned finished;       /* workers done with the group, under fin_lock */
	struct scan_worker workers[SCAN_MAX_THREADS];
	unsigned nthreads, nworkers; /* wanted, set up */
	struct scan_group g;
	struct scan_hostiter it;   /* where the hosts come from */
	struct target_addr *addrs; /* the next group's */
	uint8_t *cp_res;           /* a checkpoint's copy of the group's results */
	uint64_t group, t0, cp_us; /* cp_us: the last checkpoint */
	atomic_uint_fast64_t done, sent, found, retries;
	struct scan_summary sum;
};

/* Sizes the host groups and threads, allocates a group, starts no thread yet. */
static int scan_setup(struct scan_main *m, char *why, size_t whylen)
{
	const struct scan_config *cfg = m->cfg;
	struct cc_params share;
	pthread_condattr_t ca;
	int r;

	scan_hostiter_init(&m->it, cfg);
	m->group = cfg->hostgroup ? cfg->hostgroup : SCAN_GROUP_RESULTS / cfg->ports->n;
	if (m->group < 1)
		m->group = 1;
	if (m->group > SCAN_MAX_GROUP)
		m->group = SCAN_MAX_GROUP;
	if (!cfg->feed && m->group > m->it.count)
		m->group = m->it.count ? m->it.count : 1;
	m->nthreads = scan_threads(cfg, m->group * cfg->ports->n);
	share = scan_share(&cfg->cc, m->nthreads);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->fin_cond, &ca);
	pthread_condattr_destroy(&ca);
	m->sum.start = clock_wall();
	m->g = (struct scan_group){.cfg = cfg,
	                           .sink = m->sink,
	                           .sink_lock = &m->sink_lock,
	                           .nports = cfg->ports->n,
	                           .done = &m->done,
	                           .sent = &m->sent,
	                           .found = &m->found,
	                           .retries = &m->retries};
	m->g.hosts = calloc(m->group, sizeof(*m->g.hosts));
	m->g.res = malloc(m->group * cfg->ports->n);
	m->g.own_ports = malloc(cfg->ports->n * sizeof(*m->g.own_ports));
	m->g.own_res = malloc(cfg->ports->n);
	m->addrs = calloc(m->group, sizeof(*m->addrs));
	m->cp_res = m->sink->on_checkpoint ? malloc(m->group * cfg->ports->n) : NULL;
	if (!m->g.hosts || !m->g.res || !m->g.own_ports || !m->g.own_res || !m->addrs ||
	    (m->sink->on_checkpoint && !m->cp_res))
		return why_err(why, whylen, -ENOMEM, "out of memory for a host group of %llu hosts",
		               (unsigned long long)m->group);
	for (; m->nworkers < m->nthreads; m->nworkers++) {
		struct scan_worker *w = &m->workers[m->nworkers];

		r = scan_worker_init(w, &share, (unsigned)share.cwnd_max, m->t0);
		if (r < 0) {
			scan_worker_free(w);
			return why_err(why, whylen, r, "cannot set up a scan thread: %s",
			               strerror(-r));
		}
		w->g = &m->g;
		w->fin_lock = &m->fin_lock;
		w->fin_cond = &m->fin_cond;
		w->finished = &m->finished;
	}
	return 0;
}

/*
 * Tells the sink where the scan stands: the group under way (group_done
 * false: its results as they are now) or, after its report, past it.
 */
static void scan_checkpoint(struct scan_main *m, bool group_done)
{
	struct scan_group *g = &m->g;
	struct scan_checkpoint c = {.hosts_done = m->it.taken};

	if (!m->sink->on_checkpoint)
		return;
	if (!group_done) {
		memcpy(m->cp_res, g->res, g->total);
		c = (struct scan_checkpoint){.hosts_done = m->it.taken - g->nhosts,
		                             .hosts = m->addrs,
		                             .nhosts = g->nhosts,
		                             .nports = g->nports,
		                             .res = m->cp_res};
	}
	pthread_mutex_lock(&m->sink_lock);
	m->sink->on_checkpoint(m->sink->ctx, &c);
	pthread_mutex_unlock(&m->sink_lock);
	m->cp_us = clock_mono_us();
}

/*
 * Runs the next group of hosts (from h0 on) on the workers, reporting
 * progress; then the group's hosts. 0, 1 when there were no hosts left, or a
 * negative errno.
 */
static int scan_run_group(struct scan_main *m, uint64_t h0, char *why, size_t whylen)
{
	struct scan_group *g = &m->g;
	double gstart = clock_wall();
	unsigned started = 0;
	long got = scan_hostiter_take(&m->it, m->addrs, m->group);
	int r;

	if (got < 0)
		return why_err(why, whylen, (int)got, "no more targets: %s", strerror((int)-got));
	if (got == 0)
		return 1;
	g->nhosts = (size_t)got;
	g->total = g->nhosts * g->nports;
	atomic_store(&g->next, 0);
	memset(g->res, 0, g->total);
	scan_fill_hosts(g, m->addrs);
	for (size_t i = 0; i < g->nhosts; i++)
		atomic_fetch_add(g->done, shard_mark(&m->cfg->shard, m->cfg->seed,
		                                     &g->hosts[i].addr, g->nports,
		                                     g->res + i * g->nports, SCAN_RES_OTHER_SHARD));
	atomic_fetch_add(g->done, scan_hostiter_resume(&m->it, g->res, g->total));
	perm_init(&g->perm, g->total, m->cfg->seed + h0);
	g->start_us = clock_mono_us();
	m->finished = 0;
	for (; started < m->nthreads; started++) {
		r = pthread_create(&m->workers[started].thread, NULL, scan_worker_main,
		                   &m->workers[started]);
		if (r) {
			scan_set_error(g, -r);
			break;
		}
	}
	pthread_mutex_lock(&m->fin_lock);
	while (m->finished < started) {
		struct timespec ts = clock_mono_after_ms(SCAN_PROGRESS_MS);

		pthread_cond_timedwait(&m->fin_cond, &m->fin_lock, &ts);
		if (m->finished < started) {
			pthread_mutex_unlock(&m->fin_lock);
			scan_progress(m->cfg, m->sink, &m->sink_lock, g,
			              scan_hostiter_expect(&m->it) * g->nports, m->t0);
			if (clock_mono_us() - m->cp_us >= SCAN_CHECKPOINT_US)
				scan_checkpoint(m, false);
			pthread_mutex_lock(&m->fin_lock);
		}
	}
	pthread_mutex_unlock(&m->fin_lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(m->workers[i].thread, NULL);
	r = atomic_load(&g->error);
	if (r == -EMFILE)
		return why_err(why, whylen, r,
		               "out of file descriptors for %llu s with nothing in flight (raise "
		               "ulimit -n)",
		               (unsigned long long)(SCAN_STARVE_US / 1000000));
	if (r < 0)
		return why_err(why, whylen, r, "scan failed: %s", strerror(-r));
	scan_report_group(g, &m->workers[0], gstart, &m->sum, &m->sink_lock);
	scan_checkpoint(m, true);
	return 0;
}

int scan_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why, size_t whylen)
{
	struct scan_main *m;
	int r;

	if (cfg->discover)
		return pipeline_run(cfg, sink, why, whylen);
	r = scan_check_config(cfg, why, whylen);
	if (r < 0)
		return r;
	if (cfg->tech->run)
		return cfg->tech->run(cfg, sink, why, whylen);
	m = calloc(1, sizeof(*m));
	if (!m)
		return why_err(why, whylen, -ENOMEM, "out of memory");
	*m = (struct scan_main){.cfg = cfg,
	                        .sink = sink,
	                        .sink_lock = PTHREAD_MUTEX_INITIALIZER,
	                        .fin_lock = PTHREAD_MUTEX_INITIALIZER,
	                        .t0 = clock_mono_us()};
	r = scan_setup(m, why, whylen);
	for (uint64_t h0 = cfg->resume ? cfg->resume->hosts_done : 0; r == 0; h0 += m->g.nhosts)
		r = scan_run_group(m, h0, why, whylen);
	if (r == 1) { /* every host done */
		r = 0;
		scan_progress(cfg, sink, &m->sink_lock, &m->g,
		              scan_hostiter_expect(&m->it) * m->g.nports, m->t0);
		m->sum.hosts_total = m->it.taken;
		m->sum.probes_sent = atomic_load(&m->sent);
		m->sum.retries = atomic_load(&m->retries);
		m->sum.end = clock_wall();
		m->sum.elapsed = (double)(clock_mono_us() - m->t0) / 1e6;
		if (sink->on_done)
			sink->on_done(sink->ctx, &m->sum);
	}
	for (unsigned i = 0; i < m->nworkers; i++)
		scan_worker_free(&m->workers[i]);
	free(m->g.hosts);
	free(m->g.res);
	free(m->g.own_ports);
	free(m->g.own_res);
	free(m->addrs);
	free(m->cp_res);
	pthread_cond_destroy(&m->fin_cond);
	free(m);
	return r;
}
