/* What the store's files share: the handle, cached statements, helpers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
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
	STMT_CHECKPOINT,
	STORE_STMT_COUNT,
};

struct store {
	const struct store_backend *be;
	void *conn; /* the backend's connection */
	bool readonly;
	bool in_tx;           /* a batch transaction is open */
	unsigned rows;        /* rows written in the open batch */
	uint64_t tx_start_ms; /* when the batch began (monotonic) */
	int error;            /* first failed commit */
	char boot_id[40];
	char hostname[256]; /* this machine's, for the runs it begins */
	struct db_stmt *stmts[STORE_STMT_COUNT];
	char *strs;    /* strings of the last store_run filled */
	char *path;    /* where, as opened */
	char err[256]; /* the backend's message of the last failure, kept past later calls */
};

/* Sets why (may be NULL) and returns err. */
int store_fail(struct store *st, char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Keeps msg as the message of the last failure (store_errmsg()). */
void store_set_err(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The cached statement i, prepared from sql on first use, reset and cleared; NULL on failure. */
struct db_stmt *store_stmt(struct store *st, enum store_stmt_id i, const char *sql);

/* Opens the batch transaction when none is open. */
int store_batch_begin(struct store *st);

/* This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable. */
void store_read_boot_id(char *buf, size_t len);

/* Whether the process pid of boot boot_id (this machine's) still runs. */
bool store_local_owner_alive(const struct store *st, int64_t pid, const char *boot_id);

/* The sort key of an address: family byte then the address bytes. Returns its length. */
size_t store_addr_key(const struct target_addr *a, uint8_t key[17]);

/* The address of a key. Returns 0 or -EBADMSG. */
int store_addr_from_key(const void *key, size_t len, struct target_addr *a);

/*
 * Runs sql with id bound to its first parameter and calls row() with the
 * statement at each row; stops at row()'s first non-zero return and returns
 * it. Returns 0 when done, or a negative errno (the backend's message noted).
 */
int store_each_row(struct store *st, const char *sql, int64_t id,
                   int (*row)(struct db_stmt *s, void *arg), void *arg);
