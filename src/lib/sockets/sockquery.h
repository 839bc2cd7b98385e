/*
 * What `portscope ls` is asked for: its options (ss's -t -u -l -a -n -p -4 -6
 * plus --port, --state, --netns, --json), parsed and checked here so that
 * every error path is unit-testable, and the per-socket filter they imply.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockets/sockdiag.h"

/* Bit of TCP state st in a state mask; TCP_* as in <netinet/tcp.h>. */
#define SOCKQUERY_STATE(st) (1u << (st))

struct sockquery {
	bool tcp, udp;     /* protocols to dump */
	bool inet4, inet6; /* families to dump */
	uint32_t states;   /* SOCKQUERY_STATE() bits */
	bool numeric;      /* -n: no service names */
	bool processes;    /* look up owning processes (default; --no-process clears) */
	bool json;
	bool no_color;
	bool help;         /* -h/--help: nothing else is checked */
	int port;          /* --port: local or peer port, -1 for any */
	const char *netns; /* --netns: NULL (own), a /run/netns name, or "all" */
};

/*
 * Parses argv (argv[0] is the command name) into q. Returns 0, or -EINVAL with
 * a one-line reason naming the bad word in why ("bad --port '70000': not in
 * 1-65535", "unknown --state 'bogus'", "unknown option '--frob'").
 */
int sockquery_parse_args(struct sockquery *q, int argc, char **argv, char *why, size_t whylen);

/*
 * ORs the states named by name into *mask: ss's names (established, syn-sent,
 * syn-recv, fin-wait-1, fin-wait-2, time-wait, close/closed, close-wait,
 * last-ack, listen/listening, closing, unconn) and groups (all, connected,
 * synchronized, bucket, big). Case-insensitive. Returns 0 or -EINVAL.
 */
int sockquery_parse_state(const char *name, uint32_t *mask);

/* The name of a state as ls shows it: "listen", "established", ...; UDP's close is "unconn". */
const char *sockquery_state_name(uint8_t state, uint8_t proto);

/* Whether s passes the filters not done by the kernel (--port). */
bool sockquery_match(const struct sockquery *q, const struct sockdiag_sock *s);
