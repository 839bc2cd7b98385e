/* The service name of a port, for the SERVICE column. */
#pragma once

#include <stdint.h>

struct kb;

/*
 * The service name of port/proto from the knowledge base ("ssh" for 22/tcp),
 * or NULL when none is known or kb is NULL.
 * Example: out_service_name(kb, 22, IPPROTO_TCP) returns "ssh".
 */
const char *out_service_name(const struct kb *kb, uint16_t port, int proto);
