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
#define STORE_SCHEMA_VERSION 6
#define STORE_BATCH_ROWS     2000
#define STORE_BATCH_MS       250

enum store_flags {
	STORE_CREATE = 1 << 0,   /* create the file when missing (its directory must exist) */
	STORE_READONLY = 1 << 1, /* never write (history, show, diff) */
	STORE_MKDIR = 1 << 2, /* with STORE_CREATE: make the directories too (the default path) */
};

enum store_status {
	STORE_RUN_RUNNING,
	STORE_RUN_COMPLETE,
	STORE_RUN_INCOMPLETE,  /* killed, or ended by a failure */
	STORE_RUN_INTERRUPTED, /* stopped by SIGINT or SIGTERM, what it found so far kept */
};

struct store;

/* "running", "complete", "incomplete", "interrupted"; NULL for an unknown value. */
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
 *   -ENOENT     no such file (without STORE_CREATE), or no such directory
 *               (an SQLite file without STORE_MKDIR)
 *   -EISDIR     an SQLite path that is a directory
 *   -EBADMSG    not an SQLite file, or corrupt
 *   -ENOTSUP    another program's database, or a newer schema than this build's
 *   -EACCES, -EBUSY, -EIO, -ENOMEM
 */
int store_open(const char *where, int flags, struct store **out, char *why, size_t whylen);

/* What st was opened with (the file's path, the connection string). */
const char *store_path(const struct store *st);

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
	int64_t resume;                    /* continue this interrupted run instead */
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
	/* -sV's answer beside them (NULL when none): nmap's service fields */
	const char *extrainfo, *hostname, *ostype, *devicetype, *cpe, *tunnel;
	bool probed;   /* -sV identified it: method "probed" with conf */
	unsigned conf; /* nmap's conf, 0-10, when probed */
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
	const char *check;          /* stable identifier ("exposed-smb") */
	const char *severity;       /* "info", "low", "medium", "high" */
	const char *title;          /* one line */
	const char *detail;         /* the evidence; may be NULL */
	const char *recommendation; /* what to do; may be NULL */
	const char *citation;       /* where the risk is documented; may be NULL */
	int pid;                    /* the owner process; 0: none or unknown */
	const char *process;        /* its name; may be NULL */
};

/* Adds a finding to run id. Returns 0 or a negative errno. */
int store_finding(struct store *st, int64_t id, const struct store_finding *f);

/* A stored finding as read back. Strings live only during the callback. */
struct store_finding_row {
	const char *host; /* NULL: not about one host */
	int proto;        /* 0: not about one port */
	uint16_t port;
	const char *check, *severity, *title, *detail; /* severity, title, detail may be NULL */
	const char *recommendation, *citation;         /* NULL when not recorded (schema 1) */
	int pid;                                       /* 0: none or unknown */
	const char *process;                           /* may be NULL */
};

/*
 * Calls cb for each finding of run id in the order they were recorded; stops
 * when cb returns non-zero and returns that value. Returns 0 when done (also
 * for a run without findings), -EBADMSG for a malformed row, or a negative errno.
 */
int store_findings(struct store *st, int64_t id,
                   int (*cb)(void *ctx, const struct store_finding_row *f), void *ctx);

/*
 * The same, most severe first (high, medium, low, info, then unknown
 * severities), in recording order within a severity.
 */
int store_findings_by_severity(struct store *st, int64_t id,
                               int (*cb)(void *ctx, const struct store_finding_row *f), void *ctx);

/*
 * An audit's endpoint: a listening socket (local audit: addr is its bind
 * address) or an open port (remote audit: addr is the target), with what the
 * audit decided about it. Empty strings are stored as NULL.
 */
struct store_endpoint {
	const struct target_addr *addr; /* NULL: unknown */
	int proto;                      /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	const char *exposure;     /* "reachable", "loopback-only", "blocked", …; required */
	const char *reachable_on; /* the addresses where it answers, comma-separated */
	const char *decided_by;   /* the firewall rule that decided, when known */
	const char *service, *product, *version; /* what service detection found */
	const char *port_default;                /* the port's name in the services files */
	bool mismatch;                           /* the service is not the port's */
	int pid;                                 /* owner; 0: none or unknown */
	const char *process, *user;
};

/* Adds an endpoint to run id. Returns 0, -EINVAL (no exposure, bad proto), or a negative errno. */
int store_endpoint(struct store *st, int64_t id, const struct store_endpoint *e);

/* An endpoint as read back; strings live only during the callback, NULL when not known. */
struct store_endpoint_row {
	const char *host;
	int proto;
	uint16_t port;
	const char *exposure, *reachable_on, *decided_by;
	const char *service, *product, *version, *port_default;
	bool mismatch;
	int pid;
	const char *process, *user;
};

/*
 * Calls cb for each endpoint of run id in the order they were recorded; stops
 * when cb returns non-zero and returns that value. Returns 0 when done (also
 * for a run without endpoints: a scan, or an audit of schema 1), -EBADMSG for
 * a malformed row, or a negative errno.
 */
int store_endpoints(struct store *st, int64_t id,
                    int (*cb)(void *ctx, const struct store_endpoint_row *e), void *ctx);

/*
 * The ports of one host of run id that -sV identified, ascending, as
 * store_port() was given them (service, product, …, conf); the strings are
 * valid during the call only. Stops when cb returns non-zero and returns that
 * value; 0 when done; negative errno.
 */
int store_services(struct store *st, int64_t id, const struct target_addr *addr, int proto,
                   int (*cb)(void *ctx, uint16_t port, const struct store_port *p), void *ctx);

/*
 * Ends run id with status (STORE_RUN_COMPLETE, _INCOMPLETE or _INTERRUPTED) and the
 * scan's summary (may be NULL), and commits. Returns 0 or a negative errno.
 */
int store_run_end(struct store *st, int64_t id, const struct scan_summary *sum, int status);

/*
 * Keeps c as run id's checkpoint (replacing the last) and commits it with
 * everything written before. Returns 0 or a negative errno.
 */
int store_checkpoint_put(struct store *st, int64_t id, const struct scan_checkpoint *c);

/* A checkpoint read back; hosts and res are its own (store_checkpoint_free()). */
struct store_checkpoint {
	struct scan_checkpoint c;
	struct target_addr *hosts;
	uint8_t *res;
	uint64_t hosts_up; /* hosts recorded up before it (reported, finished groups) */
};

/* Reads run id's checkpoint into out. Returns 0, -ENOENT (none), -EBADMSG or -errno. */
int store_checkpoint_get(struct store *st, int64_t id, struct store_checkpoint *out);

void store_checkpoint_free(struct store_checkpoint *c);

/*
 * Takes over run id, incomplete (killed) or interrupted (SIGINT, SIGTERM), to
 * continue it (--resume): running again, owned by this process and machine.
 * Of two processes taking one run at once, one gets it, the other -EBUSY.
 * Returns 0, -ENOENT, -EBUSY (still running), -EALREADY (complete), or a
 * negative errno.
 */
int store_run_resume(struct store *st, int64_t id);

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
	int64_t like;       /* > 0: runs of the same kind, target words and machine as this one */
	bool complete;      /* complete runs only */
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
 * Whether host names a machine whose own audits (runs without targets) the
 * history holds, by the name the machine recorded: 1, 0, or a negative errno.
 */
int store_host_is_machine(struct store *st, const char *host);

/*
 * The newest complete run that covered host (before = 0), or the newest
 * complete run of run before's kind older than it that covered host: the
 * machine's own audits when machine (host is its name), else the runs that
 * scanned the address host, from any machine and with any target words.
 * Returns 0 with *id, -ENOENT, or a negative errno.
 * Example: audits 1 (of 198.18.0.2 198.18.2.2), scan 2 and audit 3 (of
 * 198.18.0.2): for "198.18.0.2", before 0 gives 3, before 3 gives 1 (2 is a
 * scan), before 1 -ENOENT; for "198.18.2.2", before 0 gives 1.
 */
int store_host_previous(struct store *st, const char *host, bool machine, int64_t before,
                        int64_t *id);

/*
 * Rebuilds the hosts of run id as the scan reported them, in the order they
 * were recorded, and calls cb for each; a host of an interrupted run that was
 * never finished is given with the ports recorded so far (others pending).
 * ports is the run's port list (from store_run_get().ports). Stops when cb
 * returns non-zero and returns that value; 0 when done; negative errno.
 */
int store_hosts(struct store *st, int64_t id, int (*cb)(void *ctx, const struct scan_host *h),
                void *ctx);

/*
 * What the report and the metrics count in a run. Severity indexes are those
 * of enum kb_severity (info 0, low 1, medium 2, high 3).
 */
#define STORE_SEVERITIES 4

struct store_counts {
	uint64_t endpoints; /* audit endpoints (0: a scan, or a schema 1 audit) */
	uint64_t reachable, loopback, blocked; /* endpoints by exposure */
	uint64_t open_tcp, open_udp;           /* open ports the run's scans found */
	uint64_t hosts_up;                     /* hosts up */
	uint64_t findings[STORE_SEVERITIES];
	uint64_t findings_other; /* findings of no known severity */
};

/* The severity index of a stored severity name ("high" → 3), -1 for others. */
int store_severity_index(const char *name);

/* Fills c with the counts of run id. Returns 0 or a negative errno (a missing run counts 0). */
int store_run_counts(struct store *st, int64_t id, struct store_counts *c);

enum store_endpoint_change_kind {
	STORE_EP_OPENED,   /* an endpoint of b only */
	STORE_EP_CLOSED,   /* an endpoint of a only */
	STORE_EP_EXPOSURE, /* in both, with another exposure */
};

struct store_endpoint_change {
	enum store_endpoint_change_kind kind;
	const char *host; /* may be NULL */
	int proto;
	uint16_t port;
	const char *old_exposure, *new_exposure; /* NULL where the endpoint is missing */
	const char *service; /* the newer run's, else the older's; may be NULL */
};

/*
 * The endpoints opened, closed and re-exposed between audit a (older) and b,
 * matched by host, protocol and port: opened ones first, then closed, then
 * changed, each by host and port. Stops when cb returns non-zero and returns
 * that value. Returns the number of changes or a negative errno.
 * Example: a has 0.0.0.0:22/tcp reachable, b has it blocked and a new
 * 0.0.0.0:6379/tcp: {OPENED 6379}, {EXPOSURE 22 reachable -> blocked}, returns 2.
 */
int64_t store_endpoint_diff(struct store *st, int64_t a, int64_t b,
                            int (*cb)(void *ctx, const struct store_endpoint_change *c), void *ctx);

/* One host of the fleet: its newest complete run of a kind, and what that run found. */
struct store_fleet_host {
	const char *host; /* the target address (remote runs) or the machine's name (own audits) */
	bool local;       /* the machine's own audit (host is its name; "" when unknown) */
	bool up;          /* remote: up in that run */
	int64_t run;      /* the newest complete run that covered it */
	double start;     /* of that run */
	const char *scanner; /* the machine that ran it; NULL when not recorded */
	uint64_t runs;       /* complete runs of the kind that covered it */
	uint64_t open;       /* open ports (remote), listening sockets (own audits) */
	uint64_t endpoints;  /* audit endpoints of the host in that run */
	uint64_t reachable, loopback, blocked; /* those endpoints by exposure */
	uint64_t findings[STORE_SEVERITIES];
};

/*
 * Calls cb for each host that complete runs of kind ("audit", "scan") have
 * covered: the machines' own audits first (by name), then remote targets (by
 * address). Strings live only during the callback. Stops when cb returns
 * non-zero and returns that value. Returns 0 or a negative errno.
 */
int store_fleet(struct store *st, const char *kind,
                int (*cb)(void *ctx, const struct store_fleet_host *h), void *ctx);

/* The number of hosts store_fleet() would report, at most limit (0: no limit). */
int store_fleet_count(struct store *st, const char *kind, uint64_t limit, uint64_t *n);

/* A stored port row; strings live only during the callback. */
struct store_port_row {
	const char *host;
	int proto;
	uint16_t port;
	enum scan_state state;
	enum scan_reason reason;
	const char *service, *product, *version; /* NULL when not detected */
};

/*
 * Calls cb for each port row of run id (the ports not in their host's "not
 * shown" state, and every open one) by address, protocol and port. Stops when
 * cb returns non-zero and returns that value. Returns 0, -EBADMSG for a
 * malformed row, or a negative errno.
 */
int store_ports(struct store *st, int64_t id, int (*cb)(void *ctx, const struct store_port_row *p),
                void *ctx);
