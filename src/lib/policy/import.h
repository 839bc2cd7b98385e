/*
 * policy import: the machine's live input path (every nftables table, the
 * ones iptables-nft writes for ufw included) in the docs' language.
 *
 * The translation is by meaning, not by syntax: the firewall evaluator
 * (src/lib/firewall) judges a new connection for every stretch of ports the
 * ruleset tells apart, each protocol and family, and the sources it splits
 * them into; the policy says the same thing as rules, so that for any
 * (protocol, port, source) `policy eval` gives the verdict the live ruleset
 * gives (ALLOW accepted, DENY dropped, REJECT rejected). Chains, jumps,
 * several tables and iptables-nft's chains all come out flattened.
 *
 * What the language cannot say is judged for one arrival interface and one
 * local address (the first interface that is up, not the loopback, with an
 * address; or the one asked for), and each rule that depends on more than
 * protocol, destination port and source address (the interface, the source
 * port, marks, rate limits, address translation, ...) gets a comment:
 *
 *   # not expressed: inet filter input handle 9: iifname "veth*" tcp dport 2222 accept
 *   #   (matches the arrival interface; judged for eth0)
 *   ALLOW TCP PORT 22 FROM 198.18.0.5, 198.18.7.0/24 (inet filter input #6)
 *   ALLOW TCP PORT 80,443 (inet filter input #8)
 *   REJECT TCP PORT 25 (inet filter input #9)
 *   DENY ALL (inet filter input policy drop)
 *
 * Connections from the loopback or from the host's own addresses are not
 * judged (the compiled policy accepts the loopback first).
 */
#pragma once

#include <stddef.h>

#include "firewall/firewall.h"

struct policy_import_opts {
	const char *iifname; /* the arrival interface; NULL: the first one up with an address */
	const char *origin;  /* named in the header comment ("the live ruleset", a file) */
};

struct policy_import_stats {
	size_t rules;         /* policy rules written */
	size_t not_expressed; /* live rules commented as not expressed */
	size_t unknown;       /* port stretches whose verdict the evaluator could not tell */
	size_t evaluations;   /* evaluator runs */
};

/*
 * Translates rs as env's host sees it into policy text (malloc'd *text,
 * *len bytes) that policy_read() takes. Returns 0, -ENOENT (no such arrival
 * interface, or no interface with an address: why says), or -ENOMEM.
 */
int policy_import(const struct fw_ruleset *rs, const struct fw_env *env,
                  const struct policy_import_opts *o, char **text, size_t *len,
                  struct policy_import_stats *st, char *why, size_t whylen);
