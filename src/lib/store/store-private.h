/* What the store's files share: the handle, cached statements, helpers. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

enum store_stmt_id {
	STMT_RUN_BEGIN,
	STMT_PORT,
	STMT_HOST,
	STMT_HOST_PRUNE,
	STMT_HOST_PORT,
	STMT_FINDING,
	STMT_ENDPOINT,
	STMT_RUN_END,
	STORE_STMT_COUNT,
};

struct store {
	sqlite3 *db;
	bool readonly;
	bool in_tx;           /* a batch transaction is open */
	unsigned rows;        /* rows written in the open batch */
	uint64_t tx_start_ms; /* when the batch began (monotonic) */
	int error;            /* first failed commit */
	char boot_id[40];
	sqlite3_stmt *stmts[STORE_STMT_COUNT];
	char *strs;    /* strings of the last store_run filled */
	char err[256]; /* SQLite's message of the last failure, kept past later calls */
};

/* Sets why (may be NULL) and returns err. */
int store_fail(struct store *st, char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* An SQLite result code as a negative errno (0 for OK, ROW, DONE). */
int store_errno(int rc);

/*
 * Keeps SQLite's message for the failure rc (sqlite3_errmsg() while it still
 * holds it, else sqlite3_errstr(rc)) for store_errmsg(). Returns store_errno(rc).
 */
int store_note(struct store *st, int rc);

/* Runs sql; a failure is noted. Returns 0 or a negative errno. */
int store_exec(struct store *st, const char *sql);

sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id i, const char *sql);

/* Whether the process pid of boot boot_id still runs. */
bool store_owner_alive(const struct store *st, int64_t pid, const char *boot_id);

/* The sort key of an address: family byte then the address bytes. Returns its length. */
size_t store_addr_key(const struct target_addr *a, uint8_t key[17]);

/* The address of a key. Returns 0 or -EBADMSG. */
int store_addr_from_key(const void *key, size_t len, struct target_addr *a);

/*
 * Runs sql with id bound to its first parameter and calls row() with the
 * statement at each row; stops at row()'s first non-zero return and returns
 * it. Returns 0 when done, or a negative errno (SQLite's message noted).
 */
int store_each_row(struct store *st, const char *sql, int64_t id,
                   int (*row)(sqlite3_stmt *s, void *arg), void *arg);
