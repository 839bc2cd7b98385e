/*
 * History: every scan and audit as a run with its command line, times,
 * targets, port results and findings, in a database behind a backend
 * (db.h): SQLite, the default, or PostgreSQL.
 *
 * An SQLite file is marked as portscope's (PRAGMA application_id) and
 * versioned (PRAGMA user_version, one migration per version). It runs in WAL
 * mode with a busy timeout, so two scans can write at once and readers never
 * block.
 * Writes are batched: a transaction is committed every STORE_BATCH_ROWS rows
 * or STORE_BATCH_MS milliseconds, and at store_run_end()/store_flush().
 *
 * A run is "running" until store_run_end(); a running run whose process is
 * gone (another boot, or a dead pid) is reported, and marked on the next
 * writable open, as "incomplete".
 *
 *   struct store *st;
 *   store_open("/tmp/h.db", STORE_CREATE, &st, why, sizeof(why));
 *   store_run_begin(st, &(struct store_run_info){.kind = "scan", ...}, &id);
 *   store_port(st, id, &port);   …   store_host(st, id, &host);
 *   store_run_end(st, id, &summary, STORE_RUN_COMPLETE);
 *   store_close(st);
 *
 * A file that is not SQLite, is corrupt, or is another program's database is
 * refused (-ENOTSUP for foreign, -EBADMSG for corrupt or not SQLite) and left
 * untouched.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/portspec.h"
#include "net/targetspec.h"
#include "scan/result.h"

#define STORE_APPLICATION_ID 0x50534350 /* "PSCP" */
#define STORE_SCHEMA_VERSION 3
#define STORE_BATCH_ROWS     2000
#define STORE_BATCH_MS       250

enum store_flags {
	STORE_CREATE = 1 << 0,   /* create the file (and its directory) when missing */
	STORE_READONLY = 1 << 1, /* never write (history, show, diff) */
};

enum store_status {
	STORE_RUN_RUNNING,
	STORE_RUN_COMPLETE,
	STORE_RUN_INCOMPLETE, /* killed, or ended by a failure */
};

struct store;

/* "running", "complete", "incomplete"; NULL for an unknown value. */
const char *store_status_name(int status);

/*
 * The default path into buf: $XDG_STATE_HOME/portscope/history.db, else
 * $HOME/.local/state/portscope/history.db. Returns 0, -ENOENT when neither
 * variable is set (or not absolute), -ENAMETOOLONG.
 */
int store_default_path(char *buf, size_t len);

/*
 * Opens (with STORE_CREATE: creates) the history at where (an SQLite file's
 * path, or what another backend claims) and brings its schema up to date.
 * Returns 0 with *out set, or a negative errno with a reason:
 *   -ENOENT     no such file (without STORE_CREATE)
 *   -EBADMSG    not an SQLite file, or corrupt
 *   -ENOTSUP    another program's database, or a newer schema than this build's
 *   -EACCES, -EBUSY, -EIO, -ENOMEM
 */
int store_open(const char *where, int flags, struct store **out, char *why, size_t whylen);

/* Commits what is pending and closes. NULL is allowed. */
void store_close(struct store *st);

/* Commits the pending batch. Returns 0 or a negative errno. */
int store_flush(struct store *st);

/*
 * Commits the pending batch when it is older than STORE_BATCH_MS, so that a
 * scan waiting on silent ports does not hold the write lock; call it often
 * (the scan calls it from its progress callback). Returns 0 or a negative errno.
 */
int store_tick(struct store *st);

/* The last error message of st's database, for a reason line. */
const char *store_errmsg(const struct store *st);

struct store_run_info {
	const char *kind;                  /* "scan", "audit" */
	const char *version;               /* portscope version */
	const char *args;                  /* the command line as one string */
	const char *targets;               /* the target words as given ("198.18.0.0/24 -iL f") */
	const char *ports;                 /* scanned ports as ranges ("1-1024,8080"); NULL: none */
	int proto;                         /* IPPROTO_TCP, IPPROTO_UDP; 0 when none */
	const char *scan_type;             /* nmap XML scaninfo type ("connect") */
	double start;                      /* wall clock, seconds since the epoch */
	const char *hostname;              /* the machine that runs it; NULL: this one's */
	uint32_t shard_index, shard_count; /* its shard (1-based) of shard_count; 0: none */
	uint64_t seed;                     /* the permutation's (resumes and shards) */
	const char *argv;                  /* the command line as a JSON array, or NULL */
};

/* Records a new run as running and commits it at once. Returns 0 with *id set. */
int store_run_begin(struct store *st, const struct store_run_info *ri, int64_t *id);

/* One port result; service fields may be NULL. */
struct store_port {
	const struct target_addr *addr;
	int proto;
	uint16_t port;
	enum scan_state state;
	enum scan_reason reason;
	uint32_t rtt_us;
	const char *service, *product, *version; /* detected service, or NULL */
};

/* Adds (or replaces) a port result of run id. Returns 0 or a negative errno. */
int store_port(struct store *st, int64_t id, const struct store_port *p);

/*
 * Records a host whose ports are all decided: its summary, and its ports
 * (those in the host's most common state, as nmap's "Not shown", are kept as
 * one count on the host and dropped as rows). Returns 0 or a negative errno.
 */
int store_host(struct store *st, int64_t id, const struct scan_host *h);

struct store_finding {
	const struct target_addr *addr; /* NULL: not about one host */
	int proto;                      /* IPPROTO_TCP, IPPROTO_UDP; 0: not about one port */
	uint16_t port;
	const char *check;    /* stable identifier ("exposed-smb") */
	const char *severity; /* "info", "low", "medium", "high" */
	const char *title;    /* one line */
	const char *detail;   /* may be NULL */
};

/* Adds a finding to run id. Returns 0 or a negative errno. */
int store_finding(struct store *st, int64_t id, const struct store_finding *f);

/* A stored finding as read back. Strings live only during the callback. */
struct store_finding_row {
	const char *host; /* NULL: not about one host */
	int proto;        /* 0: not about one port */
	uint16_t port;
	const char *check, *severity, *title, *detail; /* severity, title, detail may be NULL */
};

/*
 * Calls cb for each finding of run id in the order they were recorded; stops
 * when cb returns non-zero and returns that value. Returns 0 when done (also
 * for a run without findings), -EBADMSG for a malformed row, or a negative errno.
 */
int store_findings(struct store *st, int64_t id,
                   int (*cb)(void *ctx, const struct store_finding_row *f), void *ctx);

/*
 * Ends run id with status (STORE_RUN_COMPLETE or STORE_RUN_INCOMPLETE) and the
 * scan's summary (may be NULL), and commits. Returns 0 or a negative errno.
 */
int store_run_end(struct store *st, int64_t id, const struct scan_summary *sum, int status);

/* A run as history lists it. Strings are owned by the store until the next call. */
struct store_run {
	int64_t id;
	const char *kind, *version, *args, *targets, *ports, *scan_type;
	int proto;
	double start, end; /* end 0 while running or when killed */
	int status;        /* enum store_status; a dead running run reads as incomplete */
	uint64_t hosts_total, hosts_up;
	uint64_t open; /* open ports over all hosts */
	uint64_t findings;
	uint64_t probes_sent;
	const char *hostname; /* the machine that ran it; NULL when not recorded */
	uint32_t shard_index, shard_count;
	uint64_t seed;
	const char *argv; /* JSON array, or NULL */
};

struct store_query {
	size_t limit;       /* 0: all */
	const char *target; /* runs whose target words hold this word or scanned this host */
	const char *kind;   /* NULL: any */
};

/*
 * Calls cb for each run matching q, newest first; stops when cb returns
 * non-zero and returns that value. Returns 0 or a negative errno.
 */
int store_runs(struct store *st, const struct store_query *q,
               int (*cb)(void *ctx, const struct store_run *r), void *ctx);

/*
 * The port list of a run (proto's ports) from its stored ranges ("1-1024,8080");
 * empty for NULL. Returns 0, -EBADMSG or -ENOMEM.
 */
int store_run_portlist(const char *ranges, int proto, struct portlist *out);

/* Fills r with run id. Returns 0, -ENOENT, or a negative errno. */
int store_run_get(struct store *st, int64_t id, struct store_run *r);

/*
 * The newest complete run (before = 0) or the newest complete run older than
 * run before with the same kind and target words. Returns 0 with *id, -ENOENT.
 */
int store_run_previous(struct store *st, int64_t before, int64_t *id);

/*
 * Rebuilds the hosts of run id as the scan reported them, in the order they
 * were recorded, and calls cb for each; a host of an interrupted run that was
 * never finished is given with the ports recorded so far (others pending).
 * ports is the run's port list (from store_run_get().ports). Stops when cb
 * returns non-zero and returns that value; 0 when done; negative errno.
 */
int store_hosts(struct store *st, int64_t id, int (*cb)(void *ctx, const struct scan_host *h),
                void *ctx);
