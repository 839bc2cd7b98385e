/*
 * `portscope scan`: the parsed command line. scan_opts_parse() fills it from
 * nmap-style arguments (the table in scan-opts.c); scan.c runs it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "net/portspec.h"
#include "net/shard.h"
#include "net/targetspec.h"
#include "scan/result.h"
#include "store/store.h"

struct out_version;
struct out_info;
struct out_format;
struct cmd_args;
struct scan_technique;
struct scan_config;

#define SCAN_MAX_TECHS   4  /* -sSU...: techniques asked for in one run */
#define SCAN_MAX_OUTPUTS 16 /* -oN, -oX, ...: outputs asked for */

/* One -oX FILE. */
struct scan_output {
	const struct out_format *fmt;
	const char *path; /* '-' is stdout */
};

struct scan_opts {
	struct targetset *targets; /* sealed: command-line words, -iL, minus exclusions */
	struct portspec ports;     /* -p; empty when not given */
	bool ports_given;          /* -p was given */
	unsigned top_ports;        /* --top-ports N; 0 when not given */
	bool fast;                 /* -F: the 100 most common ports */

	/* -sT, -sS, -sU (scan_technique_find() on the flag), in the order given. */
	const struct scan_technique *techs[SCAN_MAX_TECHS];
	size_t ntechs;  /* 0: the default, SYN with CAP_NET_RAW, else connect */
	bool list_only; /* -sL: list the targets, send nothing */

	bool ipv6;               /* -6 */
	bool no_dns;             /* -n: no reverse DNS (as nmap; names still resolve) */
	bool randomize_hosts;    /* --randomize-hosts (implied by --seed) */
	bool seed_given;         /* --seed was given */
	uint64_t seed;           /* --seed N: the permutation of target x port */
	struct shard shard;      /* --shard I/N, or from the environment; count 0: none */
	bool shard_given;        /* --shard was given (the environment is not read) */
	const char *shard_count; /* --shard-count N (with JOB_COMPLETION_INDEX) */

	bool json;     /* --json: JSON Lines on stdout */
	bool no_color; /* --no-color */
	bool help;     /* -h/--help: nothing else was checked */

	/* Engine options. */
	int timing;               /* -T0 … -T5; -1 when not given (T3) */
	uint64_t min_rate;        /* --min-rate probes/s; 0 when not given */
	uint64_t max_rate;        /* --max-rate probes/s; 0 when not given */
	int max_retries;          /* --max-retries; -1 when not given */
	uint64_t host_timeout_ms; /* --host-timeout; 0 when not given */
	unsigned max_hostgroup;   /* --max-hostgroup; 0: the engine's choice */
	bool open_only;           /* --open */
	bool reason;              /* --reason */
	bool no_ping;             /* -Pn: no host discovery, every target is up (user-set) */
	bool ping_only;           /* -sn: host discovery only, no port scan */
	unsigned ping_icmp;       /* -PE, -PP, -PM: DISC_ECHO, DISC_TIMESTAMP, DISC_MASK */
	bool ping_arp;            /* -PR (ARP/ND on-link is the default anyway) */
	bool ping_syn_given, ping_ack_given, ping_udp_given; /* -PS, -PA, -PU */
	struct portlist ping_syn, ping_ack, ping_udp;        /* their ports */
	bool disable_arp;                                    /* --disable-arp-ping */
	unsigned verbose;                                    /* -v, -vv: hosts down are shown */
	unsigned debugging;     /* -d, -d2 …: nmap's <debugging level=> */
	bool append_output;     /* --append-output: -o files are appended to */
	const char *stylesheet; /* XML: --stylesheet, --webxml, nmap.xsl; NULL: --no-stylesheet */
	bool stylesheet_given;  /* one of those was given */
	struct scan_output outputs[SCAN_MAX_OUTPUTS]; /* -oN, -oX, ... in order (not --json) */
	size_t noutputs;
	const char *out_all;    /* -oA BASE: every format, BASE + its extension */
	const char *prometheus; /* --prometheus FILE: a node_exporter textfile of the run */

	/* History (store/). */
	const char *db;       /* --db PATH; NULL: the default history file */
	bool resume;          /* --resume [RUN]: only the outputs, db and resume_run are set */
	int64_t resume_run;   /* 0: the newest interrupted scan */
	bool resume_or_start; /* --resume-or-start: this command line's own interrupted run */
	bool no_history;      /* --no-history */
	char *target_words;   /* the target words and -iL files, as given, space-separated */
	/* Service detection. */
	bool version;            /* -sV */
	int version_intensity;   /* --version-intensity 0-9, -light 2, -all 9; -1: default 7 */
	const char *probes_file; /* --probes FILE instead of nmap's nmap-service-probes */
	/* Raw scans. */
	const char *source_ip;       /* --source-ip / -S, as given */
	struct target_addr *sources; /* its addresses, in order */
	size_t nsources;
	bool send_ip;  /* --send-ip: raw IP sockets only */
	bool send_eth; /* --send-eth: link-level sends where possible (the default) */
};

/* Runs `portscope scan` on what cmd_parse() read (scan.c); cmd_scan's run. */
int scan_cmd_run(const struct cmd_args *a);

/*
 * Fills opts from what cmd_parse() read for cmd_scan; the caller releases
 * opts with scan_opts_free() whatever the result. Returns 0, or a negative
 * errno with a one-line reason in why naming the bad word:
 *   -EINVAL   a malformed port or target, conflicting options, no targets
 *   -ERANGE   a number, octet or prefix out of range
 *   -EAFNOSUPPORT, -ENOENT, … as targetset_add() and targetset_add_file()
 *   -ENOMEM
 */
int scan_opts_from_args(const struct cmd_args *a, struct scan_opts *opts, char *why, size_t whylen);

/*
 * cmd_parse() on cmd_scan, then scan_opts_from_args(): argv[0] is "scan".
 * Options work before or after the targets; "--" ends the options.
 * Multi-letter nmap options take one dash (-sL, -iL, -p-), long ones one or
 * two (--exclude, -exclude, --seed=7); -p takes its argument attached or next
 * (-p22, -p 22). Returns as scan_opts_from_args() (-EINVAL for the parser's).
 */
int scan_opts_parse(int argc, char **argv, struct scan_opts *opts, char *why, size_t whylen);

void scan_opts_free(struct scan_opts *opts);

/*
 * The history sink of a scan (scan-history.c): open (and open|filtered,
 * unfiltered) ports are recorded as they arrive, closed and filtered ones
 * with their host when it is done, so an interrupted scan keeps every finished
 * host whole and the open ports found on the others.
 */
struct scan_history {
	const char *cmd;  /* "scan", "audit": the command named in messages */
	struct store *st; /* NULL: history off or unavailable */
	int64_t run;
	int error;         /* first failed write; later results are not recorded */
	int64_t resume;    /* a run to continue (--resume), not a new one; 0: none */
	uint64_t prior_up; /* hosts up the resumed run had recorded */
};

/*
 * Opens the history (--db, else the default path; nothing with --no-history)
 * and records the run as running, with the command line, ports, protocol and
 * start time of info. Returns EXIT_OK, or EXIT_USAGE (a foreign or
 * corrupt file, left untouched) / EXIT_RUNTIME after reporting.
 */
int scan_history_open(struct scan_history *h, const struct scan_opts *o,
                      const struct out_info *info, const struct scan_config *cfg,
                      const char *argv_json);
/*
 * The same for any command (audit): db is --db (NULL: the default path),
 * ri the run to record. Returns EXIT_OK (also with no_history, or with no
 * default path after a warning), EXIT_USAGE or EXIT_RUNTIME after reporting.
 */
int scan_history_start(struct scan_history *h, const char *cmd, const char *db, bool no_history,
                       const struct store_run_info *ri);
void scan_history_port(struct scan_history *h, const struct scan_result *res);
/* Records a finished host; name: the name it was given by (kept for show), or NULL. */
void scan_history_host(struct scan_history *h, const struct scan_host *host, const char *name);
/* Records what -sV found on host's open ports (ver[0..n)), replacing their rows. */
void scan_history_versions(struct scan_history *h, const struct scan_host *host,
                           const struct out_version *ver, size_t n);
/* Records a detected service (name, product, version; NULL or "" when unknown) on an open port. */
void scan_history_service(struct scan_history *h, const struct target_addr *addr, int proto,
                          uint16_t port, const char *name, const char *product,
                          const char *version);
/* Records a finding (audit). */
void scan_history_finding(struct scan_history *h, const struct store_finding *f);
/* Records an endpoint and what the audit decided about it (audit). */
void scan_history_endpoint(struct scan_history *h, const struct store_endpoint *e);
void scan_history_tick(struct scan_history *h);
/* Keeps the scan's checkpoint (scan_sink.on_checkpoint) for --resume. */
void scan_history_checkpoint(struct scan_history *h, const struct scan_checkpoint *c);

/*
 * Ends the run with status (STORE_RUN_COMPLETE, _INCOMPLETE, _INTERRUPTED) and
 * closes. Returns EXIT_OK or EXIT_RUNTIME.
 */
int scan_history_close(struct scan_history *h, const struct scan_summary *sum, int status);

/* --resume: the interrupted run to continue, as scan_resume_load() found it. */
struct scan_resume {
	int64_t run;
	int argc; /* the run's command line, parsed into args */
	char **argv;
	struct cmd_args args;
	uint64_t seed;      /* the run's permutation */
	struct shard shard; /* and shard */
	bool has_cp;        /* cp holds its last checkpoint; else it starts over */
	struct store_checkpoint cp;
};

/*
 * For `scan --resume [RUN]` (o from scan_opts_from_args()): finds the run (o's
 * resume_run, else the newest interrupted scan), checks it can be continued
 * (a -Pn port scan, neither running nor complete), and fills out with its
 * options and o's outputs and --db, rs with its seed, shard and checkpoint.
 * Returns EXIT_OK, or an exit status after reporting.
 */
int scan_resume_load(const struct scan_opts *o, struct scan_resume *rs, struct scan_opts *out);
void scan_resume_free(struct scan_resume *rs);

/*
 * For `scan --resume-or-start` (o from scan_opts_from_args(), argv_json its
 * command line as cmd_argv_json() gives it): *run is the newest scan of the
 * history with the same command line, shard (index and count) and --seed (and
 * the same machine when there is no shard) when that run is incomplete or
 * interrupted; 0 when there is none, or when the newest is complete or still
 * running (a new run then starts). Returns EXIT_OK, or an exit status after
 * reporting.
 */
int scan_resume_lookup(const struct scan_opts *o, const char *argv_json, int64_t *run);
