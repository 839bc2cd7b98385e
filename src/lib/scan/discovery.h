/*
 * Host discovery, nmap's semantics: which targets are up, before (or instead
 * of) a port scan. Never prints.
 *
 *   on-link IPv4 (Ethernet)   ARP request; a reply is arp-response
 *   on-link IPv6 (Ethernet)   neighbour solicitation; an advertisement is nd-response
 *   elsewhere, privileged     the probes asked (-PE -PP -PM -PS -PA -PU), by
 *                             default ICMP echo, TCP SYN to 443, TCP ACK to 80
 *                             and ICMP timestamp (IPv4): echo-reply, syn-ack,
 *                             reset, timestamp-reply, addressmask-reply,
 *                             udp-response, port-unreach …
 *   unprivileged              TCP connect() to the SYN ports (80 and 443 by
 *                             default): syn-ack, or conn-refused, counts as up
 *   this machine's addresses  up at once, localhost-response
 *   no route                  down, no-route
 * ARP/ND replace the other probes on-link unless arp is off
 * (--disable-arp-ping, --send-ip). An ICMP error from the target itself
 * (port or protocol unreachable) says it is up; from a router (host
 * unreachable…) it says down, with that reason. Silence after the retries is
 * down, no-response.
 *
 * Stateless, like the raw port scans: probes leave from a sender per core at
 * the adaptive rate of ratectl.h, link-level where the path is known
 * (linkpath.h), replies are captured by libpcap and matched by a SipHash
 * cookie in the probe (ICMP identifier and sequence, TCP sequence or
 * acknowledgement, IPv4 identification), never by a table of probes in flight.
 * Targets are taken in blocks of at most 65,536 addresses (about 3 MiB of
 * state), so memory stays flat from one host to a /8. A host found up is
 * handed to the sink at once (its port scan may start while the sweep goes
 * on); the down ones when their block ends.
 *
 *   struct disc_config dc = {.targets = ts, .raw = true, .arp = true, .seed = 1};
 *   scan_timing_template(3, scan_fd_budget(), &dc.cc, NULL);
 *   disc_open(&dc, &d, why, sizeof(why));   // sockets and capture: drop privileges after
 *   disc_run(d, &sink, &stats, why, sizeof(why));
 *   disc_close(d);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/portspec.h"
#include "net/targetspec.h"
#include "scan/congestion.h"
#include "scan/result.h"

/* ICMP probes (-PE, -PP, -PM). */
enum {
	DISC_ECHO = 1 << 0,
	DISC_TIMESTAMP = 1 << 1, /* IPv4 only */
	DISC_MASK = 1 << 2,      /* IPv4 only */
};

#define DISC_DEFAULT_UDP_PORT 40125 /* -PU without ports, as nmap */
#define DISC_DEFAULT_TCP_PORT 80    /* -PS, -PA without ports */

struct disc_config {
	const struct targetset *targets; /* sealed */
	bool raw;     /* crafted packets (CAP_NET_RAW); else connect() to the SYN ports */
	bool arp;     /* ARP and ND for on-link targets (nmap's default) */
	bool send_ip; /* --send-ip: raw IP sockets only (no ARP/ND either) */
	/*
	 * The probes asked for. With none of them (icmp 0 and no port list) the
	 * defaults: echo, SYN 443, ACK 80 and timestamp when raw, connect to 80
	 * and 443 otherwise. Unprivileged, every TCP list is a connect() list and
	 * ICMP and UDP are not available (disc_open fails with -EPERM).
	 */
	unsigned icmp;                    /* DISC_ECHO | DISC_TIMESTAMP | DISC_MASK */
	const struct portlist *syn_ports; /* -PS; NULL or empty: none */
	const struct portlist *ack_ports; /* -PA */
	const struct portlist *udp_ports; /* -PU */
	struct cc_params cc;              /* timeouts, retries, rates */
	uint64_t seed;                    /* order of the probes */
	bool randomize_hosts;             /* blocks in a seeded random order of targets */
	unsigned threads;                 /* senders; 0: one per CPU, at most 4 */
};

/* One target's verdict. */
struct disc_host {
	struct target_addr addr;
	bool up;
	enum scan_reason
	    reason;   /* arp-response, echo-reply, …; down: no-response, host-unreach, … */
	uint8_t ttl;  /* of the reply that decided, 0 when none */
	bool has_mac; /* an on-link host's link address */
	uint8_t mac[6];
	uint32_t rtt_us; /* 0 when unknown */
};

struct disc_stats {
	uint64_t targets, up; /* addresses decided, of them up */
	uint64_t sent, retries;
	double elapsed; /* seconds */
};

/* Where verdicts go; calls come from one thread at a time. Every callback may be NULL. */
struct disc_sink {
	void *ctx;
	void (*on_host)(void *ctx, const struct disc_host *h);
	void (*on_progress)(void *ctx, const struct scan_progress *p); /* done/total in hosts */
};

struct disc;

/*
 * Checks the configuration and opens what the run needs: raw sockets and the
 * capture when raw (so privileges may be dropped afterwards), the routing
 * snapshot. Returns 0, or a negative errno with why: -EPERM (raw needs
 * CAP_NET_RAW; UDP or ICMP probes unprivileged), -EINVAL, -ENOMEM.
 */
int disc_open(const struct disc_config *cfg, struct disc **out, char *why, size_t whylen);

/*
 * Runs discovery over every target, calling sink->on_host once per target.
 * Returns 0, or a negative errno with why (the run stops: capture failure …).
 * Calling disc_stop() from another thread makes it return early with -ECANCELED.
 */
int disc_run(struct disc *d, const struct disc_sink *sink, struct disc_stats *st, char *why,
             size_t whylen);

/* Asks a running disc_run() to stop soon (from any thread). */
void disc_stop(struct disc *d);

void disc_close(struct disc *d);

/* The reason an ICMP (ICMPv6) error of type and code gives: port-unreach, host-unreach …; NONE. */
enum scan_reason disc_icmp_reason(int family, uint8_t type, uint8_t code);
