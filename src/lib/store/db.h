/*
 * The history's database backends: one ops struct per backend (db-sqlite.c,
 * db-pg.c), and the statement interface the store's files use instead of a
 * backend's own API, so that every query is written once.
 *
 * The SQL the store writes is one dialect both backends run (SQLite 3.39+,
 * PostgreSQL 12+); a backend may rewrite placeholders, nothing else:
 *   - parameters are ?N (or ?, numbered in order of appearance);
 *   - upserts as INSERT ... ON CONFLICT (cols) DO UPDATE SET c = excluded.c,
 *     or ON CONFLICT DO NOTHING; never INSERT OR REPLACE / OR IGNORE;
 *   - a new row's id by INSERT ... RETURNING id;
 *   - NULL-safe comparison by IS [NOT] DISTINCT FROM, never "a IS b";
 *   - truth values as integers compared explicitly (up <> 0, never "WHERE up"),
 *     and sums of conditions as sum(CASE WHEN ... THEN 1 ELSE 0 END);
 *   - every selected column of a GROUP BY query grouped or aggregated;
 *   - no LIMIT -1: "no limit" is a large number (DB_NO_LIMIT);
 *   - the columns named end and user are written quoted ("end", "user");
 *   - instr(a, b) and min(bytea) exist in both (PostgreSQL's migrations add them).
 * Schemas differ in their types only (INTEGER PRIMARY KEY / bigint identity,
 * BLOB / bytea, REAL / double precision) and are migrated version by version
 * in each backend, STORE_SCHEMA_VERSION migrations in each.
 *
 *   struct db_stmt *s;
 *   r = db_prepare(st, "SELECT id, kind FROM runs WHERE status = ?1", &s);
 *   db_bind_int64(s, 1, STORE_RUN_RUNNING);
 *   while ((r = db_step(s)) == DB_ROW)
 *           use(db_column_int64(s, 0), db_column_text(s, 1));
 *   db_finalize(s);          r: DB_DONE (0), or a negative errno (db_errmsg())
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum { DB_DONE = 0, DB_ROW = 1 };

#define DB_MAX_PARAMS 24
#define DB_NO_LIMIT   INT64_MAX

enum db_type { DB_NULL = 0, DB_INT, DB_DOUBLE, DB_TEXT, DB_BLOB };

/* A bound parameter. Text and blobs are borrowed: valid until the next db_step(). */
struct db_value {
	enum db_type type;
	int64_t i;
	double d;
	const void *p;
	size_t len; /* blobs */
};

/* A statement; a backend's own statement begins with it. */
struct db_stmt {
	struct store *st;
	struct db_value param[DB_MAX_PARAMS]; /* param[0] is ?1 */
	unsigned nparam;                      /* the highest ?N bound */
	bool started;                         /* stepped since the last reset */
};

enum db_tx {
	DB_TX_READ,  /* a snapshot to read from */
	DB_TX_WRITE, /* waits for the write lock (SQLite's BEGIN IMMEDIATE) */
};

struct store_backend {
	const char *name; /* "sqlite", "postgresql" */
	/* Whether this backend takes the --db string (a URI or conninfo for PostgreSQL). */
	bool (*claims)(const char *where);
	/*
	 * Connects st to where, checks that it is a portscope history (or empty)
	 * and, unless st->readonly, brings the schema to STORE_SCHEMA_VERSION.
	 * Returns 0 or a negative errno with a reason in why (see store_open()).
	 */
	int (*open)(struct store *st, const char *where, int flags, char *why, size_t whylen);
	void (*close)(struct store *st);
	/* Runs SQL of one or more statements without parameters or rows. */
	int (*exec)(struct store *st, const char *sql);
	int (*begin)(struct store *st, enum db_tx kind);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st); /* of the open transaction, if any */
	bool (*in_tx)(const struct store *st);

	int (*prepare)(struct store *st, const char *sql, bool persistent, struct db_stmt **out);
	/* Binds the parameters (at the first step after a reset) and steps: DB_ROW, DB_DONE,
	 * -errno. */
	int (*step)(struct db_stmt *s);
	void (*reset)(struct db_stmt *s);
	void (*finalize)(struct db_stmt *s);
	bool (*column_null)(struct db_stmt *s, int i);
	int64_t (*column_int64)(struct db_stmt *s, int i); /* truth values are 0 and 1 */
	double (*column_double)(struct db_stmt *s, int i);
	const char *(*column_text)(struct db_stmt *s, int i); /* NULL for NULL */
	const void *(*column_blob)(struct db_stmt *s, int i, size_t *len);
	/* Rows the last step of s inserted, updated or deleted. */
	int64_t (*changes)(struct db_stmt *s);

	/*
	 * This connection runs run id (own) or has ended it: what run_alive() asks
	 * of other connections. Returns 0, or -EBUSY when another process runs it.
	 */
	int (*own_run)(struct store *st, int64_t id, bool own);
	/*
	 * Whether the process that began run id (pid of boot boot_id, on host
	 * hostname) still runs it. Called for runs in state running.
	 */
	bool (*run_alive)(struct store *st, int64_t id, int64_t pid, const char *boot_id,
	                  const char *hostname);
	/* The backend's last message, when st->err holds none. */
	const char *(*errmsg)(const struct store *st);
	/*
	 * Waits until what was committed is on the server, or until the backend
	 * gives up (a connection lost and not regained): 0 or a negative errno.
	 */
	int (*settle)(struct store *st);
};

extern const struct store_backend store_backend_sqlite;
extern const struct store_backend store_backend_pg;

/* The backends, NULL-terminated; the last one (SQLite) takes any path. */
extern const struct store_backend *const store_backends[];

/* Whether where names a PostgreSQL database (a URI or a conninfo string). */
bool db_pg_claims(const char *where);

/* The backend that takes where. */
const struct store_backend *store_backend_for(const char *where);

/* Prepares sql (persistent: kept for many runs, as the cached statements). */
int db_prepare(struct store *st, const char *sql, struct db_stmt **out);
int db_prepare_persistent(struct store *st, const char *sql, struct db_stmt **out);
int db_step(struct db_stmt *s);
/* Makes s ready to run again; its parameters stay bound. */
void db_reset(struct db_stmt *s);
void db_clear_bindings(struct db_stmt *s);
void db_finalize(struct db_stmt *s); /* NULL is allowed */

/* Binds ?i (from 1). Out of range indexes are ignored (the step then fails). */
void db_bind_int64(struct db_stmt *s, int i, int64_t v);
void db_bind_double(struct db_stmt *s, int i, double v);
void db_bind_text(struct db_stmt *s, int i, const char *t); /* NULL binds NULL */
void db_bind_blob(struct db_stmt *s, int i, const void *p, size_t len);
void db_bind_null(struct db_stmt *s, int i);

bool db_column_null(struct db_stmt *s, int i);
int64_t db_column_int64(struct db_stmt *s, int i);
int db_column_int(struct db_stmt *s, int i);
double db_column_double(struct db_stmt *s, int i);
const char *db_column_text(struct db_stmt *s, int i);
const void *db_column_blob(struct db_stmt *s, int i, size_t *len);
int64_t db_changes(struct db_stmt *s);

/* Runs a statement that returns no row to its end, then resets it. */
int db_step_done(struct db_stmt *s);

int db_exec(struct store *st, const char *sql);
int db_begin(struct store *st, enum db_tx kind);
int db_commit(struct store *st);
void db_rollback(struct store *st);
bool db_in_tx(const struct store *st);
