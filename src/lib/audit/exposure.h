/*
 * Exposure of a listening socket, from what `ls` sees (its bind address) and
 * what a scan of the machine's own addresses sees:
 *
 *   bound to 127.0.0.1 or ::1                        → AUDIT_EXP_LOOPBACK
 *   open on some non-loopback address it accepts      → AUDIT_EXP_REACHABLE
 *   filtered or refused on every such address        → AUDIT_EXP_BLOCKED
 *     (listening, yet the firewall stops it even from the machine itself)
 *   no non-loopback address it accepts (only lo up)  → AUDIT_EXP_NO_ADDRESS
 *   not scanned (UDP with a TCP-only scan)           → AUDIT_EXP_UNVERIFIED
 *
 * With the live ruleset readable (root, no legacy xtables), the firewall
 * evaluator decides instead (src/lib/firewall/expose.h), for a connection from
 * outside, and a rule it cannot read on the way gives AUDIT_EXP_UNKNOWN.
 *
 * Example: a socket on 0.0.0.0:21 with scan states {198.18.0.2: open} is
 * REACHABLE; on 0.0.0.0:8081 with {198.18.0.2: filtered} it is BLOCKED.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "scan/result.h"

enum audit_exposure {
	AUDIT_EXP_LOOPBACK,
	AUDIT_EXP_REACHABLE,
	AUDIT_EXP_BLOCKED,
	AUDIT_EXP_NO_ADDRESS,
	AUDIT_EXP_UNVERIFIED,
	AUDIT_EXP_UNKNOWN, /* the live ruleset has a rule the evaluator cannot read on the way */
};

/* "loopback-only", "reachable", "blocked", "no-address", "unverified". */
const char *audit_exposure_name(enum audit_exposure e);

/*
 * Whether a socket bound to (family, bind) accepts connections to (afamily,
 * addr): same address, or a wildcard of the same family, or the IPv6 wildcard
 * with dual_stack for an IPv4 address. Addresses in network order.
 */
bool audit_accepts(int family, const uint8_t *bind, bool dual_stack, int afamily,
                   const uint8_t *addr);

/* Whether addr (network order) is a loopback address (127/8, ::1, ::ffff:127/104). */
bool audit_is_loopback(int family, const uint8_t *addr);

/*
 * The exposure from loopback (the bind address is loopback) and the scan
 * states of the non-loopback addresses the socket accepts (n of them).
 */
enum audit_exposure audit_exposure_of(bool loopback, const enum scan_state *states, unsigned n);

/*
 * Severity names: "info" "low" "medium" "high" (enum kb_severity), for
 * --fail-on. Returns the value or -EINVAL.
 */
int audit_severity_parse(const char *s);
