/* Port specifications as nmap's -p takes them (see portspec.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/portspec.h"
#include "util/strnum.h"
#include "util/why.h"

enum { PORT_MAX = 65535 };

/* Which lists an item goes to. */
enum portspec_proto { PROTO_BOTH, PROTO_TCP, PROTO_UDP };

struct portspec_bits {
	uint64_t tcp[(PORT_MAX + 1) / 64];
	uint64_t udp[(PORT_MAX + 1) / 64];
};

static void bits_set_range(uint64_t *bits, unsigned lo, unsigned hi)
{
	for (unsigned p = lo; p <= hi; p++)
		bits[p / 64] |= UINT64_C(1) << (p % 64);
}

/* Turns a bitmap into a sorted list. Returns 0 or -ENOMEM. */
static int bits_to_list(const uint64_t *bits, struct portlist *pl)
{
	size_t n = 0;

	for (size_t w = 0; w < (PORT_MAX + 1) / 64; w++)
		n += (size_t)__builtin_popcountll(bits[w]);
	pl->n = 0;
	pl->ports = NULL;
	if (n == 0)
		return 0;
	pl->ports = malloc(n * sizeof(*pl->ports));
	if (!pl->ports)
		return -ENOMEM;
	for (unsigned p = 0; p <= PORT_MAX; p++)
		if (bits[p / 64] & (UINT64_C(1) << (p % 64)))
			pl->ports[pl->n++] = (uint16_t)p;
	return 0;
}

/* Parses one port number of a range; empty parts were handled by the caller. */
static int parse_port(const char *s, size_t len, const char *item, size_t itemlen, const char *spec,
                      unsigned *out, char *why, size_t whylen)
{
	uint64_t v;
	int r = strnum_u64n(s, len, 0, PORT_MAX, &v);

	if (r == -ERANGE) {
		why_set(why, whylen, "port %.*s out of range 0-65535 in '%s'", (int)len, s, spec);
		return r;
	}
	if (r < 0) {
		why_set(why, whylen, "'%.*s' is not a port number or range in '%s'", (int)itemlen,
		        item, spec);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* Parses one comma-separated item: [T:|U:]PORT, LO-HI, -HI, LO- or -. */
static int parse_item(const char *item, size_t len, const char *spec, enum portspec_proto *proto,
                      struct portspec_bits *b, char *why, size_t whylen)
{
	const char *dash, *p = item;
	size_t n = len;
	unsigned lo = 1, hi = PORT_MAX;
	int r;

	if (len == 0) {
		why_set(why, whylen, "empty item in port list '%s'", spec);
		return -EINVAL;
	}
	if (n >= 2 && p[1] == ':') {
		switch (p[0]) {
		case 'T':
		case 't':
			*proto = PROTO_TCP;
			break;
		case 'U':
		case 'u':
			*proto = PROTO_UDP;
			break;
		case 'S':
		case 's':
			why_set(why, whylen, "SCTP ports ('%.2s') are not supported in '%s'", p,
			        spec);
			return -EINVAL;
		case 'P':
		case 'p':
			why_set(why, whylen,
			        "IP protocol numbers ('%.2s') are not supported in '%s'", p, spec);
			return -EINVAL;
		default:
			why_set(why, whylen,
			        "unknown protocol prefix '%.2s' in '%s' (T: is TCP, U: is UDP)", p,
			        spec);
			return -EINVAL;
		}
		p += 2;
		n -= 2;
		if (n == 0) {
			why_set(why, whylen, "'%.*s' has no ports after it in '%s'", (int)len, item,
			        spec);
			return -EINVAL;
		}
		if (n >= 2 && p[1] == ':') {
			why_set(why, whylen, "two protocol prefixes in '%.*s' in '%s'", (int)len,
			        item, spec);
			return -EINVAL;
		}
	}
	if (memchr(p, ':', n)) {
		why_set(why, whylen,
		        "unknown protocol prefix in '%.*s' in '%s' (T: is TCP, U: is UDP)",
		        (int)len, item, spec);
		return -EINVAL;
	}
	dash = memchr(p, '-', n);
	if (!dash) {
		r = parse_port(p, n, item, len, spec, &lo, why, whylen);
		if (r < 0)
			return r;
		hi = lo;
	} else {
		size_t llen = (size_t)(dash - p), hlen = n - llen - 1;

		if (memchr(dash + 1, '-', hlen)) {
			why_set(why, whylen, "'%.*s' is not a port number or range in '%s'",
			        (int)len, item, spec);
			return -EINVAL;
		}
		if (llen > 0 && (r = parse_port(p, llen, item, len, spec, &lo, why, whylen)) < 0)
			return r;
		if (hlen > 0 &&
		    (r = parse_port(dash + 1, hlen, item, len, spec, &hi, why, whylen)) < 0)
			return r;
		if (lo > hi) {
			why_set(why, whylen, "reversed range '%.*s' in '%s' (write %u-%u)", (int)n,
			        p, spec, hi, lo);
			return -EINVAL;
		}
	}
	if (*proto != PROTO_UDP)
		bits_set_range(b->tcp, lo, hi);
	if (*proto != PROTO_TCP)
		bits_set_range(b->udp, lo, hi);
	return 0;
}

/* Parses spec; ports before any T:/U: prefix are proto's. */
static int portspec_parse_as(const char *spec, enum portspec_proto proto, struct portspec *ps,
                             char *why, size_t whylen)
{
	struct portspec_bits *b;
	const char *item;
	int r = 0;

	memset(ps, 0, sizeof(*ps));
	if (!spec || !*spec) {
		why_set(why, whylen, "empty port list");
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	item = spec;
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);

		r = parse_item(item, len, spec, &proto, b, why, whylen);
		if (r < 0 || !comma)
			break;
		item = comma + 1;
	}
	if (r == 0)
		r = bits_to_list(b->tcp, &ps->tcp);
	if (r == 0)
		r = bits_to_list(b->udp, &ps->udp);
	free(b);
	if (r < 0) {
		if (r == -ENOMEM)
			why_set(why, whylen, "out of memory");
		portspec_free(ps);
	}
	return r;
}

int portspec_parse(const char *spec, struct portspec *ps, char *why, size_t whylen)
{
	return portspec_parse_as(spec, PROTO_BOTH, ps, why, whylen);
}

int portspec_parse_tcp(const char *spec, struct portspec *ps, char *why, size_t whylen)
{
	return portspec_parse_as(spec, PROTO_TCP, ps, why, whylen);
}

/* Index of the first element >= port. */
static size_t portlist_lower(const struct portlist *pl, unsigned port)
{
	size_t lo = 0, hi = pl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pl->ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int portlist_add_range(struct portlist *pl, uint16_t lo, uint16_t hi)
{
	size_t a, b, n;
	uint16_t *ports;

	if (lo > hi)
		return -EINVAL;
	a = portlist_lower(pl, lo);
	b = portlist_lower(pl, (unsigned)hi + 1);
	if (b - a == (size_t)(hi - lo) + 1)
		return 0; /* all present already */
	n = pl->n - (b - a) + (size_t)(hi - lo) + 1;
	ports = malloc(n * sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	if (a > 0)
		memcpy(ports, pl->ports, a * sizeof(*ports));
	for (unsigned p = lo; p <= hi; p++)
		ports[a + p - lo] = (uint16_t)p;
	if (pl->n > b)
		memcpy(ports + a + (hi - lo) + 1, pl->ports + b, (pl->n - b) * sizeof(*ports));
	free(pl->ports);
	pl->ports = ports;
	pl->n = n;
	return 0;
}

bool portlist_contains(const struct portlist *pl, uint16_t port)
{
	size_t i = portlist_lower(pl, port);

	return i < pl->n && pl->ports[i] == port;
}

void portlist_free(struct portlist *pl)
{
	free(pl->ports);
	pl->ports = NULL;
	pl->n = 0;
}

void portspec_free(struct portspec *ps)
{
	portlist_free(&ps->tcp);
	portlist_free(&ps->udp);
}
