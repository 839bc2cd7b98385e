/*
 * portscope audit [TARGET…]: the attack-surface report.
 *
 * Local mode (no target): the listening sockets (sock_diag) with their owners,
 * a connect scan of the machine's own non-loopback addresses on those ports
 * (exposure: reachable, loopback-only, blocked), service detection and safe
 * checks on what is reachable, findings. Remote mode: the scan side only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/check.h"
#include "audit/exposure.h"
#include "audit/svcname.h"
#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/scan.h"
#include "config.h"
#include "detect/engine.h"
#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "net/portspec.h"
#include "net/targetspec.h"
#include "output/json.h"
#include "output/out.h"
#include "output/table.h"
#include "report/prom.h"
#include "scan/engine.h"
#include "scan/timing.h"
#include "sockets/sockdiag.h"
#include "sockets/sockexpose.h"
#include "sockets/sockproc.h"
#include "util/clock.h"
#include "util/rlimit.h"
#include "util/array.h"

#define AUDIT_MAX_EPS   4096 /* endpoints kept (listening sockets or open ports) */
#define AUDIT_MAX_ADDRS 64   /* own addresses scanned */
#define AUDIT_CHECK_MS  3000 /* deadline of one safe check */
#define AUDIT_TIMING    4    /* -T4: the own addresses answer fast */

/* One listening socket (local) or one open port (remote). */
struct audit_ep {
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	int family;       /* of the bind address (local) */
	uint8_t bind[16]; /* network order */
	bool dual;        /* IPv6 wildcard accepting IPv4 too */
	bool local;       /* from sock_diag (has an owner) */
	uint32_t inode, uid;
	pid_t pid; /* 0: unknown */
	char process[64];
	char user[32];
	enum audit_exposure exp;
	char reach[160];           /* addresses where it is open */
	struct target_addr target; /* where detection and checks go */
	bool have_target;
	char service[48]; /* detected; "" unknown */
	char product[96];
	char version[64];
	const char *port_default; /* the name of the port in the services files */
	bool mismatch;
	bool checked_no; /* a safe check applied and did not confirm */
	bool checked_yes;
};

struct audit_finding {
	int sev;
	const char *id;
	char title[160];
	char evidence[AUDIT_CHECK_EVIDENCE_MAX + 64];
	char recommendation[256];
	const char *citation;
	size_t ep;
};

struct audit_run {
	bool json, no_color, remote, ipv6;
	int fail_on; /* -1 none */
	const char *ports_spec;
	struct audit_ep *eps;
	size_t neps;
	struct audit_finding *fs;
	size_t nfs, capfs;
	struct target_addr addrs[AUDIT_MAX_ADDRS]; /* own non-loopback addresses (local) */
	unsigned naddrs;
	uint8_t *states; /* local: naddrs x nports scan states; remote unused */
	uint16_t *ports; /* local: listening TCP ports, sorted */
	size_t nports;
	struct targetset *ts; /* remote targets */
	struct kb *kb;
	double elapsed; /* seconds, the whole audit */
	bool overflow;
	unsigned udp_skipped; /* remote UDP ports with no safe check: not scanned */
	/* History. */
	const char *db;           /* --db PATH; NULL: the default file */
	const char *prometheus;   /* --prometheus FILE; NULL: none */
	bool no_history;          /* --no-history */
	char *args;               /* the command line as one string */
	char *targets;            /* remote: the target words; local: NULL */
	double wall_start;        /* seconds since the epoch */
	struct scan_history hist; /* the run being recorded (hist.st NULL: none) */
	int hist_rc;              /* EXIT_* of a history that could not be opened */
	struct scan_summary sum;  /* the scans' summaries added up */
};

static const char *addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static int ep_add_sock(const struct sockdiag_sock *s, void *data)
{
	struct audit_run *ar = data;
	struct audit_ep *e;
	bool dual = false;

	for (size_t i = 0; i < ar->neps; i++) {
		e = &ar->eps[i];
		if (e->proto == s->proto && e->port == s->local_port && e->family == s->family &&
		    memcmp(e->bind, s->local, 16) == 0)
			return 0; /* SO_REUSEPORT groups, one per worker */
	}
	if (ar->neps == AUDIT_MAX_EPS) {
		ar->overflow = true;
		return 0;
	}
	sockexpose_classify(s->family, s->local, s->v6only, &dual);
	e = &ar->eps[ar->neps++];
	*e = (struct audit_ep){
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
static int audit_dump_sockets(struct audit_run *ar)
{
	struct sockdiag *d;
	int rc = sockdiag_open(&d);

	if (rc < 0)
		return rc;
	for (int p = 0; p < 2 && rc == 0; p++)
		for (int f = 0; f < 2 && rc == 0; f++) {
			struct sockdiag_req req = {
			    .family = f == 0 ? AF_INET : AF_INET6,
			    .proto = p == 0 ? IPPROTO_TCP : IPPROTO_UDP,
			    .states = p == 0 ? 1u << 10 /* TCP_LISTEN */ : 1u << 7 /* TCP_CLOSE */,
			};

			rc = sockdiag_dump(d, &req, ep_add_sock, ar);
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0;
		}
	sockdiag_close(d);
	return rc;
}

/* Owners: pid, process name and user of each socket. */
static void audit_owners(struct audit_run *ar)
{
	struct sockproc *m = sockproc_new();
	unsigned idx[4];

	if (m && sockproc_scan(m, "/proc") < 0) {
		sockproc_free(m);
		m = NULL;
	}
	for (size_t i = 0; i < ar->neps; i++) {
		struct audit_ep *e = &ar->eps[i];
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (m && e->inode && sockproc_lookup(m, e->inode, idx, 4) > 0) {
			e->pid = sockproc_pid(m, idx[0]);
			snprintf(e->process, sizeof(e->process), "%s", sockproc_name(m, idx[0]));
		}
		if (getpwuid_r(e->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(e->user, sizeof(e->user), "%s", res->pw_name);
		else
			snprintf(e->user, sizeof(e->user), "%u", e->uid);
	}
	sockproc_free(m);
}

/* The machine's own non-loopback addresses (link-local IPv6 left out: it needs a scope). */
static void audit_own_addrs(struct audit_run *ar)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct target_addr t = {0};
		bool dup = false;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			t.family = AF_INET;
			t.v4 = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
			if (audit_is_loopback(AF_INET, (const uint8_t *)&t.v4))
				continue;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			t.family = AF_INET6;
			t.v6 = ((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
			if (audit_is_loopback(AF_INET6, t.v6.s6_addr) ||
			    IN6_IS_ADDR_LINKLOCAL(&t.v6))
				continue;
		} else {
			continue;
		}
		for (unsigned k = 0; k < ar->naddrs; k++)
			dup |= memcmp(&ar->addrs[k], &t, sizeof(t)) == 0;
		if (!dup && ar->naddrs < AUDIT_MAX_ADDRS)
			ar->addrs[ar->naddrs++] = t;
	}
	freeifaddrs(ifa);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void local_on_port(void *ctx, const struct scan_result *r)
{
	struct audit_run *ar = ctx;
	const uint16_t *p = bsearch(&r->port, ar->ports, ar->nports, sizeof(*p), cmp_u16);

	scan_history_port(&ar->hist, r);

	if (!p)
		return;
	for (unsigned k = 0; k < ar->naddrs; k++)
		if (target_addr_equal(&ar->addrs[k], r->addr))
			ar->states[k * ar->nports + (size_t)(p - ar->ports)] = (uint8_t)r->state;
}

struct remote_ctx {
	struct audit_run *ar;
};

static void remote_on_port(void *ctx, const struct scan_result *r)
{
	struct audit_run *ar = ctx;
	struct audit_ep *e;
	char b[INET6_ADDRSTRLEN];

	scan_history_port(&ar->hist, r);
	if (r->state != SCAN_OPEN)
		return;
	if (ar->neps == AUDIT_MAX_EPS) {
		ar->overflow = true;
		return;
	}
	e = &ar->eps[ar->neps++];
	*e = (struct audit_ep){.proto = IPPROTO_TCP,
	                       .port = r->port,
	                       .family = r->addr->family,
	                       .exp = AUDIT_EXP_REACHABLE,
	                       .target = *r->addr,
	                       .have_target = true};
	snprintf(e->reach, sizeof(e->reach), "%s", target_addr_str(r->addr, b, sizeof(b)));
}

static void audit_on_host(void *ctx, const struct scan_host *h)
{
	struct audit_run *ar = ctx;

	scan_history_host(&ar->hist, h);
}

static void audit_on_progress(void *ctx, const struct scan_progress *p)
{
	struct audit_run *ar = ctx;

	(void)p;
	scan_history_tick(&ar->hist);
}

/* Local mode scans once per address family: the history gets their sum. */
static void audit_on_done(void *ctx, const struct scan_summary *s)
{
	struct audit_run *ar = ctx;

	ar->sum.hosts_total += s->hosts_total;
	ar->sum.hosts_up += s->hosts_up;
	ar->sum.hosts_timedout += s->hosts_timedout;
	for (int i = 0; i < SCAN_STATE_MAX; i++)
		ar->sum.counts[i] += s->counts[i];
	ar->sum.probes_sent += s->probes_sent;
	ar->sum.retries += s->retries;
}

/*
 * Records the run as begun, with the TCP ports it scans. Returns 0, or
 * -ECANCELED after reporting (ar->hist_rc holds the exit status).
 */
static int audit_history_begin(struct audit_run *ar, const struct portlist *pl)
{
	char *ranges;

	if (ar->no_history)
		return 0;
	ranges = out_port_ranges(pl);
	if (!ranges)
		return -ENOMEM;
	ar->hist_rc = scan_history_start(&ar->hist, "audit", ar->db, false,
	                                 &(struct store_run_info){
	                                     .kind = "audit",
	                                     .version = PORTSCOPE_VERSION,
	                                     .args = ar->args,
	                                     .targets = ar->targets,
	                                     .ports = ranges,
	                                     .proto = IPPROTO_TCP,
	                                     .scan_type = "connect",
	                                     .start = ar->wall_start,
	                                 });
	free(ranges);
	return ar->hist_rc == EXIT_OK ? 0 : -ECANCELED;
}

/* A connect scan of ts on ports; results to the sink's on_port. */
static int audit_scan(struct audit_run *ar, const struct targetset *ts, const struct portlist *pl,
                      void (*on_port)(void *, const struct scan_result *), char *why, size_t whylen)
{
	struct scan_config cfg;
	struct scan_sink sink = {.ctx = ar,
	                         .on_port = on_port,
	                         .on_host_done = audit_on_host,
	                         .on_progress = audit_on_progress,
	                         .on_done = audit_on_done};

	if (scan_config_defaults(&cfg, AUDIT_TIMING) < 0)
		return -EINVAL;
	cfg.targets = ts;
	cfg.ports = pl;
	cfg.tech = &scan_tech_connect;
	cfg.cc.max_retries = 1;
	return scan_run(&cfg, &sink, why, whylen);
}

/* Local mode: scan the own addresses on the listening TCP ports; exposure per socket. */
static int audit_local_scan(struct audit_run *ar, char *why, size_t whylen)
{
	struct portlist pl;
	int rc = 0;

	ar->ports = calloc(ar->neps + 1, sizeof(*ar->ports));
	if (!ar->ports)
		return -ENOMEM;
	for (size_t i = 0; i < ar->neps; i++)
		if (ar->eps[i].proto == IPPROTO_TCP)
			ar->ports[ar->nports++] = ar->eps[i].port;
	qsort(ar->ports, ar->nports, sizeof(*ar->ports), cmp_u16);
	{
		size_t u = 0;

		for (size_t i = 0; i < ar->nports; i++)
			if (u == 0 || ar->ports[u - 1] != ar->ports[i])
				ar->ports[u++] = ar->ports[i];
		ar->nports = u;
	}
	ar->states = calloc((size_t)ar->naddrs * ar->nports + 1, 1);
	if (!ar->states)
		return -ENOMEM;
	pl = (struct portlist){.ports = ar->ports, .n = ar->nports};
	rc = audit_history_begin(ar, &pl);
	if (rc < 0)
		return rc;
	for (int fam = 0; fam < 2 && rc == 0 && ar->nports; fam++) {
		int family = fam == 0 ? AF_INET : AF_INET6;
		struct targetset *ts =
		    targetset_new(fam ? TARGETSET_IPV6 | TARGETSET_NO_DNS : TARGETSET_NO_DNS);
		unsigned added = 0;

		if (!ts)
			return -ENOMEM;
		for (unsigned k = 0; k < ar->naddrs && rc == 0; k++) {
			char b[INET6_ADDRSTRLEN];

			if (ar->addrs[k].family != family)
				continue;
			rc = targetset_add(ts, target_addr_str(&ar->addrs[k], b, sizeof(b)), why,
			                   whylen);
			added++;
		}
		if (rc == 0 && added)
			rc = targetset_seal(ts);
		if (rc == 0 && added)
			rc = audit_scan(ar, ts, &pl, local_on_port, why, whylen);
		targetset_free(ts);
	}
	if (rc < 0)
		return rc;
	/* Exposure of each socket from the states of the addresses it accepts. */
	for (size_t i = 0; i < ar->neps; i++) {
		struct audit_ep *e = &ar->eps[i];
		enum scan_state st[AUDIT_MAX_ADDRS];
		unsigned n = 0;
		size_t pi = 0;
		bool lo = audit_is_loopback(e->family, e->bind);

		if (e->proto == IPPROTO_UDP) {
			e->exp = lo ? AUDIT_EXP_LOOPBACK : AUDIT_EXP_UNVERIFIED;
			for (unsigned k = 0; !lo && k < ar->naddrs; k++)
				if (audit_accepts(e->family, e->bind, e->dual, ar->addrs[k].family,
				                  target_addr_bytes(&ar->addrs[k]))) {
					e->target = ar->addrs[k]; /* for the UDP safe checks */
					e->have_target = true;
					break;
				}
			continue;
		}
		while (pi < ar->nports && ar->ports[pi] != e->port)
			pi++;
		for (unsigned k = 0; k < ar->naddrs; k++) {
			char b[INET6_ADDRSTRLEN];
			size_t at;

			if (!audit_accepts(e->family, e->bind, e->dual, ar->addrs[k].family,
			                   target_addr_bytes(&ar->addrs[k])))
				continue;
			st[n] = (enum scan_state)ar->states[k * ar->nports + pi];
			if (st[n] == SCAN_OPEN) {
				at = strlen(e->reach);
				snprintf(e->reach + at, sizeof(e->reach) - at, "%s%s",
				         at ? "," : "",
				         target_addr_str(&ar->addrs[k], b, sizeof(b)));
				if (!e->have_target) {
					e->target = ar->addrs[k];
					e->have_target = true;
				}
			}
			n++;
		}
		e->exp = audit_exposure_of(lo, st, n);
	}
	return 0;
}

static void ep_sockaddr(const struct audit_ep *e, struct sockaddr_storage *ss, socklen_t *len)
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
	struct audit_run *ar;
	const struct detect_endpoint *base;
	size_t *map; /* detect endpoint index → ep index */
};

static void detect_sink_cb(void *ctx, const struct detect_result *r)
{
	struct detect_ctx *dc = ctx;
	struct audit_ep *e = &dc->ar->eps[dc->map[r->ep - dc->base]];

	if (!r->svc.name[0] || r->confidence < 5)
		return;
	snprintf(e->service, sizeof(e->service), "%s", r->svc.name);
	snprintf(e->product, sizeof(e->product), "%s", r->svc.product);
	snprintf(e->version, sizeof(e->version), "%s", r->svc.version);
}

/* Service detection (built-in probes) on every reachable TCP endpoint. */
static int audit_detect(struct audit_run *ar)
{
	struct detect_endpoint *eps = calloc(ar->neps + 1, sizeof(*eps));
	size_t *map = calloc(ar->neps + 1, sizeof(*map));
	struct detect_config cfg;
	struct detect_ctx dc = {.ar = ar, .base = eps, .map = map};
	size_t n = 0;
	int rc;

	if (!eps || !map) {
		free(eps);
		free(map);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ar->neps; i++) {
		struct audit_ep *e = &ar->eps[i];

		if (e->proto != IPPROTO_TCP || e->exp != AUDIT_EXP_REACHABLE || !e->have_target)
			continue;
		ep_sockaddr(e, &eps[n].addr, &eps[n].addrlen);
		eps[n].proto = PROBES_TCP;
		map[n++] = i;
	}
	detect_config_default(&cfg);
	cfg.connect_timeout_ms = 1500;
	cfg.endpoint_timeout_ms = 6000;
	rc = n ? detect_run(&cfg, eps, n, detect_sink_cb, &dc) : 0;
	free(eps);
	free(map);
	return rc;
}

static struct audit_finding *finding_add(struct audit_run *ar, size_t ep, int sev, const char *id)
{
	struct audit_finding *f;

	if (GREEDY_REALLOC(ar->fs, ar->capfs, ar->nfs + 1) < 0)
		return NULL;
	f = &ar->fs[ar->nfs++];
	*f = (struct audit_finding){.sev = sev, .id = id, .ep = ep};
	return f;
}

/* Safe checks, port ≠ service, and the risk catalogue, per endpoint. */
static int audit_judge(struct audit_run *ar)
{
	size_t nchecks;
	const struct audit_check *checks = audit_check_table(&nchecks);

	for (size_t i = 0; i < ar->neps; i++) {
		struct audit_ep *e = &ar->eps[i];
		struct audit_finding *f;
		const struct kb_risk *risks[4];
		size_t nr;

		e->port_default =
		    ar->kb ? kb_service_name(ar->kb, e->port,
		                             e->proto == IPPROTO_TCP ? KB_PROTO_TCP : KB_PROTO_UDP)
		           : NULL;
		if (!e->have_target)
			continue;
		if (e->proto == IPPROTO_TCP && e->exp != AUDIT_EXP_REACHABLE)
			continue;
		for (size_t c = 0; c < nchecks; c++) {
			struct sockaddr_storage ss;
			socklen_t sl;
			struct audit_conv conv;
			int v;

			if (!audit_check_applies(&checks[c], e->proto, e->port, e->service))
				continue;
			ep_sockaddr(e, &ss, &sl);
			v = audit_check_run(&checks[c], &ss, sl, AUDIT_CHECK_MS, &conv);
			if (v != AUDIT_CHECK_YES) {
				e->checked_no = true;
				continue;
			}
			e->checked_yes = true;
			if (e->proto == IPPROTO_UDP && e->exp == AUDIT_EXP_UNVERIFIED) {
				char b[INET6_ADDRSTRLEN];

				e->exp = AUDIT_EXP_REACHABLE; /* it answered */
				snprintf(e->reach, sizeof(e->reach), "%s",
				         target_addr_str(&e->target, b, sizeof(b)));
			}
			f = finding_add(ar, i, checks[c].severity, checks[c].name);
			if (!f)
				return -ENOMEM;
			snprintf(f->title, sizeof(f->title), "%s", checks[c].title);
			snprintf(f->evidence, sizeof(f->evidence), "%s", conv.evidence);
			snprintf(f->recommendation, sizeof(f->recommendation), "%s%s",
			         checks[c].recommendation,
			         e->local ? "; or allow only an admin address with portscope policy"
			                  : "");
			f->citation = checks[c].citation;
		}
		if (e->proto != IPPROTO_TCP)
			continue;
		if (e->service[0] && e->port_default &&
		    audit_service_mismatch(e->service, e->port_default)) {
			e->mismatch = true;
			f = finding_add(ar, i, KB_SEV_INFO, "port-service-mismatch");
			if (!f)
				return -ENOMEM;
			snprintf(f->title, sizeof(f->title), "%s on port %u, the port of %s",
			         e->service, e->port, e->port_default);
			snprintf(f->evidence, sizeof(f->evidence),
			         "service detection found %s%s%s%s%s", e->service,
			         e->product[0] ? " (" : "", e->product, e->version[0] ? " " : "",
			         e->version);
			if (e->product[0])
				strncat(f->evidence, ")",
				        sizeof(f->evidence) - strlen(f->evidence) - 1);
			snprintf(
			    f->recommendation, sizeof(f->recommendation),
			    "a port says nothing certain about its service: document it, and make "
			    "sure firewall rules for port %u match what really answers",
			    e->port);
			f->citation = "port numbers are conventions (IANA registry, RFC 6335)";
			continue;
		}
		if (e->mismatch || e->checked_yes)
			continue;
		nr = kb_risks_for(e->port, KB_PROTO_TCP, risks, 4);
		for (size_t k = 0; k < nr && k < 4; k++) {
			int sev = risks[k]->severity;

			if (e->checked_no && sev > KB_SEV_LOW)
				sev = KB_SEV_LOW; /* the safe check did not confirm it */
			f = finding_add(ar, i, sev, "exposed-risky-service");
			if (!f)
				return -ENOMEM;
			snprintf(f->title, sizeof(f->title), "%s reachable: %s", risks[k]->service,
			         risks[k]->note);
			snprintf(f->evidence, sizeof(f->evidence), "port %u/tcp open%s%s%s",
			         e->port, e->service[0] ? ", detected " : "", e->service,
			         e->checked_no ? "; the safe check did not confirm the risk" : "");
			snprintf(f->recommendation, sizeof(f->recommendation), "%s",
			         risks[k]->recommendation);
			f->citation = risks[k]->citation;
		}
	}
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct audit_finding *x = a, *y = b;

	if (x->sev != y->sev)
		return y->sev - x->sev;
	return (x->ep > y->ep) - (x->ep < y->ep);
}

static void ep_where(const struct audit_run *ar, const struct audit_ep *e, char *buf, size_t len)
{
	char b[INET6_ADDRSTRLEN];

	(void)ar;
	if (e->local)
		snprintf(buf, len, "%s%s%s:%u/%s", e->family == AF_INET6 ? "[" : "",
		         addr_text(e->family, e->bind, b, sizeof(b)),
		         e->family == AF_INET6 ? "]" : "", e->port,
		         e->proto == IPPROTO_TCP ? "tcp" : "udp");
	else
		snprintf(buf, len, "%s%s%s:%u/%s", e->family == AF_INET6 ? "[" : "",
		         target_addr_str(&e->target, b, sizeof(b)),
		         e->family == AF_INET6 ? "]" : "", e->port,
		         e->proto == IPPROTO_TCP ? "tcp" : "udp");
}

struct audit_counts {
	unsigned listening, reachable, loopback, blocked, sev[4];
};

static void audit_count(const struct audit_run *ar, struct audit_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->listening = (unsigned)ar->neps;
	for (size_t i = 0; i < ar->neps; i++) {
		c->reachable += ar->eps[i].exp == AUDIT_EXP_REACHABLE;
		c->loopback += ar->eps[i].exp == AUDIT_EXP_LOOPBACK;
		c->blocked += ar->eps[i].exp == AUDIT_EXP_BLOCKED;
	}
	for (size_t i = 0; i < ar->nfs; i++)
		c->sev[ar->fs[i].sev]++;
}

static int audit_print_human(const struct audit_run *ar)
{
	bool color = cmd_use_color(stdout, ar->no_color);
	struct audit_counts c;
	struct table *t;
	int last = -1;
	char where[sizeof(((struct audit_ep *)0)->reach) + 32];

	audit_count(ar, &c);
	printf("portscope audit: %s\n\n", ar->remote ? "targets (remote view)" : "this machine");
	for (size_t i = 0; i < ar->nfs; i++) {
		const struct audit_finding *f = &ar->fs[i];
		const struct audit_ep *e = &ar->eps[f->ep];

		if (f->sev != last) {
			const char *name = kb_severity_name(f->sev);

			if (color)
				printf("\033[1;%sm%s\033[0m\n", cmd_severity_color(f->sev), name);
			else
				printf("%s\n", name);
			last = f->sev;
		}
		ep_where(ar, e, where, sizeof(where));
		printf("  %-22s %s", f->id, where);
		if (e->pid)
			printf("  %s (pid %d, user %s)", e->process, (int)e->pid, e->user);
		printf("\n    %s\n    evidence: %s\n    do: %s\n    ref: %s\n", f->title,
		       f->evidence, f->recommendation, f->citation ? f->citation : "-");
	}
	if (!ar->nfs)
		printf("no findings\n");
	if (ar->neps) {
		t = table_new();
		if (!t)
			return -ENOMEM;
		printf("\n");
		table_add_column(t, "SOCKET", TABLE_LEFT);
		table_add_column(t, "EXPOSURE", TABLE_LEFT);
		table_add_column(t, "REACHABLE ON", TABLE_LEFT);
		table_add_column(t, "SERVICE", TABLE_LEFT);
		table_add_column(t, "PROCESS", TABLE_LEFT);
		for (size_t i = 0; i < ar->neps; i++) {
			const struct audit_ep *e = &ar->eps[i];
			const char *expcol = e->exp == AUDIT_EXP_REACHABLE ? TABLE_YELLOW
			                     : e->exp == AUDIT_EXP_BLOCKED ? TABLE_BLUE
			                                                   : TABLE_GREEN;

			ep_where(ar, e, where, sizeof(where));
			table_cell(t, where);
			table_cell_color(t, audit_exposure_name(e->exp), expcol);
			table_cell(t, e->reach[0] ? e->reach : "-");
			if (e->service[0])
				table_cellf(
				    t, "%s%s%s%s", e->service, e->mismatch ? " (port of " : "",
				    e->mismatch ? e->port_default : "", e->mismatch ? ")" : "");
			else
				table_cellf(t, "%s?", e->port_default ? e->port_default : "");
			if (e->pid)
				table_cellf(t, "%s/%d %s", e->process, (int)e->pid, e->user);
			else
				table_cell(t, e->local ? e->user : "-");
		}
		table_render(t, stdout, color);
		table_free(t);
	}
	printf("\nattack surface: %u %s, %u reachable from outside, %u loopback-only, %u blocked; "
	       "findings: %u high, %u medium, %u low, %u info (%.1f s)\n",
	       c.listening, ar->remote ? "open ports" : "listening sockets", c.reachable,
	       c.loopback, c.blocked, c.sev[KB_SEV_HIGH], c.sev[KB_SEV_MEDIUM], c.sev[KB_SEV_LOW],
	       c.sev[KB_SEV_INFO], ar->elapsed);
	if (!ar->remote && !ar->naddrs)
		printf("note: no address but loopback here: nothing is reachable from outside\n");
	if (ar->overflow)
		printf("note: more than %d endpoints; the rest were left out\n", AUDIT_MAX_EPS);
	if (ar->udp_skipped)
		printf(
		    "note: %u UDP port(s) without a safe check were not scanned (a UDP scan needs "
		    "the raw-socket engine)\n",
		    ar->udp_skipped);
	return ferror(stdout) ? -EIO : 0;
}

static int audit_print_json(const struct audit_run *ar)
{
	json_t *doc = json_object(), *eps = json_array(), *fs = json_array(), *sum = json_object();
	struct audit_counts c;
	char b[INET6_ADDRSTRLEN];
	int rc = 0;

	if (!doc || !eps || !fs || !sum) {
		json_decref(doc);
		json_decref(eps);
		json_decref(fs);
		json_decref(sum);
		return -ENOMEM;
	}
	audit_count(ar, &c);
	rc |= json_set_str(doc, "type", "audit");
	rc |= json_set_str(doc, "mode", ar->remote ? "remote" : "local");
	for (size_t i = 0; i < ar->neps; i++) {
		const struct audit_ep *e = &ar->eps[i];
		json_t *o = json_object();

		if (!o)
			return -ENOMEM;
		rc |= json_set_str(o, "proto", e->proto == IPPROTO_TCP ? "tcp" : "udp");
		rc |= json_set(o, "port", json_integer(e->port));
		rc |= json_set_str(o, "address",
		                   e->local ? addr_text(e->family, e->bind, b, sizeof(b))
		                            : target_addr_str(&e->target, b, sizeof(b)));
		rc |= json_set_str(o, "exposure", audit_exposure_name(e->exp));
		rc |= json_set_str(o, "reachable_on", e->reach[0] ? e->reach : NULL);
		rc |= json_set_str(o, "service", e->service[0] ? e->service : NULL);
		rc |= json_set_str(o, "product", e->product[0] ? e->product : NULL);
		rc |= json_set_str(o, "version", e->version[0] ? e->version : NULL);
		rc |= json_set_str(o, "port_default", e->port_default);
		rc |= json_set(o, "pid", e->pid ? json_integer(e->pid) : NULL);
		rc |= json_set_str(o, "process", e->pid ? e->process : NULL);
		rc |= json_set_str(o, "user", e->local ? e->user : NULL);
		rc |= json_array_append_new(eps, o);
	}
	for (size_t i = 0; i < ar->nfs; i++) {
		const struct audit_finding *f = &ar->fs[i];
		const struct audit_ep *e = &ar->eps[f->ep];
		json_t *o = json_object();

		if (!o)
			return -ENOMEM;
		rc |= json_set_str(o, "severity", kb_severity_name(f->sev));
		rc |= json_set_str(o, "id", f->id);
		rc |= json_set_str(o, "title", f->title);
		rc |= json_set_str(o, "proto", e->proto == IPPROTO_TCP ? "tcp" : "udp");
		rc |= json_set(o, "port", json_integer(e->port));
		rc |= json_set_str(o, "address",
		                   e->local ? addr_text(e->family, e->bind, b, sizeof(b))
		                            : target_addr_str(&e->target, b, sizeof(b)));
		rc |= json_set_str(o, "evidence", f->evidence);
		rc |= json_set_str(o, "recommendation", f->recommendation);
		rc |= json_set_str(o, "citation", f->citation);
		rc |= json_set(o, "pid", e->pid ? json_integer(e->pid) : NULL);
		rc |= json_set_str(o, "process", e->pid ? e->process : NULL);
		rc |= json_array_append_new(fs, o);
	}
	rc |= json_set(sum, "endpoints", json_integer(c.listening));
	rc |= json_set(sum, "reachable", json_integer(c.reachable));
	rc |= json_set(sum, "loopback_only", json_integer(c.loopback));
	rc |= json_set(sum, "blocked", json_integer(c.blocked));
	for (int s = KB_SEV_INFO; s <= KB_SEV_HIGH; s++)
		rc |= json_set(sum, kb_severity_name(s), json_integer(c.sev[s]));
	rc |= json_set(sum, "seconds", json_real(ar->elapsed));
	rc |= json_set(doc, "summary", sum);
	rc |= json_set(doc, "endpoints", eps);
	rc |= json_set(doc, "findings", fs);
	if (rc) {
		json_decref(doc);
		return -ENOMEM;
	}
	rc = json_write_doc(stdout, doc);
	json_decref(doc);
	return rc;
}

/* Where an endpoint is: the socket's bind address (local) or the target (remote). */
static struct target_addr ep_addr(const struct audit_ep *e)
{
	struct target_addr a = {.family = e->family};

	if (!e->local)
		return e->target;
	if (e->family == AF_INET)
		memcpy(&a.v4, e->bind, 4);
	else
		memcpy(&a.v6, e->bind, 16);
	return a;
}

/*
 * What the history keeps beyond the scan's ports: the services detected on
 * reachable TCP ports, every endpoint with its exposure and owner, and every
 * finding, placed at the socket's bind address (local) or the target (remote)
 * so that two audits match them up.
 */
static void audit_history_record(struct audit_run *ar)
{
	for (size_t i = 0; i < ar->neps; i++) {
		const struct audit_ep *e = &ar->eps[i];
		struct target_addr a = ep_addr(e);

		if (e->proto == IPPROTO_TCP && e->exp == AUDIT_EXP_REACHABLE && e->have_target)
			scan_history_service(&ar->hist, &e->target, IPPROTO_TCP, e->port,
			                     e->service, e->product, e->version);
		scan_history_endpoint(&ar->hist, &(struct store_endpoint){
		                                     .addr = &a,
		                                     .proto = e->proto,
		                                     .port = e->port,
		                                     .exposure = audit_exposure_name(e->exp),
		                                     .reachable_on = e->reach,
		                                     .service = e->service,
		                                     .product = e->product,
		                                     .version = e->version,
		                                     .port_default = e->port_default,
		                                     .mismatch = e->mismatch,
		                                     .pid = e->pid,
		                                     .process = e->pid ? e->process : NULL,
		                                     .user = e->local ? e->user : NULL,
		                                 });
	}
	for (size_t i = 0; i < ar->nfs; i++) {
		const struct audit_finding *f = &ar->fs[i];
		const struct audit_ep *e = &ar->eps[f->ep];
		struct target_addr a = ep_addr(e);

		scan_history_finding(&ar->hist, &(struct store_finding){
		                                    .addr = &a,
		                                    .proto = e->proto,
		                                    .port = e->port,
		                                    .check = f->id,
		                                    .severity = kb_severity_name(f->sev),
		                                    .title = f->title,
		                                    .detail = f->evidence,
		                                    .recommendation = f->recommendation,
		                                    .citation = f->citation,
		                                    .pid = e->pid,
		                                    .process = e->pid ? e->process : NULL,
		                                });
	}
}

/* The audit's metrics into --prometheus FILE. Returns 0, or -EIO after reporting. */
static int audit_write_prometheus(const struct audit_run *ar, double end)
{
	static const enum audit_exposure exps[] = {AUDIT_EXP_REACHABLE, AUDIT_EXP_LOOPBACK,
	                                           AUDIT_EXP_BLOCKED, AUDIT_EXP_NO_ADDRESS,
	                                           AUDIT_EXP_UNVERIFIED};
	struct prom_count byexp[ARRAY_SIZE(exps)];
	struct audit_counts c;
	struct prom_run pr = {
	    .kind = "audit",
	    .targets = ar->targets,
	    .tcp = true,
	    .udp = true,
	    .hosts_up = ar->remote ? ar->sum.hosts_up : 1,
	    .exposures = byexp,
	    .nexposures = ARRAY_SIZE(exps),
	    .end = end,
	    .duration = ar->elapsed,
	};
	char why[PATH_MAX + 128] = "";

	audit_count(ar, &c);
	pr.reachable = c.reachable;
	for (int s = KB_SEV_INFO; s <= KB_SEV_HIGH; s++)
		pr.findings[s] = c.sev[s];
	for (size_t k = 0; k < ARRAY_SIZE(exps); k++)
		byexp[k] = (struct prom_count){.name = audit_exposure_name(exps[k])};
	for (size_t i = 0; i < ar->neps; i++) {
		const struct audit_ep *e = &ar->eps[i];

		for (size_t k = 0; k < ARRAY_SIZE(exps); k++)
			byexp[k].n += e->exp == exps[k];
		/* A remote UDP port no check could ask is not known to be open. */
		if (ar->remote && e->exp == AUDIT_EXP_UNVERIFIED)
			continue;
		if (e->proto == IPPROTO_UDP)
			pr.open_udp++;
		else
			pr.open_tcp++;
	}
	if (prom_write_file(ar->prometheus, &pr, why, sizeof(why)) < 0) {
		cmd_error("audit", "--prometheus: %s", why);
		return -EIO;
	}
	return 0;
}

static void audit_help(FILE *f)
{
	fputs("usage: portscope audit [OPTIONS] [TARGET...]\n"
	      "\n"
	      "The attack surface: without TARGET, this machine's listening sockets, who owns\n"
	      "them, where they are reachable (a scan of its own addresses), what answers and\n"
	      "how risky it is; with TARGETs, the same from the network (scan side only).\n"
	      "\n"
	      "  --json             one JSON document\n"
	      "  --fail-on SEV      exit 1 when a finding is at least SEV (high|medium|low|info)\n"
	      "  -p PORTS           remote mode: ports to scan (default: the top 1000)\n"
	      "  -6                 remote mode: targets are IPv6\n"
	      "  --db PATH          the history file (default "
	      "$XDG_STATE_HOME/portscope/history.db)\n"
	      "  --no-history       do not record the audit\n"
	      "  --prometheus FILE  the audit's metrics as a node_exporter textfile (replaced "
	      "whole)\n"
	      "  --no-color         no colours (also NO_COLOR)\n"
	      "  -h, --help         this help\n",
	      f);
}

/*
 * Remote UDP: without the raw-socket engine there is no UDP scan; a UDP port
 * with a safe check (SNMP) is asked directly, and an answer proves it open.
 */
static void audit_remote_udp(struct audit_run *ar, const struct portlist *udp)
{
	size_t nchecks;
	const struct audit_check *checks = audit_check_table(&nchecks);
	uint64_t n = targetset_count(ar->ts);

	for (size_t k = 0; k < udp->n; k++) {
		bool any = false;

		for (size_t c = 0; c < nchecks; c++)
			any |= audit_check_applies(&checks[c], IPPROTO_UDP, udp->ports[k], NULL);
		if (!any) {
			ar->udp_skipped++;
			continue;
		}
		for (uint64_t i = 0; i < n; i++) {
			struct audit_ep *e;
			struct target_addr a;

			if (targetset_get(ar->ts, i, &a) < 0)
				break;
			if (ar->neps == AUDIT_MAX_EPS) {
				ar->overflow = true;
				return;
			}
			e = &ar->eps[ar->neps++];
			*e = (struct audit_ep){.proto = IPPROTO_UDP,
			                       .port = udp->ports[k],
			                       .family = a.family,
			                       .exp = AUDIT_EXP_UNVERIFIED,
			                       .target = a,
			                       .have_target = true};
		}
	}
}

/* Remote mode: the targets, the ports, the scan. */
static int audit_remote_scan(struct audit_run *ar, int argc, char **argv, char *why, size_t whylen)
{
	struct portspec ps = {0};
	struct portlist pl = {0};
	int rc;

	ar->ts = targetset_new(ar->ipv6 ? TARGETSET_IPV6 : 0);
	if (!ar->ts)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		rc = targetset_add(ar->ts, argv[i], why, whylen);
		if (rc < 0)
			return rc == -ENOMEM ? rc : -EINVAL;
	}
	rc = targetset_seal(ar->ts);
	if (rc < 0)
		return rc;
	if (ar->ports_spec) {
		rc = portspec_parse(ar->ports_spec, &ps, why, whylen);
		if (rc < 0)
			return rc == -ENOMEM ? rc : -EINVAL;
		if (ps.tcp.n == 0 && ps.udp.n == 0) {
			snprintf(why, whylen, "-p '%s' names no port", ar->ports_spec);
			portspec_free(&ps);
			return -EINVAL;
		}
		pl = ps.tcp;
	} else {
		uint16_t *top = calloc(1000, sizeof(*top));
		int got = top ? kb_top_ports(ar->kb, KB_PROTO_TCP, 1000, top) : -ENOMEM;

		if (got < 0) {
			free(top);
			return got;
		}
		qsort(top, (size_t)got, sizeof(*top), cmp_u16);
		pl = (struct portlist){.ports = top, .n = (size_t)got};
	}
	rc = audit_history_begin(ar, &pl);
	if (rc == 0 && pl.n)
		rc = audit_scan(ar, ar->ts, &pl, remote_on_port, why, whylen);
	if (rc < 0 && rc != -ENOMEM && rc != -EMFILE && rc != -ECANCELED)
		rc = -EIO;
	if (rc == 0 && ar->ports_spec)
		audit_remote_udp(ar, &ps.udp);
	if (ar->ports_spec)
		portspec_free(&ps);
	else
		portlist_free(&pl);
	return rc;
}

int cmd_audit_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},       {"fail-on", required_argument, NULL, 'f'},
	    {"no-color", no_argument, NULL, 'C'},   {"db", required_argument, NULL, 'd'},
	    {"no-history", no_argument, NULL, 'H'}, {"prometheus", required_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	struct audit_run ar = {.fail_on = -1};
	char why[512] = "";
	int opt, rc, exit_rc = EXIT_OK;
	bool hist_complete = false;
	double t0 = clock_mono();

	ar.wall_start = clock_wall();
	ar.args = cmd_join("portscope", argc, argv); /* before getopt reorders argv */
	if (!ar.args) {
		cmd_error("audit", "out of memory");
		return EXIT_RUNTIME;
	}
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hp:6", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ar.json = true;
			break;
		case 'C':
			ar.no_color = true;
			break;
		case '6':
			ar.ipv6 = true;
			break;
		case 'p':
			ar.ports_spec = optarg;
			break;
		case 'd':
			ar.db = optarg;
			break;
		case 'H':
			ar.no_history = true;
			break;
		case 'P':
			if (!*optarg) {
				exit_rc = cmd_usage("audit", "--prometheus: empty path");
				goto out;
			}
			ar.prometheus = optarg;
			break;
		case 'f':
			ar.fail_on = audit_severity_parse(optarg);
			if (ar.fail_on < 0) {
				exit_rc = cmd_usage(
				    "audit", "bad --fail-on '%s': not high, medium, low or info",
				    optarg);
				goto out;
			}
			break;
		case 'h':
			audit_help(stdout);
			goto out;
		default:
			exit_rc = cmd_bad_option("audit", argv, opt);
			goto out;
		}
	}
	ar.remote = optind < argc;
	if (!ar.remote && (ar.ports_spec || ar.ipv6)) {
		exit_rc = cmd_usage("audit", "%s needs a TARGET (remote mode)",
		                    ar.ports_spec ? "-p" : "-6");
		goto out;
	}
	if (ar.remote && (!ar.no_history || ar.prometheus)) {
		ar.targets = cmd_join(NULL, argc - optind, argv + optind);
		if (!ar.targets) {
			cmd_error("audit", "out of memory");
			exit_rc = EXIT_RUNTIME;
			goto out;
		}
	}
	ar.eps = calloc(AUDIT_MAX_EPS, sizeof(*ar.eps));
	if (!ar.eps) {
		cmd_error("audit", "out of memory");
		exit_rc = EXIT_RUNTIME;
		goto out;
	}
	if (kb_load(NULL, &ar.kb, why, sizeof(why)) < 0)
		ar.kb = NULL; /* no services files: no port names */
	why[0] = '\0';
	rlimit_raise_nofile();
	if (ar.remote) {
		rc = audit_remote_scan(&ar, argc - optind, argv + optind, why, sizeof(why));
		if (rc == -EINVAL) {
			exit_rc = cmd_usage("audit", "%s", why);
			goto out;
		}
	} else {
		rc = audit_dump_sockets(&ar);
		if (rc < 0)
			snprintf(why, sizeof(why), "cannot list the sockets: %s", strerror(-rc));
		if (rc == 0) {
			audit_owners(&ar);
			audit_own_addrs(&ar);
			rc = audit_local_scan(&ar, why, sizeof(why));
		}
	}
	if (rc == 0)
		rc = audit_detect(&ar);
	if (rc == 0)
		rc = audit_judge(&ar);
	if (rc == -ECANCELED && ar.hist_rc != EXIT_OK) {
		exit_rc = ar.hist_rc; /* the history file was refused: reported */
		goto out;
	}
	if (rc < 0) {
		cmd_error("audit", "%s", why[0] ? why : strerror(-rc));
		exit_rc = EXIT_RUNTIME;
		goto out;
	}
	if (ar.nfs)
		qsort(ar.fs, ar.nfs, sizeof(*ar.fs), cmp_finding);
	ar.elapsed = clock_mono() - t0;
	rc = ar.json ? audit_print_json(&ar) : audit_print_human(&ar);
	if (rc < 0) {
		cmd_error("audit", "cannot write the report: %s", strerror(-rc));
		exit_rc = EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; ar.fail_on >= 0 && i < ar.nfs; i++)
		if (ar.fs[i].sev >= ar.fail_on)
			exit_rc = EXIT_FINDINGS;
	audit_history_record(&ar);
	hist_complete = true;
	if (ar.prometheus && audit_write_prometheus(&ar, clock_wall()) < 0)
		exit_rc = EXIT_RUNTIME;
out:
	/* The report is out: a history that failed only changes the exit status. */
	ar.sum.start = ar.wall_start;
	ar.sum.end = clock_wall();
	ar.sum.elapsed = clock_mono() - t0;
	if (scan_history_close(&ar.hist, &ar.sum, hist_complete) != EXIT_OK &&
	    (exit_rc == EXIT_OK || exit_rc == EXIT_FINDINGS))
		exit_rc = EXIT_RUNTIME;
	free(ar.args);
	free(ar.targets);
	free(ar.eps);
	free(ar.fs);
	free(ar.states);
	free(ar.ports);
	targetset_free(ar.ts);
	kb_free(ar.kb);
	return exit_rc;
}
