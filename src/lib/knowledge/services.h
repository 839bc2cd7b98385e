/*
 * The port and service knowledge base: /etc/services and nmap-services.
 *
 * Both files are read in one pass each into memory the kb owns; kb_finalize()
 * then sorts the records by (proto, port) and builds a case-insensitive name
 * index, so every look-up is a binary search.
 *
 *   /etc/services   "ssh  22/tcp  alias1 alias2  # comment"
 *   nmap-services   "ssh  22/tcp  0.182286       # comment"
 *
 * Example:
 *   struct kb *kb;
 *   kb_load(NULL, &kb, why, sizeof(why));      default paths, missing files skipped
 *   kb_service_name(kb, 22, KB_PROTO_TCP)     returns "ssh"
 *   kb_service_ports(kb, "HTTPS", pp, 8)      returns 3 with pp = 443/tcp, 443/udp, 443/sctp
 *   kb_top_ports(kb, KB_PROTO_TCP, 3, ports)  returns 3 with ports = 80, 23, 443 (nmap's order)
 *   kb_free(kb);
 *
 * After kb_finalize() a kb is read-only: look-ups may run from several threads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB_ETC_SERVICES  "/etc/services"
#define KB_NMAP_SERVICES "/usr/share/nmap/nmap-services"
#define KB_NAME_MAX      128 /* longest service name kept, with the NUL */

enum kb_proto {
	KB_PROTO_TCP,
	KB_PROTO_UDP,
	KB_PROTO_SCTP,
	KB_PROTO_COUNT,
};

/* Where a record comes from; also the order records of one port are listed in. */
enum kb_source {
	KB_SRC_ETC,  /* /etc/services */
	KB_SRC_NMAP, /* nmap-services */
};

struct kb_service {
	const char *name;
	const char *aliases; /* naliases NUL-terminated names back to back ("" when none) */
	const char *comment; /* text after '#', trimmed, or NULL */
	double freq;         /* nmap open-frequency 0..1, or -1 for /etc/services */
	uint32_t order;      /* load order (internal: keeps sorting stable) */
	uint16_t port;
	uint16_t naliases;
	uint8_t proto;  /* enum kb_proto */
	uint8_t source; /* enum kb_source */
};

struct kb_portproto {
	uint16_t port;
	uint8_t proto; /* enum kb_proto */
};

struct kb_parse_stats {
	size_t lines;    /* lines seen */
	size_t records;  /* records kept */
	size_t skipped;  /* non-comment lines that were malformed or of another protocol */
	size_t bad_line; /* 1-based number of the first skipped line, 0 when none */
};

/* Paths to load; NULL means the default path, missing allowed; "" means do not load. */
struct kb_paths {
	const char *etc_services;
	const char *nmap_services;
};

struct kb;

/* "tcp", "udp", "sctp"; NULL for an unknown value. */
const char *kb_proto_name(int proto);

/* Parses a protocol name of len bytes (case-insensitive). Returns the enum kb_proto or -EINVAL. */
int kb_proto_parse(const char *s, size_t len);

/* "etc-services" or "nmap-services". */
const char *kb_source_name(int source);

/* Returns an empty knowledge base, or NULL when out of memory. */
struct kb *kb_new(void);
void kb_free(struct kb *kb);

/*
 * Parses len bytes of services text in the format of source into kb (the text
 * is copied). Malformed lines and lines of other protocols (ddp) are skipped
 * and counted in st (may be NULL). Returns 0, -ENOMEM, or -EBUSY after
 * kb_finalize().
 */
int kb_parse(struct kb *kb, const char *buf, size_t len, enum kb_source source,
             struct kb_parse_stats *st);

/*
 * Reads the file at path and parses it as kb_parse() does. Returns 0 or a
 * negative errno (-ENOENT, -EACCES, -EFBIG above 64 MiB, ...) with a reason
 * naming the file in why (may be NULL).
 */
int kb_load_file(struct kb *kb, const char *path, enum kb_source source, struct kb_parse_stats *st,
                 char *why, size_t whylen);

/* Sorts, removes duplicate records and builds the indexes. Returns 0 or -ENOMEM. */
int kb_finalize(struct kb *kb);

/*
 * kb_new() + kb_load_file() for each path of paths (NULL: both defaults) +
 * kb_finalize(). Returns 0 with *out set, or a negative errno with why.
 */
int kb_load(const struct kb_paths *paths, struct kb **out, char *why, size_t whylen);

/* Whether records of source were loaded. */
bool kb_has_source(const struct kb *kb, enum kb_source source);

/* Number of records kept (after kb_finalize()). */
size_t kb_size(const struct kb *kb);

/*
 * Records for port/proto, /etc/services ones first (file order), then
 * nmap-services ones (highest frequency first). Returns how many and points
 * *out at the first; 0 when none or before kb_finalize().
 */
size_t kb_port_services(const struct kb *kb, uint16_t port, enum kb_proto proto,
                        const struct kb_service **out);

/*
 * The distinct port/proto pairs of a service name or alias (case-insensitive),
 * sorted by port then proto. Stores up to max in out and returns the total
 * (which may exceed max), 0 for an unknown name, or -EINVAL.
 * Example: "www" gives 80/tcp from the alias in /etc/services.
 */
int kb_service_ports(const struct kb *kb, const char *name, struct kb_portproto *out, size_t max);

/*
 * The best name for port/proto: the first /etc/services record, else the most
 * frequent nmap-services one that is not "unknown"; NULL when there is none.
 */
const char *kb_service_name(const struct kb *kb, uint16_t port, enum kb_proto proto);

/* The i-th alias of s (i < s->naliases). */
const char *kb_service_alias(const struct kb_service *s, unsigned i);

/*
 * The n most useful ports to scan for proto, best first, all distinct, never
 * port 0: nmap-services ports by falling frequency (when loaded), then a
 * built-in ranking of common ports, then the other /etc/services ports, then
 * the remaining ports ascending, so every n in 1..65535 works.
 * Returns n (or 0 for n = 0), -EINVAL for a bad proto or NULL out, -ERANGE for
 * n > 65535.
 */
int kb_top_ports(const struct kb *kb, enum kb_proto proto, size_t n, uint16_t *out);
