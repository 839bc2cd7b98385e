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

/*
 * A file written at the end of a run that may give up root before (a raw scan
 * drops privileges: root becomes nobody, who may not write in root's
 * directories, such as node_exporter's textfile directory). A keeper process,
 * forked before the run, keeps the caller's identity: it opens the temporary
 * file at once, so that a path it cannot write is refused before the run, and
 * waits. Sent the content whole, it writes, syncs and renames it; at the end
 * of the socket without it (the run failed, or was killed), it removes the
 * temporary file and path stays as it was. Fork before starting threads.
 * (Windows: outfile-windows.c does the same in the process itself.)
 *
 *   struct outfile_keeper k;
 *   outfile_keep(&k, "/var/lib/node_exporter/portscope.prom", why, len);
 *   ... the run, which may drop privileges ...
 *   outfile_keeper_send(&k, text, strlen(text), why, len);  or outfile_keeper_cancel(&k)
 */
struct outfile_keeper {
	int pid; /* the keeper; 0: none */
	int fd;  /* our end of the socket to it */
	struct outfile
	    *file; /* Windows: the temporary file, kept in-process (no fork, no setuid) */
};

/* Forks the keeper of path. Returns 0, or a negative errno with a reason. */
int outfile_keep(struct outfile_keeper *k, const char *path, char *why, size_t whylen);

/* Has the keeper write buf (len bytes) to its path. Returns 0, or a negative errno with a reason.
 */
int outfile_keeper_send(struct outfile_keeper *k, const void *buf, size_t len, char *why,
                        size_t whylen);

/* Ends the keeper without writing (nothing happens without one). */
void outfile_keeper_cancel(struct outfile_keeper *k);
