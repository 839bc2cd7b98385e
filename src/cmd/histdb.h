/* What history, show and diff share: the history file to read, run ids, run headers. */
#pragma once

#include <stdint.h>

#include "store/store.h"

/*
 * Opens the history read-only: --db path, else the default one. Returns
 * EXIT_OK with *st set, or reports and returns EXIT_USAGE (no such file, a
 * foreign or corrupt file) / EXIT_RUNTIME.
 */
int histdb_open(const char *cmd, const char *db, struct store **st);

/*
 * The same, but the default file not there yet (nothing ever recorded) is an
 * empty history: EXIT_OK with *st NULL. A --db file that is not there is
 * still an error (a typo).
 */
int histdb_open_or_empty(const char *cmd, const char *db, struct store **st);

/*
 * Reports a failure r to read st ("'PATH' is corrupt (…); left untouched" for
 * -EBADMSG) and returns its exit status: EXIT_USAGE for a corrupt file,
 * EXIT_RUNTIME otherwise.
 */
int histdb_read_error(const char *cmd, const struct store *st, int r);

/* Parses a run id: a number from 1, or "last" (the newest run). Returns 0 or -EINVAL. */
int histdb_parse_id(struct store *st, const char *word, int64_t *id);

/* "2026-11-24 10:47:01" in local time into buf. */
const char *histdb_time(double t, char *buf, size_t len);

/*
 * A run as JSON (schema/run.json): {"type":"run","id",…,"start","end","duration_s",…},
 * with "role" ("old", "new") when role is not NULL. NULL: no memory.
 */
struct json_t;
struct json_t *histdb_json_run(const struct store_run *r, const char *role);
