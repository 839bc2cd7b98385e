/*
 * The nftables back-end: a policy compiled to one `inet` table of its own,
 * loaded atomically through libnftables. Other tables (Docker's, a
 * distribution's) are never touched: there is no `flush ruleset`.
 *
 * Small policies compile rule for rule (the "rules" layout):
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
 *
 * Large ones (and any with the "maps" layout) compile the first-match function
 * itself (index.h) into verdict maps, a few rules whatever the number of policy
 * rules: per protocol, one map per nesting depth of source prefixes, deepest
 * first, each holding (prefix . ports) where a rule at that prefix beats every
 * rule of the prefixes around it, then one map on ports for the rules without
 * FROM. Elements keep each rule's label as their comment:
 *   ip saddr . tcp dport vmap { 10.0.0.5 . 22 comment "Admin" : accept, ... }
 *   tcp dport vmap { 80 comment "Web" : accept, 1-79 comment "default" : drop, ... }
 * First match wins exactly as in the rules layout; REJECT becomes `goto reject_tcp`
 * or `goto reject_icmpx`. When the maps of a stretch of rules would grow past a
 * budget (rules whose earlier neighbours cut them into many pieces), the stretch
 * is split in two, each compiled in turn: still exact, only more maps.
 *
 * Loading replaces the table's chains and sets inside the table (flush, delete
 * each, add the new ones) rather than the table itself, so the table keeps its
 * place among the others and `nft list ruleset` after a roll-back is the one
 * before, byte for byte.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

#define POLICY_NFT_TABLE "portscope"

#define POLICY_NFT_RULES_MAX 100 /* larger policies compile to maps (layout AUTO) */

enum policy_nft_layout {
	POLICY_NFT_AUTO, /* rules up to POLICY_NFT_RULES_MAX policy rules, maps above */
	POLICY_NFT_RULES,
	POLICY_NFT_MAPS,
};

struct policy_nft_opts {
	const char *table;  /* NULL: POLICY_NFT_TABLE; [A-Za-z0-9_]{1,32} */
	const char *source; /* file name for the header comment, or NULL */
	bool no_ping;       /* do not accept ICMP/ICMPv6 echo-request */
	enum policy_nft_layout layout;
	bool body_only; /* only "table inet NAME { ... }", for policy_nft_load() */
};

/* Whether s is a table name the compiler takes: [A-Za-z_][A-Za-z0-9_]{0,31}. */
bool policy_nft_table_ok(const char *s);

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

/*
 * Makes table inet TABLE hold exactly body ("table inet TABLE { ... }": a
 * body_only compile, or a policy_nft_save() listing), in one transaction: the
 * table is created when absent, else its chains, sets, maps and flowtables are
 * deleted and body added, so it keeps its place among the tables. body NULL
 * deletes the table (when there is one). dry_run has the kernel check without
 * committing. Returns 0, -EPERM or -EACCES (as policy_nft_apply()), -EINVAL
 * (why gets nft's message), -EIO or -ENOMEM.
 */
int policy_nft_load(const char *table, const char *body, bool dry_run, char *why, size_t whylen);

/*
 * The listing of table inet TABLE (`nft list table inet TABLE`) in a malloc'd
 * *text, or NULL when there is no such table. Loading the text back with
 * policy_nft_load() gives the same `nft list ruleset`. Returns 0 or a negative
 * errno as policy_nft_load().
 */
int policy_nft_save(const char *table, char **text, char *why, size_t whylen);
