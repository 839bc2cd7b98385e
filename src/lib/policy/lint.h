/*
 * The policy linter: rules that do not do what they seem to.
 *
 *   check        severity  when
 *   empty        error     the policy has no rule: applied, it drops every connection
 *   no-allow     error     the policy has no ALLOW: the same, with extra steps
 *   unreachable  error     a rule after a catch-all (DENY ALL, ALLOW ALL, ...) never matches
 *   shadowed     error     earlier rules decide all of it (one or several together), one
 *                          of them with another verdict
 *                warning   ... all with the same verdict (redundant)
 *   overlap      warning   an earlier rule decides part of its ports and its port range
 *                          crosses one of this rule's range ends (neither holds the other),
 *                          with another verdict; info when the verdicts agree; also port
 *                          ranges that repeat within one rule
 *   ipv6-gap     warning   FROM names only IPv4 addresses (IPv6 clients fall through), and
 *   ipv4-gap     warning   the reverse; not when rules with the same verdict give the same
 *                          ports to the other family
 *   high-risk    warning   ALLOW from anywhere on a port the risk catalogue rates high
 *                info      ... rated medium
 *   hint         warning   the service hint names a service registered on other ports:
 *                          "ALLOW TCP Port 8080 (SSH)": ssh is 22/tcp
 *   no-default   warning   no catch-all DENY or REJECT decides what the rules do not
 *
 * Shadowing and overlap come from the first-match index (index.h): near-linear in
 * the number of rules. Overlap looks at the first 32 stretches of each port range
 * and at its last port; shadowing names at most a few of the rules that decide.
 *
 * Findings are emitted one at a time through a callback, in line order per check.
 */
#pragma once

#include "policy/policy.h"

enum policy_severity {
	POLICY_SEV_INFO,
	POLICY_SEV_WARNING,
	POLICY_SEV_ERROR,
};

struct policy_finding {
	enum policy_severity severity;
	const char *check;   /* "shadowed", "unreachable", ... */
	unsigned line;       /* the rule concerned; 0: the file as a whole */
	unsigned other_line; /* the earlier rule involved, or 0 */
	char message[512];
};

/* "info", "warning", "error". */
const char *policy_severity_name(enum policy_severity s);

typedef int (*policy_finding_fn)(const struct policy_finding *f, void *ctx);

struct kb;

struct policy_lint_opts {
	const struct kb *kb; /* service names for the hint check; NULL skips it */
	/* called every few thousand rules with how many are done (may be NULL) */
	void (*progress)(size_t done, size_t total, void *ctx);
	void *progress_ctx;
};

/*
 * Lints p, calling emit for each finding. Returns the number of findings, a
 * negative errno from emit (which stops the lint), or -ENOMEM.
 */
int policy_lint(const struct policy *p, policy_finding_fn emit, void *ctx);

/* As policy_lint() with options (o may be NULL). */
int policy_lint_with(const struct policy *p, const struct policy_lint_opts *o,
                     policy_finding_fn emit, void *ctx);

/* Whether p is empty or allows nothing (the lint errors "empty" and "no-allow"). */
bool policy_allows_nothing(const struct policy *p);
