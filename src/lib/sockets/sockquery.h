/*
 * Which sockets `portscope ls` wants: protocols, families, TCP states (ss's
 * names) and a port, as the per-socket filter they imply. The command layer
 * (src/cmd/ls.c) fills it from the options; nothing here parses argv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockets/socktab.h"

/* Bit of TCP state st in a state mask; TCP_* as in <netinet/tcp.h>. */
#define SOCKQUERY_STATE(st) (1u << (st))

/* ss's SS_ALL: every state TCP_ESTABLISHED (1) .. TCP_CLOSING (11). */
#define SOCKQUERY_STATES_ALL 0xffeu
/* ss -l: listening TCP and unconnected UDP (TCP_LISTEN, TCP_CLOSE). */
#define SOCKQUERY_STATES_LISTENING (SOCKQUERY_STATE(10) | SOCKQUERY_STATE(7))

struct sockquery {
	bool tcp, udp;     /* protocols to dump */
	bool inet4, inet6; /* families to dump */
	uint32_t states;   /* SOCKQUERY_STATE() bits */
	int port;          /* local or peer port, -1 for any */
};

/* The query of bare `ls`: listening sockets of both protocols and families, any port. */
void sockquery_init(struct sockquery *q);

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
