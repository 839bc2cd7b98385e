/* Policy addresses and matching: what a rule covers, and first-match evaluation. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "util/strnum.h"

/* Clears the bits past prefix; returns whether any was set. */
static bool mask_host_bits(uint8_t *bytes, unsigned nbytes, unsigned prefix)
{
	bool was_set = false;

	for (unsigned i = 0; i < nbytes; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
		uint8_t mask = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		if (bytes[i] & (uint8_t)~mask)
			was_set = true;
		bytes[i] &= mask;
	}
	return was_set;
}

int policy_addr_parse(const char *s, size_t len, struct policy_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	struct policy_addr a = {0};
	uint64_t prefix;
	unsigned max;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, a.bytes) == 1) {
		a.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a.bytes) == 1) {
		a.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = max;
	if (slash && strnum_u64n(slash + 1, len - alen - 1, 0, max, &prefix) < 0)
		return -ERANGE;
	a.prefix = (uint8_t)prefix;
	*out = a;
	if (mask_host_bits(out->bytes, max / 8, a.prefix))
		return -EDOM; /* *out holds the network, for the error message */
	return 0;
}

void policy_addr_format(const struct policy_addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];
	unsigned max = a->family == AF_INET ? 32 : 128;

	if (!inet_ntop(a->family, a->bytes, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	if (a->prefix == max)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%u", s, a->prefix);
}

bool policy_addr_contains(const struct policy_addr *a, const struct policy_addr *b)
{
	uint8_t tmp[16];

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	memcpy(tmp, b->bytes, sizeof(tmp));
	mask_host_bits(tmp, sizeof(tmp), a->prefix);
	return memcmp(tmp, a->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

int policy_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 2;
	void *p;

	if (n < *cap)
		return 0;
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct policy_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

void policy_ranges_sort(struct policy_range *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_range);
}

size_t policy_ranges_merge(struct policy_range *v, size_t n)
{
	size_t m = 0;

	policy_ranges_sort(v, n);
	for (size_t i = 0; i < n; i++) {
		if (m && (unsigned)v[i].lo <= (unsigned)v[m - 1].hi + 1) {
			if (v[i].hi > v[m - 1].hi)
				v[m - 1].hi = v[i].hi;
		} else {
			v[m++] = v[i];
		}
	}
	return m;
}

int policy_rule_ports_merged(const struct policy_rule *r, struct policy_range **out, size_t *nout)
{
	struct policy_range *v = malloc((r->nports ? r->nports : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	if (r->nports == 0) {
		v[0] = (struct policy_range){.lo = 1, .hi = 65535};
		*out = v;
		*nout = 1;
		return 0;
	}
	memcpy(v, r->ports, r->nports * sizeof(*v));
	n = policy_ranges_merge(v, r->nports);
	*out = v;
	*nout = n;
	return 0;
}

bool policy_rule_has_port(const struct policy_rule *r, uint16_t port)
{
	if (r->nports == 0)
		return true;
	for (size_t i = 0; i < r->nports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

bool policy_rule_has_source(const struct policy_rule *r, const struct policy_addr *addr)
{
	if (r->nfrom == 0)
		return true;
	if (!addr)
		return false;
	for (size_t i = 0; i < r->nfrom; i++)
		if (policy_addr_contains(&r->from[i], addr))
			return true;
	return false;
}

ssize_t policy_eval(const struct policy *p, const struct policy_packet *pkt)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if ((r->protos & pkt->proto) && policy_rule_has_port(r, pkt->port) &&
		    policy_rule_has_source(r, pkt->from))
			return (ssize_t)i;
	}
	return -1;
}

size_t policy_allowed_before(const struct policy *p, unsigned proto, uint16_t port, ssize_t upto,
                             unsigned families, size_t *idx, size_t max)
{
	size_t end = upto < 0 ? p->nrules : (size_t)upto, n = 0;

	for (size_t i = 0; i < end && i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		bool fam = false;

		if (r->action != POLICY_ALLOW || r->nfrom == 0 || !(r->protos & proto) ||
		    !policy_rule_has_port(r, port))
			continue;
		for (size_t k = 0; k < r->nfrom && !fam; k++)
			fam = families & (1u << r->from[k].family);
		if (!fam)
			continue;
		if (n < max)
			idx[n] = i;
		n++;
	}
	return n;
}
