/*
 * The nftables back-end: a policy compiled to one `inet` table of its own,
 * loaded atomically through libnftables. Other tables (Docker's, a
 * distribution's) are never touched: there is no `flush ruleset`.
 *
 * The script replaces the table in one transaction:
 *   table inet portscope {}          (creates it when absent, so the delete cannot fail)
 *   delete table inet portscope
 *   table inet portscope {
 *     set from_l2_v4 { type ipv4_addr; flags interval; elements = { 10.0.0.5 } }
 *     chain input {
 *       type filter hook input priority filter; policy drop;
 *       ct state established,related accept
 *       ct state invalid drop
 *       iif "lo" accept
 *       (ICMP errors, ICMPv6 errors and neighbour discovery, echo-request unless --no-ping)
 *       tcp dport 80 accept comment "Web"                       line 1
 *       ip saddr @from_l2_v4 tcp dport 22 accept comment "Admin"  line 2
 *       drop comment "Block everything else"                    line 3
 *     }
 *   }
 * A rule whose FROM names both families becomes two nftables rules (ip saddr,
 * ip6 saddr); REJECT becomes `reject with tcp reset` for TCP and
 * `reject with icmpx port-unreachable` for the rest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

#define POLICY_NFT_TABLE "portscope"

struct policy_nft_opts {
	const char *table;  /* NULL: POLICY_NFT_TABLE; [A-Za-z0-9_]{1,32} */
	const char *source; /* file name for the header comment, or NULL */
	bool no_ping;       /* do not accept ICMP/ICMPv6 echo-request */
};

/*
 * Compiles p to an nftables script in a malloc'd string (*out, *outlen).
 * Returns 0, -EINVAL (bad table name) or -ENOMEM.
 */
int policy_nft_compile(const struct policy *p, const struct policy_nft_opts *o, char **out,
                       size_t *outlen);

/*
 * Loads an nftables script through libnftables in one transaction; dry_run
 * checks it in the kernel without committing. Returns 0, -EPERM (no
 * CAP_NET_ADMIN over this network namespace), -EACCES (the kernel said "not
 * permitted" for another reason: an owned table, a security module),
 * -EINVAL (rejected: why gets nft's message) or -ENOMEM.
 */
int policy_nft_apply(const char *script, bool dry_run, char *why, size_t whylen);
