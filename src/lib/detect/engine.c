/* Service detection engine: one epoll loop over every endpoint's probe connections. */
#include "detect/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "detect/builtin.h"
#include "detect/match.h"
#include "detect/tls.h"

#define EVAL_LIVE_MAX 8192 /* answers longer than this are matched once, when complete */

/* One probe to send: a built-in, an nmap probe, or both when their payloads agree. */
struct step {
	const struct builtin_probe *b;
	const struct probes_probe *n; /* nmap probe sent, or whose matches judge b's answer */
	bool send_nmap;               /* payload comes from n (b NULL or only a parser) */
	bool hinted;                  /* the probe lists the endpoint's port (ports/sslports) */
	bool empty;                   /* sent, and its connection ended without a byte */
	bool augment;                 /* b completes an identified service (builtin.h) */
};

enum ep_level { LV_NONE, LV_SOFT, LV_PARTIAL, LV_HARD };

struct ep_state {
	const struct detect_endpoint *ep;
	struct step *steps;
	size_t nsteps, next;
	unsigned active;        /* open connections */
	unsigned active_probes; /* open connections other than the NULL probe */
	uint64_t started;
	uint64_t null_deadline; /* when the NULL probe gives up, while it is open */
	bool done, null_open;
	bool narrow;       /* a hard match without version: only probes that may add to it */
	bool retry;        /* the pass that sends silent probes again, two at a time */
	bool null_wrapped; /* the NULL probe was closed at once without a byte */
	bool augment_only; /* identified with a version: only its augmenting probes still go */
	bool lat_known;    /* a probe was answered: lat_ms holds the slowest first byte */
	uint64_t lat_ms;
	unsigned silent, answered, closed_empty, sent;
	enum ep_level level;
	struct detect_result res;
	bool tls_phase;       /* the answer was TLS: a handshake and a probe inside follow */
	struct step tls_step; /* the probe sent inside the tunnel (when not only waiting) */
	struct detect_tls tls;
	const char *final_reason;
};

enum conn_state {
	C_CONNECTING,
	C_SENDING,
	C_READING,
	C_TLS_HANDSHAKE, /* TLS_STEP: TLS handshake in progress */
	C_TLS_GREET,     /* TLS_STEP: waiting for a greeting inside the tunnel */
	C_TLS_READ,      /* TLS_STEP: inner probe sent, reading its answer */
};

struct conn {
	struct ep_state *es;
	int fd;
	size_t step; /* SIZE_MAX: the NULL probe */
	enum conn_state st;
	size_t sent;
	uint8_t *buf;
	size_t len, cap;
	uint64_t opened, deadline, idle_deadline;
	uint64_t sent_at; /* when the probe was sent (reading began) */
	bool eof;
	struct tls_conn *ssl; /* TLS_STEP only */
};

struct engine {
	const struct detect_config *cfg;
	struct match_ctx *mc;
	int epfd;
	struct conn **conns;
	size_t nconns;
	struct ep_state *eps; /* active endpoints */
	size_t neps, eps_cap;
	detect_sink sink;
	void *ctx;
	/* nmap probe index → built-in with the same payload, to avoid sending twice */
	const struct builtin_probe **twin;
	struct detect_stats st;
	size_t buffered;     /* bytes of read buffers now */
	struct tls_ctx *tls; /* NULL when TLS is off */
};

#define NULL_STEP SIZE_MAX
#define TLS_STEP  (SIZE_MAX - 1)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void detect_config_default(struct detect_config *cfg)
{
	*cfg = (struct detect_config){
	    .intensity = 7,
	    .max_conns = 512,
	    .probe_parallel = 4,
	    .connect_timeout_ms = 2000,
	    .banner_wait_ms = 300,
	    .null_wait_ms = 2000,
	    .probe_wait_ms = 2000,
	    .idle_ms = 300,
	    .tcpwrapped_ms = 2000,
	    .endpoint_timeout_ms = 20000,
	    .silent_limit = 0,
	    .max_read = 65536,
	};
}

int detect_endpoint_set(struct detect_endpoint *ep, const char *addr, uint16_t port,
                        enum probes_proto proto)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->addr;

	memset(ep, 0, sizeof(*ep));
	ep->proto = proto;
	if (proto != PROBES_TCP && proto != PROBES_UDP)
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		ep->addrlen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		ep->addrlen = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static uint16_t ep_port(const struct detect_endpoint *ep)
{
	if (ep->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&ep->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&ep->addr)->sin_port);
}

/* --- probe order -------------------------------------------------------------------------------
 */

static bool nmap_likes_port(const struct probes_probe *p, uint16_t port)
{
	return probes_ranges_contain(p->ports, p->nports, port) ||
	       probes_ranges_contain(p->sslports, p->nsslports, port);
}

static int add_step(struct step **steps, size_t *n, size_t *cap, struct step s)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct step *ns = realloc(*steps, nc * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		*steps = ns;
		*cap = nc;
	}
	(*steps)[(*n)++] = s;
	return 0;
}

/* Builds the ordered probe list of an endpoint (see engine.h). */
static int plan_steps(struct engine *e, struct ep_state *es)
{
	const struct detect_config *cfg = e->cfg;
	struct probes_file *pf = cfg->pf;
	uint16_t port = ep_port(es->ep);
	enum probes_proto proto = es->ep->proto;
	size_t cap = 0;
	int rc = 0;

	for (int pass = 0; pass < 2 && !rc; pass++) {
		/* pass 0: probes that list the port; pass 1: the rest by rarity */
		for (unsigned rarity = pass ? 1 : 0; rarity <= (pass ? 9u : 0u) && !rc; rarity++) {
			for (size_t i = 0; i < builtin_nprobes && !cfg->no_builtin && !rc; i++) {
				const struct builtin_probe *b = &builtin_probes[i];
				bool likes = builtin_likes_port(b, port);
				const struct probes_probe *twin = NULL;

				if (b->proto != proto || !b->payload || b->augments ||
				    likes == (bool)pass)
					continue;
				if (pass && (b->rarity != rarity || b->rarity > cfg->intensity))
					continue;
				for (size_t k = 0; pf && k < pf->n; k++)
					if (e->twin[k] == b)
						twin = &pf->probes[k];
				if (!twin && pf && b->judge)
					twin = probes_find(pf, proto, b->judge);
				rc = add_step(&es->steps, &es->nsteps, &cap,
				              (struct step){.b = b, .n = twin, .hinted = likes});
			}
			for (size_t i = 0; pf && i < pf->n && !rc; i++) {
				const struct probes_probe *p = &pf->probes[i];
				bool likes = nmap_likes_port(p, port);

				if (p->proto != proto || (int)i == pf->null_probe ||
				    likes == (bool)pass)
					continue;
				if (e->twin[i] && !cfg->no_builtin)
					continue; /* sent as its built-in twin */
				if (pass && (p->rarity != rarity || p->rarity > cfg->intensity))
					continue;
				rc = add_step(
				    &es->steps, &es->nsteps, &cap,
				    (struct step){.n = p, .send_nmap = true, .hinted = likes});
			}
		}
	}
	/* last, the probes that complete a service once it is identified */
	for (size_t i = 0; i < builtin_nprobes && !cfg->no_builtin && !rc; i++) {
		const struct builtin_probe *b = &builtin_probes[i];

		if (b->augments && b->proto == proto && b->payload)
			rc = add_step(&es->steps, &es->nsteps, &cap,
			              (struct step){.b = b, .augment = true});
	}
	return rc;
}

/* --- judging answers -----------------------------------------------------------------------------
 */

/* How much an answer tells: version 4, product 2, extra info 1, a CPE with a version 1. */
static int richness(const struct detect_service *s)
{
	int colons = 0;

	for (const char *p = s->cpe; *p && *p != ' '; p++)
		colons += *p == ':';
	return 4 * (s->version[0] != 0) + 2 * (s->product[0] != 0) + (s->extrainfo[0] != 0) +
	       (colons >= 4);
}

#define FILL(dst, src, field)                                                                      \
	do {                                                                                       \
		if (!(dst)->field[0])                                                              \
			memcpy((dst)->field, (src)->field, sizeof((dst)->field));                  \
	} while (0)

/* Completes the fields the built-in answer b left empty from nmap's match n of the same service. */
static void merge_fields(struct detect_service *b, const struct detect_service *n)
{
	if (strcmp(b->name, n->name) != 0)
		return;
	FILL(b, n, product);
	FILL(b, n, version);
	FILL(b, n, extrainfo);
	FILL(b, n, hostname);
	FILL(b, n, ostype);
	FILL(b, n, devicetype);
	if (!b->cpe[0] ||
	    (richness(n) > richness(b) - 1 && n->cpe[0] && strlen(n->cpe) > strlen(b->cpe) &&
	     strncmp(n->cpe, b->cpe, strlen(b->cpe)) == 0))
		memcpy(b->cpe, n->cpe, sizeof(b->cpe));
}

/* Whether two service names are one service (same name or aliases: netbios-ssn, microsoft-ds). */
static bool same_service(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || !detect_mismatch(a, b);
}

/* Whether the nmap probe has a hard match line for service name. */
static bool nmap_detects(const struct probes_probe *p, const char *name)
{
	for (size_t i = 0; p && i < p->nmatches; i++)
		if (!p->matches[i].soft && same_service(p->matches[i].service, name))
			return true;
	return false;
}

/* Whether step may tell more about service name (its built-in or its nmap matches know it). */
static bool step_detects(const struct step *s, const char *name)
{
	return (s->b && same_service(s->b->service, name)) || nmap_detects(s->n, name);
}

/*
 * Judges an answer to step (NULL_STEP for the greeting). Returns the level
 * reached and fills out; final says the answer is complete.
 */
static enum ep_level judge(struct engine *e, struct ep_state *es, size_t step, const uint8_t *buf,
                           size_t len, bool final, struct detect_result *out)
{
	const struct detect_config *cfg = e->cfg;
	struct probes_file *pf = cfg->pf;
	const struct step *s = step == NULL_STEP  ? NULL
	                       : step == TLS_STEP ? &es->tls_step
	                                          : &es->steps[step];
	struct detect_service bsvc = {0}, nsvc = {0};
	int brc = BUILTIN_NO, nrc = 0;
	const char *bname = NULL, *nname = NULL;

	if (!len)
		return LV_NONE;
	if (!cfg->no_builtin) {
		if (s && s->b) {
			brc = s->b->parse(buf, len, &bsvc);
			bname = s->b->name;
		}
		if (brc != BUILTIN_YES && es->ep->proto == PROBES_TCP) {
			struct detect_service banner = {0};
			int rc = builtin_parse_banner(buf, len, &banner);

			if (rc == BUILTIN_YES ||
			    (rc == BUILTIN_MORE && brc == BUILTIN_NO && banner.name[0])) {
				brc = rc;
				bsvc = banner;
				bname = "banner";
			}
		}
	}
	if (pf && (final || len <= EVAL_LIVE_MAX)) {
		const struct probes_probe *np =
		    s && s->n ? s->n : (pf->null_probe >= 0 ? &pf->probes[pf->null_probe] : NULL);

		if (np) {
			nrc = match_probe(e->mc, pf, np, buf, len, &nsvc);
			nname = np->name;
		}
		if (nrc < 0)
			nrc = 0;
	}
	*out = (struct detect_result){.ep = es->ep};
	if (brc == BUILTIN_YES || nrc == 1) {
		/*
		 * nmap's match when it knows as much or names the service otherwise (tinyproxy:
		 * http-proxy, CUPS: ipp); the built-in when it knows more of the same service
		 */
		bool take_b =
		    brc == BUILTIN_YES && (nrc != 1 || (strcmp(bsvc.name, nsvc.name) == 0 &&
		                                        richness(&bsvc) > richness(&nsvc)));

		if (take_b && nrc == 1)
			merge_fields(&bsvc, &nsvc);
		out->svc = take_b ? bsvc : nsvc;
		out->confidence = take_b ? 9 : 10;
		out->reason = "matched";
		out->probe = take_b ? bname : nname;
		out->source = take_b ? "builtin" : "nmap-service-probes";
		return LV_HARD;
	}
	if (!final)
		return LV_NONE;
	if (brc == BUILTIN_MORE && bsvc.name[0]) {
		out->svc = bsvc;
		out->confidence = 7;
		out->reason = "partial";
		out->probe = bname;
		out->source = "builtin";
		return LV_PARTIAL;
	}
	if (nrc == 2) {
		out->svc = nsvc;
		out->confidence = 5;
		out->reason = "softmatch";
		out->probe = nname;
		out->source = "nmap-service-probes";
		return LV_SOFT;
	}
	return LV_NONE;
}

/* --- connections ---------------------------------------------------------------------------------
 */

static void conn_close(struct engine *e, struct conn *c)
{
	for (size_t i = 0; i < e->nconns; i++)
		if (e->conns[i] == c) {
			e->conns[i] = e->conns[--e->nconns];
			break;
		}
	if (c->ssl)
		tls_conn_free(c->ssl);
	if (c->fd >= 0) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->es->active--;
	e->buffered -= c->cap;
	if (c->len > e->st.largest_answer)
		e->st.largest_answer = c->len;
	if (c->step == NULL_STEP)
		c->es->null_open = false;
	else
		c->es->active_probes--;
	free(c->buf);
	free(c);
}

static void ep_finish(struct engine *e, struct ep_state *es, const char *reason)
{
	if (es->done)
		return;
	es->done = true;
	if (es->level == LV_NONE) {
		es->res = (struct detect_result){.ep = es->ep};
		es->res.reason = reason;
	}
	/* close what is still open for this endpoint */
	for (size_t i = e->nconns; i-- > 0;)
		if (e->conns[i]->es == es)
			conn_close(e, e->conns[i]);
}

/* Keeps r when it says more than what the endpoint has: a higher level, or a richer hard match. */
static void ep_offer(struct ep_state *es, enum ep_level lv, const struct detect_result *r)
{
	/* a built-in's answer never renames nmap's (http for nmap's http-proxy) */
	bool richer = lv == LV_HARD && es->level == LV_HARD &&
	              same_service(r->svc.name, es->res.svc.name) &&
	              richness(&r->svc) > richness(&es->res.svc) &&
	              (strcmp(r->svc.name, es->res.svc.name) == 0 ||
	               strcmp(r->source, "nmap-service-probes") == 0);

	if (lv > es->level || richer) {
		es->level = lv;
		es->res = *r;
	}
}

static int conn_open(struct engine *e, struct ep_state *es, size_t step);

static bool is_tls_name(const char *n)
{
	return strcmp(n, "ssl") == 0 || strcmp(n, "tls") == 0;
}

/* Whether a probe that completes the identified service is still to be sent. */
static bool augment_pending(const struct ep_state *es)
{
	for (size_t i = es->next; i < es->nsteps; i++)
		if (es->steps[i].augment &&
		    same_service(es->steps[i].b->augments, es->res.svc.name))
			return true;
	return false;
}

/*
 * An augmenting probe's answer adds to the product as nmap's version scripts do:
 * "SNMPv1 server" and "net-snmp SNMPv3 server" give "SNMPv1 server; net-snmp SNMPv3 server".
 */
static void augment_apply(struct ep_state *es, const struct step *s, const uint8_t *buf, size_t len)
{
	struct detect_service add = {0};
	char *prod = es->res.svc.product;
	char joined[2 * sizeof(es->res.svc.product) + 2];

	if (es->level != LV_HARD || !len || s->b->parse(buf, len, &add) != BUILTIN_YES ||
	    !add.product[0] || strstr(prod, add.product))
		return;
	snprintf(joined, sizeof(joined), "%s%s%s", prod, prod[0] ? "; " : "", add.product);
	service_set(&es->res.svc, product, joined);
}

/* A hard match ends the endpoint, unless it is TLS to look into. */
static void ep_hard(struct engine *e, struct ep_state *es, const struct detect_result *r)
{
	ep_offer(es, LV_HARD, r);
	if (e->tls && !es->tls_phase && es->ep->proto == PROBES_TCP && is_tls_name(r->svc.name)) {
		es->tls_phase = true;
		es->next = es->nsteps; /* no more plain probes */
		for (size_t i = e->nconns; i-- > 0;)
			if (i < e->nconns && e->conns[i]->es == es)
				conn_close(e, e->conns[i]);
		if (conn_open(e, es, TLS_STEP) == 0)
			return;
	}
	/*
	 * Without a version, the probes that may match this service still run and the richest
	 * answer is kept; nothing else starts.
	 */
	if (es->tls_phase)
		ep_finish(e, es, "matched");
	else if (!es->res.svc.version[0])
		es->narrow = true;
	else if (augment_pending(es))
		es->augment_only = true;
	else
		ep_finish(e, es, "matched");
}

/* The TLS connection is over: what was found inside, if anything, becomes the service. */
static void tls_done(struct engine *e, struct conn *c)
{
	struct ep_state *es = c->es;
	struct detect_result r;
	enum ep_level lv = judge(e, es, TLS_STEP, c->buf, c->len, true, &r);

	if (lv != LV_NONE) {
		r.tunnel = "ssl";
		es->res = r;
		es->level = LV_HARD;
	}
	conn_close(e, c);
	ep_finish(e, es, "matched");
}

/* Opens a connection (or datagram socket) for step; returns 0 or a negative errno. */
static int conn_open(struct engine *e, struct ep_state *es, size_t step)
{
	const struct detect_config *cfg = e->cfg;
	const struct detect_endpoint *ep = es->ep;
	int type = ep->proto == PROBES_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP};
	int rc;

	if (!c)
		return -ENOMEM;
	c->es = es;
	c->step = step;
	c->opened = now_ms();
	c->fd = socket(ep->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		free(c);
		return rc;
	}
	if (connect(c->fd, (const struct sockaddr *)&ep->addr, ep->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		close(c->fd);
		free(c);
		return rc;
	}
	c->st = C_CONNECTING;
	c->deadline = c->opened + cfg->connect_timeout_ms;
	ev.data.ptr = c;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		rc = -errno;
		close(c->fd);
		free(c);
		return rc;
	}
	e->conns[e->nconns++] = c;
	e->st.connections++;
	if (e->nconns > e->st.peak_conns)
		e->st.peak_conns = (unsigned)e->nconns;
	es->active++;
	es->sent++;
	if (step == NULL_STEP)
		es->null_open = true;
	else
		es->active_probes++;
	return 0;
}

static void step_payload(const struct ep_state *es, size_t step, const uint8_t **p, size_t *len)
{
	const struct step *s;

	*p = NULL;
	*len = 0;
	if (step == NULL_STEP)
		return;
	s = &es->steps[step];
	if (s->send_nmap || !s->b) {
		*p = s->n->payload;
		*len = s->n->payload_len;
	} else {
		*p = s->b->payload;
		*len = s->b->payload_len;
	}
}

static uint64_t read_deadline(const struct engine *e, const struct conn *c)
{
	const struct detect_config *cfg = e->cfg;
	unsigned wait = cfg->probe_wait_ms;
	const struct probes_probe *np = NULL;

	if (c->step == NULL_STEP) {
		wait = cfg->null_wait_ms;
		if (cfg->pf && cfg->pf->null_probe >= 0)
			np = &cfg->pf->probes[cfg->pf->null_probe];
	} else {
		np = c->es->steps[c->step].n;
	}
	if (np && np->totalwaitms && np->totalwaitms < wait)
		wait = np->totalwaitms;
	if (c->step == NULL_STEP)
		return now_ms() + wait;
	/*
	 * Once the server has answered a probe, a silent one waits four times its slowest answer
	 * (at least 500 ms), not the whole probe wait: an endpoint that ignores most probes ends
	 * soon.
	 */
	if (c->es->lat_known) {
		uint64_t w = 4 * c->es->lat_ms > 500 ? 4 * c->es->lat_ms : 500;

		if (w < wait)
			wait = (unsigned)w;
	}
	/*
	 * A server that serves one connection at a time (openssl s_server, socat without fork)
	 * leaves the probes sent while the NULL probe holds it silent: they go again in the
	 * second pass (ep_pump).
	 */
	return now_ms() + wait;
}

/* The answer on c is over (why: eof, idle, timeout, full, error e). Judges it and updates the
 * endpoint. */
static void conn_done(struct engine *e, struct conn *c, int err)
{
	struct ep_state *es = c->es;
	struct detect_result r;
	enum ep_level lv;
	uint64_t now = now_ms();

	if (c->step == TLS_STEP) {
		tls_done(e, c);
		return;
	}
	if (err && c->st == C_CONNECTING) {
		if (c->step == NULL_STEP || es->ep->proto == PROBES_TCP) {
			if (err == -ECONNREFUSED) {
				conn_close(e, c);
				ep_finish(e, es, "refused");
				return;
			}
			es->silent++;
			conn_close(e, c);
			return;
		}
	}
	if (c->step < es->nsteps && es->steps[c->step].augment) {
		augment_apply(es, &es->steps[c->step], c->buf, c->len);
		conn_close(e, c);
		return;
	}
	if (err == -ECONNREFUSED && es->ep->proto == PROBES_UDP) {
		conn_close(e, c);
		ep_finish(e, es, "port-unreachable");
		return;
	}
	lv = judge(e, es, c->step, c->buf, c->len, true, &r);
	if (lv != LV_NONE)
		ep_offer(es, lv, &r);
	if (c->len) {
		es->answered++;
	} else if (c->eof || err) {
		unsigned tw = e->cfg->tcpwrapped_ms;
		const struct probes_file *pf = e->cfg->pf;

		if (pf && pf->null_probe >= 0 && pf->probes[pf->null_probe].tcpwrappedms &&
		    pf->probes[pf->null_probe].tcpwrappedms < tw)
			tw = pf->probes[pf->null_probe].tcpwrappedms;
		es->closed_empty++;
		/*
		 * nmap says tcpwrapped when the server closes its one connection, the NULL probe's,
		 * without a byte. When our own probes were in flight the close may be theirs (a
		 * busy server dropping idle clients): then it is decided at the end.
		 */
		if (c->step == NULL_STEP && es->ep->proto == PROBES_TCP && now - c->opened <= tw &&
		    !es->answered && es->level == LV_NONE) {
			es->null_wrapped = true;
			if (!es->active_probes) {
				conn_close(e, c);
				ep_finish(e, es, "tcpwrapped");
				return;
			}
		}
	} else {
		es->silent++;
	}
	if (!c->len && c->step < es->nsteps)
		es->steps[c->step].empty = true;
	conn_close(e, c);
	if (lv == LV_HARD)
		ep_hard(e, es, &r);
}

static void conn_send(struct engine *e, struct conn *c)
{
	const uint8_t *p;
	size_t len;

	step_payload(c->es, c->step, &p, &len);
	while (c->sent < len) {
		ssize_t n = send(c->fd, p + c->sent, len - c->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				return;
			conn_done(e, c, -errno);
			return;
		}
		c->sent += (size_t)n;
	}
	if (c->es->ep->proto == PROBES_UDP && len == 0) {
		/* a UDP probe with an empty payload still sends one empty datagram */
		if (send(c->fd, "", 0, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
			conn_done(e, c, -errno);
			return;
		}
	}
	c->st = C_READING;
	c->sent_at = now_ms();
	c->deadline = read_deadline(e, c);
	if (c->step == NULL_STEP)
		c->es->null_deadline = c->deadline;
	{
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};

		epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Makes room for more bytes in c->buf. Returns 1, 0 when max_read is reached, or -ENOMEM. */
static int conn_room(struct engine *e, struct conn *c)
{
	size_t nc = c->cap ? c->cap * 2 : 4096;
	uint8_t *nb;

	if (c->len < c->cap)
		return 1;
	if (nc > e->cfg->max_read)
		nc = e->cfg->max_read;
	if (nc <= c->cap)
		return 0;
	nb = realloc(c->buf, nc);
	if (!nb)
		return -ENOMEM;
	c->buf = nb;
	e->buffered += nc - c->cap;
	c->cap = nc;
	if (e->buffered > e->st.peak_buffered)
		e->st.peak_buffered = e->buffered;
	return 1;
}

static void conn_read(struct engine *e, struct conn *c)
{
	const struct detect_config *cfg = e->cfg;
	struct ep_state *es = c->es;

	for (;;) {
		ssize_t n;
		int room = conn_room(e, c);

		if (room <= 0) {
			conn_done(e, c, room); /* full: judge what we have */
			return;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n == 0 && es->ep->proto == PROBES_TCP) {
			c->eof = true;
			conn_done(e, c, 0);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_done(e, c, c->len ? 0 : -errno);
			return;
		}
		if (!c->len && c->step < es->nsteps) {
			uint64_t lat = now_ms() - c->sent_at;

			es->lat_known = true;
			if (lat > es->lat_ms)
				es->lat_ms = lat;
		}
		c->len += (size_t)n;
		if (es->ep->proto == PROBES_UDP) {
			conn_done(e, c, 0); /* one datagram is the whole answer */
			return;
		}
	}
	if (c->len) {
		struct detect_result r;

		c->idle_deadline = now_ms() + cfg->idle_ms;
		if (c->len <= EVAL_LIVE_MAX &&
		    !(c->step < es->nsteps && es->steps[c->step].augment) &&
		    judge(e, es, c->step, c->buf, c->len, false, &r) == LV_HARD) {
			conn_close(e, c);
			ep_hard(e, es, &r);
		}
	}
}

static void set_events(struct engine *e, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLRDHUP, .data.ptr = c};

	epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void tls_read(struct engine *e, struct conn *c)
{
	struct ep_state *es = c->es;
	struct detect_result r;

	for (;;) {
		int room = conn_room(e, c), n;

		if (room <= 0) {
			tls_done(e, c);
			return;
		}
		n = tls_conn_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE)
			break;
		tls_done(e, c); /* closed, reset or a TLS error: judge what came */
		return;
	}
	if (c->len) {
		c->idle_deadline = now_ms() + e->cfg->idle_ms;
		if (c->len <= EVAL_LIVE_MAX &&
		    judge(e, es, TLS_STEP, c->buf, c->len, false, &r) == LV_HARD)
			tls_done(e, c);
	}
}

static void tls_handshake(struct engine *e, struct conn *c)
{
	int rc = tls_conn_handshake(c->ssl);

	if (rc == 1) {
		unsigned wait = e->cfg->banner_wait_ms > 500 ? e->cfg->banner_wait_ms : 500;

		tls_conn_info(c->ssl, &c->es->tls);
		c->st = C_TLS_GREET;
		c->deadline = now_ms() + wait;
		set_events(e, c, EPOLLIN);
		tls_read(e, c);
		return;
	}
	switch (rc) {
	case TLS_WANT_READ:
		set_events(e, c, EPOLLIN);
		break;
	case TLS_WANT_WRITE:
		set_events(e, c, EPOLLIN | EPOLLOUT);
		break;
	default:
		tls_done(e, c); /* aborted handshake: the plain "ssl" result stands */
	}
}

/* Nothing greeted us inside the tunnel: send an HTTP request, the likeliest service there. */
static void tls_send_inner(struct engine *e, struct conn *c)
{
	struct ep_state *es = c->es;
	struct probes_file *pf = e->cfg->pf;

	es->tls_step = (struct step){.b = builtin_find("http-get"),
	                             .n = pf ? probes_find(pf, PROBES_TCP, "GetRequest") : NULL};
	if (tls_conn_write(c->ssl, es->tls_step.b->payload, (int)es->tls_step.b->payload_len) <=
	    0) {
		tls_done(e, c);
		return;
	}
	c->st = C_TLS_READ;
	c->deadline = now_ms() + e->cfg->probe_wait_ms;
}

static void conn_event(struct engine *e, struct conn *c, uint32_t events)
{
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			conn_done(e, c, -err);
			return;
		}
		if (c->step == TLS_STEP) {
			c->ssl = tls_conn_new(e->tls, c->fd);
			if (!c->ssl) {
				tls_done(e, c);
				return;
			}
			c->st = C_TLS_HANDSHAKE;
			c->deadline = now_ms() + e->cfg->probe_wait_ms;
		} else {
			c->st = C_SENDING;
		}
	}
	if (c->st == C_TLS_HANDSHAKE) {
		tls_handshake(e, c);
		return;
	}
	if (c->st == C_TLS_GREET || c->st == C_TLS_READ) {
		tls_read(e, c);
		return;
	}
	if (c->st == C_SENDING) {
		conn_send(e, c);
		return; /* reading starts with the next event */
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(e, c);
}

/* --- endpoints -----------------------------------------------------------------------------------
 */

/*
 * Whether the endpoint still sends step: after a softmatch only probes that list the port or may
 * match that service hard (as nmap); after a hard match without version only those that may
 * match that service too (the richest answer is kept).
 */
static bool step_wanted(const struct ep_state *es, const struct step *s)
{
	const char *name = es->res.svc.name;

	if (s->augment)
		return !es->retry && es->level == LV_HARD && same_service(s->b->augments, name);
	if (es->augment_only)
		return false;
	/* the second pass: what got nothing, or (one at a time) what may name a partial answer */
	if (es->retry)
		return es->level >= LV_SOFT ? step_detects(s, name) : s->empty;
	if (es->narrow)
		return step_detects(s, name);
	if (es->level == LV_SOFT)
		return s->hinted || step_detects(s, name);
	return true;
}

/* Starts what the endpoint may start now. */
static void ep_pump(struct engine *e, struct ep_state *es, uint64_t now)
{
	const struct detect_config *cfg = e->cfg;
	bool probes_ok = es->ep->proto == PROBES_UDP || now >= es->started + cfg->banner_wait_ms ||
	                 !es->null_open;
	bool silent_stop = cfg->silent_limit && es->silent >= cfg->silent_limit && !es->answered &&
	                   !es->closed_empty;

	/* a server that has said and closed nothing yet takes twice as many probes at once */
	bool silent = !es->answered && !es->closed_empty;
	unsigned parallel = es->retry               ? (es->level >= LV_SOFT ? 1 : 2)
	                    : silent && !es->narrow ? 2 * cfg->probe_parallel
	                                            : cfg->probe_parallel;

	while (!es->done && probes_ok && !silent_stop && es->next < es->nsteps &&
	       es->active_probes < parallel && e->nconns < cfg->max_conns) {
		int rc;

		if (!step_wanted(es, &es->steps[es->next])) {
			es->next++;
			continue;
		}
		rc = conn_open(e, es, es->next++);

		if (rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE) {
			es->next--; /* retry when something closes */
			break;
		}
		if (rc < 0) {
			ep_finish(e, es, rc == -ECONNREFUSED ? "refused" : "error");
			return;
		}
	}
	if (es->done)
		return;
	/*
	 * A server that answered other probes but not these may have been out of connection slots
	 * (unbound serves 10 TCP clients at once and closes idle ones early when busy; ngircd
	 * refuses a sixth client from one address): the probes that got nothing go again, two at
	 * a time, or those that may name a partial answer, one at a time.
	 */
	if (es->active == 0 && es->next >= es->nsteps && !es->retry &&
	    (es->answered || es->closed_empty) && es->level < LV_HARD &&
	    es->ep->proto == PROBES_TCP) {
		es->retry = true;
		es->next = 0;
		return;
	}
	if (es->active == 0 && (es->next >= es->nsteps || silent_stop)) {
		const char *reason = es->answered       ? "unrecognized"
		                     : es->null_wrapped ? "tcpwrapped"
		                                        : "no-response";

		if (es->level != LV_NONE)
			reason = es->res.reason;
		ep_finish(e, es, reason);
	} else if (now >= es->started + cfg->endpoint_timeout_ms) {
		ep_finish(e, es, es->level != LV_NONE ? es->res.reason : "timeout");
	}
}

static int ep_start(struct engine *e, const struct detect_endpoint *ep)
{
	struct ep_state *es = &e->eps[e->neps];
	int rc;

	*es = (struct ep_state){.ep = ep, .started = now_ms()};
	e->neps++;
	if (e->cfg->pf && probes_excluded(e->cfg->pf, ep->proto, ep_port(ep))) {
		ep_finish(e, es, "excluded"); /* the probe file's Exclude directive: do not touch */
		return 0;
	}
	rc = plan_steps(e, es);
	if (rc < 0)
		return rc;
	if (ep->proto == PROBES_TCP) {
		rc = conn_open(e, es, NULL_STEP);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			ep_finish(e, es, rc == -ECONNREFUSED ? "refused" : "error");
	}
	return 0;
}

static void ep_emit(struct engine *e, struct ep_state *es)
{
	struct detect_result *r = &es->res;

	r->ep = es->ep;
	if (es->level == LV_NONE) {
		r->svc = (struct detect_service){0};
		r->method = NULL;
		r->confidence = 0;
		r->probe = NULL;
		r->source = NULL;
	} else {
		r->method = "probed";
	}
	r->tls = es->tls;
	if (es->level == LV_NONE)
		r->tunnel = NULL;
	r->probes_sent = es->sent;
	r->elapsed_ms = (unsigned)(now_ms() - es->started);
	e->sink(e->ctx, r);
	free(es->steps);
}

/* Finds for each nmap probe a built-in with the same protocol and payload. */
static int find_twins(struct engine *e)
{
	struct probes_file *pf = e->cfg->pf;

	if (!pf)
		return 0;
	e->twin = calloc(pf->n ? pf->n : 1, sizeof(*e->twin));
	if (!e->twin)
		return -ENOMEM;
	for (size_t i = 0; i < pf->n; i++)
		for (size_t k = 0; k < builtin_nprobes; k++) {
			const struct builtin_probe *b = &builtin_probes[k];

			if (b->payload && b->proto == pf->probes[i].proto &&
			    b->payload_len == pf->probes[i].payload_len &&
			    memcmp(b->payload, pf->probes[i].payload, b->payload_len) == 0) {
				e->twin[i] = b;
				break;
			}
		}
	return 0;
}

/* When the loop must wake: the nearest deadline of a connection or an endpoint, at most 1 s. */
static uint64_t engine_wake(const struct engine *e, uint64_t now)
{
	const struct detect_config *cfg = e->cfg;
	uint64_t wake = now + 1000;

	for (size_t i = 0; i < e->nconns; i++) {
		const struct conn *c = e->conns[i];

		if (c->deadline < wake)
			wake = c->deadline;
		if (c->idle_deadline && c->idle_deadline < wake)
			wake = c->idle_deadline;
	}
	for (size_t i = 0; i < e->neps; i++) {
		uint64_t t = e->eps[i].started + cfg->banner_wait_ms;

		if (t > now && t < wake && e->eps[i].next < e->eps[i].nsteps)
			wake = t;
		t = e->eps[i].started + cfg->endpoint_timeout_ms;
		if (t < wake)
			wake = t;
	}
	return wake;
}

int detect_run(const struct detect_config *cfg, const struct detect_endpoint *eps, size_t n,
               detect_sink sink, void *ctx)
{
	struct engine e = {.cfg = cfg, .sink = sink, .ctx = ctx, .epfd = -1};
	struct epoll_event evs[64];
	size_t next = 0;
	int rc = 0;
	unsigned max_eps;

	if (!cfg->max_conns || !cfg->max_read || !cfg->probe_parallel)
		return -EINVAL;
	/* each endpoint needs its NULL probe and probe_parallel probes */
	max_eps = cfg->max_conns / (1 + cfg->probe_parallel);
	if (!max_eps)
		max_eps = 1;
	e.mc = match_ctx_new();
	e.conns = calloc(cfg->max_conns + 1, sizeof(*e.conns));
	e.eps = calloc(max_eps, sizeof(*e.eps));
	e.eps_cap = max_eps;
	e.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!cfg->no_tls && !(e.tls = tls_ctx_new())) {
		rc = -ENOMEM;
		goto out;
	}
	if (!e.mc || !e.conns || !e.eps || e.epfd < 0 || find_twins(&e) < 0) {
		rc = e.epfd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (next < n || e.neps) {
		uint64_t now = now_ms(), wake;
		int nev, timeout;

		while (next < n && e.neps < e.eps_cap &&
		       e.nconns + 1 + cfg->probe_parallel <= cfg->max_conns) {
			rc = ep_start(&e, &eps[next++]);
			if (rc < 0)
				goto out;
		}
		for (size_t i = 0; i < e.neps; i++)
			ep_pump(&e, &e.eps[i], now);
		/* emit and drop finished endpoints */
		for (size_t i = e.neps; i-- > 0;)
			if (e.eps[i].done) {
				ep_emit(&e, &e.eps[i]);
				e.eps[i] = e.eps[--e.neps];
				/* connections point at their endpoint: re-point the moved one's */
				for (size_t k = 0; k < e.nconns; k++)
					if (e.conns[k]->es == &e.eps[e.neps])
						e.conns[k]->es = &e.eps[i];
			}
		if (!e.neps && next >= n)
			break;
		if (!e.neps)
			continue;
		wake = engine_wake(&e, now);
		timeout = wake > now ? (int)(wake - now) : 0;
		nev = epoll_wait(e.epfd, evs, 64, timeout);
		if (nev < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		for (int i = 0; i < nev; i++) {
			struct conn *c = evs[i].data.ptr;
			bool alive = false;

			/* an earlier event in this batch may have closed c */
			for (size_t k = 0; k < e.nconns && !alive; k++)
				alive = e.conns[k] == c;
			if (alive && !c->es->done)
				conn_event(&e, c, evs[i].events);
		}
		now = now_ms();
		for (size_t i = e.nconns; i-- > 0;) {
			struct conn *c;

			if (i >= e.nconns)
				continue;
			c = e.conns[i];
			if (c->st == C_TLS_GREET && !c->len && now >= c->deadline)
				tls_send_inner(&e, c);
			else if (now >= c->deadline ||
			         (c->idle_deadline && now >= c->idle_deadline))
				conn_done(&e, c, 0);
		}
	}
out:
	while (e.nconns)
		conn_close(&e, e.conns[0]);
	for (size_t i = 0; i < e.neps; i++)
		free(e.eps[i].steps);
	if (e.epfd >= 0)
		close(e.epfd);
	if (cfg->stats)
		*cfg->stats = e.st;
	if (e.tls)
		tls_ctx_free(e.tls);
	free(e.twin);
	free(e.eps);
	free(e.conns);
	match_ctx_free(e.mc);
	return rc;
}

bool detect_mismatch(const char *detected, const char *port_default)
{
	static const char *const groups[][5] = {
	    {"http", "www", "http-alt", "http-proxy", "www-http"},
	    {"https", "ssl/http", "https-alt", NULL, NULL},
	    {"domain", "dns", NULL, NULL, NULL},
	    {"microsoft-ds", "netbios-ssn", "smb", NULL, NULL},
	    {"postgresql", "postgres", NULL, NULL, NULL},
	    {"ms-wbt-server", "rdp", NULL, NULL, NULL},
	    {"jabber", "xmpp-client", "xmpp", NULL, NULL},
	    {"imap", "imap2", "imap4", NULL, NULL},
	    {"smtp", "submission", "mail", NULL, NULL},
	    {"redis", "redis-server", NULL, NULL, NULL},
	};
	int gd = -1, gp = -1;

	if (!detected || !detected[0] || !port_default || !port_default[0])
		return false;
	if (strcmp(detected, port_default) == 0)
		return false;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t k = 0; k < 5 && groups[g][k]; k++) {
			if (strcmp(groups[g][k], detected) == 0)
				gd = (int)g;
			if (strcmp(groups[g][k], port_default) == 0)
				gp = (int)g;
		}
	return gd < 0 || gd != gp;
}

int detect_plan(const struct detect_config *cfg, enum probes_proto proto, uint16_t port,
                void (*each)(void *ctx, const char *probe, const char *source), void *ctx)
{
	struct engine e = {.cfg = cfg};
	struct detect_endpoint ep;
	struct ep_state es = {.ep = &ep};
	int rc;

	rc = detect_endpoint_set(&ep, "198.18.0.1", port, proto);
	if (rc < 0)
		return rc;
	rc = find_twins(&e);
	if (rc == 0)
		rc = plan_steps(&e, &es);
	if (rc == 0 && proto == PROBES_TCP)
		each(ctx, "NULL", "null");
	for (size_t i = 0; rc == 0 && i < es.nsteps; i++) {
		const struct step *st = &es.steps[i];

		if (st->send_nmap || !st->b)
			each(ctx, st->n->name, "nmap-service-probes");
		else
			each(ctx, st->b->name, "builtin");
	}
	free(es.steps);
	free(e.twin);
	return rc;
}
