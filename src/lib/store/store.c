/* History in SQLite: open and migrate, batched writes, runs, hosts (see store.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output/out.h"
#include "store/store-private.h"
#include "util/clock.h"
#include "util/array.h"
#include "util/why.h"
#include "util/array.h"

static const char *const store_status_names[] = {
    [STORE_RUN_RUNNING] = "running",
    [STORE_RUN_COMPLETE] = "complete",
    [STORE_RUN_INCOMPLETE] = "incomplete",
};

const char *store_status_name(int status)
{
	if (status < 0 || status > STORE_RUN_INCOMPLETE)
		return NULL;
	return store_status_names[status];
}

/*
 * Schema migrations: migrations[v] brings a file at user_version v to v + 1.
 * States and reasons are stored as the numbers of enum scan_state and enum
 * scan_reason, which are therefore never renumbered.
 */
static const char *const store_migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL, version TEXT, args TEXT, targets TEXT,"
    " ports TEXT, proto INTEGER NOT NULL DEFAULT 0, scan_type TEXT,"
    " start REAL NOT NULL, end REAL,"
    " status INTEGER NOT NULL,"
    " pid INTEGER, boot_id TEXT,"
    " hosts_total INTEGER, hosts_up INTEGER, hosts_timedout INTEGER,"
    " probes_sent INTEGER, retries INTEGER, elapsed REAL);"
    "CREATE TABLE hosts ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB NOT NULL, host TEXT NOT NULL, proto INTEGER NOT NULL,"
    " up INTEGER NOT NULL, timedout INTEGER NOT NULL,"
    " extra_state INTEGER NOT NULL, extra_reason INTEGER NOT NULL,"
    " srtt_us INTEGER, rttvar_us INTEGER, rto_us INTEGER, start REAL, end REAL,"
    " n_open INTEGER, n_closed INTEGER, n_filtered INTEGER, n_unfiltered INTEGER,"
    " n_open_filtered INTEGER, n_closed_filtered INTEGER,"
    " UNIQUE (run, addr, proto));"
    "CREATE TABLE ports ("
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB NOT NULL, host TEXT NOT NULL, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " state INTEGER NOT NULL, reason INTEGER NOT NULL, rtt_us INTEGER,"
    " service TEXT, product TEXT, version TEXT,"
    " PRIMARY KEY (run, addr, proto, port)) WITHOUT ROWID;"
    "CREATE TABLE findings ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB, host TEXT, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " check_id TEXT NOT NULL, severity TEXT, title TEXT, detail TEXT);"
    "CREATE INDEX findings_run ON findings (run);"
    "CREATE INDEX runs_targets ON runs (kind, targets, id);",
    /*
     * 1 -> 2: the machine that ran each run; the audit's endpoints (a socket or
     * an open port, its exposure and owner); a finding's fix, reference and
     * owner. Lookups by run and host (report, fleet).
     */
    "ALTER TABLE runs ADD COLUMN hostname TEXT;"
    "CREATE TABLE endpoints ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB, host TEXT, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " exposure TEXT NOT NULL, reachable_on TEXT, decided_by TEXT,"
    " service TEXT, product TEXT, version TEXT, port_default TEXT,"
    " mismatch INTEGER NOT NULL DEFAULT 0,"
    " pid INTEGER, process TEXT, user TEXT);"
    "CREATE INDEX endpoints_run ON endpoints (run, host);"
    "ALTER TABLE findings ADD COLUMN recommendation TEXT;"
    "ALTER TABLE findings ADD COLUMN citation TEXT;"
    "ALTER TABLE findings ADD COLUMN pid INTEGER;"
    "ALTER TABLE findings ADD COLUMN process TEXT;"
    "DROP INDEX findings_run;"
    "CREATE INDEX findings_run ON findings (run, host);"
    "CREATE INDEX hosts_host ON hosts (host, run);",
};

_Static_assert(ARRAY_SIZE(store_migrations) == STORE_SCHEMA_VERSION,
               "one migration per schema version");

int store_fail(struct store *st, char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	why_vset(why, whylen, fmt, ap);
	va_end(ap);
	(void)st;
	return err;
}

/* Maps an SQLite result code to a negative errno. */
int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_READONLY:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

const char *store_errmsg(const struct store *st)
{
	if (!st || !st->db)
		return "no database";
	if (st->err[0])
		return st->err;
	if (sqlite3_errcode(st->db) != SQLITE_OK)
		return sqlite3_errmsg(st->db);
	return "no further detail from SQLite";
}

int store_note(struct store *st, int rc)
{
	if ((rc & 0xff) == SQLITE_OK || (rc & 0xff) == SQLITE_ROW || (rc & 0xff) == SQLITE_DONE)
		return 0;
	snprintf(st->err, sizeof(st->err), "%s",
	         sqlite3_errcode(st->db) != SQLITE_OK ? sqlite3_errmsg(st->db)
	                                              : sqlite3_errstr(rc));
	return store_errno(rc);
}

int store_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/portscope/history.db", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/portscope/history.db", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p of the directory part of path, mode 0700 for what it makes. */
static int store_mkdirs(const char *path)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, len + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int store_exec(struct store *st, const char *sql)
{
	return store_note(st, sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

/* Rolls back the open transaction, if any, keeping the message of what failed. */
static void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* An integer from a one-row statement such as "PRAGMA user_version". */
static int store_pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_note(st, rc);
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_note(st, rc);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_errno(rc);
}

static uint32_t store_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether path-suffix exists with more than 0 bytes. */
static bool store_side_file(const char *path, const char *suffix, bool nonempty)
{
	char p[PATH_MAX];
	struct stat sb;

	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) >= sizeof(p))
		return false;
	return stat(p, &sb) == 0 && (!nonempty || sb.st_size > 0);
}

/*
 * The header check, before SQLite sees the file (and makes its -wal and
 * -shm beside it): an SQLite file starts with the magic string and a
 * 100-byte header, is whole pages long, and, when no write-ahead log holds
 * newer pages, at least as long as its header says.
 */
static int store_check_header(const char *path, bool *empty, char *why, size_t whylen)
{
	static const char magic[16] = "SQLite format 3";
	uint8_t head[100];
	struct stat sb;
	uint32_t psize, pages;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*empty = false;
	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head));
	if (n < 0 || fstat(fd, &sb) < 0) {
		int save = -errno;

		close(fd);
		return save;
	}
	close(fd);
	if (n == 0) {
		*empty = true;
		return 0;
	}
	if ((size_t)n < sizeof(magic) || memcmp(head, magic, sizeof(magic)) != 0)
		return store_fail(NULL, why, whylen, -EBADMSG,
		                  "'%s' is not a portscope history database (not an SQLite file); "
		                  "left untouched",
		                  path);
	if (n < (ssize_t)sizeof(head))
		return store_fail(NULL, why, whylen, -EBADMSG,
		                  "'%s' is truncated: %lld bytes, shorter than an SQLite header; "
		                  "left untouched",
		                  path, (long long)sb.st_size);
	psize = (uint32_t)(head[16] << 8 | head[17]);
	psize = psize == 1 ? 65536 : psize;
	if (psize < 512 || (psize & (psize - 1)) != 0)
		return store_fail(NULL, why, whylen, -EBADMSG,
		                  "'%s' is corrupt: page size %u in its header; left untouched",
		                  path, psize);
	if (store_side_file(path, "-wal", true))
		return 0; /* pages may live in the log; SQLite checks the rest */
	/* The header's page count is valid when its version-valid-for matches its change count. */
	pages = store_be32(head + 24) == store_be32(head + 92) ? store_be32(head + 28) : 0;
	if (sb.st_size % psize != 0 || (uint64_t)sb.st_size < (uint64_t)pages * psize)
		return store_fail(
		    NULL, why, whylen, -EBADMSG,
		    "'%s' is truncated: %lld bytes, but its header says %u pages of %u "
		    "bytes (%llu); left untouched",
		    path, (long long)sb.st_size, pages ? pages : 1, psize,
		    (unsigned long long)(pages ? pages : 1) * psize);
	return 0;
}

/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable. */
static void store_read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

bool store_owner_alive(const struct store *st, int64_t pid, const char *boot_id)
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
 * BEGIN IMMEDIATE waits for the lock like any write.
 */
static int store_reap(struct store *st)
{
	sqlite3_stmt *s, *u = NULL;
	int64_t *dead = NULL;
	size_t n = 0, cap = 0;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(st->db, "SELECT id, pid, boot_id FROM runs WHERE status = ?", -1,
	                        &s, NULL);
	if (rc != SQLITE_OK)
		return store_note(st, rc);
	sqlite3_bind_int(s, 1, STORE_RUN_RUNNING);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_owner_alive(st, sqlite3_column_int64(s, 1),
		                      (const char *)sqlite3_column_text(s, 2)))
			continue;
		if (GREEDY_REALLOC(dead, cap, n + 1) < 0) {
			r = -ENOMEM;
			break;
		}
		dead[n++] = sqlite3_column_int64(s, 0);
	}
	if (!r && rc != SQLITE_DONE)
		r = store_note(st, rc);
	sqlite3_finalize(s);
	if (!r && n)
		r = store_exec(st, "BEGIN IMMEDIATE");
	if (!r && n) {
		rc = sqlite3_prepare_v2(
		    st->db, "UPDATE runs SET status = ? WHERE id = ? AND status = ?", -1, &u, NULL);
		if (rc != SQLITE_OK)
			r = store_note(st, rc);
		for (size_t i = 0; !r && i < n; i++) {
			sqlite3_bind_int(u, 1, STORE_RUN_INCOMPLETE);
			sqlite3_bind_int64(u, 2, dead[i]);
			sqlite3_bind_int(u, 3, STORE_RUN_RUNNING);
			rc = sqlite3_step(u);
			if (rc != SQLITE_DONE)
				r = store_note(st, rc);
			sqlite3_reset(u);
		}
		sqlite3_finalize(u);
		if (!r)
			r = store_exec(st, "COMMIT");
		if (r)
			store_rollback(st);
	}
	free(dead);
	return r;
}

/* Checks the file is ours (or empty) and migrates it to STORE_SCHEMA_VERSION. */
static int store_prepare_schema(struct store *st, const char *path, char *why, size_t whylen)
{
	int64_t app = 0, ver = 0, tables = 0;
	int r;

	/*
	 * One read transaction, so that the three values come from one snapshot:
	 * read one by one, a concurrent first scan could commit its schema in
	 * between, and its fresh file would look like another program's.
	 */
	r = store_exec(st, "BEGIN");
	if (!r)
		r = store_pragma_int(st, "PRAGMA application_id", &app);
	if (!r)
		r = store_pragma_int(st, "PRAGMA user_version", &ver);
	if (!r)
		r = store_pragma_int(st, "SELECT count(*) FROM sqlite_master", &tables);
	if (r)
		store_rollback(st);
	else if (!sqlite3_get_autocommit(st->db))
		r = store_exec(st, "COMMIT");
	if (r < 0)
		return store_fail(st, why, whylen, r == -EBUSY ? r : -EBADMSG,
		                  "cannot read '%s' as a history database: %s; left untouched",
		                  path, store_errmsg(st));
	if (app != STORE_APPLICATION_ID && (app != 0 || tables != 0))
		return store_fail(st, why, whylen, -ENOTSUP,
		                  "'%s' is another program's SQLite database, not a portscope "
		                  "history; left untouched",
		                  path);
	if (ver > STORE_SCHEMA_VERSION)
		return store_fail(st, why, whylen, -ENOTSUP,
		                  "'%s' has history schema %lld, newer than this portscope's %d",
		                  path, (long long)ver, STORE_SCHEMA_VERSION);
	if (ver == STORE_SCHEMA_VERSION)
		return 0;
	if (st->readonly)
		return store_fail(st, why, whylen, -EACCES,
		                  "'%s' needs a schema upgrade: run a scan with --db on it first",
		                  path);
	r = store_exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return store_fail(st, why, whylen, r, "cannot lock '%s': %s", path,
		                  store_errmsg(st));
	/* Another process may have migrated it while we waited for the lock. */
	r = store_pragma_int(st, "PRAGMA user_version", &ver);
	for (; !r && ver < STORE_SCHEMA_VERSION; ver++) {
		char set[64];

		r = store_exec(st, store_migrations[ver]);
		snprintf(set, sizeof(set), "PRAGMA user_version = %lld", (long long)ver + 1);
		if (!r)
			r = store_exec(st, set);
	}
	if (!r) {
		char set[64];

		snprintf(set, sizeof(set), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
		r = store_exec(st, set);
	}
	if (!r)
		r = store_exec(st, "COMMIT");
	if (r < 0) {
		int save = r;

		r = store_fail(st, why, whylen, save, "cannot set up '%s': %s", path,
		               store_errmsg(st));
		store_rollback(st);
	}
	return r;
}

/*
 * After a refused file (corrupt, foreign): removes the -wal and -shm SQLite
 * made beside it, when they were not there before and the log is empty.
 */
static void store_remove_side_files(const char *path, bool had_wal, bool had_shm)
{
	char p[PATH_MAX];

	if (had_wal || store_side_file(path, "-wal", true) ||
	    (size_t)snprintf(p, sizeof(p), "%s-wal", path) >= sizeof(p))
		return;
	unlink(p);
	if (!had_shm && (size_t)snprintf(p, sizeof(p), "%s-shm", path) < sizeof(p))
		unlink(p);
}

int store_open(const char *path, int flags, struct store **out, char *why, size_t whylen)
{
	struct store *st;
	struct stat sb;
	bool empty = false, exists, had_wal, had_shm;
	int rc, r, oflags;

	*out = NULL;
	exists = stat(path, &sb) == 0;
	if (!exists && errno != ENOENT)
		return store_fail(NULL, why, whylen, -errno, "cannot open '%s': %s", path,
		                  strerror(errno));
	if (!exists && (!(flags & STORE_CREATE) || (flags & STORE_READONLY)))
		return store_fail(NULL, why, whylen, -ENOENT, "'%s': no history yet (no such file)",
		                  path);
	if (exists && !S_ISREG(sb.st_mode))
		return store_fail(NULL, why, whylen, -EBADMSG, "'%s' is not a regular file", path);
	if (exists) {
		r = store_check_header(path, &empty, why, whylen);
		if (r == -EBADMSG)
			return r;
		if (r < 0)
			return store_fail(NULL, why, whylen, r, "cannot read '%s': %s", path,
			                  strerror(-r));
		if (empty && (flags & STORE_READONLY))
			return store_fail(NULL, why, whylen, -ENOENT,
			                  "'%s': no history yet (empty)", path);
	} else {
		r = store_mkdirs(path);
		if (r < 0)
			return store_fail(NULL, why, whylen, r,
			                  "cannot make the directory of '%s': %s", path,
			                  strerror(-r));
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->readonly = flags & STORE_READONLY;
	store_read_boot_id(st->boot_id, sizeof(st->boot_id));
	oflags =
	    SQLITE_OPEN_NOMUTEX | (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	if (!exists)
		oflags |= SQLITE_OPEN_CREATE;
	had_wal = store_side_file(path, "-wal", false);
	had_shm = store_side_file(path, "-shm", false);
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = store_fail(st, why, whylen, store_errno(rc), "cannot open '%s': %s", path,
		               st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		store_close(st);
		return r;
	}
	sqlite3_busy_timeout(st->db, 30000);
	sqlite3_extended_result_codes(st->db, 1);
	r = store_prepare_schema(st, path, why, whylen);
	if (r == 0 && !st->readonly) {
		/* Only once the file is known to be ours (or new): this writes its header. */
		r = store_exec(st, "PRAGMA journal_mode = WAL");
		if (!r)
			r = store_exec(st, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
		if (!r)
			r = store_reap(st);
		if (r < 0)
			r = store_fail(st, why, whylen, r, "cannot set up '%s': %s", path,
			               store_errmsg(st));
	}
	if (r < 0) {
		store_close(st);
		if (r == -EBADMSG || r == -ENOTSUP)
			store_remove_side_files(path, had_wal, had_shm);
		return r;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_flush(st);
	for (size_t i = 0; i < STORE_STMT_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	sqlite3_close(st->db);
	free(st->strs);
	free(st);
}

int store_flush(struct store *st)
{
	int r;

	if (!st || !st->in_tx)
		return 0;
	r = store_exec(st, "COMMIT");
	if (r < 0) {
		store_exec(st, "ROLLBACK");
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

/* Opens the batch transaction when none is open. */
static int store_batch_begin(struct store *st)
{
	int r;

	if (st->readonly)
		return -EACCES;
	if (st->in_tx)
		return 0;
	r = store_exec(st, "BEGIN IMMEDIATE");
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

/* The cached statement i, prepared from sql on first use and reset. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id i, const char *sql)
{
	if (!st->stmts[i] && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                                        &st->stmts[i], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(st->stmts[i]);
	sqlite3_clear_bindings(st->stmts[i]);
	return st->stmts[i];
}

/* Runs a write statement to its end. */
static int store_step_done(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_note(st, rc ? rc : sqlite3_errcode(st->db));
	return 0;
}

static void store_bind_text(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
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
	sqlite3_stmt *s;
	int r;

	r = store_flush(st);
	if (!r)
		r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_RUN_BEGIN,
	               "INSERT INTO runs (kind, version, args, targets, ports, proto, scan_type,"
	               " start, status, pid, boot_id, hostname) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	store_bind_text(s, 1, ri->kind ? ri->kind : "scan");
	store_bind_text(s, 2, ri->version);
	store_bind_text(s, 3, ri->args);
	store_bind_text(s, 4, ri->targets);
	store_bind_text(s, 5, ri->ports);
	sqlite3_bind_int(s, 6, ri->proto);
	store_bind_text(s, 7, ri->scan_type);
	sqlite3_bind_double(s, 8, ri->start);
	sqlite3_bind_int(s, 9, STORE_RUN_RUNNING);
	sqlite3_bind_int64(s, 10, (int64_t)getpid());
	store_bind_text(s, 11, st->boot_id);
	store_bind_text(s, 12, ri->hostname);
	r = store_step_done(st, s);
	if (r < 0) {
		store_exec(st, "ROLLBACK");
		st->in_tx = false;
		return r;
	}
	*id = sqlite3_last_insert_rowid(st->db);
	/* Committed at once: the run is listed even if the process dies now. */
	return store_flush(st);
}

int store_port(struct store *st, int64_t id, const struct store_port *p)
{
	uint8_t key[17];
	char host[INET6_ADDRSTRLEN];
	sqlite3_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	s = store_stmt(st, STMT_PORT,
	               "INSERT OR REPLACE INTO ports (run, addr, host, proto, port, state, reason,"
	               " rtt_us, service, product, version) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, (int)store_addr_key(p->addr, key), SQLITE_TRANSIENT);
	store_bind_text(s, 3, target_addr_str(p->addr, host, sizeof(host)));
	sqlite3_bind_int(s, 4, p->proto);
	sqlite3_bind_int(s, 5, p->port);
	sqlite3_bind_int(s, 6, (int)p->state);
	sqlite3_bind_int(s, 7, (int)p->reason);
	sqlite3_bind_int64(s, 8, p->rtt_us);
	store_bind_text(s, 9, p->service);
	store_bind_text(s, 10, p->product);
	store_bind_text(s, 11, p->version);
	r = store_step_done(st, s);
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

int store_host(struct store *st, int64_t id, const struct scan_host *h)
{
	enum scan_state hidden = out_hidden_state(h, false);
	enum scan_reason hreason = hidden != SCAN_PENDING ? store_common_reason(h, hidden) : 0;
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	size_t klen = store_addr_key(&h->addr, key);
	sqlite3_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	target_addr_str(&h->addr, host, sizeof(host));
	s = store_stmt(st, STMT_HOST,
	               "INSERT OR REPLACE INTO hosts (run, addr, host, proto, up, timedout,"
	               " extra_state, extra_reason, srtt_us, rttvar_us, rto_us, start, end,"
	               " n_open, n_closed, n_filtered, n_unfiltered, n_open_filtered,"
	               " n_closed_filtered) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, (int)klen, SQLITE_TRANSIENT);
	store_bind_text(s, 3, host);
	sqlite3_bind_int(s, 4, h->proto);
	sqlite3_bind_int(s, 5, h->up);
	sqlite3_bind_int(s, 6, h->timedout);
	sqlite3_bind_int(s, 7, (int)hidden);
	sqlite3_bind_int(s, 8, (int)hreason);
	sqlite3_bind_int64(s, 9, h->srtt_us);
	sqlite3_bind_int64(s, 10, h->rttvar_us);
	sqlite3_bind_int64(s, 11, h->rto_us);
	sqlite3_bind_double(s, 12, h->start);
	sqlite3_bind_double(s, 13, h->end);
	for (int k = SCAN_OPEN; k < SCAN_STATE_MAX; k++)
		sqlite3_bind_int64(s, 14 + k - SCAN_OPEN, (int64_t)h->counts[k]);
	r = store_step_done(st, s);
	if (r < 0)
		return r;
	/* Ports in the hidden state with its common reason are the host's count. */
	s = store_stmt(st, STMT_HOST_PRUNE,
	               "DELETE FROM ports WHERE run = ? AND addr = ? AND proto = ?"
	               " AND state = ? AND reason = ?");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, (int)klen, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 3, h->proto);
	sqlite3_bind_int(s, 4, (int)hidden);
	sqlite3_bind_int(s, 5, (int)hreason);
	r = store_step_done(st, s);
	if (r < 0)
		return r;
	/* Every other port has its row, even when no on_port delivered it. */
	s = store_stmt(st, STMT_HOST_PORT,
	               "INSERT OR IGNORE INTO ports (run, addr, host, proto, port, state, reason)"
	               " VALUES (?,?,?,?,?,?,?)");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	for (size_t i = 0; i < h->nports; i++) {
		enum scan_state ps = scan_res_state(h->res[i]);
		enum scan_reason pr = scan_res_reason(h->res[i]);

		if (ps == hidden && pr == hreason)
			continue;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_blob(s, 2, key, (int)klen, SQLITE_TRANSIENT);
		store_bind_text(s, 3, host);
		sqlite3_bind_int(s, 4, h->proto);
		sqlite3_bind_int(s, 5, h->ports[i]);
		sqlite3_bind_int(s, 6, (int)ps);
		sqlite3_bind_int(s, 7, (int)pr);
		r = store_step_done(st, s);
		if (r < 0)
			return r;
	}
	return store_batch_row(st);
}

int store_finding(struct store *st, int64_t id, const struct store_finding *f)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	sqlite3_stmt *s;
	int r;

	if (!f->check)
		return -EINVAL;
	r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_FINDING,
	               "INSERT INTO findings (run, addr, host, proto, port, check_id, severity,"
	               " title, detail, recommendation, citation, pid, process)"
	               " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	if (f->addr) {
		sqlite3_bind_blob(s, 2, key, (int)store_addr_key(f->addr, key), SQLITE_TRANSIENT);
		store_bind_text(s, 3, target_addr_str(f->addr, host, sizeof(host)));
	}
	sqlite3_bind_int(s, 4, f->proto);
	sqlite3_bind_int(s, 5, f->port);
	store_bind_text(s, 6, f->check);
	store_bind_text(s, 7, f->severity);
	store_bind_text(s, 8, f->title);
	store_bind_text(s, 9, f->detail);
	store_bind_text(s, 10, f->recommendation);
	store_bind_text(s, 11, f->citation);
	if (f->pid > 0)
		sqlite3_bind_int64(s, 12, f->pid);
	store_bind_text(s, 13, f->process);
	r = store_step_done(st, s);
	return r < 0 ? r : store_batch_row(st);
}

int store_endpoint(struct store *st, int64_t id, const struct store_endpoint *e)
{
	char host[INET6_ADDRSTRLEN];
	uint8_t key[17];
	sqlite3_stmt *s;
	int r;

	if (!e->exposure || (e->proto != IPPROTO_TCP && e->proto != IPPROTO_UDP))
		return -EINVAL;
	r = store_batch_begin(st);
	if (r < 0)
		return r;
	s = store_stmt(st, STMT_ENDPOINT,
	               "INSERT INTO endpoints (run, addr, host, proto, port, exposure,"
	               " reachable_on, decided_by, service, product, version, port_default,"
	               " mismatch, pid, process, user) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!s)
		return store_errno(sqlite3_errcode(st->db));
	sqlite3_bind_int64(s, 1, id);
	if (e->addr) {
		sqlite3_bind_blob(s, 2, key, (int)store_addr_key(e->addr, key), SQLITE_TRANSIENT);
		store_bind_text(s, 3, target_addr_str(e->addr, host, sizeof(host)));
	}
	sqlite3_bind_int(s, 4, e->proto);
	sqlite3_bind_int(s, 5, e->port);
	store_bind_text(s, 6, e->exposure);
	store_bind_text(s, 7, e->reachable_on && *e->reachable_on ? e->reachable_on : NULL);
	store_bind_text(s, 8, e->decided_by);
	store_bind_text(s, 9, e->service && *e->service ? e->service : NULL);
	store_bind_text(s, 10, e->product && *e->product ? e->product : NULL);
	store_bind_text(s, 11, e->version && *e->version ? e->version : NULL);
	store_bind_text(s, 12, e->port_default);
	sqlite3_bind_int(s, 13, e->mismatch);
	if (e->pid > 0)
		sqlite3_bind_int64(s, 14, e->pid);
	store_bind_text(s, 15, e->process && *e->process ? e->process : NULL);
	store_bind_text(s, 16, e->user && *e->user ? e->user : NULL);
	r = store_step_done(st, s);
	return r < 0 ? r : store_batch_row(st);
}

int store_run_end(struct store *st, int64_t id, const struct scan_summary *sum, int status)
{
	sqlite3_stmt *s;
	int r = store_batch_begin(st);

	if (r < 0)
		return r;
	s = store_stmt(st, STMT_RUN_END,
	               "UPDATE runs SET end = ?, status = ?, hosts_total = ?, hosts_up = ?,"
	               " hosts_timedout = ?, probes_sent = ?, retries = ?, elapsed = ?"
	               " WHERE id = ?");
	if (!s)
		return store_note(st, sqlite3_errcode(st->db));
	sqlite3_bind_double(s, 1, sum && sum->end > 0 ? sum->end : clock_wall());
	sqlite3_bind_int(s, 2,
	                 status == STORE_RUN_COMPLETE ? STORE_RUN_COMPLETE : STORE_RUN_INCOMPLETE);
	if (sum) {
		sqlite3_bind_int64(s, 3, (int64_t)sum->hosts_total);
		sqlite3_bind_int64(s, 4, (int64_t)sum->hosts_up);
		sqlite3_bind_int64(s, 5, (int64_t)sum->hosts_timedout);
		sqlite3_bind_int64(s, 6, (int64_t)sum->probes_sent);
		sqlite3_bind_int64(s, 7, (int64_t)sum->retries);
		sqlite3_bind_double(s, 8, sum->elapsed);
	}
	sqlite3_bind_int64(s, 9, id);
	r = store_step_done(st, s);
	if (r < 0)
		return r;
	if (sqlite3_changes(st->db) != 1)
		return -ENOENT;
	return store_flush(st);
}
