/*
 * Service detection of many hosts at once, over the detection engine's
 * public API (detect/engine.h). The port scan hands over each host as it is
 * done (svcscan_add, with the ports to probe); a worker thread runs rounds of
 * detect_run() over the ports of every host waiting: each host gets an equal
 * share of SVCSCAN_ROUND ports in a round, at least per_host (so a host with
 * many open ports neither holds up nor crowds out the others, and a host
 * alone gets them all); a host is handed back (done) as soon as its last port
 * is decided, while the port scan goes on. Sockets at once over all hosts and
 * deadlines are the engine's (detect_config).
 *
 * Example: 64 hosts with 4 open ports each: one round of 256 endpoints. One
 * host with 1,000 open ports and three with 2: a round of 134 (128 of the big
 * one), after which the three are done, then rounds of 512 and 360.
 *
 *   svcscan_start(&sv, &dc, SVCSCAN_PER_HOST, done, ctx);
 *   on each host the scan finishes: svcscan_add(sv, h, ports, n, PROBES_TCP);
 *   svcscan_finish(sv);   // waits for the last host's done()
 *
 * Memory: a waiting host keeps a copy of its results (one byte a port) and
 * one detect_result per port to probe; svcscan_add waits while more than
 * SVCSCAN_MAX_WAITING ports are waiting, which holds the port scan back.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "detect/engine.h"
#include "scan/result.h"

#define SVCSCAN_PER_HOST    8     /* ports of one host in a round, at least */
#define SVCSCAN_ROUND       512   /* ports in a round, shared by the hosts */
#define SVCSCAN_MAX_WAITING 65536 /* ports waiting or in a round, at most */

/* One probed port's answer. */
struct svcscan_port {
	uint16_t port;
	struct detect_result r; /* r.ep is NULL: the endpoint is gone */
};

/*
 * A host is done: h (its results may be changed: -sU -sV opens what answered)
 * and its probed ports in the order given to svcscan_add. Called from the
 * worker thread, one host at a time.
 */
typedef void (*svcscan_done)(void *ctx, struct scan_host *h, const struct svcscan_port *ports,
                             size_t n);

struct svcscan;

/* Starts the worker. 0, or a negative errno (-ENOMEM, a pthread error). dc must outlive it. */
int svcscan_start(struct svcscan **out, const struct detect_config *dc, unsigned per_host,
                  svcscan_done done, void *ctx);

/*
 * Hands over host h (copied, but h->ports must outlive svcscan_finish) to
 * probe ports[0..n) of it with proto. A host with n 0 is done at once, in
 * order with the others. Returns 0, or -ENOMEM, or the first detection error.
 */
int svcscan_add(struct svcscan *s, const struct scan_host *h, const uint16_t *ports, size_t n,
                enum probes_proto proto);

/*
 * Waits until every host is done, stops the worker and frees s. Returns 0 or
 * the first error of the detection engine (results of the other hosts were
 * still handed back).
 */
int svcscan_finish(struct svcscan *s);
