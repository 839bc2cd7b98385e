/*
 * The scan engine: walks targets x ports through the index permutation in host
 * groups, drives one technique's probes with epoll on worker threads (each with
 * its own epoll set, congestion state and share of the descriptor budget), and
 * hands results to a sink as they arrive. Never prints.
 *
 * Host groups bound memory: a group holds at most 2^20 (host, port) results
 * (e.g. 16 hosts with -p-, 1024 hosts with 1000 ports); a group's hosts are
 * reported (on_host_done, in target order) when the group ends.
 *
 *   struct scan_config cfg;
 *   scan_config_defaults(&cfg, 3);          (-T3, a random seed)
 *   cfg.targets = ts;  cfg.ports = &ps.tcp;  cfg.tech = &scan_tech_connect;
 *   r = scan_run(&cfg, &sink, why, sizeof(why));
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/perm.h"
#include "net/portspec.h"
#include "net/shard.h"
#include "net/targetspec.h"
#include "scan/congestion.h"
#include "scan/result.h"
#include "scan/technique.h"

struct disc_config;

/*
 * Hosts that come from elsewhere (host discovery) instead of cfg->targets:
 * the engine takes them a group at a time as they come.
 */
struct scan_feed {
	void *ctx;
	/*
	 * Fills out[0..max) with the next hosts, waiting until at least one is
	 * ready. Returns how many, 0 when there are no more, or a negative errno
	 * (the scan stops with it).
	 */
	long (*next)(void *ctx, struct target_addr *out, size_t max);
	/* How many hosts the feed expects in all (progress); 0 when unknown. */
	uint64_t (*expect)(void *ctx);
};

struct scan_config {
	const struct targetset *targets; /* sealed */
	const struct scan_feed *feed;    /* when set, the hosts come from it, not from targets */
	/*
	 * Host discovery first (no -Pn): discovery.h over targets; the hosts it
	 * finds up are port scanned as they come, the down ones reported without
	 * ports. With no ports (ports NULL or empty) discovery only (-sn).
	 */
	const struct disc_config *discover;
	const struct portlist *ports; /* ports of tech->proto */
	const struct scan_technique *tech;
	struct cc_params cc;      /* for the whole scan; split over the threads */
	uint64_t host_timeout_us; /* 0: none */
	uint64_t seed;            /* order of (host, port) probes, and the split into shards */
	struct shard shard;       /* probe only this shard's (host, port)s; count 0: all */
	bool randomize_hosts;     /* hosts in a seeded random order, not target order */
	unsigned threads;         /* 0: one per CPU, at most 4 */
	unsigned hostgroup;       /* hosts per group; 0: automatic */
	bool drop_privileges;     /* raw techniques: privdrop_all() once sockets are open */
	/* Raw techniques only. */
	const struct target_addr *sources; /* --source-ip: probes spread over these (ours) */
	size_t nsources;
	bool send_ip; /* --send-ip: raw IP sockets only, never link-level sends */
	/*
	 * Continue an interrupted scan from its last checkpoint (same targets,
	 * ports, seed and shard; hosts from targets, not a feed): the first
	 * hosts_done hosts are skipped, the group under way is the checkpoint's
	 * hosts with its decided ports kept, reported with the rest.
	 */
	const struct scan_checkpoint *resume;
};

/*
 * Descriptors a scan may hold: the RLIMIT_NOFILE soft limit less what is open
 * and some headroom, at most 16384; at least 1.
 */
unsigned scan_fd_budget(void);

/* The hosts of a scan, a group at a time: cfg->feed, or cfg->targets in order or permuted. */
struct scan_hostiter {
	const struct scan_config *cfg;
	struct perm perm;
	uint64_t next, count; /* targets: the next index, how many */
	uint64_t taken;       /* hosts handed out so far */
	bool resume_pending;  /* cfg->resume's group not handed out yet */
	bool from_checkpoint; /* the last take was cfg->resume's group */
};

void scan_hostiter_init(struct scan_hostiter *it, const struct scan_config *cfg);

/* Fills out[0..max) with the next hosts; how many (0: none left) or a negative errno. */
long scan_hostiter_take(struct scan_hostiter *it, struct target_addr *out, size_t max);

/*
 * Keeps what cfg->resume decided of the group the last take handed out
 * (it->from_checkpoint) in res (nhosts * nports, filled with the group's
 * shard marks): returns how many entries it set.
 */
uint64_t scan_hostiter_resume(const struct scan_hostiter *it, uint8_t *res, size_t total);

/* How many hosts the scan will have in all, as far as known (progress). */
uint64_t scan_hostiter_expect(const struct scan_hostiter *it);

/*
 * Fills cfg with what every scanning command (scan, audit, policy verify)
 * starts from: everything zero but the congestion parameters and host timeout
 * of timing template level (0-5, scan_timing_template()) sized to
 * scan_fd_budget(), and a fresh random seed. The caller sets targets, ports
 * and tech. Returns 0, or -ERANGE for a level above 5 (cfg zeroed).
 */
int scan_config_defaults(struct scan_config *cfg, unsigned level);

/*
 * Runs the scan. Returns 0 when every probe is decided (results went to sink),
 * or a negative errno with a reason in why: -EMFILE (no descriptor for seconds
 * while nothing was in flight), -ENOMEM, or a technique's failure (-EAFNOSUPPORT …).
 */
int scan_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why, size_t whylen);
