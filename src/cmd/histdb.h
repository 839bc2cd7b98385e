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

/* Parses a run id: a number from 1, or "last" (the newest run). Returns 0 or -EINVAL. */
int histdb_parse_id(struct store *st, const char *word, int64_t *id);

/* "2026-11-24 10:47:01" in local time into buf. */
const char *histdb_time(double t, char *buf, size_t len);
