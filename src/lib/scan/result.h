/*
 * What a scan produces: port states with nmap's reasons, per-host summaries,
 * and the sink that receives them as they arrive.
 *
 * A port's result is packed in one byte (scan_res_pack): the low nibble is the
 * state, the high nibble the reason; 0 means "no answer yet".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/targetspec.h"

enum scan_state {
	SCAN_PENDING = 0,
	SCAN_OPEN,
	SCAN_CLOSED,
	SCAN_FILTERED,
	SCAN_UNFILTERED,
	SCAN_OPEN_FILTERED,
	SCAN_CLOSED_FILTERED,
	SCAN_STATE_MAX,
};

/* nmap's reason names ("syn-ack", "conn-refused", …): see scan_reason_name(). */
enum scan_reason {
	SCAN_REASON_NONE = 0,
	SCAN_REASON_SYN_ACK,
	SCAN_REASON_CONN_REFUSED,
	SCAN_REASON_NO_RESPONSE,
	SCAN_REASON_HOST_UNREACH,
	SCAN_REASON_NET_UNREACH,
	SCAN_REASON_ADMIN_PROHIBITED,
	SCAN_REASON_RESET,
	SCAN_REASON_PORT_UNREACH,
	SCAN_REASON_UDP_RESPONSE,
	SCAN_REASON_MAX, /* port reasons end here: a packed result holds 4 bits */
	/* Why a host is up or down (nmap's <status reason=>), besides the port reasons above. */
	SCAN_REASON_ARP_RESPONSE = 16,
	SCAN_REASON_ND_RESPONSE,
	SCAN_REASON_ECHO_REPLY,
	SCAN_REASON_TIMESTAMP_REPLY,
	SCAN_REASON_ADDRESSMASK_REPLY,
	SCAN_REASON_PROTO_UNREACH,
	SCAN_REASON_TIME_EXCEEDED,
	SCAN_REASON_LOCALHOST,
	SCAN_REASON_USER_SET,
	SCAN_REASON_NO_ROUTE,
	SCAN_REASON_HOST_MAX,
};

/* "open", "closed", "filtered", "unfiltered", "open|filtered", "closed|filtered". */
const char *scan_state_name(enum scan_state s);

/* "syn-ack", "conn-refused", "no-response", "arp-response", … ; "unknown" for SCAN_REASON_NONE. */
const char *scan_reason_name(enum scan_reason r);

/*
 * A (host, port) this scan does not probe: another shard's (shard.h). The
 * engines mark them before a group starts, skip them as decided, and report
 * a host with its own ports only (scan_host_own_ports()).
 */
#define SCAN_RES_OTHER_SHARD 0x0f

static inline uint8_t scan_res_pack(enum scan_state s, enum scan_reason r)
{
	return (uint8_t)((unsigned)s | (unsigned)r << 4);
}

static inline enum scan_state scan_res_state(uint8_t b)
{
	return (enum scan_state)(b & 0x0f);
}

static inline enum scan_reason scan_res_reason(uint8_t b)
{
	return (enum scan_reason)(b >> 4);
}

/* One port's answer, delivered as it arrives. */
struct scan_result {
	const struct target_addr *addr;
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
	enum scan_state state;
	enum scan_reason reason;
	uint32_t rtt_us; /* 0 when no reply (no-response) */
};

/*
 * A host whose ports are all decided, delivered once per host. A host found
 * down by discovery is delivered too, with up false and no ports.
 */
struct scan_host {
	struct target_addr addr;
	bool up;                 /* without discovery (-Pn) every target is up, user-set */
	enum scan_reason reason; /* why up or down: arp-response, echo-reply, user-set, … */
	uint8_t reason_ttl;      /* TTL (hop limit) of the reply that decided, 0 when none */
	bool has_mac;            /* an on-link host: the link address that answered */
	uint8_t mac[6];
	bool timedout;    /* --host-timeout expired: res is incomplete */
	bool unfinished;  /* from the history of a stopped run: the ports decided by then */
	const char *name; /* the name the target was given by, from the history; NULL: none */
	uint32_t srtt_us; /* smoothed reply time, 0 when nothing replied */
	uint32_t rttvar_us;
	uint32_t rto_us; /* probe timeout in force at the end */
	int proto;       /* protocol of the ports below */
	size_t nports;
	const uint16_t *ports; /* the scanned ports, ascending */
	const uint8_t *res;    /* scan_res_pack() per entry of ports */
	const uint8_t *ttl;    /* TTL of the reply per entry of ports; NULL: none (connect) */
	uint64_t counts[SCAN_STATE_MAX];
	double start, end; /* wall clock, seconds since the epoch */
};

/*
 * h as the sink sees it when some of its ports are another shard's: into
 * ports and res (room for h->nports each), the ports h probed; out is h with
 * them and their counts. Returns how many.
 */
size_t scan_host_own_ports(const struct scan_host *h, uint16_t *ports, uint8_t *res,
                           struct scan_host *out);

/* The whole scan, delivered last. */
struct scan_summary {
	uint64_t hosts_total, hosts_up, hosts_timedout; /* addresses, of them up, timed out */
	uint64_t counts[SCAN_STATE_MAX];                /* ports per state over all hosts */
	uint64_t probes_sent, retries;
	double start, end; /* wall clock, seconds since the epoch */
	double elapsed;    /* monotonic seconds */
};

/* Progress, delivered a few times a second from one thread. */
struct scan_progress {
	uint64_t done, total; /* port probes decided / to decide */
	uint64_t sent;        /* probes sent, retries included */
	uint64_t found;       /* open ports so far */
	double elapsed;       /* seconds */
	bool has_eta;         /* the engine knows better than extrapolating: */
	double eta;           /* seconds left (paced UDP retries: the targets' ICMP rate) */
};

/*
 * Where an unfinished scan stands (--resume): the hosts of every finished
 * group (hosts_done of them, in the scan's host order, all reported), and the
 * group under way: its hosts and what is decided of their ports (res,
 * nhosts * nports, host-major, 0 not yet; SCAN_RES_OTHER_SHARD another
 * shard's). nhosts is 0 between groups. Pointers valid during the call only.
 */
struct scan_checkpoint {
	uint64_t hosts_done;
	const struct target_addr *hosts;
	size_t nhosts, nports;
	const uint8_t *res;
};

/*
 * Where results go. Every callback may be NULL. The engine serialises the
 * calls (never two at once), from whichever thread decided the result.
 */
struct scan_sink {
	void *ctx;
	void (*on_port)(void *ctx, const struct scan_result *r);
	void (*on_host_done)(void *ctx, const struct scan_host *h);
	void (*on_progress)(void *ctx, const struct scan_progress *p);
	void (*on_done)(void *ctx, const struct scan_summary *s);
	/*
	 * At least once a second while a group runs and after each group's
	 * hosts are reported: a scan continued from c (scan_config.resume)
	 * probes only what c does not have decided.
	 */
	void (*on_checkpoint)(void *ctx, const struct scan_checkpoint *c);
};
