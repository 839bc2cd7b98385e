/* What history, show and diff share (see histdb.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/common.h"
#include "cmd/histdb.h"
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
		return r == -ENOENT || r == -EBADMSG || r == -ENOTSUP || r == -EINVAL
		           ? EXIT_USAGE
		           : EXIT_RUNTIME;
	}
	return EXIT_OK;
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
