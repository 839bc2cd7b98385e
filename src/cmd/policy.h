/* What the policy subcommands share (src/cmd/policy*.c). */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"

#define CMD "policy"

struct policy_opts {
	bool json, no_color, strict, dry_run, no_ping, no_process, all;
	unsigned proto;    /* eval: POLICY_P_TCP or POLICY_P_UDP, 0 unset */
	long port;         /* eval: -1 unset */
	const char *from;  /* eval --from, verify --from-address */
	const char *ports; /* verify -p */
	int timing;        /* verify -T: 0-5, -1 unset */
	const char *file;
	const char *target; /* verify */
};

/* Loads o->file ('-': stdin) into p; syntax errors go to stderr. Returns an exit status. */
int policy_cmd_load(const struct policy_opts *o, struct policy *p);

/* policy listening: this machine's listeners and the rule that decides each. */
int policy_cmd_listening(const struct policy_opts *o);

/* policy verify: scan TARGET, compare what answers with what the policy allows. */
int policy_cmd_verify(const struct policy_opts *o);
