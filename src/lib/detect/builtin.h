/*
 * Built-in probes: one ops struct per probe, all in one registry table.
 *
 * A probe without a payload is a banner parser: it is tried on whatever a
 * server says on its own after connect (the NULL probe) and on every other
 * response too, since servers such as SSH greet whatever they are sent.
 * A probe with a payload sends it once connected (TCP) or as the datagram (UDP)
 * and parses the answer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/probes.h"
#include "detect/service.h"

/* parse() results */
#define BUILTIN_NO   0 /* not this service */
#define BUILTIN_YES  1 /* identified; svc filled */
#define BUILTIN_MORE 2 /* could be this service: wait for more bytes before deciding */

struct builtin_probe {
	const char *name;    /* unique probe name, e.g. "redis-info" */
	const char *service; /* service it identifies (nmap's name) */
	enum probes_proto proto;
	const uint16_t *ports;  /* likely ports, 0-terminated; NULL: none */
	const uint8_t *payload; /* bytes to send; NULL for a banner parser */
	size_t payload_len;
	unsigned rarity; /* 1 common … 9 rare: order among probes not hinted by port */
	/*
	 * Service this probe completes once an endpoint is identified as it (as nmap's version
	 * scripts do), or NULL for an ordinary probe. Its answer adds to the product
	 * ("SNMPv1 server; net-snmp SNMPv3 server"); it is never sent before.
	 */
	const char *augments;
	/* nmap probe whose match lines also judge the answer when none has this payload, or NULL */
	const char *judge;
	/* Parses a response buf[0..len); returns BUILTIN_NO, BUILTIN_YES or BUILTIN_MORE. */
	int (*parse)(const uint8_t *buf, size_t len, struct detect_service *svc);
};

/* The registry, and its length. */
extern const struct builtin_probe builtin_probes[];
extern const size_t builtin_nprobes;

/* Returns the probe called name or NULL. */
const struct builtin_probe *builtin_find(const char *name);

/* Whether the probe lists port among its likely ports. */
bool builtin_likes_port(const struct builtin_probe *p, uint16_t port);

/*
 * Runs every banner parser on buf. Returns BUILTIN_YES with svc filled by the
 * first that identifies it, else BUILTIN_MORE when one wants more bytes, else BUILTIN_NO.
 */
int builtin_parse_banner(const uint8_t *buf, size_t len, struct detect_service *svc);

/* Parsers shared with tests (each returns BUILTIN_NO/YES/MORE). */
int builtin_parse_ssh(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_http(const uint8_t *buf, size_t len, struct detect_service *svc);
