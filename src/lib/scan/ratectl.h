/*
 * The send rate of stateless raw scans (rawscan.h, discovery.h), pure logic:
 * the caller counts and passes the time in microseconds.
 *
 * Starts at 10,000 probes per second (or --max-rate / --min-rate). Every
 * RATECTL_TICK_US it backs off on loss and probes upward otherwise, doubling
 * below 1 M probes/s until the first loss, by a quarter after. Loss: capture
 * drops or a full device queue (halve), replies that only came to a retry (once
 * per pass: a retry pass's answers all come late) or a falling reply ratio in
 * the first pass (a quarter off). A cut never leaves the rate above 1.1 x the
 * replies per second that got through: on a link that drops what exceeds it,
 * that is the link's capacity. Never under --min-rate (50/s without), over
 * --max-rate (2 M/s without).
 *
 * Example: 10,000/s, a tick of 500 probes sent and 500 replies, none late:
 * 20,000/s; then a tick with capture drops and 400 replies in 50 ms: 8,800/s
 * (half is 10,000, above 1.1 x 8,000 answered per second).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "scan/congestion.h"

#define RATECTL_TICK_US 50000 /* the control period */

/* Counters since the scan began (they only grow). */
struct ratectl_counts {
	uint64_t sent, replies; /* probes sent, replies matched */
	uint64_t late;          /* replies that answered a retry */
	uint64_t drops;         /* packets the capture lost */
	uint64_t nobufs;        /* full device queues met while sending */
};

struct ratectl {
	double rate, floor, ceiling; /* probes per second */
	uint64_t last_tick;
	struct ratectl_counts at; /* the counters at the last tick */
	double ratio;             /* running average of replies per probe (first pass) */
	bool lost;                /* loss was seen: grow by quarters from now on */
	unsigned cut_pass; /* pass (try + 1) whose late replies cut the rate: once per pass */
};

/*
 * One sender's share of the rate: a token bucket refilled at rate probes per
 * second, holding at most 2 ms of them (at least a batch of 64).
 */
struct ratectl_bucket {
	double tokens;
	uint64_t last_refill; /* us */
};

/*
 * Takes one token at now_us from b filled at rate. Returns 0 when taken, else
 * how many microseconds to wait for it (take again then).
 */
uint64_t ratectl_take(struct ratectl_bucket *b, double rate, uint64_t now_us);

/* Starts at now_us with p's --min-rate, --max-rate and scan delay. */
void ratectl_init(struct ratectl *rt, const struct cc_params *p, uint64_t now_us);

/*
 * One control period ending at now_us, with the counters c, during pass
 * number pass (a try number: late replies cut once per pass); first_pass while
 * the first pass sends (its reply ratio is watched). Returns the new rate.
 */
double ratectl_tick(struct ratectl *rt, const struct ratectl_counts *c, uint64_t now_us,
                    bool first_pass, unsigned pass);
