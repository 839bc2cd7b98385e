/* `portscope ls`: its options, read into what the command does (unit-tested). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"
#include "sockets/sockquery.h"

struct ls_opts {
	struct sockquery q; /* protocols, families, states, --port */
	bool numeric;       /* -n: no service names */
	bool processes;     /* look up owning processes (default; --no-process clears) */
	bool json, no_color;
	const char *netns; /* --netns: NULL (own), a /run/netns name, or "all" */
};

/*
 * Fills o from what cmd_parse() read for cmd_ls. Returns 0, or -EINVAL with a
 * one-line reason naming the bad word in why ("bad --port '70000': not in
 * 1-65535", "unknown --state 'bogus' ...", "bad --netns 'a/b': ...").
 * Example: -t --state established -a gives q.tcp only, q.states ESTABLISHED.
 */
int ls_opts_from_args(const struct cmd_args *a, struct ls_opts *o, char *why, size_t whylen);
