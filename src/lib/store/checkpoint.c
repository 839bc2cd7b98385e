/*
 * A scan's checkpoints and taking over an interrupted run (--resume; see
 * store.h). One row per run in checkpoints, replaced at each checkpoint and
 * committed with the results written before it, so that what it says was
 * decided is in the store or in the row itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store-private.h"
#include "util/clock.h"

#define CP_HOST_BYTES 18 /* key length, then store_addr_key() padded to 17 */

int store_checkpoint_put(struct store *st, int64_t id, const struct scan_checkpoint *c)
{
	size_t total = c->nhosts * c->nports;
	uint8_t *hosts = malloc(c->nhosts ? c->nhosts * CP_HOST_BYTES : 1);
	struct db_stmt *s;
	int r = hosts ? store_batch_begin(st) : -ENOMEM;

	if (r < 0) {
		free(hosts);
		return r;
	}
	memset(hosts, 0, c->nhosts * CP_HOST_BYTES);
	for (size_t i = 0; i < c->nhosts; i++)
		hosts[i * CP_HOST_BYTES] =
		    (uint8_t)store_addr_key(&c->hosts[i], hosts + i * CP_HOST_BYTES + 1);
	s = store_stmt(st, STMT_CHECKPOINT,
	               "INSERT INTO checkpoints (run, hosts_done, nports, hosts, res, at)"
	               " VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT (run) DO UPDATE SET"
	               " hosts_done = excluded.hosts_done, nports = excluded.nports,"
	               " hosts = excluded.hosts, res = excluded.res, at = excluded.at");
	if (!s) {
		free(hosts);
		return -EIO;
	}
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, (int64_t)c->hosts_done);
	db_bind_int64(s, 3, (int64_t)c->nports);
	db_bind_blob(s, 4, hosts, c->nhosts * CP_HOST_BYTES);
	db_bind_blob(s, 5, c->res ? (const void *)c->res : (const void *)"", c->res ? total : 0);
	db_bind_double(s, 6, clock_wall());
	r = db_step_done(s);
	free(hosts);
	return r < 0 ? r : store_flush(st);
}

void store_checkpoint_free(struct store_checkpoint *c)
{
	free(c->hosts);
	free(c->res);
	*c = (struct store_checkpoint){0};
}

/* The checkpoint's hosts and results from the row's blobs. */
static int store_checkpoint_blobs(struct store_checkpoint *out, const uint8_t *hosts, size_t hlen,
                                  const uint8_t *res, size_t rlen)
{
	size_t n = hlen / CP_HOST_BYTES;

	if (hlen % CP_HOST_BYTES || (n && (!out->c.nports || rlen != n * out->c.nports)) ||
	    (!n && rlen))
		return -EBADMSG;
	out->hosts = calloc(n ? n : 1, sizeof(*out->hosts));
	out->res = malloc(rlen ? rlen : 1);
	if (!out->hosts || !out->res)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (store_addr_from_key(hosts + i * CP_HOST_BYTES + 1, hosts[i * CP_HOST_BYTES],
		                        &out->hosts[i]) < 0)
			return -EBADMSG;
	if (rlen)
		memcpy(out->res, res, rlen);
	out->c.hosts = out->hosts;
	out->c.res = out->res;
	out->c.nhosts = n;
	return 0;
}

int store_checkpoint_get(struct store *st, int64_t id, struct store_checkpoint *out)
{
	struct db_stmt *s;
	int r, rc;

	*out = (struct store_checkpoint){0};
	r = db_prepare(st,
	               "SELECT c.hosts_done, c.nports, c.hosts, c.res,"
	               " (SELECT count(*) FROM hosts h WHERE h.run = c.run AND h.up <> 0)"
	               " FROM checkpoints c WHERE c.run = ?1",
	               &s);
	if (r < 0)
		return r;
	db_bind_int64(s, 1, id);
	rc = db_step(s);
	if (rc == DB_ROW) {
		size_t hlen = 0, rlen = 0;
		const uint8_t *hosts = db_column_blob(s, 2, &hlen);
		const uint8_t *res = db_column_blob(s, 3, &rlen);
		int64_t done = db_column_int64(s, 0), nports = db_column_int64(s, 1);

		if (done < 0 || nports < 0 || nports > 65536)
			r = -EBADMSG;
		else {
			out->c.hosts_done = (uint64_t)done;
			out->c.nports = (size_t)nports;
			out->hosts_up = (uint64_t)db_column_int64(s, 4);
			r = store_checkpoint_blobs(out, hosts, hosts ? hlen : 0, res,
			                           res ? rlen : 0);
		}
	} else {
		r = rc == DB_DONE ? -ENOENT : rc;
	}
	db_finalize(s);
	if (r < 0)
		store_checkpoint_free(out);
	return r;
}

int store_run_resume(struct store *st, int64_t id)
{
	struct store_run run;
	struct db_stmt *s;
	int r = store_run_get(st, id, &run);

	if (r < 0)
		return r;
	if (run.status == STORE_RUN_RUNNING)
		return -EBUSY;
	if (run.status == STORE_RUN_COMPLETE)
		return -EALREADY;
	r = store_batch_begin(st);
	if (r < 0)
		return r;
	r = db_prepare(st,
	               "UPDATE runs SET status = ?1, pid = ?2, boot_id = ?3, hostname = ?4,"
	               " \"end\" = NULL WHERE id = ?5 AND status IN (?6, ?7)",
	               &s);
	if (r < 0)
		return r;
	db_bind_int64(s, 1, STORE_RUN_RUNNING);
	db_bind_int64(s, 2, (int64_t)getpid());
	db_bind_text(s, 3, st->boot_id);
	db_bind_text(s, 4, st->hostname);
	db_bind_int64(s, 5, id);
	db_bind_int64(s, 6, STORE_RUN_INCOMPLETE);  /* dead runs were reaped at the open */
	db_bind_int64(s, 7, STORE_RUN_INTERRUPTED); /* SIGTERM: a pod evicted, a job cancelled */
	r = db_step(s);
	if (r == DB_DONE)
		r = db_changes(s) == 1 ? 0 : -EBUSY; /* another process took it first */
	db_finalize(s);
	/* Ours before it is committed, as a new run (store_run_begin()). */
	if (r == 0)
		r = st->be->own_run(st, id, true);
	if (r < 0) {
		db_rollback(st);
		st->in_tx = false;
		return r;
	}
	return store_flush(st);
}
