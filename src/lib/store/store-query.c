/* History read-back: run lists, one run, the previous run, hosts rebuilt (see store.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/shard.h"
#include "store/store-private.h"
#include "util/array.h"

#define RUN_COLUMNS                                                                                \
	"SELECT r.id, r.kind, r.version, r.args, r.targets, r.ports, r.proto, r.scan_type,"        \
	" r.start, coalesce(r.\"end\", 0), r.status, r.pid, r.boot_id,"                            \
	" coalesce(r.hosts_total, (SELECT count(*) FROM hosts h WHERE h.run = r.id)),"             \
	" coalesce(r.hosts_up, (SELECT count(*) FROM hosts h WHERE h.run = r.id AND h.up <> 0)),"  \
	" (SELECT coalesce(sum(n_open), 0) FROM hosts h WHERE h.run = r.id)"                       \
	"  + (SELECT count(*) FROM ports p WHERE p.run = r.id AND p.state = 1 AND NOT EXISTS"      \
	"     (SELECT 1 FROM hosts h WHERE h.run = p.run AND h.addr = p.addr"                      \
	"      AND h.proto = p.proto)),"                                                           \
	" (SELECT count(*) FROM findings f WHERE f.run = r.id),"                                   \
	" coalesce(r.probes_sent, 0), r.hostname, r.shard_index, r.shard_count, r.seed, r.argv"    \
	" FROM runs r"

/* Fills r from a row of RUN_COLUMNS; strings point into the statement's row. */
static void store_run_from_row(struct store *st, struct db_stmt *s, struct store_run *r)
{
	*r = (struct store_run){
	    .id = db_column_int64(s, 0),
	    .kind = db_column_text(s, 1),
	    .version = db_column_text(s, 2),
	    .args = db_column_text(s, 3),
	    .targets = db_column_text(s, 4),
	    .ports = db_column_text(s, 5),
	    .proto = db_column_int(s, 6),
	    .scan_type = db_column_text(s, 7),
	    .start = db_column_double(s, 8),
	    .end = db_column_double(s, 9),
	    .status = db_column_int(s, 10),
	    .hosts_total = (uint64_t)db_column_int64(s, 13),
	    .hosts_up = (uint64_t)db_column_int64(s, 14),
	    .open = (uint64_t)db_column_int64(s, 15),
	    .findings = (uint64_t)db_column_int64(s, 16),
	    .probes_sent = (uint64_t)db_column_int64(s, 17),
	    .hostname = db_column_text(s, 18),
	    .seed = (uint64_t)db_column_int64(s, 21),
	    .argv = db_column_text(s, 22),
	};
	int64_t si = db_column_int64(s, 19), sc = db_column_int64(s, 20);

	if (sc >= 1 && sc <= UINT32_MAX && si >= 1 && si <= sc) {
		r->shard_index = (uint32_t)si;
		r->shard_count = (uint32_t)sc;
	}
	if (r->status < STORE_RUN_RUNNING || r->status > STORE_RUN_INTERRUPTED)
		r->status = STORE_RUN_INCOMPLETE;
	if (r->status == STORE_RUN_RUNNING &&
	    !st->be->run_alive(st, r->id, db_column_int64(s, 11), db_column_text(s, 12),
	                       r->hostname))
		r->status = STORE_RUN_INCOMPLETE;
}

int store_runs(struct store *st, const struct store_query *q,
               int (*cb)(void *ctx, const struct store_run *r), void *ctx)
{
	static const char sql[] = RUN_COLUMNS
	    " LEFT JOIN runs l ON l.id = ?4"
	    " WHERE (?1 IS NULL OR r.kind = ?1)"
	    " AND (?4 IS NULL OR (r.kind = l.kind AND r.targets IS NOT DISTINCT FROM l.targets"
	    "      AND r.hostname IS NOT DISTINCT FROM l.hostname))"
	    " AND (?5 = 0 OR r.status = ?6)"
	    " AND (?2 IS NULL OR instr(' ' || coalesce(r.targets, '') || ' ', ' ' || ?2 || ' ') > 0"
	    "      OR EXISTS (SELECT 1 FROM hosts h WHERE h.run = r.id AND h.host = ?2)"
	    "      OR EXISTS (SELECT 1 FROM ports p WHERE p.run = r.id AND p.host = ?2))"
	    " ORDER BY r.id DESC LIMIT ?3";
	struct db_stmt *s;
	struct store_run run;
	int rc, r;

	r = db_prepare(st, sql, &s);
	if (r < 0)
		return r;
	db_bind_text(s, 1, q ? q->kind : NULL);
	db_bind_text(s, 2, q ? q->target : NULL);
	db_bind_int64(s, 3, q && q->limit ? (int64_t)q->limit : DB_NO_LIMIT);
	if (q && q->like > 0)
		db_bind_int64(s, 4, q->like);
	else
		db_bind_null(s, 4);
	db_bind_int64(s, 5, q && q->complete);
	db_bind_int64(s, 6, STORE_RUN_COMPLETE);
	while ((rc = db_step(s)) == DB_ROW) {
		store_run_from_row(st, s, &run);
		r = cb(ctx, &run);
		if (r)
			break;
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

/* Copies the strings of r into st->strs, so they outlive the statement. */
static int store_run_keep(struct store *st, struct store_run *r)
{
	const char **f[] = {&r->kind,  &r->version,   &r->args,     &r->targets,
	                    &r->ports, &r->scan_type, &r->hostname, &r->argv};
	size_t len = 0;
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		len += *f[i] ? strlen(*f[i]) + 1 : 0;
	free(st->strs);
	st->strs = p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!*f[i])
			continue;
		len = strlen(*f[i]) + 1;
		memcpy(p, *f[i], len);
		*f[i] = p;
		p += len;
	}
	return 0;
}

int store_run_get(struct store *st, int64_t id, struct store_run *r)
{
	struct db_stmt *s;
	int rc, ret;

	ret = db_prepare(st, RUN_COLUMNS " WHERE r.id = ?1", &s);
	if (ret < 0)
		return ret;
	db_bind_int64(s, 1, id);
	rc = db_step(s);
	if (rc == DB_ROW) {
		store_run_from_row(st, s, r);
		ret = store_run_keep(st, r);
	} else {
		ret = rc == DB_DONE ? -ENOENT : rc;
	}
	db_finalize(s);
	return ret;
}

/* Steps bound statement s once and finalizes it: 0 with *id its first column, -ENOENT. */
static int store_first_id(struct db_stmt *s, int64_t *id)
{
	int rc = db_step(s);

	if (rc == DB_ROW)
		*id = db_column_int64(s, 0);
	db_finalize(s);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? -ENOENT : rc;
}

int store_run_previous(struct store *st, int64_t before, int64_t *id)
{
	static const char latest[] =
	    "SELECT id FROM runs WHERE status = ?1 ORDER BY id DESC LIMIT 1";
	static const char older[] =
	    "SELECT r.id FROM runs r, runs b WHERE b.id = ?2 AND r.id < b.id AND r.status = ?1"
	    " AND r.kind = b.kind AND r.targets IS NOT DISTINCT FROM b.targets"
	    " ORDER BY r.id DESC LIMIT 1";
	struct db_stmt *s;
	int ret;

	ret = db_prepare(st, before ? older : latest, &s);
	if (ret < 0)
		return ret;
	db_bind_int64(s, 1, STORE_RUN_COMPLETE);
	if (before)
		db_bind_int64(s, 2, before);
	return store_first_id(s, id);
}

int store_host_is_machine(struct store *st, const char *host)
{
	struct db_stmt *s;
	int64_t id;
	int ret;

	ret = db_prepare(st, "SELECT id FROM runs WHERE targets IS NULL AND hostname = ?1 LIMIT 1",
	                 &s);
	if (ret < 0)
		return ret;
	db_bind_text(s, 1, host);
	ret = store_first_id(s, &id);
	return ret == 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

int store_host_previous(struct store *st, const char *host, bool machine, int64_t before,
                        int64_t *id)
{
	/* ?3: older than this run and of its kind (no such run: any kind) */
	static const char own[] =
	    "SELECT r.id FROM runs r WHERE r.status = ?1 AND r.id < ?3"
	    " AND r.kind = coalesce((SELECT b.kind FROM runs b WHERE b.id = ?3), r.kind)"
	    " AND r.targets IS NULL AND r.hostname = ?2 ORDER BY r.id DESC LIMIT 1";
	static const char remote[] =
	    "SELECT r.id FROM runs r WHERE r.status = ?1 AND r.id < ?3"
	    " AND r.kind = coalesce((SELECT b.kind FROM runs b WHERE b.id = ?3), r.kind)"
	    " AND r.targets IS NOT NULL"
	    " AND EXISTS (SELECT 1 FROM hosts h WHERE h.host = ?2 AND h.run = r.id)"
	    " ORDER BY r.id DESC LIMIT 1";
	struct db_stmt *s;
	int ret;

	ret = db_prepare(st, machine ? own : remote, &s);
	if (ret < 0)
		return ret;
	db_bind_int64(s, 1, STORE_RUN_COMPLETE);
	db_bind_text(s, 2, host);
	db_bind_int64(s, 3, before ? before : DB_NO_LIMIT);
	return store_first_id(s, id);
}

/* Index of port in the sorted list, or -1. */
static ssize_t store_port_index(const struct portlist *pl, uint16_t port)
{
	size_t lo = 0, hi = pl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pl->ports[mid] == port)
			return (ssize_t)mid;
		if (pl->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The port list of a run from its stored ranges. */
int store_run_portlist(const char *ranges, int proto, struct portlist *out)
{
	struct portspec ps;
	int r;

	*out = (struct portlist){0};
	if (!ranges || !*ranges)
		return 0;
	r = portspec_parse(ranges, &ps, NULL, 0);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	if (proto == IPPROTO_UDP) {
		*out = ps.udp;
		ps.udp = (struct portlist){0};
	} else {
		*out = ps.tcp;
		ps.tcp = (struct portlist){0};
	}
	portspec_free(&ps);
	return 0;
}

/* Builds h's res and counts from the run's port rows of one address. */
static int store_host_fill(struct db_stmt *ps, int64_t id, const void *key, size_t klen,
                           struct scan_host *h, uint8_t *res, uint8_t *ttl, uint8_t fill)
{
	int rc;

	for (size_t i = 0; i < h->nports; i++)
		res[i] = fill;
	memset(ttl, 0, h->nports);
	db_reset(ps);
	db_bind_int64(ps, 1, id);
	db_bind_blob(ps, 2, key, klen);
	db_bind_int64(ps, 3, h->proto);
	while ((rc = db_step(ps)) == DB_ROW) {
		int port = db_column_int(ps, 0), state = db_column_int(ps, 1);
		int reason = db_column_int(ps, 2), t = db_column_int(ps, 3);
		ssize_t i;

		if (port < 0 || port > 65535 || state < 0 || state >= SCAN_STATE_MAX ||
		    reason < 0 || reason >= SCAN_REASON_MAX)
			return -EBADMSG;
		i = store_port_index(
		    &(struct portlist){.ports = (uint16_t *)h->ports, .n = h->nports},
		    (uint16_t)port);
		if (i >= 0) {
			res[i] = scan_res_pack((enum scan_state)state, (enum scan_reason)reason);
			ttl[i] = t > 0 && t < 256 ? (uint8_t)t : 0;
		}
	}
	if (rc < 0)
		return rc;
	memset(h->counts, 0, sizeof(h->counts));
	for (size_t i = 0; i < h->nports; i++)
		h->counts[scan_res_state(res[i])]++;
	h->counts[SCAN_PENDING] = 0;
	return 0;
}

/* What store_hosts() walks with. */
struct hosts_walk {
	struct store *st;
	int64_t id;
	struct portlist pl;
	uint8_t *res;
	uint8_t *ttl;       /* per port: the TTL of the reply that decided it, 0: none */
	struct shard shard; /* the run's shard: a host's ports are its own only */
	uint64_t seed;
	uint16_t *own;         /* a host's ports of the shard */
	struct db_stmt *ports; /* the port rows of one host */
	int (*cb)(void *ctx, const struct scan_host *h);
	void *ctx;
};

/* Why a finished host row is up or down (columns 11-13: reason, reason_ttl, mac). */
static int store_host_why(struct db_stmt *hs, struct scan_host *h)
{
	int64_t hr = db_column_int64(hs, 11), ttl = db_column_int64(hs, 12);
	size_t maclen = 0;
	const void *mac = db_column_blob(hs, 13, &maclen);

	if (hr < 0 || hr >= SCAN_REASON_HOST_MAX || ttl < 0 || ttl > 255)
		return -EBADMSG;
	h->reason = (enum scan_reason)hr;
	h->reason_ttl = (uint8_t)ttl;
	if (mac && maclen == sizeof(h->mac)) {
		memcpy(h->mac, mac, sizeof(h->mac));
		h->has_mac = true;
	}
	return 0;
}

/* One host row of pass 0 (finished hosts) or 1 (hosts never finished) to the callback. */
static int store_hosts_row(struct hosts_walk *w, struct db_stmt *hs, int pass)
{
	size_t klen;
	const void *key = db_column_blob(hs, 0, &klen);
	struct scan_host h = {
	    .proto = db_column_int(hs, 1),
	    .nports = w->pl.n,
	    .ports = w->pl.ports,
	    .res = w->res,
	    .ttl = w->ttl,
	    .up = true,
	};
	uint8_t fill = 0;
	int r;

	if (store_addr_from_key(key, klen, &h.addr) < 0)
		return -EBADMSG;
	if (w->shard.count > 1) {
		struct shard_host sp;

		shard_host_init(&sp, &w->shard, w->seed, &h.addr, w->pl.n);
		h.nports = 0;
		for (size_t i = 0; i < w->pl.n; i++)
			if (shard_host_owns(&sp, i))
				w->own[h.nports++] = w->pl.ports[i];
		h.ports = w->own;
	}
	if (!pass) {
		int es = db_column_int(hs, 4), er = db_column_int(hs, 5);

		if (es < 0 || es >= SCAN_STATE_MAX || er < 0 || er >= SCAN_REASON_MAX ||
		    store_host_why(hs, &h) < 0)
			return -EBADMSG;
		h.up = db_column_int(hs, 2);
		h.timedout = db_column_int(hs, 3);
		fill = scan_res_pack((enum scan_state)es, (enum scan_reason)er);
		h.srtt_us = (uint32_t)db_column_int64(hs, 6);
		h.rttvar_us = (uint32_t)db_column_int64(hs, 7);
		h.rto_us = (uint32_t)db_column_int64(hs, 8);
		h.start = db_column_double(hs, 9);
		h.end = db_column_double(hs, 10);
		h.name = db_column_text(hs, 14);
	} else {
		h.unfinished = true; /* the ports decided before the run stopped */
	}
	r = store_host_fill(w->ports, w->id, key, klen, &h, w->res, w->ttl, fill);
	return r ? r : w->cb(w->ctx, &h);
}

int store_hosts(struct store *st, int64_t id, int (*cb)(void *ctx, const struct scan_host *h),
                void *ctx)
{
	static const char done_sql[] =
	    "SELECT addr, proto, up, timedout, extra_state, extra_reason, srtt_us, rttvar_us,"
	    " rto_us, start, \"end\", reason, reason_ttl, mac, hostname FROM hosts WHERE run = ?1"
	    " ORDER BY id";
	static const char partial_sql[] =
	    "SELECT DISTINCT addr, proto FROM ports p WHERE run = ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM hosts h WHERE h.run = ?1 AND h.addr = p.addr AND h.proto = p.proto)"
	    " ORDER BY addr, proto";
	static const char ports_sql[] = "SELECT port, state, reason, ttl FROM ports WHERE run = ?1 "
	                                "AND addr = ?2 AND proto = ?3";
	struct hosts_walk w = {.st = st, .id = id, .cb = cb, .ctx = ctx};
	struct store_run run;
	int r;

	r = store_run_get(st, id, &run);
	if (!r)
		r = store_run_portlist(run.ports, run.proto, &w.pl);
	if (r < 0)
		return r;
	w.res = malloc(w.pl.n ? w.pl.n : 1);
	w.ttl = malloc(w.pl.n ? w.pl.n : 1);
	w.own = malloc((w.pl.n ? w.pl.n : 1) * sizeof(*w.own));
	w.shard = (struct shard){.index = run.shard_index, .count = run.shard_count};
	w.seed = run.seed;
	r = w.res && w.ttl && w.own ? db_prepare(st, ports_sql, &w.ports) : -ENOMEM;
	for (int pass = 0; pass < 2 && !r; pass++) {
		struct db_stmt *hs;
		int rc = 0;

		r = db_prepare(st, pass ? partial_sql : done_sql, &hs);
		if (r < 0)
			break;
		db_bind_int64(hs, 1, id);
		while (!r && (rc = db_step(hs)) == DB_ROW)
			r = store_hosts_row(&w, hs, pass);
		if (!r && rc < 0)
			r = rc;
		db_finalize(hs);
	}
	db_finalize(w.ports);
	free(w.res);
	free(w.ttl);
	free(w.own);
	portlist_free(&w.pl);
	return r;
}

int store_each_row(struct store *st, const char *sql, int64_t id,
                   int (*row)(struct db_stmt *s, void *arg), void *arg)
{
	struct db_stmt *s;
	int rc = 0, r;

	r = db_prepare(st, sql, &s);
	if (r < 0)
		return r;
	db_bind_int64(s, 1, id);
	while (!r && (rc = db_step(s)) == DB_ROW)
		r = row(s, arg);
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

int store_services(struct store *st, int64_t id, const struct target_addr *addr, int proto,
                   int (*cb)(void *ctx, uint16_t port, const struct store_port *p), void *ctx)
{
	static const char sql[] =
	    "SELECT port, service, product, version, extrainfo, svc_hostname, ostype, devicetype,"
	    " cpe, tunnel, conf FROM ports WHERE run = ?1 AND addr = ?2 AND proto = ?3"
	    " AND conf IS NOT NULL ORDER BY port";
	uint8_t key[17];
	struct db_stmt *s;
	int rc, r;

	r = db_prepare(st, sql, &s);
	if (r < 0)
		return r;
	db_bind_int64(s, 1, id);
	db_bind_blob(s, 2, key, store_addr_key(addr, key));
	db_bind_int64(s, 3, proto);
	while ((rc = db_step(s)) == DB_ROW) {
		int port = db_column_int(s, 0), conf = db_column_int(s, 10);
		struct store_port p = {
		    .addr = addr,
		    .proto = proto,
		    .service = db_column_text(s, 1),
		    .product = db_column_text(s, 2),
		    .version = db_column_text(s, 3),
		    .extrainfo = db_column_text(s, 4),
		    .hostname = db_column_text(s, 5),
		    .ostype = db_column_text(s, 6),
		    .devicetype = db_column_text(s, 7),
		    .cpe = db_column_text(s, 8),
		    .tunnel = db_column_text(s, 9),
		    .probed = true,
		    .conf = conf < 0 || conf > 10 ? 0 : (unsigned)conf,
		};

		if (port < 0 || port > 65535) {
			r = -EBADMSG;
			break;
		}
		r = cb(ctx, (uint16_t)port, &p);
		if (r)
			break;
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

/* A process id of a row, 0 when none or not one. */
static int col_pid(struct db_stmt *s, int i)
{
	int64_t pid = db_column_int64(s, i);

	return pid > 0 && pid <= INT32_MAX ? (int)pid : 0;
}

struct finding_each {
	int (*cb)(void *ctx, const struct store_finding_row *f);
	void *ctx;
};

/* A row of FINDING_COLUMNS to its callback. */
static int store_finding_row(struct db_stmt *s, void *arg)
{
	const struct finding_each *e = arg;
	int port = db_column_int(s, 2);
	struct store_finding_row f = {
	    .host = db_column_text(s, 0),
	    .proto = db_column_int(s, 1),
	    .port = (uint16_t)port,
	    .check = db_column_text(s, 3),
	    .severity = db_column_text(s, 4),
	    .title = db_column_text(s, 5),
	    .detail = db_column_text(s, 6),
	    .recommendation = db_column_text(s, 7),
	    .citation = db_column_text(s, 8),
	    .pid = col_pid(s, 9),
	    .process = db_column_text(s, 10),
	};

	if (port < 0 || port > 65535 || !f.check)
		return -EBADMSG;
	return e->cb(e->ctx, &f);
}

#define FINDING_COLUMNS                                                                            \
	"SELECT host, proto, port, check_id, severity, title, detail, recommendation, citation,"   \
	" pid, process FROM findings WHERE run = ?1"

int store_findings(struct store *st, int64_t id,
                   int (*cb)(void *ctx, const struct store_finding_row *f), void *ctx)
{
	return store_each_row(st, FINDING_COLUMNS " ORDER BY id", id, store_finding_row,
	                      &(struct finding_each){cb, ctx});
}

int store_findings_by_severity(struct store *st, int64_t id,
                               int (*cb)(void *ctx, const struct store_finding_row *f), void *ctx)
{
	return store_each_row(st,
	                      FINDING_COLUMNS
	                      " ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1"
	                      " WHEN 'low' THEN 2 WHEN 'info' THEN 3 ELSE 4 END, id",
	                      id, store_finding_row, &(struct finding_each){cb, ctx});
}

struct endpoint_each {
	int (*cb)(void *ctx, const struct store_endpoint_row *e);
	void *ctx;
};

static int store_endpoint_row(struct db_stmt *s, void *arg)
{
	const struct endpoint_each *each = arg;
	int port = db_column_int(s, 2), proto = db_column_int(s, 1);
	struct store_endpoint_row e = {
	    .host = db_column_text(s, 0),
	    .proto = proto,
	    .port = (uint16_t)port,
	    .exposure = db_column_text(s, 3),
	    .reachable_on = db_column_text(s, 4),
	    .decided_by = db_column_text(s, 5),
	    .service = db_column_text(s, 6),
	    .product = db_column_text(s, 7),
	    .version = db_column_text(s, 8),
	    .port_default = db_column_text(s, 9),
	    .mismatch = db_column_int(s, 10) != 0,
	    .pid = col_pid(s, 11),
	    .process = db_column_text(s, 12),
	    .user = db_column_text(s, 13),
	};

	if (port < 0 || port > 65535 || !e.exposure ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return -EBADMSG;
	return each->cb(each->ctx, &e);
}

int store_endpoints(struct store *st, int64_t id,
                    int (*cb)(void *ctx, const struct store_endpoint_row *e), void *ctx)
{
	return store_each_row(
	    st,
	    "SELECT host, proto, port, exposure, reachable_on, decided_by, service,"
	    " product, version, port_default, mismatch, pid, process, \"user\""
	    " FROM endpoints WHERE run = ?1 ORDER BY id",
	    id, store_endpoint_row, &(struct endpoint_each){cb, ctx});
}
