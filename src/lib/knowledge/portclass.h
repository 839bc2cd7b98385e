/*
 * IANA port classes (RFC 6335 section 6):
 *   well-known 0-1023, registered 1024-49151, dynamic (private/ephemeral) 49152-65535.
 * Example: kb_port_class(1023) is KB_PORT_WELL_KNOWN, kb_port_class(1024) KB_PORT_REGISTERED.
 */
#pragma once

#include <stdint.h>

enum kb_portclass {
	KB_PORT_WELL_KNOWN,
	KB_PORT_REGISTERED,
	KB_PORT_DYNAMIC,
};

enum kb_portclass kb_port_class(uint16_t port);

/* "well-known", "registered", "dynamic"; NULL for an unknown value. */
const char *kb_portclass_name(int cls);

/* The inclusive bounds of cls. Returns 0 or -EINVAL. */
int kb_portclass_range(int cls, uint16_t *lo, uint16_t *hi);
