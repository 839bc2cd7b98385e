/* Scan targets as address ranges, never expanded (see targetspec.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/targetspec.h"
#include "util/input.h"
#include "util/strnum.h"
#include "util/why.h"
#include "util/array.h"

typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)

enum {
	TARGET_MAX_LEN = 255,           /* longest spec word: a host name is at most 253 */
	TARGETSET_MAX_RANGES = 1 << 18, /* per list (targets, exclusions): 8 MB at most */
	V6_MAX_HOST_BITS = 32,          /* an IPv6 spec covers at most 2^32 addresses */
};

struct addr_range {
	u128 lo, hi; /* inclusive; IPv4 addresses are the low 32 bits */
};

struct rangevec {
	struct addr_range *v;
	size_t n, cap;
};

/* The name a target was given by, for the address it resolved to. */
struct target_name {
	u128 addr;
	size_t seq; /* order given: of two names for one address, the first wins */
	char *name;
};

struct targetset {
	unsigned flags;
	bool sealed;
	struct target_name
	    *names; /* sorted by address once sealed; first name of an address wins */
	size_t nnames, capnames;
	struct rangevec add;  /* targets; after sealing, sorted, disjoint, exclusions removed */
	struct rangevec excl; /* exclusions, until sealing */
	uint64_t *cum;        /* cum[i]: addresses in the ranges before range i */
	uint64_t count;
};

static int rangevec_push(struct rangevec *rv, u128 lo, u128 hi)
{
	if (rv->n >= TARGETSET_MAX_RANGES)
		return -E2BIG;
	if (GREEDY_REALLOC(rv->v, rv->cap, rv->n + 1) < 0)
		return -ENOMEM;
	rv->v[rv->n++] = (struct addr_range){.lo = lo, .hi = hi};
	return 0;
}

/* Reports a rangevec_push() failure for spec. */
static int push_error(int r, const char *spec, char *why, size_t whylen)
{
	if (r == -E2BIG) {
		why_set(why, whylen,
		        "too many address ranges at '%s' (at most %d targets or exclusions)", spec,
		        TARGETSET_MAX_RANGES);
		return -ERANGE;
	}
	why_set(why, whylen, "out of memory at '%s'", spec);
	return r;
}

struct targetset *targetset_new(unsigned flags)
{
	struct targetset *ts = calloc(1, sizeof(*ts));

	if (ts)
		ts->flags = flags;
	return ts;
}

void targetset_free(struct targetset *ts)
{
	if (!ts)
		return;
	free(ts->add.v);
	free(ts->excl.v);
	free(ts->cum);
	for (size_t i = 0; i < ts->nnames; i++)
		free(ts->names[i].name);
	free(ts->names);
	free(ts);
}

/* Remembers that addr was given as name (a target, not an exclusion). */
static int name_push(struct targetset *ts, u128 addr, const char *name)
{
	char *copy;

	if (ts->nnames >= TARGETSET_MAX_RANGES)
		return 0; /* the ranges hit their limit first */
	if (GREEDY_REALLOC(ts->names, ts->capnames, ts->nnames + 1) < 0)
		return -ENOMEM;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	ts->names[ts->nnames] = (struct target_name){.addr = addr, .seq = ts->nnames, .name = copy};
	ts->nnames++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct target_name *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static u128 v6_to_u128(const struct in6_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->s6_addr[i];
	return v;
}

static void u128_to_v6(u128 v, struct in6_addr *a)
{
	for (int i = 15; i >= 0; i--) {
		a->s6_addr[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* The range of a prefix: base with its low (bits - prefix) bits cleared, then all set. */
static void prefix_range(u128 base, unsigned bits, unsigned prefix, u128 *lo, u128 *hi)
{
	unsigned host = bits - prefix;
	u128 hostmask = host >= 128 ? U128_MAX : (((u128)1 << host) - 1);

	*lo = base & ~hostmask;
	*hi = *lo | hostmask;
}

/* Parses "/N" for an address family of bits bits. */
static int parse_prefix(const char *p, unsigned bits, const char *spec, unsigned *out, char *why,
                        size_t whylen)
{
	uint64_t v;
	int r = strnum_u64(p, 0, bits, &v);

	if (r == -ERANGE && strnum_is_digits(p)) {
		why_set(why, whylen, "prefix /%s out of range 0-%u in '%s'", p, bits, spec);
		return -ERANGE;
	}
	if (r < 0) {
		why_set(why, whylen, "'%s' is not a prefix length in '%s'", p, spec);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int add_v6(struct rangevec *rv, const char *addr, const char *prefix, const char *spec,
                  char *why, size_t whylen)
{
	struct in6_addr a;
	unsigned plen = 128;
	u128 lo, hi;
	int r;

	if (inet_pton(AF_INET6, addr, &a) != 1) {
		why_set(why, whylen, "'%s' is not a valid IPv6 address", spec);
		return -EINVAL;
	}
	if (prefix && (r = parse_prefix(prefix, 128, spec, &plen, why, whylen)) < 0)
		return r;
	if (128 - plen > V6_MAX_HOST_BITS) {
		why_set(why, whylen, "'%s' is too large: 2^%u addresses (at most 2^%d, a /%d)",
		        spec, 128 - plen, V6_MAX_HOST_BITS, 128 - V6_MAX_HOST_BITS);
		return -ERANGE;
	}
	prefix_range(v6_to_u128(&a), 128, plen, &lo, &hi);
	r = rangevec_push(rv, lo, hi);
	return r < 0 ? push_error(r, spec, why, whylen) : 0;
}

/* One octet of an IPv4 pattern: up to 256 ranges (items between commas). */
struct octet {
	uint8_t lo[256], hi[256];
	unsigned n;
	uint64_t values; /* how many values the items cover, duplicates counted */
};

/* Whether s has only the characters of an IPv4 address or octet-range pattern. */
static bool looks_v4_pattern(const char *s)
{
	return s[strspn(s, "0123456789.*,-")] == '\0';
}

/* Parses one octet's item list: "*", "N", "N-M", "N-", "-M", comma-separated. */
static int parse_octet(const char *s, size_t len, const char *spec, struct octet *o, char *why,
                       size_t whylen)
{
	const char *item = s, *end = s + len;

	o->n = 0;
	o->values = 0;
	for (;;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		size_t ilen = comma ? (size_t)(comma - item) : (size_t)(end - item);
		const char *dash = memchr(item, '-', ilen);
		uint64_t lo = 0, hi = 255;
		int r = 0;

		if (ilen == 0) {
			why_set(why, whylen, "empty octet in '%s'", spec);
			return -EINVAL;
		}
		if (o->n == 256) {
			why_set(why, whylen, "too many octet items in '%s'", spec);
			return -EINVAL;
		}
		if (ilen == 1 && item[0] == '*') {
			/* all of 0-255 */
		} else if (!dash) {
			r = strnum_u64n(item, ilen, 0, 255, &lo);
			hi = lo;
		} else {
			size_t llen = (size_t)(dash - item), hlen = ilen - llen - 1;

			if (memchr(dash + 1, '-', hlen))
				r = -EINVAL;
			if (r == 0 && llen > 0)
				r = strnum_u64n(item, llen, 0, 255, &lo);
			if (r == 0 && hlen > 0)
				r = strnum_u64n(dash + 1, hlen, 0, 255, &hi);
		}
		if (r == -ERANGE) {
			why_set(why, whylen, "octet '%.*s' out of range 0-255 in '%s'", (int)ilen,
			        item, spec);
			return r;
		}
		if (r < 0) {
			why_set(why, whylen, "'%.*s' is not an octet or octet range in '%s'",
			        (int)ilen, item, spec);
			return -EINVAL;
		}
		if (lo > hi) {
			why_set(why, whylen, "reversed octet range '%.*s' in '%s' (write %u-%u)",
			        (int)ilen, item, spec, (unsigned)hi, (unsigned)lo);
			return -EINVAL;
		}
		o->lo[o->n] = (uint8_t)lo;
		o->hi[o->n] = (uint8_t)hi;
		o->values += hi - lo + 1;
		o->n++;
		if (!comma)
			return 0;
		item = comma + 1;
	}
}

/*
 * Adds the cross product of four octet item lists. Octets after the last one
 * that is not "*" are full, so each item of that octet, combined with every
 * value of the octets before it, is one contiguous range:
 *   198.18.0-3.*   gives [198.18.0.0->198.18.3.255]
 *   198.18.1,3.*   gives [198.18.1.0->198.18.1.255] [198.18.3.0->198.18.3.255]
 *   198.18.0-1.7   gives [198.18.0.7->198.18.0.7] [198.18.1.7->198.18.1.7]
 */
static int add_v4_octets(struct rangevec *rv, const struct octet o[4], const char *spec, char *why,
                         size_t whylen)
{
	int k = 3, tail;
	uint64_t nranges = 1;
	unsigned idx[3] = {0, 0, 0}, val[3] = {0, 0, 0};

	while (k > 0 && o[k].n == 1 && o[k].lo[0] == 0 && o[k].hi[0] == 255)
		k--;
	tail = 8 * (3 - k);
	for (int i = 0; i < k; i++)
		nranges *= o[i].values;
	nranges *= o[k].n;
	if (nranges + rv->n > TARGETSET_MAX_RANGES) {
		why_set(why, whylen, "'%s' expands to too many address ranges (%llu, at most %d)",
		        spec, (unsigned long long)nranges, TARGETSET_MAX_RANGES);
		return -ERANGE;
	}
	for (int i = 0; i < k; i++)
		val[i] = o[i].lo[0];
	for (;;) {
		uint32_t base = 0;
		int i;

		for (i = 0; i < k; i++)
			base |= (uint32_t)val[i] << (24 - 8 * i);
		for (unsigned j = 0; j < o[k].n; j++) {
			uint32_t lo = base | ((uint32_t)o[k].lo[j] << tail);
			uint32_t hi = base | ((uint32_t)o[k].hi[j] << tail) |
			              (uint32_t)((UINT64_C(1) << tail) - 1);
			int r = rangevec_push(rv, lo, hi);

			if (r < 0)
				return push_error(r, spec, why, whylen);
		}
		/* Next combination of the octets before k, last octet fastest. */
		for (i = k - 1; i >= 0; i--) {
			if (val[i] < o[i].hi[idx[i]]) {
				val[i]++;
				break;
			}
			if (idx[i] + 1 < o[i].n) {
				idx[i]++;
				val[i] = o[i].lo[idx[i]];
				break;
			}
			idx[i] = 0;
			val[i] = o[i].lo[0];
		}
		if (i < 0)
			return 0;
	}
}

static int add_v4(struct rangevec *rv, const char *addr, const char *prefix, const char *spec,
                  char *why, size_t whylen)
{
	struct octet *o;
	const char *p = addr;
	int nparts = 1, r = 0;

	for (const char *q = addr; *q; q++)
		nparts += *q == '.';
	if (nparts != 4) {
		why_set(why, whylen,
		        "'%s' is not an IPv4 address or range: %d dot-separated part%s, not 4",
		        spec, nparts, nparts == 1 ? "" : "s");
		return -EINVAL;
	}
	o = calloc(4, sizeof(*o));
	if (!o) {
		why_set(why, whylen, "out of memory at '%s'", spec);
		return -ENOMEM;
	}
	for (int i = 0; i < 4 && r == 0; i++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		r = parse_octet(p, len, spec, &o[i], why, whylen);
		p = dot ? dot + 1 : p + len;
	}
	if (r == 0 && prefix) {
		unsigned plen;
		uint32_t base = 0;
		u128 lo, hi;

		for (int i = 0; i < 4 && r == 0; i++) {
			if (o[i].n != 1 || o[i].lo[0] != o[i].hi[0]) {
				why_set(why, whylen,
				        "a /prefix needs one address, not a range, in '%s'", spec);
				r = -EINVAL;
			}
			base = base << 8 | o[i].lo[0];
		}
		if (r == 0)
			r = parse_prefix(prefix, 32, spec, &plen, why, whylen);
		if (r == 0) {
			prefix_range(base, 32, plen, &lo, &hi);
			r = rangevec_push(rv, lo, hi);
			if (r < 0)
				r = push_error(r, spec, why, whylen);
		}
	} else if (r == 0) {
		r = add_v4_octets(rv, o, spec, why, whylen);
	}
	free(o);
	return r;
}

/* A host name: letters, digits, '-', '_' and '.', labels of 1-63 characters. */
static bool valid_hostname(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static int add_name(struct targetset *ts, struct rangevec *rv, const char *name, const char *prefix,
                    const char *spec, char *why, size_t whylen)
{
	bool v6 = ts->flags & TARGETSET_IPV6;
	struct addrinfo hints = {
	    .ai_family = v6 ? AF_INET6 : AF_INET,
	    .ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res = NULL;
	unsigned plen = v6 ? 128 : 32;
	int r;

	if (!valid_hostname(name)) {
		why_set(why, whylen, "'%s' is not an IP address, range or host name", spec);
		return -EINVAL;
	}
	if (ts->flags & TARGETSET_NO_DNS) {
		why_set(why, whylen, "'%s' is a host name, and names are not resolved with -n",
		        spec);
		return -EINVAL;
	}
	if (prefix && (r = parse_prefix(prefix, plen, spec, &plen, why, whylen)) < 0)
		return r;
	if (v6 && 128 - plen > V6_MAX_HOST_BITS) {
		why_set(why, whylen, "'%s' is too large: 2^%u addresses (at most 2^%d, a /%d)",
		        spec, 128 - plen, V6_MAX_HOST_BITS, 128 - V6_MAX_HOST_BITS);
		return -ERANGE;
	}
	r = getaddrinfo(name, NULL, &hints, &res);
	if (r != 0) {
		why_set(why, whylen, "cannot resolve '%s' to an %s address: %s", name,
		        v6 ? "IPv6" : "IPv4", r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return r == EAI_MEMORY ? -ENOMEM : -ENOENT;
	}
	for (struct addrinfo *ai = res; ai && r == 0; ai = ai->ai_next) {
		u128 base, lo, hi;

		if (ai->ai_family != hints.ai_family)
			continue;
		if (v6)
			base = v6_to_u128(&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
		else
			base = ntohl(((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr.s_addr);
		prefix_range(base, v6 ? 128 : 32, plen, &lo, &hi);
		r = rangevec_push(rv, lo, hi);
		if (r < 0)
			r = push_error(r, spec, why, whylen);
		else if (rv == &ts->add && (r = name_push(ts, base, name)) < 0)
			why_set(why, whylen, "out of memory at '%s'", spec);
	}
	freeaddrinfo(res);
	return r;
}

/* Parses spec and appends its ranges to rv. */
static int targetset_parse(struct targetset *ts, struct rangevec *rv, const char *spec, char *why,
                           size_t whylen)
{
	char buf[TARGET_MAX_LEN + 1];
	char *slash, *prefix = NULL;
	bool v6 = ts->flags & TARGETSET_IPV6;

	if (ts->sealed) {
		why_set(why, whylen, "target set is sealed: cannot add '%s'", spec ? spec : "");
		return -EINVAL;
	}
	if (!spec || !*spec) {
		why_set(why, whylen, "empty target");
		return -EINVAL;
	}
	if (strlen(spec) > TARGET_MAX_LEN) {
		why_set(why, whylen, "target '%.40s...' is too long (at most %d characters)", spec,
		        TARGET_MAX_LEN);
		return -EINVAL;
	}
	strcpy(buf, spec);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		prefix = slash + 1;
		if (buf[0] == '\0') {
			why_set(why, whylen, "missing address before '/%s' in '%s'", prefix, spec);
			return -EINVAL;
		}
		if (*prefix == '\0') {
			why_set(why, whylen, "missing prefix length after '/' in '%s'", spec);
			return -EINVAL;
		}
	}
	if (strchr(buf, ':')) {
		if (!v6) {
			why_set(why, whylen, "'%s' is an IPv6 target in an IPv4 scan (use -6)",
			        spec);
			return -EAFNOSUPPORT;
		}
		return add_v6(rv, buf, prefix, spec, why, whylen);
	}
	if (looks_v4_pattern(buf)) {
		if (v6) {
			why_set(why, whylen, "'%s' is an IPv4 target in an IPv6 scan (-6)", spec);
			return -EAFNOSUPPORT;
		}
		return add_v4(rv, buf, prefix, spec, why, whylen);
	}
	return add_name(ts, rv, buf, prefix, spec, why, whylen);
}

int targetset_add(struct targetset *ts, const char *spec, char *why, size_t whylen)
{
	return targetset_parse(ts, &ts->add, spec, why, whylen);
}

int targetset_exclude(struct targetset *ts, const char *spec, char *why, size_t whylen)
{
	return targetset_parse(ts, &ts->excl, spec, why, whylen);
}

int targetset_add_file(struct targetset *ts, const char *path, bool exclude, char *why,
                       size_t whylen)
{
	const struct input_limits lim = {.max_bytes = TARGETSET_FILE_MAX,
	                                 .max_line = TARGETSET_LINE_MAX};
	struct input in;
	char msg[512], *line;
	size_t len;
	int r = input_open(&in, path, &lim, why, whylen);

	while (r == 0 && (r = input_line(&in, &line, &len, why, whylen)) > 0) {
		char *save = NULL, *word, *hash = strchr(line, '#');

		r = 0;
		if (hash)
			*hash = '\0';
		for (word = strtok_r(line, " \t\r\n\v\f", &save); word && r == 0;
		     word = strtok_r(NULL, " \t\r\n\v\f", &save)) {
			msg[0] = '\0';
			r = exclude ? targetset_exclude(ts, word, msg, sizeof(msg))
			            : targetset_add(ts, word, msg, sizeof(msg));
			if (r < 0)
				why_set(why, whylen, "%s:%lu: %s", in.name, in.lineno, msg);
		}
	}
	if (in.buf)
		input_close(&in);
	return r;
}

static int range_cmp(const void *a, const void *b)
{
	const struct addr_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts rv and merges overlapping and adjacent ranges in place. */
static void rangevec_normalise(struct rangevec *rv)
{
	size_t out = 0;

	if (rv->n == 0)
		return;
	qsort(rv->v, rv->n, sizeof(rv->v[0]), range_cmp);
	for (size_t i = 1; i < rv->n; i++) {
		struct addr_range *cur = &rv->v[out];

		if (cur->hi == U128_MAX || rv->v[i].lo <= cur->hi + 1) {
			if (rv->v[i].hi > cur->hi)
				cur->hi = rv->v[i].hi;
		} else {
			rv->v[++out] = rv->v[i];
		}
	}
	rv->n = out + 1;
}

int targetset_seal(struct targetset *ts)
{
	struct addr_range *res;
	size_t n = 0, j = 0, cap;
	uint64_t total = 0;

	if (ts->sealed)
		return 0;
	rangevec_normalise(&ts->add);
	rangevec_normalise(&ts->excl);
	/* Each exclusion splits at most one range in two. */
	cap = ts->add.n + ts->excl.n + 1;
	res = malloc(cap * sizeof(*res));
	if (!res)
		return -ENOMEM;
	for (size_t i = 0; i < ts->add.n; i++) {
		u128 lo = ts->add.v[i].lo, hi = ts->add.v[i].hi;
		bool done = false;

		while (j < ts->excl.n && ts->excl.v[j].hi < lo)
			j++;
		for (size_t k = j; k < ts->excl.n && ts->excl.v[k].lo <= hi; k++) {
			const struct addr_range *e = &ts->excl.v[k];

			if (e->lo > lo)
				res[n++] = (struct addr_range){.lo = lo, .hi = e->lo - 1};
			if (e->hi >= hi) {
				done = true;
				break;
			}
			lo = e->hi + 1;
		}
		if (!done)
			res[n++] = (struct addr_range){.lo = lo, .hi = hi};
	}
	free(ts->add.v);
	free(ts->excl.v);
	ts->excl = (struct rangevec){0};
	ts->add = (struct rangevec){.v = res, .n = n, .cap = cap};
	ts->cum = malloc((n ? n : 1) * sizeof(*ts->cum));
	if (!ts->cum) {
		ts->add.n = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ts->cum[i] = total;
		total += (uint64_t)(res[i].hi - res[i].lo) + 1;
	}
	ts->count = total;
	ts->sealed = true;
	if (ts->nnames) /* qsort takes no NULL, even for 0 entries */
		qsort(ts->names, ts->nnames, sizeof(*ts->names), name_cmp);
	return 0;
}

size_t targetset_name_count(const struct targetset *ts)
{
	return ts->nnames;
}

const char *targetset_name(const struct targetset *ts, const struct target_addr *a)
{
	u128 v = a->family == AF_INET6 ? v6_to_u128(&a->v6) : ntohl(a->v4.s_addr);
	size_t lo = 0, hi = ts->nnames;

	if (!ts->sealed)
		return NULL;
	while (lo < hi) { /* the first entry not below v */
		size_t mid = lo + (hi - lo) / 2;

		if (ts->names[mid].addr < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ts->nnames && ts->names[lo].addr == v ? ts->names[lo].name : NULL;
}

uint64_t targetset_count(const struct targetset *ts)
{
	return ts->sealed ? ts->count : 0;
}

int targetset_get(const struct targetset *ts, uint64_t i, struct target_addr *out)
{
	size_t lo = 0, hi;
	u128 v;

	if (!ts->sealed || i >= ts->count)
		return -ERANGE;
	/* The last range whose cum is <= i. */
	hi = ts->add.n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ts->cum[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	v = ts->add.v[lo].lo + (i - ts->cum[lo]);
	memset(out, 0, sizeof(*out));
	if (ts->flags & TARGETSET_IPV6) {
		out->family = AF_INET6;
		u128_to_v6(v, &out->v6);
	} else {
		out->family = AF_INET;
		out->v4.s_addr = htonl((uint32_t)v);
	}
	return 0;
}

uint64_t target_addr_hash(const struct target_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = target_addr_bytes(a);

	for (size_t i = 0; i < target_addr_size(a->family); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ h >> 29;
}

bool target_addr_equal(const struct target_addr *a, const struct target_addr *b)
{
	return a->family == b->family &&
	       memcmp(target_addr_bytes(a), target_addr_bytes(b), target_addr_size(a->family)) == 0;
}

const char *target_addr_str(const struct target_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family,
	               a->family == AF_INET6 ? (const void *)&a->v6 : (const void *)&a->v4, buf,
	               (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
