/*
 * A file replaced whole or not at all: written to a temporary file in the same
 * directory, readable by others (0644: a web server or node_exporter reads
 * it), flushed to disk and renamed over the target. A reader sees the old file
 * or the new one, never half of one.
 *
 *   struct outfile o;
 *   outfile_open(&o, "/var/lib/node_exporter/portscope.prom", why, len);
 *   prom_write(o.f, &run);
 *   outfile_commit(&o, 0, why, len);      (err != 0: drop the temporary file)
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

struct outfile {
	const char *path;
	char tmp[PATH_MAX];
	FILE *f;
};

/* Opens the temporary file. Returns 0, or a negative errno with a reason. */
int outfile_open(struct outfile *o, const char *path, char *why, size_t whylen);

/*
 * With err 0: flushes, syncs and renames the temporary file over the path;
 * else (or when that fails) removes it. Returns 0, or the negative errno with
 * a reason (err itself when non-zero; why is left alone then).
 */
int outfile_commit(struct outfile *o, int err, char *why, size_t whylen);
