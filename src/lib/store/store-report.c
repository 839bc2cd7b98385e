/* History read-back for reports and metrics: counts, endpoint changes, the fleet (see store.h). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "store/store-private.h"
#include "util/array.h"

static const char *const store_severity_names[STORE_SEVERITIES] = {"info", "low", "medium", "high"};

int store_severity_index(const char *name)
{
	for (int i = 0; name && i < STORE_SEVERITIES; i++)
		if (strcmp(name, store_severity_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Endpoints: how many, and how many reachable, loopback-only, blocked (the
 * dialect sums CASEs, not truth values).
 */
#define EXPOSURE_COUNTS                                                                            \
	"count(*),"                                                                                \
	" coalesce(sum(CASE WHEN exposure = 'reachable' THEN 1 ELSE 0 END), 0),"                   \
	" coalesce(sum(CASE WHEN exposure = 'loopback-only' THEN 1 ELSE 0 END), 0),"               \
	" coalesce(sum(CASE WHEN exposure = 'blocked' THEN 1 ELSE 0 END), 0)"

/* Steps a bound statement and adds each row's (severity, count) to f and *other. */
static int store_add_severities(struct db_stmt *s, uint64_t f[STORE_SEVERITIES], uint64_t *other)
{
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		int i = store_severity_index(db_column_text(s, 0));
		int64_t n = db_column_int64(s, 1);

		if (n < 0)
			n = 0;
		if (i >= 0)
			f[i] += (uint64_t)n;
		else if (other)
			*other += (uint64_t)n;
	}
	return rc;
}

/* Adds a row of store_run_counts()'s statement q to c. */
static void store_count_row(struct db_stmt *s, int q, struct store_counts *c)
{
	uint64_t v = (uint64_t)db_column_int64(s, 1);

	if (q == 0) {
		c->endpoints = (uint64_t)db_column_int64(s, 0);
		c->reachable = v;
		c->loopback = (uint64_t)db_column_int64(s, 2);
		c->blocked = (uint64_t)db_column_int64(s, 3);
	} else if (q == 2) {
		c->hosts_up = (uint64_t)db_column_int64(s, 0);
	} else if (db_column_int(s, 0) == IPPROTO_UDP) {
		c->open_udp += v;
	} else {
		c->open_tcp += v;
	}
}

int store_run_counts(struct store *st, int64_t id, struct store_counts *c)
{
	static const char eps_sql[] = "SELECT " EXPOSURE_COUNTS " FROM endpoints WHERE run = ?1";
	/* Open ports: the hosts' counts, and the rows of hosts never finished. */
	static const char open_sql[] =
	    "SELECT proto, sum(n) FROM ("
	    " SELECT proto, coalesce(sum(n_open), 0) AS n FROM hosts WHERE run = ?1 GROUP BY proto"
	    " UNION ALL SELECT p.proto, count(*) FROM ports p WHERE p.run = ?1 AND p.state = 1"
	    "  AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.run = p.run AND h.addr = p.addr"
	    "  AND h.proto = p.proto) GROUP BY p.proto) AS o"
	    " GROUP BY proto";
	static const char up_sql[] =
	    "SELECT count(DISTINCT addr) FROM hosts WHERE run = ?1 AND up <> 0";
	static const char sev_sql[] =
	    "SELECT severity, count(*) FROM findings WHERE run = ?1 GROUP BY severity";
	const char *const sqls[] = {eps_sql, open_sql, up_sql, sev_sql};
	int r = 0;

	memset(c, 0, sizeof(*c));
	for (size_t q = 0; q < ARRAY_SIZE(sqls) && !r; q++) {
		struct db_stmt *s;
		int rc;

		r = db_prepare(st, sqls[q], &s);
		if (r < 0)
			return r;
		db_bind_int64(s, 1, id);
		if (sqls[q] == sev_sql) {
			r = store_add_severities(s, c->findings, &c->findings_other);
		} else {
			while ((rc = db_step(s)) == DB_ROW)
				store_count_row(s, (int)q, c);
			r = rc;
		}
		db_finalize(s);
	}
	return r;
}

int64_t store_endpoint_diff(struct store *st, int64_t a, int64_t b,
                            int (*cb)(void *ctx, const struct store_endpoint_change *c), void *ctx)
{
	/* ?1 the run the endpoint is in, ?2 the run it is missing from. */
	static const char gone_sql[] =
	    "SELECT e.host, e.proto, e.port, e.exposure, e.service FROM endpoints e"
	    " WHERE e.run = ?1 AND NOT EXISTS (SELECT 1 FROM endpoints o WHERE o.run = ?2"
	    " AND o.host IS NOT DISTINCT FROM e.host AND o.proto = e.proto AND o.port = e.port)"
	    " ORDER BY e.host, e.port, e.proto, e.id";
	/* One row per socket: two sockets on one address and port (SO_REUSEPORT) are one. */
	static const char changed_sql[] =
	    "SELECT e.host, e.proto, e.port, min(o.exposure), min(e.exposure), min(e.service)"
	    " FROM endpoints e JOIN endpoints o ON o.run = ?2"
	    " AND o.host IS NOT DISTINCT FROM e.host AND o.proto = e.proto AND o.port = e.port"
	    " WHERE e.run = ?1 AND o.exposure IS DISTINCT FROM e.exposure"
	    " GROUP BY e.host, e.proto, e.port ORDER BY e.host, e.port, e.proto";
	int64_t n = 0;
	int r = 0;

	for (int pass = 0; pass < 3 && !r; pass++) {
		struct db_stmt *s;
		int rc;

		r = db_prepare(st, pass < 2 ? gone_sql : changed_sql, &s);
		if (r < 0)
			return r;
		db_bind_int64(s, 1, pass == 1 ? a : b);
		db_bind_int64(s, 2, pass == 1 ? b : a);
		while ((rc = db_step(s)) == DB_ROW) {
			int port = db_column_int(s, 2);
			struct store_endpoint_change c = {
			    .kind = pass == 0   ? STORE_EP_OPENED
			            : pass == 1 ? STORE_EP_CLOSED
			                        : STORE_EP_EXPOSURE,
			    .host = db_column_text(s, 0),
			    .proto = db_column_int(s, 1),
			    .port = (uint16_t)port,
			};

			if (port < 0 || port > 65535) {
				r = -EBADMSG;
				break;
			}
			if (pass < 2) {
				const char *exp = db_column_text(s, 3);

				c.old_exposure = pass == 1 ? exp : NULL;
				c.new_exposure = pass == 0 ? exp : NULL;
				c.service = db_column_text(s, 4);
			} else {
				c.old_exposure = db_column_text(s, 3);
				c.new_exposure = db_column_text(s, 4);
				c.service = db_column_text(s, 5);
			}
			r = cb(ctx, &c);
			if (r)
				break;
			n++;
		}
		if (!r && rc < 0)
			r = rc;
		db_finalize(s);
	}
	return r ? r : n;
}

/* The statements of store_fleet(): the host lists and the per-host counts. */
enum fleet_stmt {
	FLEET_LOCAL,       /* the machines' own audits: name, newest run, runs */
	FLEET_REMOTE,      /* remote targets: address, newest run, runs */
	FLEET_LOCAL_EPS,   /* endpoints of a run: count, reachable, loopback-only, blocked */
	FLEET_REMOTE_EPS,  /* endpoints of a run on a host */
	FLEET_LOCAL_SEV,   /* findings of a run by severity */
	FLEET_REMOTE_SEV,  /* findings of a run on a host by severity */
	FLEET_REMOTE_HOST, /* the host's open count and state in a run */
	FLEET_STMTS,
};

static const char *const fleet_sql[FLEET_STMTS] = {
    [FLEET_LOCAL] = "SELECT k, run, n, (SELECT start FROM runs WHERE id = run), nullif(k, '') FROM"
                    " (SELECT coalesce(hostname, '') AS k, max(id) AS run, count(*) AS n"
                    "  FROM runs WHERE kind = ?1 AND status = ?2 AND targets IS NULL"
                    "  GROUP BY hostname) AS m ORDER BY k",
    [FLEET_REMOTE] = "SELECT host, run, n, (SELECT start FROM runs WHERE id = run),"
                     " (SELECT hostname FROM runs WHERE id = run) FROM"
                     " (SELECT h.host AS host, max(h.run) AS run, count(DISTINCT h.run) AS n,"
                     "  min(h.addr) AS a FROM hosts h JOIN runs r ON r.id = h.run"
                     "  WHERE r.kind = ?1 AND r.status = ?2 AND r.targets IS NOT NULL"
                     "  GROUP BY h.host) AS m ORDER BY a",
    [FLEET_LOCAL_EPS] = "SELECT " EXPOSURE_COUNTS " FROM endpoints WHERE run = ?1",
    [FLEET_REMOTE_EPS] = "SELECT " EXPOSURE_COUNTS " FROM endpoints WHERE run = ?1 AND host = ?2",
    [FLEET_LOCAL_SEV] = "SELECT severity, count(*) FROM findings WHERE run = ?1"
                        " GROUP BY severity",
    [FLEET_REMOTE_SEV] = "SELECT severity, count(*) FROM findings WHERE run = ?1 AND host = ?2"
                         " GROUP BY severity",
    [FLEET_REMOTE_HOST] = "SELECT coalesce(sum(n_open), 0), max(up) FROM hosts"
                          " WHERE host = ?2 AND run = ?1",
};

/* Binds run and, for a host's statement, host to s from its start. */
static void fleet_bind(struct db_stmt *s, int64_t run, const char *host)
{
	db_reset(s);
	db_bind_int64(s, 1, run);
	if (host)
		db_bind_text(s, 2, host);
}

/* Runs statement s for (run, host) and returns its first row's n integers (0 when none). */
static int fleet_ints(struct db_stmt *s, int64_t run, const char *host, uint64_t *v, int n)
{
	int rc;

	fleet_bind(s, run, host);
	rc = db_step(s);
	for (int i = 0; i < n; i++) {
		int64_t x = rc == DB_ROW ? db_column_int64(s, i) : 0;

		v[i] = x > 0 ? (uint64_t)x : 0;
	}
	return rc == DB_ROW ? 0 : rc;
}

/* Fills the counts of h (h->host, h->run, h->local set) with the per-host statements. */
static int fleet_counts(struct db_stmt **s, struct store_fleet_host *h)
{
	const char *host = h->local ? NULL : h->host;
	struct db_stmt *sev = s[h->local ? FLEET_LOCAL_SEV : FLEET_REMOTE_SEV];
	uint64_t eps[4], st[2] = {0, 1};
	int r;

	r = fleet_ints(s[h->local ? FLEET_LOCAL_EPS : FLEET_REMOTE_EPS], h->run, host, eps, 4);
	if (!r && !h->local)
		r = fleet_ints(s[FLEET_REMOTE_HOST], h->run, host, st, 2);
	if (r)
		return r;
	h->endpoints = eps[0];
	h->reachable = eps[1];
	h->loopback = eps[2];
	h->blocked = eps[3];
	/* own audits: every listening socket; remote: the scan's open ports */
	h->open = h->local ? eps[0] : st[0];
	h->up = st[1] > 0;
	fleet_bind(sev, h->run, host);
	return store_add_severities(sev, h->findings, NULL);
}

/* Calls cb for each host of list (the local or the remote hosts' statement). */
static int fleet_walk(struct db_stmt **s, struct db_stmt *list, bool local,
                      int (*cb)(void *ctx, const struct store_fleet_host *h), void *ctx)
{
	int rc, r = 0;

	while ((rc = db_step(list)) == DB_ROW) {
		int64_t runs = db_column_int64(list, 2);
		struct store_fleet_host h = {
		    .host = db_column_text(list, 0),
		    .local = local,
		    .run = db_column_int64(list, 1),
		    .runs = runs > 0 ? (uint64_t)runs : 0,
		    .start = db_column_double(list, 3),
		    .scanner = db_column_text(list, 4),
		};

		if (!h.host)
			return -EBADMSG;
		r = fleet_counts(s, &h);
		if (!r)
			r = cb(ctx, &h);
		if (r)
			return r;
	}
	return rc;
}

int store_fleet(struct store *st, const char *kind,
                int (*cb)(void *ctx, const struct store_fleet_host *h), void *ctx)
{
	struct db_stmt *s[FLEET_STMTS] = {0};
	int r = 0;

	for (int i = 0; i < FLEET_STMTS && !r; i++)
		r = db_prepare(st, fleet_sql[i], &s[i]);
	for (int pass = 0; pass < 2 && !r; pass++) {
		struct db_stmt *list = s[pass ? FLEET_REMOTE : FLEET_LOCAL];

		db_bind_text(list, 1, kind);
		db_bind_int64(list, 2, STORE_RUN_COMPLETE);
		r = fleet_walk(s, list, pass == 0, cb, ctx);
	}
	for (int i = 0; i < FLEET_STMTS; i++)
		db_finalize(s[i]);
	return r;
}

int store_fleet_count(struct store *st, const char *kind, uint64_t limit, uint64_t *n)
{
	static const char sql[] =
	    "SELECT (SELECT count(DISTINCT coalesce(hostname, '')) FROM runs"
	    "        WHERE kind = ?1 AND status = ?2 AND targets IS NULL)"
	    " + (SELECT count(*) FROM (SELECT DISTINCT h.host FROM hosts h JOIN runs r"
	    "    ON r.id = h.run WHERE r.kind = ?1 AND r.status = ?2 AND r.targets IS NOT NULL"
	    "    LIMIT ?3) AS m)";
	struct db_stmt *s;
	int rc, r;

	*n = 0;
	r = db_prepare(st, sql, &s);
	if (r < 0)
		return r;
	db_bind_text(s, 1, kind);
	db_bind_int64(s, 2, STORE_RUN_COMPLETE);
	db_bind_int64(s, 3, limit ? (int64_t)limit : DB_NO_LIMIT);
	rc = db_step(s);
	if (rc == DB_ROW)
		*n = (uint64_t)db_column_int64(s, 0);
	db_finalize(s);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? -EBADMSG : rc;
}

struct port_each {
	int (*cb)(void *ctx, const struct store_port_row *p);
	void *ctx;
};

static int store_port_row(struct db_stmt *s, void *arg)
{
	const struct port_each *each = arg;
	int port = db_column_int(s, 2), state = db_column_int(s, 3);
	int reason = db_column_int(s, 4);
	struct store_port_row p = {
	    .host = db_column_text(s, 0),
	    .proto = db_column_int(s, 1),
	    .port = (uint16_t)port,
	    .state = (enum scan_state)state,
	    .reason = (enum scan_reason)reason,
	    .service = db_column_text(s, 5),
	    .product = db_column_text(s, 6),
	    .version = db_column_text(s, 7),
	};

	if (!p.host || port < 0 || port > 65535 || state < 0 || state >= SCAN_STATE_MAX ||
	    reason < 0 || reason >= SCAN_REASON_MAX)
		return -EBADMSG;
	return each->cb(each->ctx, &p);
}

int store_ports(struct store *st, int64_t id, int (*cb)(void *ctx, const struct store_port_row *p),
                void *ctx)
{
	return store_each_row(st,
	                      "SELECT host, proto, port, state, reason, service, product, version"
	                      " FROM ports WHERE run = ?1 ORDER BY addr, proto, port",
	                      id, store_port_row, &(struct port_each){cb, ctx});
}
