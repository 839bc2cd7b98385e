/* Services in outputs: the SERVICE column, nmap's CPE rule, the JSON service object. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/*
 * The CPEs of a service as nmap keeps them: at most one per part, the last
 * of each ("a" application, "h" hardware, "o" operating system), in that
 * order. cpes is space-separated; out gets pointers into buf (a copy).
 * Example: "cpe:/a:openbsd:openssh:9.2p1 cpe:/o:debian:debian_linux
 * cpe:/o:linux:linux_kernel" gives 2: cpe:/a:openbsd:openssh:9.2p1 and
 * cpe:/o:linux:linux_kernel. Returns how many (0 to 3).
 */
size_t out_cpe_parts(const char *cpes, char *buf, size_t len, const char *out[3]);

/*
 * What a service object says (schema/common.json, $defs/service): the same
 * object for a scanned port, a listening socket, an audit endpoint and a
 * change. name NULL or "" with probed false: nothing known (JSON null).
 */
struct out_service {
	const char *name;              /* detected, else the port table's; NULL: unknown */
	bool probed;                   /* -sV answered: method "probed", else "table" (conf 3) */
	unsigned confidence;           /* nmap's conf when probed, 0-10 */
	const struct detect_result *r; /* the -sV result (product, cpe, tls …), or NULL */
	const char *product, *version; /* without r */
	const char *port_default;      /* the port table's name; NULL: none */
	const bool *mismatch;          /* the caller's judgement; NULL: detect_mismatch() */
};

/* The service object (a new reference); json null when nothing is known; NULL: no memory. */
struct json_t;
struct json_t *out_json_service(const struct out_service *s);
