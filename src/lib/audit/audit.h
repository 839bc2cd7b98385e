/*
 * The audit pipeline: the attack surface of this machine (local) or of
 * targets (remote) as endpoints and findings. audit_run() gathers the facts
 * (network and /proc); audit_judge() turns them into findings and touches
 * nothing else, so that the decisions are unit-tested without a network.
 *
 *   local:  sock_diag listeners ─ owners (/proc, passwd) ─┐
 *           own addresses ─ connect scan of them ─────────┴─ exposure per socket
 *   remote: host discovery, a connect scan of the hosts up (open TCP ports), UDP ports
 *           with a safe check on the hosts up; hosts down reported as such
 *   both:   service detection on reachable TCP endpoints → safe checks → audit_judge()
 *
 *   struct audit_config cfg = {.kb = kb, .sink = &history_sink};
 *   struct audit_report rep = {0};
 *   r = audit_run(&cfg, &rep, why, sizeof(why));  ...print rep.eps, rep.fs...
 *   audit_report_free(&rep);
 *
 * Example (local): redis on 0.0.0.0:6379 answering PING without AUTH, the scan
 * of 198.18.0.2:6379 open → one endpoint, exposure REACHABLE, reach
 * "198.18.0.2", a check outcome {redis-noauth, YES, "sent PING; got +PONG"},
 * and audit_judge() gives one finding "redis-noauth", high.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit/check.h"
#include "audit/exposure.h"
#include "firewall/expose.h"
#include "net/portspec.h"
#include "net/targetspec.h"
#include "scan/result.h"

#define AUDIT_MAX_EPS    4096 /* endpoints kept (listening sockets or open ports) */
#define AUDIT_MAX_ADDRS  64   /* own addresses scanned */
#define AUDIT_MAX_CHECKS 4    /* safe-check outcomes kept per endpoint */
#define AUDIT_REACH_MAX  160
#define AUDIT_RULE_MAX   512

struct kb;

/*
 * How an endpoint can be reached. Today the verdict comes from a scan of the
 * machine's own addresses (local) or of the target (remote); a firewall
 * ruleset evaluator (issue 14) decides it from the rules instead and adds here
 * the rule that decided (table, chain, handle, text) and the addresses,
 * families and sources it is reachable from. audit_judge() reads exp only.
 */
struct audit_reach {
	enum audit_exposure exp;
	char on[AUDIT_REACH_MAX]; /* the addresses it answered on, comma-separated; "" none */
	/* From the live ruleset (issue 14), when it could be read: */
	bool evaluated;                /* exp comes from the firewall evaluator, not the scan */
	bool v4, v6;                   /* reachable over IPv4, IPv6 */
	bool restricted;               /* reachable from some sources or interfaces only */
	char rule[AUDIT_RULE_MAX];     /* "inet filter input handle 5: tcp dport 22 accept" */
	char sources[AUDIT_REACH_MAX]; /* reachable: "any", or the sources a rule admits */
	struct fw_expo_path *paths;    /* every path tried (owned: audit_report_free) */
	size_t npaths;
	/* A translated endpoint (dnat, redirect): outside port → destination. */
	bool nat;
	char nat_rule[AUDIT_RULE_MAX];
	uint8_t to_family; /* 4 or 6 */
	uint8_t to_addr[16];
	uint16_t to_port;
	uint16_t port_hi;    /* the outside ports are port..port_hi */
	char netns[300];     /* the namespace holding the destination; "" this one */
	bool owner_found;    /* a socket listens at the destination */
	bool forwarded;      /* the destination is not this host (a container, another host) */
	bool loopback_bound; /* the socket it reaches is bound to a loopback address */
};

/* A safe check run against an endpoint, and what it found. */
struct audit_check_outcome {
	const struct audit_check *check;
	int verdict;                             /* AUDIT_CHECK_YES or AUDIT_CHECK_NO */
	char evidence[AUDIT_CHECK_EVIDENCE_MAX]; /* what was sent and seen */
};

/* One listening socket (local) or one open port (remote): the facts, then the judgement's. */
struct audit_endpoint {
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	int family;       /* of the bind address (local), of the target (remote) */
	uint8_t bind[16]; /* network order (local) */
	bool dual;        /* IPv6 wildcard accepting IPv4 too */
	bool local;       /* from sock_diag (has an owner) */
	uint32_t inode, uid;
	pid_t pid; /* 0: unknown */
	char process[64];
	char user[32];
	struct audit_reach reach;
	struct target_addr target; /* where detection and checks go */
	uint16_t target_port;      /* and its port when not port (a translated endpoint) */
	bool have_target;
	/* Service detection ("": none). */
	char service[48];
	char product[96];
	char version[64];
	unsigned confidence;      /* nmap's conf of the detection, 0-10 */
	const char *port_default; /* the port's name in the services files; NULL: none */
	struct audit_check_outcome checks[AUDIT_MAX_CHECKS];
	unsigned nchecks;
	bool mismatch; /* set by audit_judge(): the service is not the port's */
};

/* What audit_judge() concludes, one per risk. */
struct audit_finding {
	int sev;        /* enum kb_severity */
	const char *id; /* a check's name, "port-service-mismatch", "exposed-risky-service" */
	char title[160];
	char evidence[AUDIT_CHECK_EVIDENCE_MAX + 64];
	char recommendation[256];
	const char *citation;
	size_t ep; /* index into eps */
};

/* Remote: a target host discovery found down (nothing to audit there). */
struct audit_down {
	struct target_addr addr;
	enum scan_reason reason; /* no-response, host-unreach, no-route ... */
};

#define AUDIT_MAX_DOWN 1024 /* hosts down kept by name; the rest are counted */

struct audit_report {
	bool remote;
	struct audit_endpoint *eps; /* AUDIT_MAX_EPS of room; sorted by proto, port, address */
	size_t neps;
	struct audit_finding *fs; /* sorted: severity down, then endpoint */
	size_t nfs, capfs;
	struct target_addr addrs[AUDIT_MAX_ADDRS]; /* own non-loopback addresses (local) */
	unsigned naddrs;
	bool overflow; /* more endpoints than AUDIT_MAX_EPS: the rest left out */
	unsigned
	    udp_skipped;     /* remote UDP ports with no safe check: not scanned (no CAP_NET_RAW) */
	unsigned udp_silent; /* remote UDP ports with no safe check the UDP scan found silent */
	/* local: whether the live ruleset decided the exposure, and what was said of it */
	bool fw_evaluated;
	struct fw_ruleset *fw_rs; /* the ruleset the paths refer to (freed with the report) */
	char firewall[320]; /* "evaluated: 3 tables of the live ruleset", "not evaluated: ..." */
	/* Remote: host discovery's verdicts (only hosts up are scanned and checked). */
	struct target_addr *up; /* the hosts found up, in the order found */
	size_t nup, capup;
	struct audit_down *down; /* the first AUDIT_MAX_DOWN hosts found down */
	size_t ndown;
	uint64_t hosts_down;
	/*
	 * Remote: targets scanned, and the unreachable ones: found down, or up
	 * with every port scanned filtered (hosts_down of them are down).
	 */
	unsigned hosts_done, hosts_silent;
	char silent[AUDIT_REACH_MAX]; /* the first of them, comma-separated */
};

struct audit_config {
	bool remote;
	const struct targetset *targets; /* remote: sealed */
	const struct portspec *ports;    /* remote -p; NULL: the 1000 most common TCP ports */
	const struct kb *kb;             /* port names, top ports; NULL: none */
	/*
	 * Optional. The scans' results as they arrive (on_port, on_host_done,
	 * on_progress, on_done; local mode scans once per address family).
	 */
	const struct scan_sink *sink;
	/*
	 * Optional. Called once the TCP ports to scan are known, before the first
	 * probe (the history records the run there); a negative return stops the
	 * audit with that value.
	 */
	int (*on_begin)(void *ctx, const struct portlist *tcp);
	void *ctx;
	unsigned check_ms; /* deadline of one safe check; 0: 3000 */
};

/*
 * Gathers the endpoints, scans, detects, runs the safe checks and judges.
 * Returns 0, or a negative errno with a reason in why: -EINVAL (a bad -p or
 * target: a usage error), -ENOMEM, -EMFILE, -EIO (the scan failed), a socket
 * dump's errno, or on_begin()'s value.
 */
int audit_run(const struct audit_config *cfg, struct audit_report *rep, char *why, size_t whylen);

void audit_report_free(struct audit_report *rep);

/*
 * The judgement, pure (no I/O, no clock): for each endpoint, a finding per
 * confirmed safe check (a UDP endpoint it confirms becomes REACHABLE on its
 * target), else "port-service-mismatch" (info) when detection found another
 * service than the port's, else "exposed-risky-service" per risk catalogue
 * entry of a reachable TCP port (capped at low when a safe check did not
 * confirm it). Endpoints not reachable, without a target, give none.
 * Findings are appended to rep->fs and sorted. Returns 0 or -ENOMEM.
 */
int audit_judge(struct audit_report *rep);

/*
 * Counts for the summary line. Remote endpoints that are unverified (UDP
 * ports nothing answered on) are counted apart, not among the open ones.
 */
struct audit_counts {
	unsigned endpoints, reachable, loopback, blocked, unverified;
	unsigned sev[4]; /* findings per enum kb_severity */
};
void audit_count(const struct audit_report *rep, struct audit_counts *c);
