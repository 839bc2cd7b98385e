/* History read-back: run lists, one run, the previous run, hosts rebuilt (see store.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "util/array.h"

#define RUN_COLUMNS                                                                                \
	"SELECT r.id, r.kind, r.version, r.args, r.targets, r.ports, r.proto, r.scan_type,"        \
	" r.start, coalesce(r.end, 0), r.status, r.pid, r.boot_id,"                                \
	" coalesce(r.hosts_total, (SELECT count(*) FROM hosts h WHERE h.run = r.id)),"             \
	" coalesce(r.hosts_up, (SELECT count(*) FROM hosts h WHERE h.run = r.id AND h.up)),"       \
	" (SELECT coalesce(sum(n_open), 0) FROM hosts h WHERE h.run = r.id)"                       \
	"  + (SELECT count(*) FROM ports p WHERE p.run = r.id AND p.state = 1 AND NOT EXISTS"      \
	"     (SELECT 1 FROM hosts h WHERE h.run = p.run AND h.addr = p.addr"                      \
	"      AND h.proto = p.proto)),"                                                           \
	" (SELECT count(*) FROM findings f WHERE f.run = r.id),"                                   \
	" coalesce(r.probes_sent, 0), r.hostname"                                                  \
	" FROM runs r"

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Fills r from a row of RUN_COLUMNS; strings point into the statement's row. */
static void store_run_from_row(const struct store *st, sqlite3_stmt *s, struct store_run *r)
{
	*r = (struct store_run){
	    .id = sqlite3_column_int64(s, 0),
	    .kind = col_text(s, 1),
	    .version = col_text(s, 2),
	    .args = col_text(s, 3),
	    .targets = col_text(s, 4),
	    .ports = col_text(s, 5),
	    .proto = sqlite3_column_int(s, 6),
	    .scan_type = col_text(s, 7),
	    .start = sqlite3_column_double(s, 8),
	    .end = sqlite3_column_double(s, 9),
	    .status = sqlite3_column_int(s, 10),
	    .hosts_total = (uint64_t)sqlite3_column_int64(s, 13),
	    .hosts_up = (uint64_t)sqlite3_column_int64(s, 14),
	    .open = (uint64_t)sqlite3_column_int64(s, 15),
	    .findings = (uint64_t)sqlite3_column_int64(s, 16),
	    .probes_sent = (uint64_t)sqlite3_column_int64(s, 17),
	    .hostname = col_text(s, 18),
	};
	if (r->status < STORE_RUN_RUNNING || r->status > STORE_RUN_INCOMPLETE)
		r->status = STORE_RUN_INCOMPLETE;
	if (r->status == STORE_RUN_RUNNING &&
	    !store_owner_alive(st, sqlite3_column_int64(s, 11), col_text(s, 12)))
		r->status = STORE_RUN_INCOMPLETE;
}

int store_runs(struct store *st, const struct store_query *q,
               int (*cb)(void *ctx, const struct store_run *r), void *ctx)
{
	static const char sql[] = RUN_COLUMNS
	    " LEFT JOIN runs l ON l.id = ?4"
	    " WHERE (?1 IS NULL OR r.kind = ?1)"
	    " AND (?4 IS NULL OR (r.kind = l.kind AND r.targets IS l.targets"
	    "      AND r.hostname IS l.hostname))"
	    " AND (?5 = 0 OR r.status = ?6)"
	    " AND (?2 IS NULL OR instr(' ' || coalesce(r.targets, '') || ' ', ' ' || ?2 || ' ') > 0"
	    "      OR EXISTS (SELECT 1 FROM hosts h WHERE h.run = r.id AND h.host = ?2)"
	    "      OR EXISTS (SELECT 1 FROM ports p WHERE p.run = r.id AND p.host = ?2))"
	    " ORDER BY r.id DESC LIMIT ?3";
	sqlite3_stmt *s;
	struct store_run run;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_note(st, rc);
	if (q && q->kind)
		sqlite3_bind_text(s, 1, q->kind, -1, SQLITE_STATIC);
	if (q && q->target)
		sqlite3_bind_text(s, 2, q->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, q && q->limit ? (int64_t)q->limit : -1);
	if (q && q->like > 0)
		sqlite3_bind_int64(s, 4, q->like);
	sqlite3_bind_int(s, 5, q && q->complete);
	sqlite3_bind_int(s, 6, STORE_RUN_COMPLETE);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_run_from_row(st, s, &run);
		r = cb(ctx, &run);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = store_note(st, rc);
	sqlite3_finalize(s);
	return r;
}

/* Copies the strings of r into st->strs, so they outlive the statement. */
static int store_run_keep(struct store *st, struct store_run *r)
{
	const char **f[] = {&r->kind,  &r->version,   &r->args,    &r->targets,
	                    &r->ports, &r->scan_type, &r->hostname};
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
	sqlite3_stmt *s;
	int rc, ret;

	rc = sqlite3_prepare_v2(st->db, RUN_COLUMNS " WHERE r.id = ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_note(st, rc);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_run_from_row(st, s, r);
		ret = store_run_keep(st, r);
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : store_note(st, rc);
	}
	sqlite3_finalize(s);
	return ret;
}

int store_run_previous(struct store *st, int64_t before, int64_t *id)
{
	static const char latest[] =
	    "SELECT id FROM runs WHERE status = ? ORDER BY id DESC LIMIT 1";
	static const char older[] =
	    "SELECT r.id FROM runs r, runs b WHERE b.id = ?2 AND r.id < b.id AND r.status = ?1"
	    " AND r.kind = b.kind AND r.targets IS b.targets ORDER BY r.id DESC LIMIT 1";
	sqlite3_stmt *s;
	int rc, ret;

	rc = sqlite3_prepare_v2(st->db, before ? older : latest, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_note(st, rc);
	sqlite3_bind_int(s, 1, STORE_RUN_COMPLETE);
	if (before)
		sqlite3_bind_int64(s, 2, before);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		ret = 0;
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : store_note(st, rc);
	}
	sqlite3_finalize(s);
	return ret;
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
static int store_host_fill(struct store *st, sqlite3_stmt *ps, int64_t id, const void *key,
                           int klen, struct scan_host *h, uint8_t *res, uint8_t fill)
{
	int rc;

	for (size_t i = 0; i < h->nports; i++)
		res[i] = fill;
	sqlite3_reset(ps);
	sqlite3_bind_int64(ps, 1, id);
	sqlite3_bind_blob(ps, 2, key, klen, SQLITE_TRANSIENT);
	sqlite3_bind_int(ps, 3, h->proto);
	while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
		int port = sqlite3_column_int(ps, 0), state = sqlite3_column_int(ps, 1);
		int reason = sqlite3_column_int(ps, 2);
		ssize_t i;

		if (port < 0 || port > 65535 || state < 0 || state >= SCAN_STATE_MAX ||
		    reason < 0 || reason >= SCAN_REASON_MAX)
			return -EBADMSG;
		i = store_port_index(
		    &(struct portlist){.ports = (uint16_t *)h->ports, .n = h->nports},
		    (uint16_t)port);
		if (i >= 0)
			res[i] = scan_res_pack((enum scan_state)state, (enum scan_reason)reason);
	}
	if (rc != SQLITE_DONE)
		return store_note(st, rc);
	memset(h->counts, 0, sizeof(h->counts));
	for (size_t i = 0; i < h->nports; i++)
		h->counts[scan_res_state(res[i])]++;
	h->counts[SCAN_PENDING] = 0;
	return 0;
}

int store_hosts(struct store *st, int64_t id, int (*cb)(void *ctx, const struct scan_host *h),
                void *ctx)
{
	static const char done_sql[] =
	    "SELECT addr, proto, up, timedout, extra_state, extra_reason, srtt_us, rttvar_us,"
	    " rto_us, start, end FROM hosts WHERE run = ? ORDER BY id";
	static const char partial_sql[] =
	    "SELECT DISTINCT addr, proto FROM ports p WHERE run = ?1 AND NOT EXISTS"
	    " (SELECT 1 FROM hosts h WHERE h.run = ?1 AND h.addr = p.addr AND h.proto = p.proto)"
	    " ORDER BY addr, proto";
	static const char ports_sql[] =
	    "SELECT port, state, reason FROM ports WHERE run = ? AND addr = ? AND proto = ?";
	sqlite3_stmt *hs = NULL, *ps = NULL;
	struct store_run run;
	struct portlist pl = {0};
	uint8_t *res = NULL;
	int rc, r;

	r = store_run_get(st, id, &run);
	if (!r)
		r = store_run_portlist(run.ports, run.proto, &pl);
	if (r < 0)
		return r;
	res = malloc(pl.n ? pl.n : 1);
	if (!res) {
		portlist_free(&pl);
		return -ENOMEM;
	}
	rc = sqlite3_prepare_v2(st->db, ports_sql, -1, &ps, NULL);
	for (int pass = 0; pass < 2 && rc == SQLITE_OK && !r; pass++) {
		rc = sqlite3_prepare_v2(st->db, pass ? partial_sql : done_sql, -1, &hs, NULL);
		if (rc != SQLITE_OK)
			break;
		sqlite3_bind_int64(hs, 1, id);
		while (!r && (rc = sqlite3_step(hs)) == SQLITE_ROW) {
			const void *key = sqlite3_column_blob(hs, 0);
			int klen = sqlite3_column_bytes(hs, 0);
			struct scan_host h = {
			    .proto = sqlite3_column_int(hs, 1),
			    .nports = pl.n,
			    .ports = pl.ports,
			    .res = res,
			    .up = true,
			};
			uint8_t fill = 0;

			if (store_addr_from_key(key, (size_t)klen, &h.addr) < 0) {
				r = -EBADMSG;
				break;
			}
			if (!pass) {
				int es = sqlite3_column_int(hs, 4), er = sqlite3_column_int(hs, 5);

				if (es < 0 || es >= SCAN_STATE_MAX || er < 0 ||
				    er >= SCAN_REASON_MAX) {
					r = -EBADMSG;
					break;
				}
				h.up = sqlite3_column_int(hs, 2);
				h.timedout = sqlite3_column_int(hs, 3);
				fill = scan_res_pack((enum scan_state)es, (enum scan_reason)er);
				h.srtt_us = (uint32_t)sqlite3_column_int64(hs, 6);
				h.rttvar_us = (uint32_t)sqlite3_column_int64(hs, 7);
				h.rto_us = (uint32_t)sqlite3_column_int64(hs, 8);
				h.start = sqlite3_column_double(hs, 9);
				h.end = sqlite3_column_double(hs, 10);
			} else {
				h.timedout = true; /* never finished: its ports are incomplete */
			}
			r = store_host_fill(st, ps, id, key, klen, &h, res, fill);
			if (!r)
				r = cb(ctx, &h);
		}
		if (!r && rc != SQLITE_DONE)
			r = store_note(st, rc);
		sqlite3_finalize(hs);
		hs = NULL;
		rc = SQLITE_OK;
	}
	if (!r && rc != SQLITE_OK && rc != SQLITE_DONE)
		r = store_note(st, rc);
	sqlite3_finalize(ps);
	free(res);
	portlist_free(&pl);
	return r;
}

int store_each_row(struct store *st, const char *sql, int64_t id,
                   int (*row)(sqlite3_stmt *s, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_note(st, rc);
	sqlite3_bind_int64(s, 1, id);
	while (!r && (rc = sqlite3_step(s)) == SQLITE_ROW)
		r = row(s, arg);
	if (!r && rc != SQLITE_DONE)
		r = store_note(st, rc);
	sqlite3_finalize(s);
	return r;
}

struct finding_each {
	int (*cb)(void *ctx, const struct store_finding_row *f);
	void *ctx;
};

/* A row of FINDING_COLUMNS to its callback. */
static int store_finding_row(sqlite3_stmt *s, void *arg)
{
	const struct finding_each *e = arg;
	int port = sqlite3_column_int(s, 2);
	int64_t pid = sqlite3_column_int64(s, 9);
	struct store_finding_row f = {
	    .host = col_text(s, 0),
	    .proto = sqlite3_column_int(s, 1),
	    .port = (uint16_t)port,
	    .check = col_text(s, 3),
	    .severity = col_text(s, 4),
	    .title = col_text(s, 5),
	    .detail = col_text(s, 6),
	    .recommendation = col_text(s, 7),
	    .citation = col_text(s, 8),
	    .pid = pid > 0 && pid <= INT32_MAX ? (int)pid : 0,
	    .process = col_text(s, 10),
	};

	if (port < 0 || port > 65535 || !f.check)
		return -EBADMSG;
	return e->cb(e->ctx, &f);
}

#define FINDING_COLUMNS                                                                            \
	"SELECT host, proto, port, check_id, severity, title, detail, recommendation, citation,"   \
	" pid, process FROM findings WHERE run = ?"

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

static int store_endpoint_row(sqlite3_stmt *s, void *arg)
{
	const struct endpoint_each *each = arg;
	int port = sqlite3_column_int(s, 2), proto = sqlite3_column_int(s, 1);
	int64_t pid = sqlite3_column_int64(s, 11);
	struct store_endpoint_row e = {
	    .host = col_text(s, 0),
	    .proto = proto,
	    .port = (uint16_t)port,
	    .exposure = col_text(s, 3),
	    .reachable_on = col_text(s, 4),
	    .decided_by = col_text(s, 5),
	    .service = col_text(s, 6),
	    .product = col_text(s, 7),
	    .version = col_text(s, 8),
	    .port_default = col_text(s, 9),
	    .mismatch = sqlite3_column_int(s, 10) != 0,
	    .pid = pid > 0 && pid <= INT32_MAX ? (int)pid : 0,
	    .process = col_text(s, 12),
	    .user = col_text(s, 13),
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
	    " product, version, port_default, mismatch, pid, process, user"
	    " FROM endpoints WHERE run = ? ORDER BY id",
	    id, store_endpoint_row, &(struct endpoint_each){cb, ctx});
}
