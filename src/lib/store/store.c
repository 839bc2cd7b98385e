/* History: open (any backend), batched writes, runs, hosts (see store.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "platform/platform.h"
#include "store/store-private.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/why.h"

static const char *const store_status_names[] = {
    [STORE_RUN_RUNNING] = "running",
    [STORE_RUN_COMPLETE] = "complete",
    [STORE_RUN_INCOMPLETE] = "incomplete",
    [STORE_RUN_INTERRUPTED] = "interrupted",
};

const char *store_status_name(int status)
{
	if (status < 0 || status > STORE_RUN_INTERRUPTED)
		return NULL;
	return store_status_names[status];
}

int store_fail(struct store *st, char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	why_vset(why, whylen, fmt, ap);
	va_end(ap);
	(void)st;
	return err;
}

void store_set_err(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

const char *store_errmsg(const struct store *st)
{
	if (!st || !st->conn)
		return st && st->err[0] ? st->err : "no database";
	if (st->err[0])
		return st->err;
	return st->be->errmsg(st);
}

int store_default_path(char *buf, size_t len)
{
	return platform->history_path(buf, len);
}

void store_read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

bool store_local_owner_alive(const struct store *st, int64_t pid, const char *boot_id)
{
	if (!boot_id || strcmp(boot_id, st->boot_id) != 0 || pid <= 0 || pid > INT_MAX)
		return false;
	if (pid == (int64_t)getpid())
		return true;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * Marks running runs whose process is gone as incomplete. The dead runs are
 * read first, and marked in a write transaction of their own: an UPDATE run
 * while the SELECT still holds a read transaction cannot wait for another
 * writer (SQLite returns SQLITE_BUSY at once, past the busy timeout), while
 * a write transaction waits for the lock like any write.
 */
static int store_reap(struct store *st)
{
	struct db_stmt *s, *u = NULL;
	int64_t *dead = NULL;
	size_t n = 0, cap = 0;
	int rc, r;

	r = db_prepare(st, "SELECT id, pid, boot_id, hostname FROM runs WHERE status = ?1", &s);
	if (r < 0)
		return r;
	db_bind_int64(s, 1, STORE_RUN_RUNNING);
	while ((rc = db_step(s)) == DB_ROW) {
		if (st->be->run_alive(st, db_column_int64(s, 0), db_column_int64(s, 1),
		                      db_column_text(s, 2), db_column_text(s, 3)))
			continue;
		if (GREEDY_REALLOC(dead, cap, n + 1) < 0) {
			r = -ENOMEM;
			break;
		}
		dead[n++] = db_column_int64(s, 0);
	}
	if (!r && rc < 0)
		r = rc;
	db_finalize(s);
	if (!r && n)
		r = db_begin(st, DB_TX_WRITE);
	if (!r && n) {
		r = db_prepare(st, "UPDATE runs SET status = ?1 WHERE id = ?2 AND status = ?3", &u);
		for (size_t i = 0; !r && i < n; i++) {
			db_bind_int64(u, 1, STORE_RUN_INCOMPLETE);
			db_bind_int64(u, 2, dead[i]);
			db_bind_int64(u, 3, STORE_RUN_RUNNING);
			r = db_step_done(u);
		}
		db_finalize(u);
		if (!r)
			r = db_commit(st);
		if (r)
			db_rollback(st);
	}
	free(dead);
	return r;
}

const char *store_path(const struct store *st)
{
	return st && st->path ? st->path : "";
}

int store_open(const char *where, int flags, struct store **out, char *why, size_t whylen)
{
	struct store *st;
	int r;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->be = store_backend_for(where);
	st->path = strdup(where);
	if (!st->path) {
		free(st);
		return -ENOMEM;
	}
	st->readonly = flags & STORE_READONLY;
	store_read_boot_id(st->boot_id, sizeof(st->boot_id));
	if (gethostname(st->hostname, sizeof(st->hostname) - 1) < 0)
		st->hostname[0] = '\0';
	r = (st->be->open)(st, where, flags, why, whylen); /* not the shim's open() */
	if (r == 0 && !st->readonly) {
		r = store_reap(st);
		if (r < 0)
			r = store_fail(st, why, whylen, r, "cannot set up '%s': %s", where,
			               store_errmsg(st));
	}
	if (r < 0) {
		store_close(st);
		return r;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->conn) {
		store_flush(st);
		for (size_t i = 0; i < STORE_STMT_COUNT; i++)
			db_finalize(st->stmts[i]);
		(st->be->close)(st); /* not the shim's close() */
	}
	free(st->strs);
	free(st->path);
	free(st);
}

int store_flush(struct store *st)
{
	int r;

	if (!st || !st->in_tx)
		return 0;
	r = db_commit(st);
	if (r < 0) {
		db_rollback(st);
		if (!st->error)
			st->error = r;
	}
	st->in_tx = false;
	st->rows = 0;
	return r;
}

int store_tick(struct store *st)
{
	if (st && st->in_tx && clock_mono_ms() - st->tx_start_ms >= STORE_BATCH_MS)
		return store_flush(st);
	return 0;
}

int store_batch_begin(struct store *st)
{
	int r;

	if (st->readonly)
		return -EACCES;
	if (st->in_tx)
		return 0;
	r = db_begin(st, DB_TX_WRITE);
	if (r < 0)
		return r;
	st->in_tx = true;
	st->rows = 0;
	st->tx_start_ms = clock_mono_ms();
	return 0;
}

/* Counts a written row; commits when the batch is full or old. */
static int store_batch_row(struct store *st)
{
	if (++st->rows >= STORE_BATCH_ROWS)
		return store_flush(st);
	return store_tick(st);
}

struct db_stmt *store_stmt(struct store *st, enum store_stmt_id i, const char *sql)
{
	if (!st->stmts[i] && db_prepare_persistent(st, sql, &st->stmts[i]) < 0)
		return NULL;
	db_reset(st->stmts[i]);
	db_clear_bindings(st->stmts[i]);
	return st->stmts[i];
}

/* The failure of store_stmt(): its message is noted. */
static int store_stmt_failed(struct store *st)
{
	return st->err[0] ? -EIO : -ENOMEM;
}

size_t store_addr_key(const struct target_addr *a, uint8_t key[17])
{
	if (a->family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &a->v4, 4);
		return 5;
	}
	key[0] = 6;
	memcpy(key + 1, &a->v6, 16);
	return 17;
}

int store_addr_from_key(const void *key, size_t len, struct target_addr *a)
{
	const uint8_t *k = key;

	memset(a, 0, sizeof(*a));
	if (len == 5 && k[0] == 4) {
		a->family = AF_INET;
		memcpy(&a->v4, k + 1, 4);
		return 0;
	}
	if (len == 17 && k[0] == 6) {
		a->family = AF_INET6;
		memcpy(&a->v6, k + 1, 16);
		return 0;
	}
	return -EBADMSG;
}

int store_run_begin(struct store *st, const struct store_run_info *ri, int64_t *id)
{
	struct db_stmt *s;
	int r;

	r = store_flush(st);
	if (!r)
		r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_RUN_BEGIN,
	               "INSERT INTO runs (kind, version, args, targets, ports, proto, scan_type,"
	               " start, status, pid, boot_id, hostname, shard_index, shard_count, seed,"
	               " argv) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"
	               " RETURNING id");
	if (!s)
		return store_stmt_failed(st);
	db_bind_text(s, 1, ri->kind ? ri->kind : "scan");
	db_bind_text(s, 2, ri->version);
	db_bind_text(s, 3, ri->args);
	db_bind_text(s, 4, ri->targets);
	db_bind_text(s, 5, ri->ports);
	db_bind_int64(s, 6, ri->proto);
	db_bind_text(s, 7, ri->scan_type);
	db_bind_double(s, 8, ri->start);
	db_bind_int64(s, 9, STORE_RUN_RUNNING);
	db_bind_int64(s, 10, (int64_t)getpid());
	db_bind_text(s, 11, st->boot_id);
	db_bind_text(s, 12, ri->hostname ? ri->hostname : st->hostname);
	if (ri->shard_count) {
		db_bind_int64(s, 13, ri->shard_index);
		db_bind_int64(s, 14, ri->shard_count);
	} else {
		db_bind_null(s, 13);
		db_bind_null(s, 14);
	}
	db_bind_int64(s, 15, (int64_t)ri->seed);
	db_bind_text(s, 16, ri->argv);
	r = db_step(s);
	if (r == DB_ROW) {
		*id = db_column_int64(s, 0);
		r = db_step(s);
	}
	db_reset(s);
	/* Ours before it is committed: no reader may take it for a dead one. */
	if (r == 0)
		r = st->be->own_run(st, *id, true);
	if (r < 0) {
		db_rollback(st);
		st->in_tx = false;
		return r;
	}
	/* Committed at once: the run is listed even if the process dies now. */
	return store_flush(st);
}

int store_port(struct store *st, int64_t id, const struct store_port *p)
{
	uint8_t key[17];
	char host[INET6_ADDRSTRLEN];
	struct db_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	s = store_stmt(st, STMT_PORT,
	               "INSERT INTO ports (run, addr, host, proto, port, state, reason, rtt_us,"
	               " service, product, version, extrainfo, svc_hostname, ostype, devicetype,"
	               " cpe, tunnel, conf) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
	               "?14,?15,?16,?17,?18)"
	               " ON CONFLICT (run, addr, proto, port) DO UPDATE SET host = excluded.host,"
	               " state = excluded.state, reason = excluded.reason,"
	               " rtt_us = excluded.rtt_us, service = excluded.service,"
	               " product = excluded.product, version = excluded.version,"
	               " extrainfo = excluded.extrainfo, svc_hostname = excluded.svc_hostname,"
	               " ostype = excluded.ostype, devicetype = excluded.devicetype,"
	               " cpe = excluded.cpe, tunnel = excluded.tunnel, conf = excluded.conf");
	if (!s)
		return store_stmt_failed(st);
	db_bind_int64(s, 1, id);
	db_bind_blob(s, 2, key, store_addr_key(p->addr, key));
	db_bind_text(s, 3, target_addr_str(p->addr, host, sizeof(host)));
	db_bind_int64(s, 4, p->proto);
	db_bind_int64(s, 5, p->port);
	db_bind_int64(s, 6, (int)p->state);
	db_bind_int64(s, 7, (int)p->reason);
	db_bind_int64(s, 8, p->rtt_us);
	db_bind_text(s, 9, p->service);
	db_bind_text(s, 10, p->product);
	db_bind_text(s, 11, p->version);
	db_bind_text(s, 12, p->extrainfo);
	db_bind_text(s, 13, p->hostname);
	db_bind_text(s, 14, p->ostype);
	db_bind_text(s, 15, p->devicetype);
	db_bind_text(s, 16, p->cpe);
	db_bind_text(s, 17, p->tunnel);
	if (p->probed)
		db_bind_int64(s, 18, p->conf);
	else
		db_bind_null(s, 18);
	r = db_step_done(s);
	return r < 0 ? r : store_batch_row(st);
}

/* The most common reason among h's ports in state hidden. */
static enum scan_reason store_common_reason(const struct scan_host *h, enum scan_state hidden)
{
	uint64_t n[SCAN_REASON_MAX] = {0}, most = 0;
	enum scan_reason best = SCAN_REASON_NONE;

	for (size_t i = 0; i < h->nports; i++)
		if (scan_res_state(h->res[i]) == hidden &&
		    scan_res_reason(h->res[i]) < SCAN_REASON_MAX)
			n[scan_res_reason(h->res[i])]++;
	for (int r = 0; r < SCAN_REASON_MAX; r++)
		if (n[r] > most) {
			most = n[r];
			best = (enum scan_reason)r;
		}
	return best;
}

/* The host row of h, hidden being its "not shown" state with reason hreason. */
static int store_host_row(struct store *st, int64_t id, const struct scan_host *h,
                          const uint8_t *key, size_t klen, const char *host, enum scan_state hidden,
                          enum scan_reason hreason)
{
	struct db_stmt *s;

	s = store_stmt(
	    st, STMT_HOST,
	    "INSERT INTO hosts (run, addr, host, proto, up, timedout, extra_state,"
	    " extra_reason, srtt_us, rttvar_us, rto_us, start, \"end\", n_open,"
	    " n_closed, n_filtered, n_unfiltered, n_open_filtered, n_closed_filtered,"
	    " reason, reason_ttl, mac, hostname)"
	    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,"
	    "?20,?21,?22,?23)"
	    " ON CONFLICT (run, addr, proto) DO UPDATE SET host = excluded.host,"
	    " up = excluded.up, timedout = excluded.timedout,"
	    " extra_state = excluded.extra_state, extra_reason = excluded.extra_reason,"
	    " srtt_us = excluded.srtt_us, rttvar_us = excluded.rttvar_us,"
	    " rto_us = excluded.rto_us, start = excluded.start, \"end\" = excluded.\"end\","
	    " n_open = excluded.n_open, n_closed = excluded.n_closed,"
	    " n_filtered = excluded.n_filtered, n_unfiltered = excluded.n_unfiltered,"
	    " n_open_filtered = excluded.n_open_filtered,"
	    " n_closed_filtered = excluded.n_closed_filtered, reason = excluded.reason,"
	    " reason_ttl = excluded.reason_ttl, mac = excluded.mac, hostname = excluded.hostname");
	if (!s)
		return store_stmt_failed(st);
	db_bind_int64(s, 1, id);
	db_bind_blob(s, 2, key, klen);
	db_bind_text(s, 3, host);
	db_bind_int64(s, 4, h->proto);
	db_bind_int64(s, 5, h->up);
	db_bind_int64(s, 6, h->timedout);
	db_bind_int64(s, 7, (int)hidden);
	db_bind_int64(s, 8, (int)hreason);
	db_bind_int64(s, 9, h->srtt_us);
	db_bind_int64(s, 10, h->rttvar_us);
	db_bind_int64(s, 11, h->rto_us);
	db_bind_double(s, 12, h->start);
	db_bind_double(s, 13, h->end);
	for (int k = SCAN_OPEN; k < SCAN_STATE_MAX; k++)
		db_bind_int64(s, 14 + k - SCAN_OPEN, (int64_t)h->counts[k]);
	db_bind_int64(s, 20, (int)h->reason);
	db_bind_int64(s, 21, h->reason_ttl);
	if (h->has_mac)
		db_bind_blob(s, 22, h->mac, sizeof(h->mac));
	else
		db_bind_null(s, 22);
	db_bind_text(s, 23, h->name);
	return db_step_done(s);
}

int store_host(struct store *st, int64_t id, const struct scan_host *h)
{
	enum scan_state hidden = out_hidden_state(h, false);
	enum scan_reason hreason = hidden != SCAN_PENDING ? store_common_reason(h, hidden) : 0;
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	size_t klen = store_addr_key(&h->addr, key);
	struct db_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	target_addr_str(&h->addr, host, sizeof(host));
	r = store_host_row(st, id, h, key, klen, host, hidden, hreason);
	if (r < 0)
		return r;
	/* Ports in the hidden state with its common reason are the host's count. */
	s = store_stmt(st, STMT_HOST_PRUNE,
	               "DELETE FROM ports WHERE run = ?1 AND addr = ?2 AND proto = ?3"
	               " AND state = ?4 AND reason = ?5");
	if (!s)
		return store_stmt_failed(st);
	db_bind_int64(s, 1, id);
	db_bind_blob(s, 2, key, klen);
	db_bind_int64(s, 3, h->proto);
	db_bind_int64(s, 4, (int)hidden);
	db_bind_int64(s, 5, (int)hreason);
	r = db_step_done(s);
	if (r < 0)
		return r;
	/* Every other port has its row, even when no on_port delivered it. */
	s = store_stmt(st, STMT_HOST_PORT,
	               "INSERT INTO ports (run, addr, host, proto, port, state, reason, ttl)"
	               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8)"
	               " ON CONFLICT (run, addr, proto, port) DO UPDATE SET ttl = excluded.ttl");
	if (!s)
		return store_stmt_failed(st);
	for (size_t i = 0; i < h->nports; i++) {
		enum scan_state ps = scan_res_state(h->res[i]);
		enum scan_reason pr = scan_res_reason(h->res[i]);

		if (ps == hidden && pr == hreason)
			continue;
		db_bind_int64(s, 1, id);
		db_bind_blob(s, 2, key, klen);
		db_bind_text(s, 3, host);
		db_bind_int64(s, 4, h->proto);
		db_bind_int64(s, 5, h->ports[i]);
		db_bind_int64(s, 6, (int)ps);
		db_bind_int64(s, 7, (int)pr);
		db_bind_int64(s, 8, h->ttl ? h->ttl[i] : 0);
		r = db_step_done(s);
		if (r < 0)
			return r;
	}
	return store_batch_row(st);
}

/* Binds s's ?i to a process id, or NULL when it is not one (0: unknown). */
static void store_bind_pid(struct db_stmt *s, int i, int pid)
{
	if (pid > 0)
		db_bind_int64(s, i, pid);
	else
		db_bind_null(s, i);
}

/* Binds ?1-?5 of a finding or an endpoint: run id, addr's key and text (or NULL), proto, port. */
static void store_bind_place(struct db_stmt *s, int64_t id, const struct target_addr *addr,
                             int proto, uint16_t port, uint8_t key[17], char host[INET6_ADDRSTRLEN])
{
	db_bind_int64(s, 1, id);
	if (addr) {
		db_bind_blob(s, 2, key, store_addr_key(addr, key));
		db_bind_text(s, 3, target_addr_str(addr, host, INET6_ADDRSTRLEN));
	} else {
		db_bind_null(s, 2);
		db_bind_null(s, 3);
	}
	db_bind_int64(s, 4, proto);
	db_bind_int64(s, 5, port);
}

int store_finding(struct store *st, int64_t id, const struct store_finding *f)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	struct db_stmt *s;
	int r;

	if (!f->check)
		return -EINVAL;
	r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_FINDING,
	               "INSERT INTO findings (run, addr, host, proto, port, check_id, severity,"
	               " title, detail, recommendation, citation, pid, process)"
	               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
	if (!s)
		return store_stmt_failed(st);
	store_bind_place(s, id, f->addr, f->proto, f->port, key, host);
	db_bind_text(s, 6, f->check);
	db_bind_text(s, 7, f->severity);
	db_bind_text(s, 8, f->title);
	db_bind_text(s, 9, f->detail);
	db_bind_text(s, 10, f->recommendation);
	db_bind_text(s, 11, f->citation);
	store_bind_pid(s, 12, f->pid);
	db_bind_text(s, 13, f->process);
	r = db_step_done(s);
	return r < 0 ? r : store_batch_row(st);
}

/* Binds s's ?i to t, or NULL when t is NULL or empty. */
static void store_bind_nonempty(struct db_stmt *s, int i, const char *t)
{
	db_bind_text(s, i, t && *t ? t : NULL);
}

int store_endpoint(struct store *st, int64_t id, const struct store_endpoint *e)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	struct db_stmt *s;
	int r;

	if (!e->exposure || (e->proto != IPPROTO_TCP && e->proto != IPPROTO_UDP))
		return -EINVAL;
	r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_ENDPOINT,
	               "INSERT INTO endpoints (run, addr, host, proto, port, exposure,"
	               " reachable_on, decided_by, service, product, version, port_default,"
	               " mismatch, pid, process, \"user\")"
	               " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
	if (!s)
		return store_stmt_failed(st);
	store_bind_place(s, id, e->addr, e->proto, e->port, key, host);
	db_bind_text(s, 6, e->exposure);
	store_bind_nonempty(s, 7, e->reachable_on);
	store_bind_nonempty(s, 8, e->decided_by);
	store_bind_nonempty(s, 9, e->service);
	store_bind_nonempty(s, 10, e->product);
	store_bind_nonempty(s, 11, e->version);
	db_bind_text(s, 12, e->port_default);
	db_bind_int64(s, 13, e->mismatch);
	store_bind_pid(s, 14, e->pid);
	store_bind_nonempty(s, 15, e->process);
	store_bind_nonempty(s, 16, e->user);
	r = db_step_done(s);
	return r < 0 ? r : store_batch_row(st);
}

int store_run_end(struct store *st, int64_t id, const struct scan_summary *sum, int status)
{
	struct db_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	s = store_stmt(st, STMT_RUN_END,
	               "UPDATE runs SET \"end\" = ?1, status = ?2, hosts_total = ?3, hosts_up = ?4,"
	               " hosts_timedout = ?5, probes_sent = ?6, retries = ?7, elapsed = ?8"
	               " WHERE id = ?9");
	if (!s)
		return store_stmt_failed(st);
	db_bind_double(s, 1, sum && sum->end > 0 ? sum->end : clock_wall());
	db_bind_int64(s, 2,
	              status == STORE_RUN_COMPLETE || status == STORE_RUN_INTERRUPTED
	                  ? status
	                  : STORE_RUN_INCOMPLETE);
	if (sum) {
		db_bind_int64(s, 3, (int64_t)sum->hosts_total);
		db_bind_int64(s, 4, (int64_t)sum->hosts_up);
		db_bind_int64(s, 5, (int64_t)sum->hosts_timedout);
		db_bind_int64(s, 6, (int64_t)sum->probes_sent);
		db_bind_int64(s, 7, (int64_t)sum->retries);
		db_bind_double(s, 8, sum->elapsed);
	} else {
		for (int i = 3; i <= 8; i++)
			db_bind_null(s, i);
	}
	db_bind_int64(s, 9, id);
	r = db_step(s);
	if (r == DB_DONE && db_changes(s) != 1)
		r = -ENOENT;
	db_reset(s);
	if (r < 0)
		return r;
	r = store_flush(st);
	if (!r)
		r = st->be->settle(st);
	if (!r)
		r = st->be->own_run(st, id, false);
	return r;
}
