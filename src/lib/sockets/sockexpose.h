/*
 * Exposure of a socket: from where its local address can be reached.
 *
 *   127.0.0.1, 127.5.5.5, ::1, ::ffff:127.0.0.1  → SOCKEXPOSE_LOOPBACK
 *   0.0.0.0, ::, ::ffff:0.0.0.0                  → SOCKEXPOSE_ALL
 *   anything else (198.18.0.1, fd00:5c09::1)     → SOCKEXPOSE_ADDRESS
 *
 * A socket on :: with IPV6_V6ONLY off (v6only == 0) accepts IPv4 as well:
 * it is dual-stack.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum sockexpose {
	SOCKEXPOSE_LOOPBACK,
	SOCKEXPOSE_ALL,
	SOCKEXPOSE_ADDRESS,
};

/*
 * Classifies addr (network order, 4 or 16 bytes by family). v6only is the
 * INET_DIAG_SKV6ONLY value (1, 0, or -1 unknown); *dual_stack is set true only
 * for an AF_INET6 wildcard with v6only == 0.
 */
enum sockexpose sockexpose_classify(int family, const uint8_t *addr, int v6only, bool *dual_stack);

/* "loopback", "all-interfaces", "address". */
const char *sockexpose_name(enum sockexpose e);
