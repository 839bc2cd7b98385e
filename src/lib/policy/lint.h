/*
 * The policy linter: rules that do not do what they seem to.
 *
 *   check        severity  when
 *   unreachable  error     a rule after a catch-all (DENY ALL, ALLOW ALL, ...) never matches
 *   shadowed     error     an earlier rule covers all of it with another verdict
 *                warning   ... with the same verdict (redundant)
 *   overlap      warning   port ranges partly overlap an earlier rule with another verdict,
 *                          or repeat within one rule (info when the verdicts agree)
 *   ipv6-gap     warning   FROM names only IPv4 addresses (IPv6 clients fall through), and
 *   ipv4-gap     warning   the reverse; not when another rule gives the same ports to the
 *                          other family
 *   high-risk    warning   ALLOW from anywhere on a port the risk catalogue rates high
 *                info      ... rated medium
 *   no-default   warning   the last rule is not a catch-all DENY or REJECT
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

/*
 * Lints p, calling emit for each finding. Returns the number of findings, a
 * negative errno from emit (which stops the lint), or -ENOMEM.
 */
int policy_lint(const struct policy *p, policy_finding_fn emit, void *ctx);
