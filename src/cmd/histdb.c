/* What history, show and diff share (see histdb.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/common.h"
#include "cmd/histdb.h"
#include "output/json.h"
#include "util/strnum.h"

int histdb_open(const char *cmd, const char *db, struct store **st)
{
	char path[PATH_MAX], why[PATH_MAX + 128] = "";
	int r;

	if (db) {
		if (strlen(db) >= sizeof(path))
			return cmd_usage(cmd, "--db: path too long");
		strcpy(path, db);
	} else if (store_default_path(path, sizeof(path)) < 0) {
		return cmd_usage(cmd, "no history file: neither XDG_STATE_HOME nor HOME is set "
		                      "(use --db PATH)");
	}
	r = store_open(path, STORE_READONLY, st, why, sizeof(why));
	if (r < 0) {
		cmd_error(cmd, "%s", why[0] ? why : strerror(-r));
		return r == -ENOENT || r == -EBADMSG || r == -ENOTSUP || r == -EINVAL ||
		               r == -EISDIR
		           ? EXIT_USAGE
		           : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int histdb_read_error(const char *cmd, const struct store *st, int r)
{
	if (r == -EBADMSG) {
		cmd_error(cmd, "'%s' is corrupt (%s); left untouched", store_path(st),
		          store_errmsg(st));
		return EXIT_USAGE;
	}
	cmd_error(cmd, "cannot read '%s': %s (%s)", store_path(st), strerror(-r), store_errmsg(st));
	return EXIT_RUNTIME;
}

int histdb_open_or_empty(const char *cmd, const char *db, struct store **st)
{
	char path[PATH_MAX];
	struct stat sb;

	*st = NULL;
	if (!db && store_default_path(path, sizeof(path)) == 0 && stat(path, &sb) < 0 &&
	    errno == ENOENT)
		return EXIT_OK;
	return histdb_open(cmd, db, st);
}

static int histdb_first(void *ctx, const struct store_run *r)
{
	*(int64_t *)ctx = r->id;
	return 1;
}

int histdb_parse_id(struct store *st, const char *word, int64_t *id)
{
	uint64_t v;

	if (strcmp(word, "last") == 0) {
		*id = 0;
		store_runs(st, &(struct store_query){.limit = 1}, histdb_first, id);
		return *id ? 0 : -ENOENT;
	}
	if (strnum_u64(word, 1, INT64_MAX, &v) < 0)
		return -EINVAL;
	*id = (int64_t)v;
	return 0;
}

const char *histdb_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!localtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "?");
	return buf;
}

struct json_t *histdb_json_run(const struct store_run *r, const char *role)
{
	bool ended = r->end > 0 && r->status != STORE_RUN_RUNNING;
	char shard[32];
	json_t *j =
	    json_pack("{s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I}",
	              "type", "run", "id", (json_int_t)r->id, "kind", r->kind ? r->kind : "scan",
	              "status", store_status_name(r->status), "start", json_time(r->start), "end",
	              ended ? json_time(r->end) : json_null(), "duration_s",
	              ended ? json_seconds(r->end - r->start) : json_null(), "command", r->args,
	              "targets", r->targets, "ports", r->ports, "hosts_total",
	              (json_int_t)r->hosts_total, "hosts_up", (json_int_t)r->hosts_up, "open",
	              (json_int_t)r->open, "findings", (json_int_t)r->findings);

	/* issue 19: the machine that ran it, and its shard ("2/4"), null when not sharded */
	snprintf(shard, sizeof(shard), "%u/%u", r->shard_index, r->shard_count);
	if (j && (json_set_str(j, "scanner", r->hostname) < 0 ||
	          json_set_str(j, "shard", r->shard_count ? shard : NULL) < 0)) {
		json_decref(j);
		j = NULL;
	}
	if (j && role && json_set_str(j, "role", role) < 0) {
		json_decref(j);
		j = NULL;
	}
	return j;
}
