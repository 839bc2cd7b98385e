/* Differences between two stored runs (see diff.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/diff.h"
#include "store/store-private.h"

static const char *const store_change_names[] = {
    [STORE_CH_HOST_NEW] = "host-new",
    [STORE_CH_HOST_GONE] = "host-gone",
    [STORE_CH_HOST_UP] = "host-up",
    [STORE_CH_HOST_DOWN] = "host-down",
    [STORE_CH_PORT] = "port",
    [STORE_CH_SERVICE] = "service",
    [STORE_CH_FINDING_NEW] = "finding-new",
    [STORE_CH_FINDING_FIXED] = "finding-fixed",
};

const char *store_change_kind_name(int kind)
{
	if (kind < 0 || kind >= STORE_CH_KIND_MAX)
		return NULL;
	return store_change_names[kind];
}

struct diff_ctx {
	struct store *st;
	int64_t a, b;
	const char *host; /* only this host's changes; NULL: all */
	bool a_complete, b_complete;
	struct portlist pa, pb;
	int (*cb)(void *ctx, const struct store_change *c);
	void *ctx;
	int64_t n;
};

static int diff_emit(struct diff_ctx *d, const struct store_change *c)
{
	int r;

	if (d->host && (!c->host || strcmp(c->host, d->host) != 0))
		return 0;
	r = d->cb(d->ctx, c);
	if (r)
		return r > 0 ? -ECANCELED : r;
	d->n++;
	return 0;
}

static int diff_prepare(struct diff_ctx *d, const char *sql, struct db_stmt **s)
{
	int r = db_prepare(d->st, sql, s);

	if (r < 0)
		return r;
	db_bind_int64(*s, 1, d->a);
	db_bind_int64(*s, 2, d->b);
	return 0;
}

static int diff_hosts(struct diff_ctx *d)
{
	static const char sql[] =
	    "WITH k AS (SELECT addr, proto FROM hosts WHERE run = ?1"
	    "           UNION SELECT addr, proto FROM hosts WHERE run = ?2)"
	    " SELECT coalesce(a.host, b.host), k.proto,"
	    " CASE WHEN a.id IS NULL THEN 0 ELSE 1 END, CASE WHEN b.id IS NULL THEN 0 ELSE 1 END,"
	    " a.up, b.up FROM k"
	    " LEFT JOIN hosts a ON a.run = ?1 AND a.addr = k.addr AND a.proto = k.proto"
	    " LEFT JOIN hosts b ON b.run = ?2 AND b.addr = k.addr AND b.proto = k.proto"
	    " ORDER BY k.addr, k.proto";
	struct db_stmt *s = NULL;
	int rc = 0, r = diff_prepare(d, sql, &s);

	while (!r && (rc = db_step(s)) == DB_ROW) {
		bool in_a = db_column_int(s, 2), in_b = db_column_int(s, 3);
		bool up_a = db_column_int(s, 4), up_b = db_column_int(s, 5);
		struct store_change c = {.host = db_column_text(s, 0)};

		if (in_a && in_b && up_a == up_b)
			continue;
		if (in_a && in_b)
			c.kind = up_b ? STORE_CH_HOST_UP : STORE_CH_HOST_DOWN;
		else if (in_b && d->a_complete)
			c.kind = STORE_CH_HOST_NEW;
		else if (in_a && d->b_complete)
			c.kind = STORE_CH_HOST_GONE;
		else
			continue;
		r = diff_emit(d, &c);
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

/* "name product version" from three nullable columns into buf; NULL when all are. */
static const char *diff_service(struct db_stmt *s, int col, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < 3; i++) {
		const char *t = db_column_text(s, col + i);
		int n;

		if (!t || !*t)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", t);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return used ? buf : NULL;
}

/* The three columns name, product, version from col on ("" is NULL). */
static struct store_change_service diff_service_fields(struct db_stmt *s, int col)
{
	const char *t[3];

	for (int i = 0; i < 3; i++) {
		t[i] = db_column_text(s, col + i);
		if (t[i] && !*t[i])
			t[i] = NULL;
	}
	return (struct store_change_service){.name = t[0], .product = t[1], .version = t[2]};
}

/* The state a run knows for a port: its row, else the host's hidden state if scanned. */
static int diff_state(struct db_stmt *s, int row_col, int extra_col, const struct portlist *pl,
                      uint16_t port)
{
	int st;

	if (!db_column_null(s, row_col))
		st = db_column_int(s, row_col);
	else if (portlist_contains(pl, port))
		st = db_column_int(s, extra_col);
	else
		st = SCAN_PENDING;
	return st > SCAN_PENDING && st < SCAN_STATE_MAX ? st : st == SCAN_PENDING ? 0 : -1;
}

static int diff_ports(struct diff_ctx *d)
{
	static const char sql[] =
	    "WITH k AS (SELECT addr, proto, port FROM ports WHERE run = ?1"
	    "           UNION SELECT addr, proto, port FROM ports WHERE run = ?2)"
	    " SELECT ha.host, k.proto, k.port, pa.state, pb.state, ha.extra_state, hb.extra_state,"
	    " pa.service, pa.product, pa.version, pb.service, pb.product, pb.version FROM k"
	    " JOIN hosts ha ON ha.run = ?1 AND ha.addr = k.addr AND ha.proto = k.proto"
	    " JOIN hosts hb ON hb.run = ?2 AND hb.addr = k.addr AND hb.proto = k.proto"
	    " LEFT JOIN ports pa ON pa.run = ?1 AND pa.addr = k.addr AND pa.proto = k.proto"
	    "  AND pa.port = k.port"
	    " LEFT JOIN ports pb ON pb.run = ?2 AND pb.addr = k.addr AND pb.proto = k.proto"
	    "  AND pb.port = k.port"
	    " ORDER BY k.addr, k.proto, k.port";
	struct db_stmt *s = NULL;
	int rc = 0, r = diff_prepare(d, sql, &s);

	while (!r && (rc = db_step(s)) == DB_ROW) {
		int port = db_column_int(s, 2), sa, sb;
		char bufa[256], bufb[256];
		struct store_change c;

		if (port < 0 || port > 65535) {
			r = -EBADMSG;
			break;
		}
		sa = diff_state(s, 3, 5, &d->pa, (uint16_t)port);
		sb = diff_state(s, 4, 6, &d->pb, (uint16_t)port);
		if (sa < 0 || sb < 0) {
			r = -EBADMSG;
			break;
		}
		if (!sa || !sb)
			continue; /* one run does not know this port */
		c = (struct store_change){
		    .kind = STORE_CH_PORT,
		    .host = db_column_text(s, 0),
		    .proto = db_column_int(s, 1),
		    .port = (uint16_t)port,
		    .old_state = (enum scan_state)sa,
		    .new_state = (enum scan_state)sb,
		    .old_service = diff_service(s, 7, bufa, sizeof(bufa)),
		    .new_service = diff_service(s, 10, bufb, sizeof(bufb)),
		    .old_svc = diff_service_fields(s, 7),
		    .new_svc = diff_service_fields(s, 10),
		};
		if (sa == sb) {
			if ((!c.old_service && !c.new_service) ||
			    (c.old_service && c.new_service &&
			     strcmp(c.old_service, c.new_service) == 0))
				continue;
			c.kind = STORE_CH_SERVICE;
		}
		r = diff_emit(d, &c);
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

/* Findings of run ?2 with no match in run ?1 (swap a and b for fixed ones). */
static int diff_findings(struct diff_ctx *d, bool fixed)
{
	static const char sql[] =
	    "SELECT f.host, f.proto, f.port, f.check_id, f.severity, f.title FROM findings f"
	    " WHERE f.run = ?2 AND NOT EXISTS (SELECT 1 FROM findings o WHERE o.run = ?1"
	    "  AND o.host IS NOT DISTINCT FROM f.host" /* the same as addr, indexed with run */
	    "  AND o.check_id = f.check_id AND o.addr IS NOT DISTINCT FROM f.addr"
	    "  AND o.proto = f.proto AND o.port = f.port)"
	    " ORDER BY f.addr, f.proto, f.port, f.check_id, f.id";
	struct db_stmt *s = NULL;
	int rc = 0, r = diff_prepare(d, sql, &s);

	if (!r && fixed) {
		db_bind_int64(s, 1, d->b);
		db_bind_int64(s, 2, d->a);
	}
	while (!r && (rc = db_step(s)) == DB_ROW) {
		int port = db_column_int(s, 2);
		struct store_change c = {
		    .kind = fixed ? STORE_CH_FINDING_FIXED : STORE_CH_FINDING_NEW,
		    .host = db_column_text(s, 0),
		    .proto = db_column_int(s, 1),
		    .port = (uint16_t)(port >= 0 && port <= 65535 ? port : 0),
		    .check = db_column_text(s, 3),
		    .severity = db_column_text(s, 4),
		    .title = db_column_text(s, 5),
		};

		r = diff_emit(d, &c);
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	return r;
}

int64_t store_diff(struct store *st, int64_t a, int64_t b,
                   int (*cb)(void *ctx, const struct store_change *c), void *ctx)
{
	return store_diff_host(st, a, b, NULL, cb, ctx);
}

int64_t store_diff_host(struct store *st, int64_t a, int64_t b, const char *host,
                        int (*cb)(void *ctx, const struct store_change *c), void *ctx)
{
	struct diff_ctx d = {.st = st, .a = a, .b = b, .host = host, .cb = cb, .ctx = ctx};
	struct store_run run;
	int r;

	r = store_run_get(st, a, &run);
	if (!r) {
		d.a_complete = run.status == STORE_RUN_COMPLETE;
		r = store_run_portlist(run.ports, run.proto, &d.pa);
	}
	if (!r)
		r = store_run_get(st, b, &run);
	if (!r) {
		d.b_complete = run.status == STORE_RUN_COMPLETE;
		r = store_run_portlist(run.ports, run.proto, &d.pb);
	}
	if (!r)
		r = diff_hosts(&d);
	if (!r)
		r = diff_ports(&d);
	if (!r)
		r = diff_findings(&d, false);
	if (!r)
		r = diff_findings(&d, true);
	portlist_free(&d.pa);
	portlist_free(&d.pb);
	return r < 0 ? r : d.n;
}
