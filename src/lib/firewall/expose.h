/*
 * Exposure from the firewall's point of view: what the outside reaches.
 *
 * A listening socket is tried on every path a NEW connection from outside
 * can take to it: each non-loopback address of the host it accepts (its bind
 * address, or every address of its family for a wildcard, IPv4 too for a
 * dual-stack [::]) arriving on each non-loopback interface that is up.
 * Each path gives fw_eval() outcomes (per group of sources), and the socket
 * one class:
 *
 *   some path accepted, and it reaches this socket  → FW_EXPO_REACHABLE
 *                                                     (v4/v6, restricted)
 *   bound to 127.0.0.1 / ::1                        → FW_EXPO_LOOPBACK
 *   no non-loopback address it accepts              → FW_EXPO_NO_ADDRESS
 *   an outcome unknown and none reachable           → FW_EXPO_UNKNOWN
 *   every path dropped or rejected                  → FW_EXPO_BLOCKED
 *   rules in legacy xtables                         → FW_EXPO_NOT_EVALUATED
 *
 * Example: 0.0.0.0:22 under "ip saddr 198.18.0.5 tcp dport 22 accept" and
 * policy drop, host 198.18.0.2 on veth0: one path (198.18.0.2, veth0) with
 * outcomes {198.18.0.5: accepted} and {others: dropped by policy} →
 * REACHABLE, v4, restricted.
 *
 * DNAT and redirect make endpoints of their own: fw_nat_endpoints() finds
 * every (protocol, local address, port range, interface) that prerouting
 * translates, with where it goes and whether it gets through.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/firewall.h"

#define FW_EXPO_OUT 8 /* outcomes kept per path */

struct fw_expo_path {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	char iif[FW_IFNAMSIZ];
	struct fw_outcome out[FW_EXPO_OUT];
	size_t nout;
};

enum fw_expo_class {
	FW_EXPO_REACHABLE,
	FW_EXPO_BLOCKED,
	FW_EXPO_LOOPBACK,
	FW_EXPO_NO_ADDRESS,
	FW_EXPO_UNKNOWN,
	FW_EXPO_NOT_EVALUATED,
};

struct fw_expo {
	enum fw_expo_class cls;
	bool v4, v6;     /* reachable over IPv4, IPv6 */
	bool restricted; /* reachable from some sources or interfaces only */
	struct fw_expo_path *paths;
	size_t npaths;
};

/* "reachable", "blocked", "loopback-only", "no-address", "unknown", "not-evaluated". */
const char *fw_expo_name(enum fw_expo_class c);

/*
 * Tries every path to a socket listening on (family, bind, port) for proto
 * (IPPROTO_TCP/UDP); dual_stack for [::] with IPV6_V6ONLY off. rs NULL or
 * rs->legacy: FW_EXPO_NOT_EVALUATED (paths still filled when rs is given).
 * Returns 0 with *e filled (release with fw_expo_release), or -ENOMEM.
 */
int fw_expose_socket(const struct fw_ruleset *rs, const struct fw_env *env, uint8_t proto,
                     uint8_t family, const uint8_t *bind, bool dual_stack, uint16_t port,
                     struct fw_expo *e);
void fw_expo_release(struct fw_expo *e);

/*
 * The outcome that explains e's class: for REACHABLE the first accepted one
 * that reaches the socket, for BLOCKED the first drop or reject, for UNKNOWN
 * the first unknown. NULL for the classes without paths.
 */
const struct fw_outcome *fw_expo_decider(const struct fw_expo *e, uint8_t *family);

/*
 * One line for e: "reachable (IPv4, IPv6) by inet filter input handle 5: tcp
 * dport 22 accept", "reachable (IPv4) from 198.18.0.5 only by ...", "blocked by
 * inet filter input policy drop", "unknown: ... (rule ...)", "loopback-only".
 */
char *fw_expo_describe(const struct fw_expo *e, char *buf, size_t len);

/*
 * What a scanner outside sees for outcome o (nmap's words): "open", "closed",
 * "filtered", "open|filtered" (UDP, no answer), or "unknown". listening: a
 * socket waits where the outcome delivers (the caller knows).
 */
const char *fw_scan_state(const struct fw_outcome *o, uint8_t proto, bool listening);

/* Whether outcome o holds for source address src (family of the path). */
bool fw_outcome_has_source(const struct fw_outcome *o, uint8_t family, const uint8_t *src);

/* Writes o's sources as "any" or "198.18.0.5, 198.18.7.0-198.18.7.255[, ...]". */
char *fw_sources_format(const struct fw_outcome *o, uint8_t family, char *buf, size_t len);

/* One translated endpoint: outside (proto, address, ports, interface) → destination. */
struct fw_nat_endpoint {
	uint8_t proto;
	uint8_t family;
	uint8_t addr[16]; /* the host's address the outside connects to */
	uint16_t port_lo, port_hi;
	char iif[FW_IFNAMSIZ];
	struct fw_outcome out; /* a translated outcome (natted; accepted, dropped, ...) */
	bool port_kept;        /* the destination port is the original one (no port given) */
};

typedef int (*fw_nat_cb)(const struct fw_nat_endpoint *ep, void *data);

/*
 * Finds the endpoints prerouting translates: for each protocol, each
 * non-loopback address and up interface, each range of destination ports
 * the nat rules tell apart, one evaluation; every natted outcome is an
 * endpoint. Calls cb per endpoint (a non-zero return stops and is returned).
 * Returns 0, or -ENOMEM.
 */
int fw_nat_endpoints(const struct fw_ruleset *rs, const struct fw_env *env, fw_nat_cb cb,
                     void *data);
