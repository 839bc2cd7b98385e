/*
 * The SQLite backend (see db.h): a file marked as portscope's (PRAGMA
 * application_id) and versioned (PRAGMA user_version), in WAL mode with a
 * busy timeout, checked before SQLite writes anything beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store-private.h"
#include "util/array.h"

/*
 * Schema migrations: migrations[v] brings a file at user_version v to v + 1.
 * States and reasons are stored as the numbers of enum scan_state and enum
 * scan_reason, which are therefore never renumbered. db-pg.c has the same
 * migrations in PostgreSQL's types.
 */
static const char *const sqlite_migrations[] = {
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
    /* 1 -> 2: why a host is up (host discovery): reason, its TTL, an on-link MAC */
    "ALTER TABLE hosts ADD COLUMN reason INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE hosts ADD COLUMN reason_ttl INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE hosts ADD COLUMN mac BLOB;",
    /*
     * 2 -> 3 (issue 19): the machine that ran each run, its shard and seed, and
     * its command line as a JSON array (what --resume runs again).
     */
    "ALTER TABLE runs ADD COLUMN hostname TEXT;"
    "ALTER TABLE runs ADD COLUMN shard_index INTEGER;"
    "ALTER TABLE runs ADD COLUMN shard_count INTEGER;"
    "ALTER TABLE runs ADD COLUMN seed INTEGER;"
    "ALTER TABLE runs ADD COLUMN argv TEXT;",
    /*
     * 3 -> 4 (issue 20): the audit's endpoints (a socket or an open port, its
     * exposure, the rule that decided it, its owner); a finding's fix,
     * reference and owner. Lookups by run and host (report, fleet).
     */
    "CREATE TABLE endpoints ("
    " id INTEGER PRIMARY KEY,"
    " run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " addr BLOB, host TEXT, proto INTEGER NOT NULL, port INTEGER NOT NULL,"
    " exposure TEXT NOT NULL, reachable_on TEXT, decided_by TEXT,"
    " service TEXT, product TEXT, version TEXT, port_default TEXT,"
    " mismatch INTEGER NOT NULL DEFAULT 0,"
    " pid INTEGER, process TEXT, \"user\" TEXT);"
    "CREATE INDEX endpoints_run ON endpoints (run, host);"
    "ALTER TABLE findings ADD COLUMN recommendation TEXT;"
    "ALTER TABLE findings ADD COLUMN citation TEXT;"
    "ALTER TABLE findings ADD COLUMN pid INTEGER;"
    "ALTER TABLE findings ADD COLUMN process TEXT;"
    "DROP INDEX findings_run;"
    "CREATE INDEX findings_run ON findings (run, host);"
    "CREATE INDEX hosts_host ON hosts (host, run);",
    /*
     * 4 -> 5 (issue 19): a scan's last checkpoint (--resume): the hosts of its
     * finished groups, and the group under way, its hosts (18 bytes each: key
     * length, store_addr_key()) and what is decided of their ports.
     */
    "CREATE TABLE checkpoints ("
    " run INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    " hosts_done INTEGER NOT NULL, nports INTEGER NOT NULL, hosts BLOB, res BLOB,"
    " at REAL NOT NULL);",
    /* 5 -> 6: -sV's whole answer, reply TTLs, target names: show reprints them (issue 17) */
    "ALTER TABLE ports ADD COLUMN extrainfo TEXT;"
    "ALTER TABLE ports ADD COLUMN svc_hostname TEXT;"
    "ALTER TABLE ports ADD COLUMN ostype TEXT;"
    "ALTER TABLE ports ADD COLUMN devicetype TEXT;"
    "ALTER TABLE ports ADD COLUMN cpe TEXT;"
    "ALTER TABLE ports ADD COLUMN tunnel TEXT;"
    "ALTER TABLE ports ADD COLUMN conf INTEGER;"
    "ALTER TABLE ports ADD COLUMN ttl INTEGER;"
    "ALTER TABLE hosts ADD COLUMN hostname TEXT;",
};

_Static_assert(ARRAY_SIZE(sqlite_migrations) == STORE_SCHEMA_VERSION,
               "one migration per schema version");

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *s;
	int64_t changes;
};

static sqlite3 *sq_db(const struct store *st)
{
	return st->conn;
}

/* Maps an SQLite result code to a negative errno. */
static int sq_errno(int rc)
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

/*
 * Keeps SQLite's message for the failure rc (sqlite3_errmsg() while it still
 * holds it, else sqlite3_errstr(rc)) for store_errmsg(). Returns sq_errno(rc).
 */
static int sq_note(struct store *st, int rc)
{
	sqlite3 *db = sq_db(st);

	if ((rc & 0xff) == SQLITE_OK || (rc & 0xff) == SQLITE_ROW || (rc & 0xff) == SQLITE_DONE)
		return 0;
	store_set_err(st, "%s",
	              db && sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errmsg(db)
	                                                     : sqlite3_errstr(rc));
	return sq_errno(rc);
}

static const char *sq_errmsg(const struct store *st)
{
	sqlite3 *db = sq_db(st);

	if (db && sqlite3_errcode(db) != SQLITE_OK)
		return sqlite3_errmsg(db);
	return "no further detail from SQLite";
}

static int sq_exec(struct store *st, const char *sql)
{
	return sq_note(st, sqlite3_exec(sq_db(st), sql, NULL, NULL, NULL));
}

static int sq_begin(struct store *st, enum db_tx kind)
{
	return sq_exec(st, kind == DB_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sq_commit(struct store *st)
{
	return sq_exec(st, "COMMIT");
}

/* Rolls back the open transaction, if any, keeping the message of what failed. */
static void sq_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(sq_db(st)))
		sqlite3_exec(sq_db(st), "ROLLBACK", NULL, NULL, NULL);
}

static bool sq_in_tx(const struct store *st)
{
	return !sqlite3_get_autocommit(sq_db(st));
}

static int sq_prepare(struct store *st, const char *sql, bool persistent, struct db_stmt **out)
{
	struct sq_stmt *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return -ENOMEM;
	q->base.st = st;
	rc = sqlite3_prepare_v3(sq_db(st), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
	                        &q->s, NULL);
	if (rc != SQLITE_OK) {
		free(q);
		return sq_note(st, rc);
	}
	*out = &q->base;
	return 0;
}

static int sq_bind(struct sq_stmt *q)
{
	int rc = SQLITE_OK;

	sqlite3_clear_bindings(q->s);
	for (unsigned i = 0; i < q->base.nparam && rc == SQLITE_OK; i++) {
		const struct db_value *v = &q->base.param[i];
		int k = (int)i + 1;

		switch (v->type) {
		case DB_NULL:
			rc = sqlite3_bind_null(q->s, k);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(q->s, k, v->i);
			break;
		case DB_DOUBLE:
			rc = sqlite3_bind_double(q->s, k, v->d);
			break;
		case DB_TEXT:
			rc = sqlite3_bind_text(q->s, k, v->p, (int)v->len, SQLITE_TRANSIENT);
			break;
		case DB_BLOB:
			rc = sqlite3_bind_blob(q->s, k, v->p, (int)v->len, SQLITE_TRANSIENT);
			break;
		}
	}
	return rc;
}

static int sq_step(struct db_stmt *s)
{
	struct sq_stmt *q = (struct sq_stmt *)s;
	int rc;

	if (!s->started) {
		rc = sq_bind(q);
		if (rc != SQLITE_OK)
			return sq_note(s->st, rc);
	}
	rc = sqlite3_step(q->s);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		q->changes = sqlite3_changes(sq_db(s->st));
		return DB_DONE;
	}
	return sq_note(s->st, rc);
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(((struct sq_stmt *)s)->s);
}

static void sq_finalize(struct db_stmt *s)
{
	struct sq_stmt *q = (struct sq_stmt *)s;

	sqlite3_finalize(q->s);
	free(q);
}

static bool sq_column_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(((struct sq_stmt *)s)->s, i) == SQLITE_NULL;
}

static int64_t sq_column_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(((struct sq_stmt *)s)->s, i);
}

static double sq_column_double(struct db_stmt *s, int i)
{
	return sqlite3_column_double(((struct sq_stmt *)s)->s, i);
}

static const char *sq_column_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(((struct sq_stmt *)s)->s, i);
}

static const void *sq_column_blob(struct db_stmt *s, int i, size_t *len)
{
	sqlite3_stmt *q = ((struct sq_stmt *)s)->s;
	const void *p = sqlite3_column_blob(q, i);

	*len = (size_t)sqlite3_column_bytes(q, i);
	return p;
}

static int64_t sq_changes(struct db_stmt *s)
{
	return ((struct sq_stmt *)s)->changes;
}

static bool sq_run_alive(struct store *st, int64_t id, int64_t pid, const char *boot_id,
                         const char *hostname)
{
	(void)id;
	(void)hostname;
	return store_local_owner_alive(st, pid, boot_id);
}

static int sq_own_run(struct store *st, int64_t id, bool own)
{
	(void)st;
	(void)id;
	(void)own;
	return 0; /* the run's pid and boot id say who runs it */
}

static int sq_settle(struct store *st)
{
	(void)st;
	return 0;
}

/* mkdir -p of the directory part of path, mode 0700 for what it makes. */
static int sq_mkdirs(const char *path)
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

/* An integer from a one-row statement such as "PRAGMA user_version". */
static int sq_pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(sq_db(st), sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return sq_note(st, rc);
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note(st, rc);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_errno(rc);
}

static uint32_t sq_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether path-suffix exists (nonempty: with more than 0 bytes). */
static bool sq_side_file(const char *path, const char *suffix, bool nonempty)
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
static int sq_check_header(const char *path, bool *empty, char *why, size_t whylen)
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
	if (sq_side_file(path, "-wal", true))
		return 0; /* pages may live in the log; SQLite checks the rest */
	/* The header's page count is valid when its version-valid-for matches its change count. */
	pages = sq_be32(head + 24) == sq_be32(head + 92) ? sq_be32(head + 28) : 0;
	if (sb.st_size % psize != 0 || (uint64_t)sb.st_size < (uint64_t)pages * psize)
		return store_fail(
		    NULL, why, whylen, -EBADMSG,
		    "'%s' is truncated: %lld bytes, but its header says %u pages of %u "
		    "bytes (%llu); left untouched",
		    path, (long long)sb.st_size, pages ? pages : 1, psize,
		    (unsigned long long)(pages ? pages : 1) * psize);
	return 0;
}

/* Checks the file is ours (or empty) and migrates it to STORE_SCHEMA_VERSION. */
static int sq_prepare_schema(struct store *st, const char *path, char *why, size_t whylen)
{
	int64_t app = 0, ver = 0, tables = 0;
	int r;

	/*
	 * One read transaction, so that the three values come from one snapshot:
	 * read one by one, a concurrent first scan could commit its schema in
	 * between, and its fresh file would look like another program's.
	 */
	r = sq_exec(st, "BEGIN");
	if (!r)
		r = sq_pragma_int(st, "PRAGMA application_id", &app);
	if (!r)
		r = sq_pragma_int(st, "PRAGMA user_version", &ver);
	if (!r)
		r = sq_pragma_int(st, "SELECT count(*) FROM sqlite_master", &tables);
	if (r)
		sq_rollback(st);
	else if (sq_in_tx(st))
		r = sq_exec(st, "COMMIT");
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
	r = sq_exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return store_fail(st, why, whylen, r, "cannot lock '%s': %s", path,
		                  store_errmsg(st));
	/* Another process may have migrated it while we waited for the lock. */
	r = sq_pragma_int(st, "PRAGMA user_version", &ver);
	for (; !r && ver < STORE_SCHEMA_VERSION; ver++) {
		char set[64];

		r = sq_exec(st, sqlite_migrations[ver]);
		snprintf(set, sizeof(set), "PRAGMA user_version = %lld", (long long)ver + 1);
		if (!r)
			r = sq_exec(st, set);
	}
	if (!r) {
		char set[64];

		snprintf(set, sizeof(set), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
		r = sq_exec(st, set);
	}
	if (!r)
		r = sq_exec(st, "COMMIT");
	if (r < 0) {
		int save = r;

		r = store_fail(st, why, whylen, save, "cannot set up '%s': %s", path,
		               store_errmsg(st));
		sq_rollback(st);
	}
	return r;
}

/*
 * After a refused file (corrupt, foreign): removes the -wal and -shm SQLite
 * made beside it, when they were not there before and the log is empty.
 */
static void sq_remove_side_files(const char *path, bool had_wal, bool had_shm)
{
	char p[PATH_MAX];

	if (had_wal || sq_side_file(path, "-wal", true) ||
	    (size_t)snprintf(p, sizeof(p), "%s-wal", path) >= sizeof(p))
		return;
	unlink(p);
	if (!had_shm && (size_t)snprintf(p, sizeof(p), "%s-shm", path) < sizeof(p))
		unlink(p);
}

/* Without STORE_MKDIR, the directory of a new file must exist. */
static int sq_check_dir(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat sb;

	if (!slash || slash == path)
		return 0; /* the current directory, or / */
	if ((size_t)(slash - path) >= sizeof(dir))
		return store_fail(NULL, why, whylen, -ENAMETOOLONG, "'%s': path too long", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (stat(dir, &sb) < 0)
		return store_fail(NULL, why, whylen, -ENOENT,
		                  "cannot create '%s': no such directory '%s' (make it first)",
		                  path, dir);
	if (!S_ISDIR(sb.st_mode))
		return store_fail(NULL, why, whylen, -ENOENT,
		                  "cannot create '%s': '%s' is not a directory", path, dir);
	return 0;
}

/* The checks on the path before SQLite opens it; *exists set. */
static int sq_check_path(const char *path, int flags, bool *exists, char *why, size_t whylen)
{
	struct stat sb;
	bool empty = false;
	int r;

	*exists = stat(path, &sb) == 0;
	if (!*exists && errno != ENOENT)
		return store_fail(NULL, why, whylen, -errno, "cannot open '%s': %s", path,
		                  strerror(errno));
	if (!*exists && (!(flags & STORE_CREATE) || (flags & STORE_READONLY)))
		return store_fail(NULL, why, whylen, -ENOENT, "'%s': no history yet (no such file)",
		                  path);
	if (*exists && S_ISDIR(sb.st_mode))
		return store_fail(NULL, why, whylen, -EISDIR,
		                  "'%s' is a directory; the history is a file (--db PATH)", path);
	if (*exists && !S_ISREG(sb.st_mode))
		return store_fail(NULL, why, whylen, -EBADMSG, "'%s' is not a regular file", path);
	if (!*exists && !(flags & STORE_MKDIR))
		return sq_check_dir(path, why, whylen);
	if (!*exists) {
		r = sq_mkdirs(path);
		if (r < 0)
			return store_fail(NULL, why, whylen, r,
			                  "cannot make the directory of '%s': %s", path,
			                  strerror(-r));
		return 0;
	}
	r = sq_check_header(path, &empty, why, whylen);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return store_fail(NULL, why, whylen, r, "cannot read '%s': %s", path, strerror(-r));
	if (empty && (flags & STORE_READONLY))
		return store_fail(NULL, why, whylen, -ENOENT, "'%s': no history yet (empty)", path);
	return 0;
}

static int sq_open(struct store *st, const char *path, int flags, char *why, size_t whylen)
{
	bool exists, had_wal, had_shm;
	sqlite3 *db = NULL;
	int rc, r, oflags;

	r = sq_check_path(path, flags, &exists, why, whylen);
	if (r < 0)
		return r;
	oflags =
	    SQLITE_OPEN_NOMUTEX | (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	if (!exists)
		oflags |= SQLITE_OPEN_CREATE;
	had_wal = sq_side_file(path, "-wal", false);
	had_shm = sq_side_file(path, "-shm", false);
	rc = sqlite3_open_v2(path, &db, oflags, NULL);
	st->conn = db;
	if (rc != SQLITE_OK)
		return store_fail(st, why, whylen, sq_errno(rc), "cannot open '%s': %s", path,
		                  db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 30000);
	sqlite3_extended_result_codes(db, 1);
	r = sq_prepare_schema(st, path, why, whylen);
	if (r == 0 && !st->readonly) {
		/* Only once the file is known to be ours (or new): this writes its header. */
		r = sq_exec(st, "PRAGMA journal_mode = WAL");
		if (!r)
			r = sq_exec(st, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
		if (r < 0)
			r = store_fail(st, why, whylen, r, "cannot set up '%s': %s", path,
			               store_errmsg(st));
	}
	if (r == -EBADMSG || r == -ENOTSUP) {
		sqlite3_close(db);
		st->conn = NULL;
		sq_remove_side_files(path, had_wal, had_shm);
	}
	return r;
}

static void sq_close(struct store *st)
{
	sqlite3_close(sq_db(st));
	st->conn = NULL;
}

static bool sq_claims(const char *where)
{
	(void)where;
	return true;
}

const struct store_backend store_backend_sqlite = {
    .name = "sqlite",
    .claims = sq_claims,
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_tx = sq_in_tx,
    .prepare = sq_prepare,
    .step = sq_step,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .column_null = sq_column_null,
    .column_int64 = sq_column_int64,
    .column_double = sq_column_double,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .changes = sq_changes,
    .own_run = sq_own_run,
    .run_alive = sq_run_alive,
    .errmsg = sq_errmsg,
    .settle = sq_settle,
};
