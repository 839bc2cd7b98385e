/*
 * One argument of `portscope info`: PORT, PORT/PROTO, SERVICE or SERVICE/PROTO.
 *   "22"        port 22, any protocol
 *   "53/udp"    port 53, UDP
 *   "https"     the service https, any protocol
 *   "ssh/tcp"   the service ssh, TCP
 * Errors name the bad part, e.g. "port '70000' out of range 0-65535".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "knowledge/services.h"

enum portarg_kind {
	PORTARG_PORT,
	PORTARG_SERVICE,
};

struct portarg {
	enum portarg_kind kind;
	uint16_t port;          /* PORTARG_PORT */
	int proto;              /* enum kb_proto, or -1 when not given */
	char name[KB_NAME_MAX]; /* PORTARG_SERVICE */
};

/*
 * Parses arg into pa. Returns 0, or -EINVAL (empty, missing part, unknown
 * protocol, bad character), -ERANGE (port outside 0-65535) or -ENAMETOOLONG,
 * with a one-line reason in why (may be NULL).
 */
int portarg_parse(const char *arg, struct portarg *pa, char *why, size_t whylen);
