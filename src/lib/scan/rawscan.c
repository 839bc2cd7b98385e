/*
 * Stateless raw scans (see rawscan.h): a sender thread, a receiver thread and
 * the calling thread, which reports progress and results.
 *
 * Per host group the shared state is arrays indexed host-major
 * (host * nports + port index): res (the packed result, written once by the
 * receiver; 0 while undecided), sent_at (when the last try left, in
 * microseconds since the scan started, for round-trip times and the window of
 * bare replies), maxtry and lasttry (the highest try sent + 1, the try of the
 * last send: written by the senders before the probe leaves) and bare (the
 * tries that got a bare reply, one bit each; receiver only).
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "net/perm.h"
#include "scan/capture.h"
#include "scan/linkpath.h"
#include "scan/rawscan.h"
#include "scan/ratectl.h"
#include "scan/rawsock.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/privdrop.h"

#define RAW_GROUP_RESULTS (1u << 20)
#define RAW_MAX_GROUP     4096
#define RAW_TICK_US       RATECTL_TICK_US /* rate control period */
#define RAW_QUIET_US      20000           /* the receiver idle this long: nothing more queued */

#define RAW_MAX_SENDERS   4
#define RAW_CHUNK         256    /* probes a sender takes from a pass at a time */
#define RAW_PROGRESS_MS   250    /* progress reports while a group runs */
#define RAW_CHECKPOINT_US 500000 /* checkpoints while a group runs */

#define RAW_BARE_TRIES 3 /* tries that must get a bare reply before it decides */

#define RAW_PACE_MAX_US 2000000 /* paced retries: the longest gap */
#define RAW_PACE_TRIES  4       /* paced retries: counted tries at most */

struct raw_host {
	struct target_addr addr;
	struct linkpath path;         /* how its probes leave, from path.self */
	uint64_t rtt_sum_us, rtt_n;   /* receiver only */
	atomic_uint_fast64_t answers; /* replies of any kind */
};

/*
 * A lane's paced retries (rawscan_ops.paced), sender only. A lane is a host
 * and one of our source addresses: targets rate-limit ICMP per source.
 */
struct raw_pace {
	uint64_t next_us, gap_us;
	uint64_t bad_us;   /* the last gap that proved too short */
	int64_t out;       /* the entry in flight, -1 */
	unsigned hist, nh; /* answered bits of the last 4 paced probes, how many */
	size_t cursor;
	bool done, burst; /* burst: the host stopped answering even at the longest gap */
	bool seen;        /* a paced probe was answered */
};

struct raw_scan;

/* One sending thread: its batches and its share of the rate. */
struct raw_tx {
	struct raw_scan *s;
	struct rawsock_tx *sock;
	pthread_t thread;
	struct ratectl_bucket bucket; /* its share of the rate */
	int err;
};

struct raw_scan {
	const struct scan_config *cfg;
	const struct rawscan_ops *ops;
	const struct scan_sink *sink;
	pthread_mutex_t lock; /* sink calls and cc */
	struct cc_state cc;
	struct rawsock rs;
	struct linkpath_ctx *lp;
	struct capture *cap;
	struct raw_tx tx[RAW_MAX_SENDERS];
	unsigned nsend;     /* sending threads */
	atomic_uint active; /* of them sending in this phase */
	uint8_t key[16];
	uint16_t sport_lo, sport_hi;
	int32_t *pidx; /* port -> index in cfg->ports, -1 */
	uint64_t t0;   /* monotonic us */

	struct scan_hostiter *it;  /* where the hosts come from */
	struct target_addr *addrs; /* the next group's addresses (group entries) */

	/* The current host group. */
	struct raw_host *hosts;
	size_t nhosts, nports;
	uint32_t *htab; /* open addressing: host index + 1, 0 empty */
	size_t hmask;
	uint8_t *res;
	uint8_t *ttl;        /* per entry: the TTL of the reply that decided it (reason_ttl) */
	uint16_t *own_ports; /* a host's ports of this shard (reports) */
	uint8_t *cp_res;     /* a checkpoint's copy of res (on_checkpoint) */
	uint64_t cp_us;      /* the last checkpoint */
	uint8_t *own_res;
	uint8_t *tries;        /* counted sends per entry (sender only) */
	struct raw_pace *pace; /* nlanes per host */
	size_t nlanes;
	/* --source-ip per family: entry (h, p) leaves from src[family][p % nsrc[family]]. */
	struct target_addr *src[2];
	size_t nsrc[2];
	_Atomic uint32_t *sent_at;
	_Atomic uint8_t *maxtry, *lasttry;
	uint16_t *bare;
	/* Entries with a bare reply whose confirming try is to be sent (under lock). */
	uint64_t *confirm;
	size_t nconfirm, confirm_cap;
	_Atomic uint32_t bare_window_us; /* a bare reply counts this soon after its send: the rto */
	struct perm perm;
	uint64_t total;

	atomic_bool stop_rx, tx_done;
	atomic_int error;
	atomic_uint_fast64_t done, sent, found, replies, late, retries, dups, rejected;
	atomic_uint_fast64_t drops, last_reply_us, nobufs;
	_Atomic double rate;         /* probes per second over all senders, set by the first */
	atomic_uint_fast64_t cursor; /* the next index of the pass to take */
	uint64_t gstart_us;          /* when the group began (--host-timeout) */
	_Atomic int64_t eta_us;      /* paced retries: the time they still need; -1 unknown */
	atomic_bool expired;         /* the group ran past --host-timeout: nothing more is sent */
	unsigned pass_try;
	bool pass_first;
	pthread_mutex_t fin_lock;
	pthread_cond_t fin_cond;
};

static void raw_fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
}

/* The group's index of host a, or -1. */
static long raw_host_find(const struct raw_scan *s, const struct target_addr *a)
{
	for (size_t i = target_addr_hash(a) & s->hmask;; i = (i + 1) & s->hmask) {
		uint32_t v = s->htab[i];

		if (v == 0)
			return -1;
		if (target_addr_equal(&s->hosts[v - 1].addr, a))
			return (long)v - 1;
	}
}

static void raw_set_error(struct raw_scan *s, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&s->error, &zero, err);
}

/*
 * A bare reply m to entry e, received at now. It counts when it answers the
 * latest try within the probe timeout of its send; each try so answered asks
 * for another, and the RAW_BARE_TRIES-th decides. Returns true when m decides,
 * with *tryno set to the try that first answered.
 */
static bool raw_bare(struct raw_scan *s, uint64_t e, const struct rawscan_match *m, uint64_t now,
                     uint64_t sent_us, unsigned *tryno)
{
	uint16_t seen = s->bare[e], bit = (uint16_t)(1u << m->tryno);
	bool queued = false;

	if (m->tryno != atomic_load_explicit(&s->lasttry[e], memory_order_acquire) ||
	    now < sent_us || now - sent_us > atomic_load(&s->bare_window_us)) {
		atomic_fetch_add(&s->rejected, 1);
		return false;
	}
	if (seen & bit) {
		atomic_fetch_add(&s->dups, 1);
		return false;
	}
	s->bare[e] = seen | bit;
	if (__builtin_popcount(seen | bit) >= RAW_BARE_TRIES) {
		*tryno = (unsigned)__builtin_ctz(seen);
		return true;
	}
	pthread_mutex_lock(&s->lock);
	if (GREEDY_REALLOC(s->confirm, s->confirm_cap, s->nconfirm + 1) == 0) {
		s->confirm[s->nconfirm++] = e;
		queued = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (!queued)
		raw_set_error(s, -ENOMEM);
	if (!seen)
		atomic_fetch_add(&s->hosts[e / s->nports].answers, 1);
	return false;
}

/* The receiver's handler of one captured IP packet. */
static void raw_on_packet(void *ctx, const uint8_t *ip, size_t len)
{
	struct raw_scan *s = ctx;
	struct packet_info pi;
	struct rawscan_match m = {0};
	uint64_t e, now, sent_us;
	unsigned tryno;
	long h;
	int32_t p;

	if (packet_parse_ip(ip, len, &pi) < 0)
		return;
	if (!s->ops->match(&pi, s->key, s->sport_lo, s->sport_hi, &m)) {
		if (pi.proto == s->ops->proto)
			atomic_fetch_add(&s->rejected, 1);
		return;
	}
	h = raw_host_find(s, &m.target);
	p = s->pidx[m.tport];
	if (h < 0 || p < 0)
		return; /* an earlier group's late reply */
	e = (uint64_t)h * s->nports + (uint64_t)p;
	/* Only a try already sent can be answered. */
	if (m.tryno >= atomic_load_explicit(&s->maxtry[e], memory_order_acquire)) {
		atomic_fetch_add(&s->rejected, 1);
		return;
	}
	if (__atomic_load_n(&s->res[e], __ATOMIC_ACQUIRE) != 0) {
		atomic_fetch_add(&s->dups, 1);
		return;
	}
	now = clock_mono_us();
	sent_us = s->t0 + atomic_load_explicit(&s->sent_at[e], memory_order_relaxed);
	tryno = m.tryno;
	if (m.bare && !raw_bare(s, e, &m, now, sent_us, &tryno))
		return;
	atomic_fetch_add(&s->hosts[h].answers, 1);
	s->ttl[e] = pi.ttl; /* published by the release store of res below */
	__atomic_store_n(&s->res[e], scan_res_pack(m.state, m.reason), __ATOMIC_RELEASE);
	atomic_fetch_add(&s->done, 1);
	atomic_fetch_add(&s->replies, 1);
	atomic_store(&s->last_reply_us, now);
	if (m.state == SCAN_OPEN)
		atomic_fetch_add(&s->found, 1);
	if (tryno > 0)
		atomic_fetch_add(&s->late, 1);
	if (now >= sent_us && now - sent_us < 60000000u) {
		s->hosts[h].rtt_sum_us += now - sent_us;
		s->hosts[h].rtt_n++;
	}
	pthread_mutex_lock(&s->lock);
	if (now >= sent_us) {
		cc_on_reply(&s->cc, sent_us, now, tryno);
		atomic_store(&s->bare_window_us, cc_rto_us(&s->cc));
	}
	if (s->sink->on_port) {
		struct scan_result r = {.addr = &s->hosts[h].addr,
		                        .proto = s->ops->proto,
		                        .port = m.tport,
		                        .state = m.state,
		                        .reason = m.reason,
		                        .rtt_us = (uint32_t)(now - sent_us)};

		s->sink->on_port(s->sink->ctx, &r);
	}
	pthread_mutex_unlock(&s->lock);
}

static void *raw_receiver(void *arg)
{
	struct raw_scan *s = arg;
	struct pollfd pfd = {.fd = capture_fd(s->cap), .events = POLLIN};
	uint64_t last_stats = 0;

	for (;;) {
		bool stop = atomic_load(&s->stop_rx);
		uint64_t now;

		poll(&pfd, 1, stop ? 0 : 5);
		if (capture_dispatch(s->cap, raw_on_packet, s) < 0) {
			raw_set_error(s, -EIO);
			break;
		}
		now = clock_mono_us();
		if (now - last_stats >= RAW_TICK_US / 2) {
			atomic_store(&s->drops, capture_drops(s->cap));
			last_stats = now;
		}
		if (stop)
			break;
	}
	return NULL;
}

#define RAW_EXPIRED 1 /* a sending function's return: the host timeout passed */

/* Whether the group ran past --host-timeout (its hosts are scanned together). */
static bool raw_expired(struct raw_scan *s)
{
	if (atomic_load_explicit(&s->expired, memory_order_relaxed))
		return true;
	if (s->cfg->host_timeout_us && clock_mono_us() - s->gstart_us > s->cfg->host_timeout_us) {
		atomic_store(&s->expired, true);
		return true;
	}
	return false;
}

/* Sends what is queued in b, waiting out a full device queue. */
static int raw_flush(struct raw_tx *tx, struct rawsock_batch *b)
{
	return rawsock_flush_wait(b, &tx->s->nobufs, &tx->s->error);
}

/* Sends everything tx has queued. */
static int raw_flush_all(struct raw_tx *tx)
{
	for (int k = 0; k < RAWSOCK_KINDS; k++) {
		int r = raw_flush(tx, &tx->sock->b[k]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The rate control (ratectl.h), run by the first sender for all of them. */
static void raw_rate_init(struct raw_scan *s, struct ratectl *rt, const struct cc_params *p,
                          uint64_t now)
{
	ratectl_init(rt, p, now);
	atomic_store(&s->rate, rt->rate);
}

static void raw_rate_tick(struct raw_scan *s, struct ratectl *rt, uint64_t now, bool first_pass)
{
	struct ratectl_counts c = {
	    .sent = atomic_load(&s->sent),
	    .replies = atomic_load(&s->replies),
	    .late = atomic_load(&s->late),
	    .drops = atomic_load(&s->drops),
	    .nobufs = atomic_load(&s->nobufs),
	};

	atomic_store(&s->rate, ratectl_tick(rt, &c, now, first_pass, s->pass_try));
}

/*
 * Waits for the rate to allow one more probe from tx (its share: the rate
 * over the active senders); flushes tx's batches before sleeping. rt: the
 * first sender's rate control, NULL in the others. 0, RAW_EXPIRED or a
 * negative errno.
 */
static int raw_pace(struct raw_tx *tx, struct ratectl *rt, bool first_pass)
{
	struct raw_scan *s = tx->s;

	for (;;) {
		uint64_t now = clock_mono_us(), wait;
		int r;

		if (rt && now - rt->last_tick >= RAW_TICK_US)
			raw_rate_tick(s, rt, now, first_pass);
		wait =
		    ratectl_take(&tx->bucket, atomic_load(&s->rate) / atomic_load(&s->active), now);
		if (!wait)
			return 0;
		r = raw_flush_all(tx);
		if (r < 0)
			return r;
		if (raw_expired(s))
			return RAW_EXPIRED;
		clock_sleep_us(wait);
	}
}

static int raw_fam(int family)
{
	return family == AF_INET6;
}

/* Our address for probes to host h's port index p: --source-ip spreads them. */
static const struct target_addr *raw_source(const struct raw_scan *s, const struct raw_host *h,
                                            size_t p)
{
	int f = raw_fam(h->addr.family);

	return s->nsrc[f] ? &s->src[f][p % s->nsrc[f]] : &h->path.self;
}

/* The lanes host h's probes are paced in: one per source address of its family. */
static size_t raw_host_lanes(const struct raw_scan *s, const struct raw_host *h)
{
	size_t n = s->nsrc[raw_fam(h->addr.family)];

	return n ? n : 1;
}

/* One probe for entry e (try tryno) into the batch of its path. */
static int raw_send_one(struct raw_tx *tx, struct ratectl *rt, uint64_t e, unsigned tryno,
                        bool first_pass)
{
	struct raw_scan *s = tx->s;
	const struct raw_host *h = &s->hosts[e / s->nports];
	uint16_t tport = s->cfg->ports->ports[e % s->nports];
	struct rawsock_batch *b = rawsock_batch_for(tx->sock, &s->rs, h->addr.family, &h->path);
	const struct target_addr *self;
	uint16_t sport;
	uint8_t *buf;
	size_t n;
	int r;

	r = raw_pace(tx, rt, first_pass);
	if (r != 0)
		return r;
	self = raw_source(s, h, e % s->nports);
	buf = rawsock_slot(b, self, &h->addr, &h->path, (uint8_t)s->ops->proto);
	if (!buf) {
		r = raw_flush(tx, b);
		if (r < 0)
			return r;
		buf = rawsock_slot(b, self, &h->addr, &h->path, (uint8_t)s->ops->proto);
	}
	sport = s->ops->hashed_sports ? packet_sport(s->key, &h->addr, tport, self, tryno)
	                              : (uint16_t)(s->sport_lo + tryno);
	n = s->ops->build(buf, RAWSOCK_MTU, self, &h->addr, sport, tport, s->key);
	if (n == 0)
		return -EMSGSIZE;
	/* Before the probe can leave: its answer must find the try sent. */
	atomic_store_explicit(&s->sent_at[e], (uint32_t)(clock_mono_us() - s->t0),
	                      memory_order_relaxed);
	atomic_store_explicit(&s->lasttry[e], (uint8_t)tryno, memory_order_release);
	if (tryno >= atomic_load_explicit(&s->maxtry[e], memory_order_relaxed))
		atomic_store_explicit(&s->maxtry[e], (uint8_t)(tryno + 1), memory_order_release);
	rawsock_commit(b, n);
	if (s->tries[e] < UINT8_MAX)
		s->tries[e]++;
	atomic_fetch_add(&s->sent, 1);
	if (tryno)
		atomic_fetch_add(&s->retries, 1);
	return 0;
}

/* How many sends a silent probe gets, as cc.h: up to max_retries resends, at least one. */
static unsigned raw_allowed_tries(struct raw_scan *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = cc_retries_allowed(&s->cc) + 1;
	pthread_mutex_unlock(&s->lock);
	return n < RAWSCAN_TRIES ? n : RAWSCAN_TRIES;
}

/*
 * Sends the confirming try of every entry with a bare reply queued by the
 * receiver (by the first sender, with no helper running). It is not counted
 * against the entry's retries. Returns how many were sent, or a negative errno.
 */
static int raw_confirm(struct raw_tx *tx, struct ratectl *rt)
{
	struct raw_scan *s = tx->s;
	uint64_t *q;
	size_t n;
	int sent = 0, r = 0;

	pthread_mutex_lock(&s->lock);
	q = s->confirm;
	n = s->nconfirm;
	s->confirm = NULL;
	s->nconfirm = s->confirm_cap = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t e = q[i];
		unsigned next = atomic_load(&s->maxtry[e]);

		if (__atomic_load_n(&s->res[e], __ATOMIC_ACQUIRE) != 0 || next >= RAWSCAN_TRIES)
			continue;
		r = raw_send_one(tx, rt, e, next, false);
		if (r == 0) {
			s->tries[e]--;
			sent++;
		}
	}
	free(q);
	if (r == 0)
		r = raw_flush_all(tx);
	return r < 0 ? r : sent;
}

/*
 * After a pass: waits a probe timeout past the last send, and for the receiver
 * to settle; sends the confirming tries of bare replies meanwhile.
 */
static void raw_wait_pass(struct raw_scan *s, struct ratectl *rt, uint64_t last_send)
{
	uint32_t rto, maxrtt = s->cfg->cc.max_rtt_us;

	for (;;) {
		uint64_t now = clock_mono_us(), last_reply = atomic_load(&s->last_reply_us);
		int c = raw_confirm(&s->tx[0], rt);

		if (c < 0) {
			raw_set_error(s, c);
			return;
		}
		if (c > 0)
			last_send = now = clock_mono_us();

		pthread_mutex_lock(&s->lock);
		rto = cc_rto_us(&s->cc);
		pthread_mutex_unlock(&s->lock);
		if (atomic_load(&s->done) == s->total || atomic_load(&s->error) || raw_expired(s))
			return;
		if (now >= last_send + rto && now >= last_reply + RAW_QUIET_US)
			return;
		if (now >= last_send + maxrtt + RAW_QUIET_US)
			return;
		if (now - rt->last_tick >= RAW_TICK_US)
			raw_rate_tick(s, rt, now, false);
		clock_sleep_us(2000);
	}
}

/* Whether entry e belongs to a host whose retries are paced (it answered the first pass). */
static bool raw_is_paced(const struct raw_scan *s, uint64_t e)
{
	return s->ops->paced && atomic_load(&s->hosts[e / s->nports].answers) > 0;
}

/*
 * The next silent entry of host h in lane l of nl (port indices p with
 * p % nl == l) with fewer than tmax tries, round robin; -1 if none.
 */
static int64_t raw_pace_pick(struct raw_scan *s, size_t h, size_t l, size_t nl, struct raw_pace *ph,
                             unsigned tmax)
{
	size_t n = (s->nports - l + nl - 1) / nl; /* ports in the lane */

	for (size_t k = 0; k < n; k++) {
		size_t i = (ph->cursor + k) % n, p = l + i * nl;
		uint64_t e = h * s->nports + p;

		if (__atomic_load_n(&s->res[e], __ATOMIC_ACQUIRE) == 0 && s->tries[e] < tmax) {
			ph->cursor = i + 1;
			return (int64_t)e;
		}
	}
	return -1;
}

/*
 * Judges host h's paced probe in flight. A silent probe counts as a try only
 * when the host's two judged probes before it were answered and the gap is
 * past the last one that proved too short (it had ICMP to spare); a second
 * silence in a row is the rate limit. Otherwise the try is refunded and the gap
 * grows: doubling until a paced probe was first answered, then by a quarter.
 * Four answers in a row shrink it by a tenth, never under 1.1 x the last gap
 * that proved too short.
 */
static void raw_pace_judge(struct raw_scan *s, struct raw_pace *ph, uint32_t gmin)
{
	bool answered = __atomic_load_n(&s->res[ph->out], __ATOMIC_ACQUIRE) != 0;
	bool spare = ph->nh >= 2 && (ph->hist & 3) == 3 && ph->gap_us >= ph->bad_us * 11 / 10;
	unsigned ones;

	ph->hist = (ph->hist << 1 | answered) & 0xf;
	ph->nh = ph->nh < 4 ? ph->nh + 1 : 4;
	ones = (unsigned)__builtin_popcount(ph->hist & ((1u << ph->nh) - 1));
	if (!answered && !spare) {
		if (ph->gap_us < RAW_PACE_MAX_US) {
			uint64_t g = ph->seen ? ph->gap_us * 5 / 4 : ph->gap_us * 2;

			s->tries[ph->out]--; /* over the host's budget: this silence proves nothing
			                      */
			ph->bad_us = ph->gap_us;
			ph->gap_us = g < RAW_PACE_MAX_US ? g : RAW_PACE_MAX_US;
		} else if (ones == 0 && ph->nh == 4) {
			ph->burst = true; /* silent even with time to spare: nothing left to pace */
		}
	} else if (answered) {
		uint64_t floor_us = ph->bad_us * 11 / 10 > gmin ? ph->bad_us * 11 / 10 : gmin;

		ph->seen = true;
		if (ph->nh == 4 && ones == 4)
			ph->gap_us =
			    ph->gap_us * 9 / 10 > floor_us ? ph->gap_us * 9 / 10 : floor_us;
	}
	ph->out = -1;
}

/*
 * The time the paced retries still need: the slowest lane's silent ports
 * times its gap. Lanes run side by side.
 */
static int64_t raw_paced_eta(struct raw_scan *s, unsigned tmax)
{
	uint64_t worst = 0;

	for (size_t L = 0; L < s->nhosts * s->nlanes; L++) {
		const struct raw_pace *ph = &s->pace[L];
		size_t h = L / s->nlanes, l = L % s->nlanes;
		size_t nl = raw_host_lanes(s, &s->hosts[h]);
		uint64_t left = 0;

		if (ph->done)
			continue;
		for (size_t p = l; p < s->nports; p += nl) {
			uint64_t e = h * s->nports + p;

			/* Most silent ports are closed ones the ICMP limit hid: one gap each. */
			left += __atomic_load_n(&s->res[e], __ATOMIC_ACQUIRE) == 0 &&
			        s->tries[e] < tmax;
		}
		if (ph->burst)
			left = left ? tmax : 0; /* a round of every port per probe timeout */
		worst = left * ph->gap_us > worst ? left * ph->gap_us : worst;
	}
	return (int64_t)worst;
}

/* Paced retries of the hosts that answered the first pass (rawscan_ops.paced), by tx alone. */
static int raw_paced(struct raw_tx *tx, struct ratectl *rt)
{
	struct raw_scan *s = tx->s;
	unsigned tmax = s->cfg->cc.max_retries + 1;
	uint32_t gmin;
	int r = 0;

	tmax = tmax > RAW_PACE_TRIES ? RAW_PACE_TRIES : tmax;
	pthread_mutex_lock(&s->lock);
	gmin = cc_rto_us(&s->cc);
	pthread_mutex_unlock(&s->lock);
	for (size_t h = 0; h < s->nhosts; h++) {
		size_t nl = raw_host_lanes(s, &s->hosts[h]);

		for (size_t l = 0; l < s->nlanes; l++)
			s->pace[h * s->nlanes + l] = (struct raw_pace){
			    .gap_us = gmin,
			    .out = -1,
			    .done = l >= nl || atomic_load(&s->hosts[h].answers) == 0};
	}
	for (uint64_t last_eta = 0;;) {
		uint64_t now = clock_mono_us(), soonest = now + 10000;
		bool active = false;

		r = raw_confirm(tx, rt);
		if (r < 0)
			break;
		r = 0;

		if (now - last_eta >= 200000) {
			atomic_store(&s->eta_us, raw_paced_eta(s, tmax));
			last_eta = now;
		}
		for (size_t L = 0; L < s->nhosts * s->nlanes && r == 0; L++) {
			size_t h = L / s->nlanes, l = L % s->nlanes;
			size_t nl = raw_host_lanes(s, &s->hosts[h]);
			struct raw_pace *ph = &s->pace[L];
			int64_t e;

			if (ph->done)
				continue;
			active = true;
			if (now < ph->next_us) {
				soonest = ph->next_us < soonest ? ph->next_us : soonest;
				continue;
			}
			if (ph->out >= 0)
				raw_pace_judge(s, ph, gmin);
			e = raw_pace_pick(s, h, l, nl, ph, tmax);
			if (e < 0) {
				ph->done = true;
				continue;
			}
			if (!ph->burst) {
				r = raw_send_one(tx, rt, (uint64_t)e, s->tries[e], false);
				ph->out = e;
				ph->next_us = now + ph->gap_us;
				continue;
			}
			/* Burst: one more try for every silent port of the lane, a probe timeout
			 * apart. */
			for (size_t p = l; p < s->nports && r == 0; p += nl) {
				uint64_t x = h * s->nports + p;

				if (__atomic_load_n(&s->res[x], __ATOMIC_ACQUIRE) == 0 &&
				    s->tries[x] < tmax)
					r = raw_send_one(tx, rt, x, s->tries[x], false);
			}
			ph->next_us = now + gmin;
		}
		if (r == 0)
			r = raw_flush_all(tx);
		if (r != 0 || !active || atomic_load(&s->error) ||
		    atomic_load(&s->done) == s->total || raw_expired(s))
			break;
		now = clock_mono_us();
		if (soonest > now)
			clock_sleep_us(soonest - now);
	}
	if (r == 0) /* the last paced probes' answers */
		raw_wait_pass(s, rt, clock_mono_us());
	return r < 0 ? r : 0;
}

/*
 * Sends tx's share of the pass: chunks of RAW_CHUNK permutation indices taken
 * from the shared cursor, so the senders stay balanced and the order random.
 */
static int raw_send_share(struct raw_tx *tx, struct ratectl *rt)
{
	struct raw_scan *s = tx->s;
	bool first = s->pass_first;
	int r = 0;

	for (;;) {
		uint64_t i = atomic_fetch_add(&s->cursor, RAW_CHUNK);
		uint64_t end = i + RAW_CHUNK < s->total ? i + RAW_CHUNK : s->total;

		if (i >= s->total || atomic_load(&s->error) || raw_expired(s))
			break;
		for (; i < end && r == 0; i++) {
			uint64_t e = perm_at(&s->perm, i);

			if (__atomic_load_n(&s->res[e], __ATOMIC_ACQUIRE) != 0)
				continue;
			if (!first && raw_is_paced(s, e))
				continue; /* left to raw_paced() */
			r = raw_send_one(tx, rt, e, s->pass_try, first);
		}
		if (r < 0)
			return r;
		if (r == RAW_EXPIRED)
			break;
	}
	return raw_flush_all(tx);
}

static void *raw_helper(void *arg)
{
	struct raw_tx *tx = arg;

	tx->err = raw_send_share(tx, NULL);
	return NULL;
}

/* One pass over the group (try tryno) by the active senders; the first is the caller. */
static int raw_pass(struct raw_scan *s, struct ratectl *rt, unsigned tryno)
{
	/* A small pass is not worth another thread. */
	unsigned want = s->total >= (uint64_t)s->nsend * RAW_CHUNK * 8 ? s->nsend : 1;
	unsigned started = 1;
	int r;

	s->pass_try = tryno;
	s->pass_first = tryno == 0;
	atomic_store(&s->cursor, 0);
	atomic_store(&s->active, want);
	for (; started < want; started++) {
		s->tx[started].err = 0;
		if (pthread_create(&s->tx[started].thread, NULL, raw_helper, &s->tx[started]))
			break;
	}
	atomic_store(&s->active, started); /* fewer when a thread could not start */
	r = raw_send_share(&s->tx[0], rt);
	if (r < 0)
		raw_set_error(s, r);
	for (unsigned k = 1; k < started; k++) {
		pthread_join(s->tx[k].thread, NULL);
		if (s->tx[k].err < 0)
			raw_set_error(s, s->tx[k].err);
	}
	atomic_store(&s->active, 1);
	return atomic_load(&s->error);
}

/*
 * Hosts left on the raw IP path because their next hop was not resolved get
 * another look before a retry pass: the first pass had the kernel resolve it.
 * The senders are joined, so nothing reads the paths meanwhile.
 */
static void raw_refresh_paths(struct raw_scan *s)
{
	for (size_t i = 0; i < s->nhosts; i++) {
		struct raw_host *h = &s->hosts[i];
		struct linkpath p;

		if (!h->path.pending || s->cfg->send_ip)
			continue;
		if (linkpath_lookup(s->lp, &h->addr, NULL, &p) == 0 && !p.pending)
			h->path = p; /* same source address: the same route */
	}
}

static void *raw_sender(void *arg)
{
	struct raw_scan *s = arg;
	struct ratectl rt;
	int r = 0;

	raw_rate_init(s, &rt, &s->cfg->cc, clock_mono_us());
	for (unsigned k = 0; k < s->nsend; k++)
		s->tx[k].bucket.last_refill = clock_mono_us();
	for (unsigned tryno = 0; tryno < raw_allowed_tries(s); tryno++) {
		if (tryno > 0)
			raw_refresh_paths(s);
		r = raw_pass(s, &rt, tryno);
		if (r < 0 || raw_expired(s))
			break;
		raw_wait_pass(s, &rt, clock_mono_us());
		if (atomic_load(&s->done) == s->total || atomic_load(&s->error))
			break;
	}
	if (r == 0 && s->ops->paced && atomic_load(&s->done) < s->total &&
	    !atomic_load(&s->error) && !raw_expired(s))
		r = raw_paced(&s->tx[0], &rt);
	if (r < 0)
		raw_set_error(s, r);
	pthread_mutex_lock(&s->fin_lock);
	atomic_store(&s->tx_done, true);
	pthread_cond_signal(&s->fin_cond);
	pthread_mutex_unlock(&s->fin_lock);
	return NULL;
}

static void raw_progress(struct raw_scan *s, uint64_t done_before)
{
	struct scan_progress pr;

	if (!s->sink->on_progress)
		return;
	pr = (struct scan_progress){
	    .done = done_before + atomic_load(&s->done),
	    .total = scan_hostiter_expect(s->it) * s->nports,
	    .sent = atomic_load(&s->sent),
	    .found = atomic_load(&s->found),
	    .elapsed = (double)(clock_mono_us() - s->t0) / 1e6,
	};
	int64_t eta = atomic_load(&s->eta_us);

	if (eta >= 0) {
		pr.has_eta = true;
		pr.eta = (double)eta / 1e6;
	}
	pthread_mutex_lock(&s->lock);
	s->sink->on_progress(s->sink->ctx, &pr);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Host i of the group has no path (no route, or one the kernel refuses such as
 * a broadcast address, with -Pn): its ports are filtered at once, as the
 * connect scan says, and the scan of the other hosts goes on.
 */
static void raw_unroutable(struct raw_scan *s, size_t i, int err)
{
	uint8_t v = scan_res_pack(SCAN_FILTERED, err == -ENETUNREACH ? SCAN_REASON_NET_UNREACH
	                                                             : SCAN_REASON_HOST_UNREACH);

	s->hosts[i].path = (struct linkpath){0};
	memset(s->res + i * s->nports, v, s->nports);
}

/* Fills the group's hosts from addrs and their paths. */
static int raw_fill_group(struct raw_scan *s, const struct target_addr *addrs, char *why,
                          size_t whylen)
{
	memset(s->htab, 0, (s->hmask + 1) * sizeof(*s->htab));
	for (size_t i = 0; i < s->nhosts; i++) {
		struct raw_host *h = &s->hosts[i];
		char a[INET6_ADDRSTRLEN];
		int r;
		size_t j;

		h->addr = addrs[i];
		h->rtt_sum_us = h->rtt_n = 0;
		atomic_store(&h->answers, 0);
		if (!rawsock_can(&s->rs, h->addr.family)) {
			raw_fail(why, whylen,
			         h->addr.family == AF_INET ? "no raw socket for IPv4"
			                                   : "no raw socket for IPv6");
			return -EAFNOSUPPORT;
		}
		r = linkpath_lookup(s->lp, &h->addr, NULL, &h->path);
		if (s->cfg->send_ip)
			h->path.ifindex = 0;
		if (r == -ENOMEM) {
			target_addr_str(&h->addr, a, sizeof(a));
			snprintf(why, whylen, "out of memory looking up the route to %s", a);
			return r;
		}
		if (r < 0)
			raw_unroutable(s, i, r);
		for (j = target_addr_hash(&h->addr) & s->hmask; s->htab[j]; j = (j + 1) & s->hmask)
			;
		s->htab[j] = (uint32_t)i + 1;
	}
	return 0;
}

/* Reports the group: silent probes get the silent state, then every host in order. */
static void raw_report_group(struct raw_scan *s, double gstart, struct scan_summary *sum)
{
	const struct scan_sink *sink = s->sink;
	uint8_t silent = scan_res_pack(s->ops->silent_state, SCAN_REASON_NO_RESPONSE);

	for (size_t i = 0; i < s->nhosts; i++) {
		struct raw_host *rh = &s->hosts[i];
		uint8_t *res = s->res + i * s->nports;
		struct scan_host h = {
		    .addr = rh->addr,
		    .up = true,
		    .reason = SCAN_REASON_USER_SET,
		    .srtt_us = rh->rtt_n ? (uint32_t)(rh->rtt_sum_us / rh->rtt_n) : 0,
		    .rttvar_us = (uint32_t)s->cc.rttvar_us,
		    .rto_us = cc_rto_us(&s->cc),
		    .proto = s->ops->proto,
		    .nports = s->nports,
		    .ports = s->cfg->ports->ports,
		    .res = res,
		    .ttl = s->ttl + i * s->nports,
		    .start = gstart,
		    .end = clock_wall(),
		};

		/* Past --host-timeout, a host not finished gets no port results (as nmap). */
		h.timedout = atomic_load(&s->expired) && memchr(res, 0, s->nports) != NULL;
		for (size_t p = 0; p < s->nports; p++) {
			if (res[p] == SCAN_RES_OTHER_SHARD)
				continue;
			if (res[p] == 0 && !h.timedout) {
				res[p] = silent;
				if (sink->on_port) {
					struct scan_result r = {.addr = &rh->addr,
					                        .proto = s->ops->proto,
					                        .port = s->cfg->ports->ports[p],
					                        .state = s->ops->silent_state,
					                        .reason = SCAN_REASON_NO_RESPONSE};

					sink->on_port(sink->ctx, &r);
				}
			}
			h.counts[scan_res_state(res[p])]++;
		}
		if (s->cfg->shard.count > 1) {
			uint8_t *ttl = s->ttl + i * s->nports; /* kept beside the own ports */
			size_t n = 0;

			for (size_t p = 0; p < s->nports; p++)
				if (res[p] != SCAN_RES_OTHER_SHARD)
					ttl[n++] = ttl[p];
			scan_host_own_ports(&h, s->own_ports, s->own_res, &h);
		}
		for (int st = 0; st < SCAN_STATE_MAX; st++)
			sum->counts[st] += h.counts[st];
		sum->hosts_up += h.up;
		sum->hosts_timedout += h.timedout;
		if (sink->on_host_done)
			sink->on_host_done(sink->ctx, &h);
	}
}

/* Sets up the next group: got hosts from s->addrs, h0 hosts before it. */
static int raw_begin_group(struct raw_scan *s, size_t got, uint64_t h0, char *why, size_t whylen)
{
	const struct scan_config *cfg = s->cfg;
	int r;

	s->nhosts = got;
	s->total = s->nhosts * s->nports;
	memset(s->res, 0, s->total);
	memset(s->ttl, 0, s->total);
	memset(s->tries, 0, s->total);
	memset((void *)s->maxtry, 0, s->total);
	memset((void *)s->lasttry, 0, s->total);
	memset(s->bare, 0, s->total * sizeof(*s->bare));
	s->nconfirm = 0;
	r = raw_fill_group(s, s->addrs, why, whylen);
	if (r < 0)
		return r;
	perm_init(&s->perm, s->total, cfg->seed + h0);
	atomic_store(&s->done, 0);
	for (size_t i = 0; i < s->nhosts; i++)
		atomic_fetch_add(&s->done,
		                 shard_mark(&cfg->shard, cfg->seed, &s->hosts[i].addr, s->nports,
		                            s->res + i * s->nports, SCAN_RES_OTHER_SHARD));
	atomic_fetch_add(&s->done, scan_hostiter_resume(s->it, s->res, s->total));
	return 0;
}

/* As engine.c's scan_checkpoint(): the group under way, or past it when group_done. */
static void raw_checkpoint(struct raw_scan *s, bool group_done)
{
	struct scan_checkpoint c = {.hosts_done = s->it->taken};

	if (!s->sink->on_checkpoint)
		return;
	if (!group_done) {
		for (size_t i = 0; i < s->total; i++)
			s->cp_res[i] = __atomic_load_n(&s->res[i], __ATOMIC_ACQUIRE);
		c = (struct scan_checkpoint){.hosts_done = s->it->taken - s->nhosts,
		                             .hosts = s->addrs,
		                             .nhosts = s->nhosts,
		                             .nports = s->nports,
		                             .res = s->cp_res};
	}
	pthread_mutex_lock(&s->lock);
	s->sink->on_checkpoint(s->sink->ctx, &c);
	pthread_mutex_unlock(&s->lock);
	s->cp_us = clock_mono_us();
}

/* Runs one host group: both threads, progress while they work. */
static int raw_run_group(struct raw_scan *s, uint64_t done_before)
{
	pthread_t tx, rx;
	int r;

	atomic_store(&s->stop_rx, false);
	atomic_store(&s->tx_done, false);
	atomic_store(&s->expired, false);
	atomic_store(&s->eta_us, -1);
	s->gstart_us = clock_mono_us();
	r = pthread_create(&rx, NULL, raw_receiver, s);
	if (r)
		return -r;
	r = pthread_create(&tx, NULL, raw_sender, s);
	if (r) {
		atomic_store(&s->stop_rx, true);
		pthread_join(rx, NULL);
		return -r;
	}
	pthread_mutex_lock(&s->fin_lock);
	while (!atomic_load(&s->tx_done)) {
		struct timespec ts = clock_mono_after_ms(RAW_PROGRESS_MS);

		pthread_cond_timedwait(&s->fin_cond, &s->fin_lock, &ts);
		if (!atomic_load(&s->tx_done)) {
			pthread_mutex_unlock(&s->fin_lock);
			raw_progress(s, done_before);
			if (clock_mono_us() - s->cp_us >= RAW_CHECKPOINT_US)
				raw_checkpoint(s, false);
			pthread_mutex_lock(&s->fin_lock);
		}
	}
	pthread_mutex_unlock(&s->fin_lock);
	pthread_join(tx, NULL);
	atomic_store(&s->stop_rx, true);
	pthread_join(rx, NULL);
	return atomic_load(&s->error);
}

/* Splits --source-ip by family; sets the lanes per host. */
static int raw_sources(struct raw_scan *s)
{
	for (int f = 0; f < 2; f++) {
		s->src[f] = calloc(s->cfg->nsources + 1, sizeof(*s->src[f]));
		if (!s->src[f])
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->cfg->nsources; i++) {
		int f = raw_fam(s->cfg->sources[i].family);

		s->src[f][s->nsrc[f]++] = s->cfg->sources[i];
	}
	s->nlanes = s->nsrc[0] > s->nsrc[1] ? s->nsrc[0] : s->nsrc[1];
	s->nlanes = s->nlanes ? s->nlanes : 1;
	return 0;
}

static int raw_alloc(struct raw_scan *s, size_t group)
{
	size_t hcap = 16;

	while (hcap < 2 * group)
		hcap <<= 1;
	s->hmask = hcap - 1;
	s->pidx = malloc(65536 * sizeof(*s->pidx));
	s->hosts = calloc(group, sizeof(*s->hosts));
	s->htab = calloc(hcap, sizeof(*s->htab));
	s->res = malloc(group * s->nports);
	s->ttl = calloc(group, s->nports);
	s->own_ports = malloc(s->nports * sizeof(*s->own_ports));
	s->own_res = malloc(s->nports);
	s->sent_at = calloc(group * s->nports, sizeof(*s->sent_at));
	s->tries = malloc(group * s->nports);
	s->maxtry = malloc(group * s->nports);
	s->lasttry = malloc(group * s->nports);
	s->bare = malloc(group * s->nports * sizeof(*s->bare));
	s->pace = calloc(group * s->nlanes, sizeof(*s->pace));
	s->addrs = calloc(group, sizeof(*s->addrs));
	s->cp_res = s->sink->on_checkpoint ? malloc(group * s->nports) : NULL;
	if ((s->sink->on_checkpoint && !s->cp_res) || !s->addrs || !s->pidx || !s->hosts ||
	    !s->htab || !s->res || !s->ttl || !s->own_ports || !s->own_res || !s->sent_at ||
	    !s->tries || !s->maxtry || !s->lasttry || !s->bare || !s->pace)
		return -ENOMEM;
	for (size_t i = 0; i < 65536; i++)
		s->pidx[i] = -1;
	for (size_t i = 0; i < s->nports; i++)
		s->pidx[s->cfg->ports->ports[i]] = (int32_t)i;
	return 0;
}

static void raw_free(struct raw_scan *s)
{
	free(s->pidx);
	free(s->hosts);
	free(s->htab);
	free(s->res);
	free(s->ttl);
	free(s->own_ports);
	free(s->own_res);
	free(s->cp_res);
	free((void *)s->sent_at);
	free(s->tries);
	free((void *)s->maxtry);
	free((void *)s->lasttry);
	free(s->bare);
	free(s->confirm);
	free(s->pace);
	free(s->addrs);
	free(s->src[0]);
	free(s->src[1]);
	for (unsigned k = 0; k < RAW_MAX_SENDERS; k++)
		free(s->tx[k].sock);
	capture_close(s->cap);
	linkpath_close(s->lp);
	rawsock_close(&s->rs);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->fin_lock);
	pthread_cond_destroy(&s->fin_cond);
}

/* Opens the raw sockets and the capture, then drops privileges if asked. */
static int raw_open(struct raw_scan *s, char *why, size_t whylen)
{
	char filter[256];
	int r;

	r = rawsock_open(&s->rs, s->ops->proto, why, whylen);
	if (r < 0)
		return r;
	r = linkpath_open(&s->lp);
	if (r < 0) {
		snprintf(why, whylen, "cannot open a routing socket: %s", strerror(-r));
		return r;
	}
	for (unsigned k = 0; k < s->nsend; k++) {
		s->tx[k] = (struct raw_tx){.s = s, .sock = rawsock_tx_new(&s->rs)};
		if (!s->tx[k].sock) {
			raw_fail(why, whylen, "out of memory for send buffers");
			return -ENOMEM;
		}
	}
	r = s->ops->filter(filter, sizeof(filter), s->sport_lo, s->sport_hi);
	if (r < 0) {
		raw_fail(why, whylen, "capture filter too long");
		return r;
	}
	r = capture_open(filter, &s->cap, why, whylen);
	if (r < 0)
		return r;
	if (s->cfg->drop_privileges)
		return privdrop_all(why, whylen);
	return 0;
}

int rawscan_run(const struct scan_config *cfg, const struct rawscan_ops *ops,
                const struct scan_sink *sink, char *why, size_t whylen)
{
	struct raw_scan *s;
	struct scan_summary sum = {0};
	pthread_condattr_t ca;
	struct scan_hostiter it;
	uint64_t group, done_before = 0;
	int r;

	if ((!cfg->targets && !cfg->feed) || !cfg->ports || cfg->ports->n == 0) {
		raw_fail(why, whylen, "no ports to scan");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct raw_scan){.cfg = cfg, .ops = ops, .sink = sink, .nports = cfg->ports->n};
	for (int k = 0; k < RAWSOCK_KINDS; k++)
		s->rs.fd[k] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->fin_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->fin_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (getrandom(s->key, sizeof(s->key), 0) != (ssize_t)sizeof(s->key)) {
		uint64_t x = clock_mono_us() ^ cfg->seed;

		for (size_t i = 0; i < sizeof(s->key); i++, x = x * 6364136223846793005ull + 1)
			s->key[i] = (uint8_t)(x >> 56);
	}
	/* Source ports: 16 in a row at a place of the seed, above the usual ephemeral range. */
	s->sport_lo = (uint16_t)(61000 + (cfg->seed >> 13) % 256 * 16);
	s->sport_hi = (uint16_t)(s->sport_lo + RAWSCAN_TRIES - 1);
	if (ops->hashed_sports) {
		s->sport_lo = PACKET_SPORT_LO;
		s->sport_hi = (uint16_t)(PACKET_SPORT_LO + PACKET_SPORT_SPAN - 1);
	}

	scan_hostiter_init(&it, cfg);
	s->it = &it;
	group = RAW_GROUP_RESULTS / s->nports;
	if (cfg->hostgroup)
		group = cfg->hostgroup;
	group = group < 1 ? 1 : group > RAW_MAX_GROUP ? RAW_MAX_GROUP : group;
	if (!cfg->feed && group > it.count)
		group = it.count ? it.count : 1;
	s->nsend = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	s->nsend = s->nsend < 1 ? 1 : s->nsend > RAW_MAX_SENDERS ? RAW_MAX_SENDERS : s->nsend;
	atomic_store(&s->active, 1);
	r = raw_sources(s);
	if (r == 0)
		r = raw_alloc(s, group);
	if (r < 0) {
		raw_fail(why, whylen, "out of memory for a host group");
		goto out;
	}
	r = raw_open(s, why, whylen);
	if (r < 0)
		goto out;
	s->t0 = clock_mono_us();
	cc_init(&s->cc, &cfg->cc, s->t0);
	atomic_store(&s->bare_window_us, cc_rto_us(&s->cc));
	sum.start = clock_wall();
	for (uint64_t h0 = cfg->resume ? cfg->resume->hosts_done : 0;; h0 += s->nhosts) {
		double gstart;
		long got = scan_hostiter_take(&it, s->addrs, group);

		if (got < 0) {
			r = (int)got;
			snprintf(why, whylen, "no more targets: %s", strerror(-r));
			goto out;
		}
		if (got == 0)
			break;
		gstart = clock_wall();
		r = raw_begin_group(s, (size_t)got, h0, why, whylen);
		if (r < 0)
			goto out;
		r = raw_run_group(s, done_before);
		if (r < 0) {
			snprintf(why, whylen, "raw scan failed: %s", strerror(-r));
			goto out;
		}
		done_before += s->total;
		raw_report_group(s, gstart, &sum);
		raw_checkpoint(s, true);
	}
	atomic_store(&s->done, 0);
	raw_progress(s, done_before);
	sum.hosts_total = it.taken;
	sum.probes_sent = atomic_load(&s->sent);
	sum.retries = atomic_load(&s->retries);
	sum.end = clock_wall();
	sum.elapsed = (double)(clock_mono_us() - s->t0) / 1e6;
	if (sink->on_done)
		sink->on_done(sink->ctx, &sum);
	r = 0;
out:
	raw_free(s);
	free(s);
	return r;
}

enum scan_reason rawscan_icmp_reason(int family, uint8_t type, uint8_t code)
{
	if (family == AF_INET) {
		if (type != 3)
			return SCAN_REASON_NONE;
		switch (code) {
		case 0:
		case 6:
		case 11:
			return SCAN_REASON_NET_UNREACH;
		case 1:
		case 7:
		case 12:
			return SCAN_REASON_HOST_UNREACH;
		case 3:
			return SCAN_REASON_PORT_UNREACH;
		case 2: /* protocol unreachable */
		case 9:
		case 10:
		case 13:
			return SCAN_REASON_ADMIN_PROHIBITED;
		default:
			return SCAN_REASON_HOST_UNREACH;
		}
	}
	if (type != 1)
		return SCAN_REASON_NONE;
	switch (code) {
	case 0:
		return SCAN_REASON_NET_UNREACH;
	case 1:
	case 5:
	case 6:
		return SCAN_REASON_ADMIN_PROHIBITED;
	case 4:
		return SCAN_REASON_PORT_UNREACH;
	default:
		return SCAN_REASON_HOST_UNREACH;
	}
}
