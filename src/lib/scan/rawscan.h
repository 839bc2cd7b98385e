/*
 * The engine of stateless raw scans (SYN, UDP): one thread sends crafted
 * probes in batches at an adaptive rate, another receives replies through
 * libpcap and matches them to probes by a SipHash cookie, never by a table of
 * probes in flight. Results go to the same sink as the connect engine's, host
 * group by host group (at most 2^20 results per group, as engine.h).
 *
 * A probe to (target, port) on try t (0 = first send) leaves from source port
 * sport_base + t (or, with ops->hashed_sports, from packet_sport() of its try),
 * so a reply tells which try it answers: replies that only come on a retry are
 * loss, and the rate backs off. Silence after the retries gives
 * ops->silent_state.
 *
 * A reply counts only for a probe already sent (its try) and not yet answered;
 * the first reply that counts decides, and nothing after it changes the
 * result. A bare reply (rawscan_match.bare: nothing in it proves our probe
 * caused it, as a UDP reply that repeats no token) counts only when it answers
 * the latest try within the probe timeout, and decides only once three tries
 * are answered so: the engine sends the next try as soon as one is.
 *
 * Rate: starts at 10,000 probes/s (or --max-rate/--min-rate), grows by a
 * quarter every 50 ms while nothing is lost, halves on capture drops or a full
 * device queue, and takes a quarter off on late replies or a falling reply
 * ratio (below half the running average); never under --min-rate, over
 * --max-rate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/targetspec.h"
#include "scan/engine.h"
#include "scan/packet.h"

#define RAWSCAN_TRIES 16 /* source ports per scan: tries told apart */

/* What a reply says about a probe of this scan. */
struct rawscan_match {
	struct target_addr target;
	uint16_t tport;
	unsigned tryno; /* 0 .. RAWSCAN_TRIES-1 */
	enum scan_state state;
	enum scan_reason reason;
	bool bare; /* nothing in the reply proves the probe (UDP reply without a token) */
};

struct rawscan_ops {
	int proto; /* IPPROTO_TCP or IPPROTO_UDP: the raw sockets' protocol */
	/* Writes the pcap filter for replies to probes from ports lo..hi; 0 or -ENOSPC. */
	int (*filter)(char *buf, size_t len, uint16_t lo, uint16_t hi);
	/* Builds the probe self:sport -> target:tport; its length, 0 when it does not fit. */
	size_t (*build)(uint8_t *buf, size_t cap, const struct target_addr *self,
	                const struct target_addr *target, uint16_t sport, uint16_t tport,
	                const uint8_t key[16]);
	/* Whether pi answers a probe of this scan (sent from lo..hi); fills m. */
	bool (*match)(const struct packet_info *pi, const uint8_t key[16], uint16_t lo, uint16_t hi,
	              struct rawscan_match *m);
	enum scan_state silent_state; /* after the last retry: filtered, open|filtered */
	/*
	 * Source ports from packet_sport() (32768-65535, a port per probe and try)
	 * instead of 16 ports in a row; filter() and match() get lo 32768, hi 65535.
	 */
	bool hashed_sports;
	/*
	 * Retries paced per host to the rate at which it answers (UDP: targets
	 * rate-limit ICMP port unreachable, Linux to one a second after a burst of 6).
	 * After the first pass, each host gets one probe in flight at a time, every
	 * gap (from the probe timeout to 2 s), learnt from which paced probes are
	 * answered (see raw_pace_judge()); a silent probe counts as a try only when
	 * the host had answers to spare. A port is silent for good after
	 * max_retries + 1 (at most 4) counted tries.
	 */
	bool paced;
};

/*
 * Runs a raw scan with ops (same contract as scan_run()). Fails with -EPERM
 * (why says so) without CAP_NET_RAW; with cfg->drop_privileges, gives up
 * every privilege once the sockets and capture are open (privdrop_all()).
 */
int rawscan_run(const struct scan_config *cfg, const struct rawscan_ops *ops,
                const struct scan_sink *sink, char *why, size_t whylen);

/* The UDP scan's ops (tech-udp.c), for its unit tests. */
extern const struct rawscan_ops rawscan_ops_udp;

/* The filtered reason an ICMP or ICMPv6 unreachable (type, code) gives; NONE if it is none. */
enum scan_reason rawscan_icmp_reason(int family, uint8_t type, uint8_t code);
