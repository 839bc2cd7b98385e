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

struct out_info;
struct detect_result;

/* The -sV result for port of the host being written, or NULL (no -sV, or not detected). */
const struct detect_result *out_version_find(const struct out_info *in, uint16_t port);

/*
 * The detected name as nmap writes it: "http", "unknown", and with TLS the
 * tunnel joined by sep ("ssl/http" in normal output, "ssl|http" in grepable).
 */
const char *out_version_name(const struct detect_result *r, char sep, char *buf, size_t len);

/*
 * The VERSION text as nmap prints it: product, version and "(extrainfo)",
 * e.g. "OpenSSH 9.2p1 Debian 2+deb12u3 (protocol 2.0)"; "" when none.
 */
const char *out_version_text(const struct detect_result *r, char *buf, size_t len);
