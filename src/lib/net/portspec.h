/*
 * Port specifications as nmap takes them with -p.
 *
 *   "22,80,1000-2000"   TCP (and UDP when the scan asks for UDP) ports
 *   "-" or "1-65535"    all ports; "-100" is 1-100, "60000-" is 60000-65535
 *   "T:53,U:53,161"     T:/U: switch the protocol of what follows; a bare
 *                       list applies to both protocols
 *   "0"                 allowed only when named explicitly (as nmap)
 *
 * The result is two sorted, de-duplicated arrays. Example:
 *   portspec_parse("80,22,T:20-22,U:53", &ps, ...) gives
 *   tcp = {20,21,22,80}, udp = {22,53,80}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct portlist {
	uint16_t *ports; /* sorted ascending, unique */
	size_t n;
};

struct portspec {
	struct portlist tcp;
	struct portlist udp;
};

/*
 * Parses spec into ps (zeroed first). Returns 0, or -EINVAL/-ERANGE/-ENOMEM
 * with a one-line reason naming the bad part in why (may be NULL), e.g.
 * "port 70000 out of range 0-65535 in '22,70000'".
 */
int portspec_parse(const char *spec, struct portspec *ps, char *why, size_t whylen);

/*
 * The same, but a bare list is TCP only, as nmap reads -p without -sU (the
 * audit's and policy verify's -p, which scan TCP and UDP at once): UDP ports
 * are named with U:. Example: "22,80,U:161" gives tcp = {22,80}, udp = {161}.
 */
int portspec_parse_tcp(const char *spec, struct portspec *ps, char *why, size_t whylen);

/* Adds ports [lo, hi] to a list, keeping it sorted and unique. Returns 0 or -ENOMEM. */
int portlist_add_range(struct portlist *pl, uint16_t lo, uint16_t hi);

/* Whether port is in the list (binary search). */
bool portlist_contains(const struct portlist *pl, uint16_t port);

void portspec_free(struct portspec *ps);
void portlist_free(struct portlist *pl);
