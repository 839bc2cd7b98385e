/* What the policy subcommands share (src/cmd/policy*.c). */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"

#define CMD "policy"

struct policy_opts {
	bool json, no_color, strict, dry_run, no_ping, no_process, all;
	bool maps;         /* compile/apply: the maps layout whatever the size */
	bool force;        /* compile/apply: even a policy that allows nothing or locks us out */
	int confirm;       /* apply: seconds to wait for "yes", 0 do not ask, -1 unset */
	const char *iif;   /* import: the arrival interface */
	unsigned proto;    /* eval: POLICY_P_TCP or POLICY_P_UDP, 0 unset */
	long port;         /* eval: -1 unset */
	const char *from;  /* eval --from, verify --from-address */
	const char *ports; /* verify -p */
	int timing;        /* verify -T: 0-5, -1 unset */
	const char *file;
	const char *target;                                                 /* verify */
	enum { POLICY_TO_NFTABLES, POLICY_TO_WINDOWS, POLICY_TO_NETSH } to; /* compile --to */
};

/* A rule as JSON ({"line","text","label","hint"}), json null for NULL; NULL: no memory. */
struct json_t;
struct json_t *policy_json_rule(const struct policy_rule *r);

/* Loads o->file ('-': stdin) into p; syntax errors go to stderr. Returns an exit status. */
int policy_cmd_load(const struct policy_opts *o, struct policy *p);

/* policy apply: guard, load, and with --confirm ask before keeping (policy-apply.c). */
int policy_cmd_apply(const struct policy_opts *o);

/*
 * Refuses (exit 1, one line) a policy that allows nothing, unless --force;
 * verb says what was to be done ("apply", "compile"). Returns an exit status.
 */
int policy_cmd_refuse_nothing(const struct policy_opts *o, const struct policy *p,
                              const char *verb);

/* policy import: the live ruleset (or a saved one) as a policy on stdout (policy-import.c). */
int policy_cmd_import(const struct policy_opts *o);

/* policy listening: this machine's listeners and the rule that decides each. */
int policy_cmd_listening(const struct policy_opts *o);

/* policy verify: scan TARGET, compare what answers with what the policy allows. */
int policy_cmd_verify(const struct policy_opts *o);
