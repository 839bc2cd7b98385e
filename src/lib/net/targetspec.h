/*
 * Scan targets as nmap takes them, kept as address ranges, never expanded.
 *
 *   198.18.0.2              one address        2001:db8::1   (IPv6)
 *   198.18.0.0/24           CIDR (v4, v6)      fd00:5c09::/120
 *   198.18.0.1-20           last-octet range   198.18.0-3.*  octet ranges, * = 0-255
 *   lab.example             host name: every address getaddrinfo returns for the
 *                           family asked (IPv4 unless the set is IPv6)
 *
 * Targets are added one spec at a time (command line words, -iL lines), then
 * exclusions (--exclude, --excludefile) are subtracted, then the set is sealed
 * and indexed: targetset_get(ts, i) returns the i-th address in O(log ranges).
 *
 * Octet ranges are the cross product of per-octet ranges: 198.18.0-3.* is the
 * four /24s 198.18.0.0/24 … 198.18.3.0/24 (one contiguous range once sealed);
 * 198.18.0-1.7 is the two addresses 198.18.0.7 and 198.18.1.7. An octet may be a
 * comma list ("198.18.1,3.1-5"). Sealing sorts, merges and de-duplicates, so
 * targetset_get() walks the addresses in ascending order, each once.
 * Example: adding 198.18.0.0/30 and excluding 198.18.0.1 leaves the ranges
 * [198.18.0.0->198.18.0.0] and [198.18.0.2->198.18.0.3], count 3, and
 * targetset_get(ts, 1) is 198.18.0.2.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

struct targetset; /* opaque */

enum {
	TARGETSET_IPV6 = 1 << 0,   /* addresses are IPv6 (-6); names resolve to AAAA */
	TARGETSET_NO_DNS = 1 << 1, /* -n: a host name is an error */
};

/* Returns a new empty set, or NULL when out of memory. */
struct targetset *targetset_new(unsigned flags);
void targetset_free(struct targetset *ts);

/*
 * Adds one target spec. Returns 0, or -EINVAL (malformed), -ERANGE (prefix or octet
 * out of range, IPv6 range too large: more than 2^32 addresses, or more than 2^18
 * ranges in the set, e.g. "1-255.1-255.1-255.1-255"), -EAFNOSUPPORT
 * (an IPv6 spec in an IPv4 set or the reverse), -ENOENT (name did not resolve),
 * with a one-line reason in why naming the bad word.
 */
int targetset_add(struct targetset *ts, const char *spec, char *why, size_t whylen);

/* Adds one exclusion (same syntax; names resolve). Same errors as targetset_add. */
int targetset_exclude(struct targetset *ts, const char *spec, char *why, size_t whylen);

#define TARGETSET_FILE_MAX (256u << 20) /* bytes of a target file, at most */
#define TARGETSET_LINE_MAX 4096u        /* bytes of one of its lines */

/*
 * Adds every target in a file (-iL; path "-" is stdin): words separated by white
 * space, '#' to end of line is a comment. Errors name the file and line. The
 * file is read through util/input.h (TARGETSET_FILE_MAX, TARGETSET_LINE_MAX).
 * With exclude set, adds exclusions instead (--excludefile).
 */
int targetset_add_file(struct targetset *ts, const char *path, bool exclude, char *why,
                       size_t whylen);

/* Subtracts exclusions and builds the index; no adds afterwards. Returns 0 or -ENOMEM. */
int targetset_seal(struct targetset *ts);

/* Number of addresses after sealing. */
uint64_t targetset_count(const struct targetset *ts);

/* The i-th address (0 <= i < count) after sealing. Returns 0 or -ERANGE. */
int targetset_get(const struct targetset *ts, uint64_t i, struct target_addr *out);

/*
 * The name a target was given by that resolved to a (the first such name),
 * or NULL when a was given as an address or range. After sealing; nmap
 * reports such a host as "localhost (127.0.0.1)", <hostname type="user">.
 */
const char *targetset_name(const struct targetset *ts, const struct target_addr *a);

/* How many addresses were given by name. */
size_t targetset_name_count(const struct targetset *ts);

/* The bytes of an address of family (AF_INET: 4, AF_INET6: 16). */
static inline size_t target_addr_size(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The address's bytes, network order (target_addr_size() of them). */
static inline const void *target_addr_bytes(const struct target_addr *a)
{
	return a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6;
}

/* A 64-bit hash of an address (FNV-1a, folded), for open-addressing tables of hosts. */
uint64_t target_addr_hash(const struct target_addr *a);

/* Whether a and b are the same address (family and bytes). */
bool target_addr_equal(const struct target_addr *a, const struct target_addr *b);

/* Formats an address (inet_ntop) into buf of at least INET6_ADDRSTRLEN bytes; returns buf. */
const char *target_addr_str(const struct target_addr *a, char *buf, size_t len);
