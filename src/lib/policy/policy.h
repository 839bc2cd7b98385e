/*
 * The firewall policy language of the docs: one rule a line, first match wins.
 *
 *   # comment
 *   ALLOW TCP PORT 80 (Web)
 *   ALLOW TCP PORT 22 FROM 10.0.0.5 (Admin)
 *   ALLOW ANY PORT 53                        # TCP and UDP
 *   ALLOW TCP PORT 80,443,8000-8100 FROM 198.18.0.0/15, fd00:5c09::/64
 *   REJECT UDP PORT 161
 *   DENY ALL (Block everything else)
 *
 * Grammar (keywords case-insensitive):
 *   rule   := ACTION (ALL | PROTO [PORT ports ['(' hint ')']]) [FROM addrs] ['(' label ')']
 *             ['#' comment]
 *   ACTION := ALLOW | DENY | REJECT
 *   PROTO  := TCP | UDP | ANY            ANY is TCP and UDP; ALL is every protocol
 *   ports  := N | N-M, separated by ','   1-65535; no PORT means every port
 *   addrs  := ANY | ADDR[/PREFIX], separated by ','   IPv4 and IPv6, host bits clear
 *   hint   := the service the ports are for, as the docs write it: "Port 22 (SSH)"
 *   label  := printable ASCII without '"' or ')', at most 128 characters (a hint too)
 * One parenthesised group right after the ports is the hint; the group that ends the
 * rule is the label. A rule with only the hint group ("Port 80 (Web)") has that text
 * as its label as well:
 *   ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)   hint "SSH", label "Admin"
 *   ALLOW TCP Port 80 (Web)                        hint "Web", label "Web"
 *   DENY ALL (Block everything else)               label only
 * "PORTS" is accepted for PORT.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define POLICY_LABEL_MAX 128  /* nftables' comment limit */
#define POLICY_LINE_MAX  4096 /* longer lines are a syntax error */
#define POLICY_ITEMS_MAX 1024 /* ports or addresses in one rule */
#define POLICY_RULES_MAX 65536
#define POLICY_FILE_MAX  (32u << 20) /* bytes of a policy file: room for the most rules */

enum policy_action {
	POLICY_ALLOW,
	POLICY_DENY,
	POLICY_REJECT,
};

/* Protocol bits of a rule's match set. */
enum {
	POLICY_P_TCP = 1u << 0,
	POLICY_P_UDP = 1u << 1,
	POLICY_P_OTHER = 1u << 2, /* every protocol without ports (ICMP, ...) */
	POLICY_P_ANY = POLICY_P_TCP | POLICY_P_UDP,
	POLICY_P_ALL = POLICY_P_ANY | POLICY_P_OTHER,
};

/* Ports lo..hi inclusive. */
struct policy_range {
	uint16_t lo, hi;
};

/* An address prefix; host bits beyond prefix are zero. */
struct policy_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* 0-32 or 0-128 */
	uint8_t bytes[16];
};

struct policy_rule {
	unsigned line; /* 1-based line number in the file */
	enum policy_action action;
	unsigned protos;            /* POLICY_P_* bits: TCP, UDP, ANY or ALL */
	struct policy_range *ports; /* as written; nports == 0: every port */
	size_t nports;
	struct policy_addr *from; /* nfrom == 0: from anywhere */
	size_t nfrom;
	char *label; /* NULL when the rule has none */
	char *hint;  /* the group after the ports ("SSH"), or NULL */
	char *text;  /* the rule as written, without comment or surrounding blanks */
};

struct policy {
	struct policy_rule *rules;
	size_t nrules;
	size_t cap;
};

/* A syntax error: where, and what was expected there. */
struct policy_error {
	unsigned line, col; /* 1-based; col counts bytes */
	char msg[192];
};

/* "allow", "deny", "reject". */
const char *policy_action_name(enum policy_action a);

/*
 * Parses one line (len bytes, no newline; NUL bytes are errors) and appends its
 * rule to p; blank and comment lines add nothing. Returns 1 when a rule was
 * added, 0 for a blank line, -EINVAL with err filled for a syntax error,
 * -E2BIG (err filled) past POLICY_RULES_MAX, or -ENOMEM.
 * Example: "ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)" adds
 *   { ALLOW, TCP, ports [22-22], from [10.0.0.5/32], hint "SSH", label "Admin" }.
 * Example: "ALLOW TCP 22" fails at column 11: expected PORT, FROM, '(' or end of line.
 */
int policy_parse_line(struct policy *p, const char *line, size_t len, unsigned lineno,
                      struct policy_error *err);

/*
 * Reads a whole policy from f line by line. Syntax errors do not stop the
 * reading: up to maxerr of them are stored in errs and *nerr gets their total.
 * Returns 0, -EINVAL when there was any syntax error, -EIO or -ENOMEM.
 */
int policy_read(FILE *f, struct policy *p, struct policy_error *errs, size_t maxerr, size_t *nerr);

/* As policy_read() over a buffer (lines split at '\n'). */
int policy_read_buf(const char *buf, size_t len, struct policy *p, struct policy_error *errs,
                    size_t maxerr, size_t *nerr);

void policy_free(struct policy *p);

/*
 * Makes *arr (*cap elements of size bytes) hold at least n + 1, doubling from 2:
 * for the many small arrays of a policy (a rule's ports and addresses), where
 * GREEDY_REALLOC's first 4 KiB would cost 8 KiB a rule. Returns 0 or -ENOMEM.
 */
int policy_grow(void **arr, size_t *cap, size_t n, size_t size);

/*
 * Parses ADDR or ADDR/PREFIX (IPv4 or IPv6). Returns 0, -EINVAL (not an
 * address), -ERANGE (prefix not a number in 0-32 or 0-128) or -EDOM (host bits set beyond the
 * prefix: "10.0.0.5/24"). Example: "198.18.0.0/15" gives { AF_INET, 15, 198.18.0.0 }.
 */
int policy_addr_parse(const char *s, size_t len, struct policy_addr *out);

/* Writes "10.0.0.5", "198.18.0.0/15" or "fd00:5c09::/64" (prefix omitted for a host). */
void policy_addr_format(const struct policy_addr *a, char *buf, size_t len);

/* Whether prefix a contains prefix b (same family, b at least as long and inside a). */
bool policy_addr_contains(const struct policy_addr *a, const struct policy_addr *b);

/*
 * Sorts v[0..n) by start then end (policy_ranges_sort), or sorts and merges
 * overlapping and adjacent ranges in place, returning the new count
 * (policy_ranges_merge). Example: 8000-8100,80,8050-8200,81 gives 80-81,8000-8200.
 */
void policy_ranges_sort(struct policy_range *v, size_t n);
size_t policy_ranges_merge(struct policy_range *v, size_t n);

/*
 * The rule's ports sorted and merged, adjacent ranges joined, in a malloc'd
 * array; a rule without PORT gives 1-65535. Returns 0 or -ENOMEM.
 * Example: 8000-8100,80,8050-8200,81 gives [80-81, 8000-8200].
 */
int policy_rule_ports_merged(const struct policy_rule *r, struct policy_range **out, size_t *n);

/* Whether port is in the rule's ports (every port when it lists none). */
bool policy_rule_has_port(const struct policy_rule *r, uint16_t port);

/* Whether addr is in the rule's FROM list (anywhere when it has none); addr NULL is
 * "an address outside every FROM list". */
bool policy_rule_has_source(const struct policy_rule *r, const struct policy_addr *addr);

/* A connection attempt to evaluate. */
struct policy_packet {
	unsigned proto; /* POLICY_P_TCP or POLICY_P_UDP */
	uint16_t port;
	const struct policy_addr *from; /* NULL: an address no FROM list names */
};

/*
 * First match wins: returns the index of the rule that decides pkt, or -1 when
 * none matches (the compiled chain then drops: its policy is drop).
 */
ssize_t policy_eval(const struct policy *p, const struct policy_packet *pkt);

/*
 * The ALLOW rules before rule index upto (all rules when upto < 0) that match
 * proto and port through a FROM list naming a family in families (bit
 * 1 << AF_INET, 1 << AF_INET6): the sources let in before the rule that decides
 * for everyone else. Stores up to max rule indexes in idx; returns how many
 * there are.
 * Example: with the docs' rules, tcp 22 upto 2 (DENY ALL) gives [1] (Admin).
 */
size_t policy_allowed_before(const struct policy *p, unsigned proto, uint16_t port, ssize_t upto,
                             unsigned families, size_t *idx, size_t max);
