/* The service name of a port, for the SERVICE column. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The service name of port/proto ("ssh" for 22/tcp) into buf, or NULL when
 * none is known. Example: out_service_name(22, IPPROTO_TCP, buf, sizeof(buf)).
 */
const char *out_service_name(uint16_t port, int proto, char *buf, size_t len);
