/*
 * Scan techniques as ops structs, one registry: the engine drives a probe
 * through these callbacks and never knows which technique runs.
 *
 * A probe lives on one descriptor. Every callback that decides returns
 * SCAN_PROBE_DONE with *v filled; SCAN_PROBE_PENDING means "no answer yet,
 * wait for an event on the descriptor"; a negative errno is either a resource
 * shortage the engine waits out (scan_technique_transient()) or a failure that
 * stops the scan.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "scan/result.h"

struct scan_config;

enum { SCAN_PROBE_PENDING = 0, SCAN_PROBE_DONE = 1 };

struct scan_verdict {
	enum scan_state state;
	enum scan_reason reason;
	bool again; /* not an answer (TCP self-connect): probe again, no retry counted */
	bool local; /* both ends are this host: confirm an open with a second probe */
	bool reuse; /* the descriptor may start the next probe (a connect() refused in place) */
};

struct scan_technique {
	const char *name;     /* "connect" */
	const char *flag;     /* "-sT": its option of `scan` (-s and one letter) */
	const char *help;     /* one line of `scan --help` and the shell completions */
	const char *xml_type; /* nmap XML scaninfo type: "connect", "syn", "udp" */
	int proto;            /* IPPROTO_TCP, IPPROTO_UDP */
	bool needs_raw;       /* needs CAP_NET_RAW */
	const char
	    *unavailable; /* why this build cannot run it ("Linux-only: ..."); NULL: it can */

	/*
	 * Optional. A technique that runs the whole scan itself (stateless raw
	 * scans: crafted packets, captured replies) sets run and leaves the probe_*
	 * callbacks NULL; scan_run() hands it the scan. Same contract as scan_run().
	 */
	int (*run)(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
	           size_t whylen);

	/*
	 * Required without run. Starts a probe to sa; *fd is the descriptor to watch (or -1).
	 * On entry *fd is -1, or a descriptor of an earlier verdict with reuse set
	 * (same address family) that the technique takes over.
	 */
	int (*probe_start)(const struct sockaddr *sa, socklen_t salen, int *fd,
	                   struct scan_verdict *v);
	/* Optional. Asks a pending probe for an answer now (loopback answers inside connect()). */
	int (*probe_check)(int fd, const struct sockaddr *sa, socklen_t salen,
	                   struct scan_verdict *v);
	/* Required without run. epoll reported events on fd. */
	int (*probe_event)(int fd, uint32_t events, const struct sockaddr *sa, socklen_t salen,
	                   struct scan_verdict *v);
	/* Required without run. Releases fd when the probe ends; state is the verdict (SCAN_PENDING
	 * on timeout). */
	void (*probe_close)(int fd, enum scan_state state);
};

/*
 * The registry: every technique, NULL-terminated. Adding one is a file
 * tech-<name>.c defining its struct and a line in technique.c; `scan -sX`,
 * its --help line and completions come from here (test-scan-technique walks it).
 */
extern const struct scan_technique *const scan_techniques[];

/* The technique named name ("connect") or flagged flag ("-sT"), or NULL. */
const struct scan_technique *scan_technique_find(const char *name_or_flag);

/* Whether err (negative) is a shortage to wait out: EMFILE, ENFILE, ENOBUFS, ENOMEM, EADDRNOTAVAIL,
 * EAGAIN. */
bool scan_technique_transient(int err);

extern const struct scan_technique scan_tech_connect;
extern const struct scan_technique scan_tech_syn;
extern const struct scan_technique scan_tech_udp;
