/* nft's JSON ruleset → the compact model of firewall.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw-private.h"
#include "util/array.h"
#include "util/why.h"

struct name_val {
	const char *name;
	uint32_t val;
};

static bool lookup(const struct name_val *t, const char *name, uint32_t *val)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0) {
			*val = t->val;
			return true;
		}
	return false;
}

static const struct name_val families[] = {
    {"inet", FW_FAM_INET},     {"ip", FW_FAM_IP},         {"ip6", FW_FAM_IP6}, {"arp", FW_FAM_ARP},
    {"bridge", FW_FAM_BRIDGE}, {"netdev", FW_FAM_NETDEV}, {NULL, 0},
};

static const struct name_val hooks[] = {
    {"ingress", FW_HOOK_INGRESS},
    {"prerouting", FW_HOOK_PREROUTING},
    {"input", FW_HOOK_INPUT},
    {"forward", FW_HOOK_FORWARD},
    {"output", FW_HOOK_OUTPUT},
    {"postrouting", FW_HOOK_POSTROUTING},
    {NULL, 0},
};

static const struct name_val l4protos[] = {
    {"icmp", 1},   {"igmp", 2},      {"tcp", 6},        {"udp", 17},    {"gre", 47},
    {"esp", 50},   {"ah", 51},       {"ipv6-icmp", 58}, {"icmpv6", 58}, {"dccp", 33},
    {"sctp", 132}, {"udplite", 136}, {"comp", 108},     {"ipv6", 41},   {NULL, 0},
};

static const struct name_val icmptypes[] = {
    {"echo-reply", 0},           {"destination-unreachable", 3},
    {"source-quench", 4},        {"redirect", 5},
    {"echo-request", 8},         {"router-advertisement", 9},
    {"router-solicitation", 10}, {"time-exceeded", 11},
    {"parameter-problem", 12},   {"timestamp-request", 13},
    {"timestamp-reply", 14},     {"info-request", 15},
    {"info-reply", 16},          {"address-mask-request", 17},
    {"address-mask-reply", 18},  {NULL, 0}};
static const struct name_val icmp6types[] = {
    {"destination-unreachable", 1}, {"packet-too-big", 2},
    {"time-exceeded", 3},           {"parameter-problem", 4},
    {"echo-request", 128},          {"echo-reply", 129},
    {"mld-listener-query", 130},    {"mld-listener-report", 131},
    {"mld-listener-done", 132},     {"mld-listener-reduction", 132},
    {"nd-router-solicit", 133},     {"nd-router-advert", 134},
    {"nd-neighbor-solicit", 135},   {"nd-neighbor-advert", 136},
    {"nd-redirect", 137},           {"router-renumbering", 138},
    {"ind-neighbor-solicit", 141},  {"ind-neighbor-advert", 142},
    {"mld2-listener-report", 143},  {NULL, 0}};
static const struct name_val nfprotos[] = {{"ipv4", 2}, {"ipv6", 10}, {NULL, 0}};
static const struct name_val ethertypes[] = {
    {"ip", 0x0800}, {"ip6", 0x86dd}, {"arp", 0x0806}, {"vlan", 0x8100}, {NULL, 0}};
static const struct name_val pkttypes[] = {{"host", 0},      {"unicast", 0}, {"broadcast", 1},
                                           {"multicast", 2}, {"other", 3},   {NULL, 0}};
static const struct name_val tcpflags[] = {{"fin", 1},  {"syn", 2},   {"rst", 4},
                                           {"psh", 8},  {"ack", 16},  {"urg", 32},
                                           {"ecn", 64}, {"cwr", 128}, {NULL, 0}};
static const struct name_val ctstates[] = {{"invalid", 1}, {"established", 2}, {"related", 4},
                                           {"new", 8},     {"untracked", 64},  {NULL, 0}};
static const struct name_val ctstatus[] = {{"expected", 1},  {"seen-reply", 2}, {"assured", 4},
                                           {"confirmed", 8}, {"snat", 16},      {"dnat", 32},
                                           {"dying", 512},   {NULL, 0}};
static const struct name_val ctdirs[] = {{"original", 0}, {"reply", 1}, {NULL, 0}};
static const struct name_val fibtypes[] = {
    {"unspec", RTN_UNSPEC},       {"unicast", RTN_UNICAST},
    {"local", RTN_LOCAL},         {"broadcast", RTN_BROADCAST},
    {"anycast", RTN_ANYCAST},     {"multicast", RTN_MULTICAST},
    {"blackhole", RTN_BLACKHOLE}, {"unreachable", RTN_UNREACHABLE},
    {"prohibit", RTN_PROHIBIT},   {NULL, 0}};
static const struct name_val icmpcodes[] = {
    {"net-unreachable", 0},   {"host-unreachable", 1}, {"prot-unreachable", 2},
    {"port-unreachable", 3},  {"net-prohibited", 9},   {"host-prohibited", 10},
    {"admin-prohibited", 13}, {"no-route", 0},         {"addr-unreachable", 3},
    {"policy-fail", 5},       {"reject-route", 6},     {NULL, 0}};

const char *fw_family_name(enum fw_family f)
{
	for (const struct name_val *t = families; t->name; t++)
		if (t->val == (uint32_t)f)
			return t->name;
	return "unknown";
}

const char *fw_hook_name(enum fw_hook h)
{
	for (const struct name_val *t = hooks; t->name; t++)
		if (t->val == (uint32_t)h)
			return t->name;
	return h == FW_HOOK_NONE ? "none" : "other";
}

unsigned fw_field_width(enum fw_field f, uint8_t family)
{
	switch (f) {
	case FW_F_IIFNAME:
	case FW_F_OIFNAME:
		return FW_IFNAMSIZ;
	case FW_F_SADDR:
	case FW_F_DADDR:
	case FW_F_CT_ODADDR:
		return family == 6 ? 16 : 4;
	case FW_F_SPORT:
	case FW_F_DPORT:
	case FW_F_CT_ODPORT:
	case FW_F_ETHERTYPE:
		return 2;
	case FW_F_MARK:
	case FW_F_CTSTATE:
	case FW_F_CTSTATUS:
	case FW_F_CTMARK:
		return 4;
	case FW_F_NONE:
		return 0;
	default:
		return 1;
	}
}

static void put_be(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[width - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* A bit set from a flag name, a list of names, or a number. */
static int flags_value(const struct name_val *t, json_t *j, uint32_t *out)
{
	uint32_t v = 0, one;

	if (json_is_integer(j)) {
		*out = (uint32_t)json_integer_value(j);
		return 0;
	}
	if (json_is_string(j)) {
		if (!lookup(t, json_string_value(j), &one))
			return -1;
		*out = one;
		return 0;
	}
	if (json_is_array(j)) {
		size_t i;
		json_t *e;

		json_array_foreach(j, i, e)
		{
			if (!json_is_string(e) || !lookup(t, json_string_value(e), &one))
				return -1;
			v |= one;
		}
		*out = v;
		return 0;
	}
	return -1;
}

static const struct name_val *field_names(enum fw_field f)
{
	switch (f) {
	case FW_F_L4PROTO:
		return l4protos;
	case FW_F_NFPROTO:
		return nfprotos;
	case FW_F_ETHERTYPE:
		return ethertypes;
	case FW_F_PKTTYPE:
		return pkttypes;
	case FW_F_TCPFLAGS:
		return tcpflags;
	case FW_F_CTSTATE:
		return ctstates;
	case FW_F_CTSTATUS:
		return ctstatus;
	case FW_F_CTDIR:
		return ctdirs;
	case FW_F_FIBTYPE:
		return fibtypes;
	default:
		return NULL;
	}
}

static int addr_value(const struct fw_comp *c, const char *s, uint8_t *out)
{
	return inet_pton(c->family == 6 ? AF_INET6 : AF_INET, s, out) == 1 ? 0 : -1;
}

/* lo/hi of a prefix of plen bits over width bytes. */
static void prefix_bounds(uint8_t *lo, uint8_t *hi, unsigned width, unsigned plen)
{
	for (unsigned i = 0; i < width; i++) {
		unsigned bits = plen > 8 * i ? plen - 8 * i : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo[i] &= m;
		hi[i] = lo[i] | (uint8_t)~m;
	}
}

/*
 * One component's value (a scalar, a prefix or a range) into [lo, hi].
 * Returns 0, or -1 when it cannot be read.
 */
static int comp_value(const struct fw_comp *c, json_t *j, uint8_t *lo, uint8_t *hi)
{
	unsigned w = c->width;
	json_t *p;

	if ((p = json_object_get(j, "prefix"))) {
		json_t *len = json_object_get(p, "len");
		const char *a = json_string_value(json_object_get(p, "addr"));

		if (!a || !json_is_integer(len) ||
		    (c->field != FW_F_SADDR && c->field != FW_F_DADDR &&
		     c->field != FW_F_CT_ODADDR))
			return -1;
		if (json_integer_value(len) < 0 || json_integer_value(len) > 8 * (json_int_t)w)
			return -1;
		if (addr_value(c, a, lo) < 0)
			return -1;
		prefix_bounds(lo, hi, w, (unsigned)json_integer_value(len));
		return 0;
	}
	if ((p = json_object_get(j, "range"))) {
		uint8_t tmp[FW_KEY_MAX];

		if (!json_is_array(p) || json_array_size(p) != 2)
			return -1;
		if (comp_value(c, json_array_get(p, 0), lo, tmp) < 0 ||
		    comp_value(c, json_array_get(p, 1), tmp, hi) < 0)
			return -1;
		return memcmp(lo, hi, w) <= 0 ? 0 : -1;
	}
	switch (c->field) {
	case FW_F_IIFNAME:
	case FW_F_OIFNAME: {
		const char *s = json_string_value(j);
		size_t n;

		if (!s)
			return -1;
		n = strlen(s);
		if (n >= FW_IFNAMSIZ + 1)
			return -1;
		memset(lo, 0, w);
		if (n && s[n - 1] == '*' && (n < 2 || s[n - 2] != '\\')) {
			memcpy(lo, s, n - 1);
			memcpy(hi, lo, w);
			memset(hi + n - 1, 0xff, w - (n - 1));
			return 0;
		}
		if (n >= FW_IFNAMSIZ)
			return -1;
		memcpy(lo, s, n);
		memcpy(hi, lo, w);
		return 0;
	}
	case FW_F_SADDR:
	case FW_F_DADDR:
	case FW_F_CT_ODADDR:
		if (!json_is_string(j) || addr_value(c, json_string_value(j), lo) < 0)
			return -1;
		memcpy(hi, lo, w);
		return 0;
	case FW_F_SPORT:
	case FW_F_DPORT:
	case FW_F_CT_ODPORT:
	case FW_F_MARK:
	case FW_F_CTMARK:
		if (!json_is_integer(j) || json_integer_value(j) < 0 ||
		    (w < 8 && json_integer_value(j) >= ((json_int_t)1 << (8 * w))))
			return -1;
		put_be(lo, w, (uint64_t)json_integer_value(j));
		memcpy(hi, lo, w);
		return 0;
	case FW_F_FIBOIF:
		if (!json_is_boolean(j))
			return -1;
		lo[0] = hi[0] = json_is_true(j);
		return 0;
	case FW_F_HOPLIMIT:
		if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > 255)
			return -1;
		lo[0] = hi[0] = (uint8_t)json_integer_value(j);
		return 0;
	case FW_F_ICMPTYPE: {
		uint32_t v;

		if (json_is_integer(j) && json_integer_value(j) >= 0 &&
		    json_integer_value(j) <= 255)
			v = (uint32_t)json_integer_value(j);
		else if (!json_is_string(j) ||
		         !lookup(c->l4 == 58 ? icmp6types : icmptypes, json_string_value(j), &v))
			return -1;
		lo[0] = hi[0] = (uint8_t)v;
		return 0;
	}
	default: {
		const struct name_val *t = field_names(c->field);
		uint32_t v;

		if (!t || flags_value(t, j, &v) < 0)
			return -1;
		if (w < 4 && v >= (1u << (8 * w)))
			return -1;
		put_be(lo, w, v);
		memcpy(hi, lo, w);
		return 0;
	}
	}
}

/* A whole (possibly concatenated) element value. */
static int elem_value(const struct fw_set *s, json_t *j, struct fw_elem *e)
{
	json_t *v;

	if (json_is_object(j) && (v = json_object_get(j, "elem")))
		j = json_object_get(v, "val");
	if (json_is_string(j) && strcmp(json_string_value(j), "*") == 0) {
		e->catchall = true;
		return 0;
	}
	if (s->ncomp == 1)
		return comp_value(&s->comp[0], j, e->lo, e->hi);
	v = json_object_get(j, "concat");
	if (!json_is_array(v) || json_array_size(v) != s->ncomp)
		return -1;
	for (unsigned i = 0, off = 0; i < s->ncomp; off += s->comp[i].width, i++)
		if (comp_value(&s->comp[i], json_array_get(v, i), e->lo + off, e->hi + off) < 0)
			return -1;
	return 0;
}

/* ---- parse state ---- */

struct parser {
	struct fw_ruleset *rs;
	char *why;
	size_t whylen;
};

static struct fw_table *find_table(struct fw_ruleset *rs, enum fw_family fam, const char *name)
{
	for (size_t i = 0; i < rs->ntables; i++)
		if (rs->tables[i].family == fam && strcmp(rs->tables[i].name, name) == 0)
			return &rs->tables[i];
	return NULL;
}

static long find_chain(const struct fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->nchains; i++)
		if (strcmp(t->chains[i].name, name) == 0)
			return (long)i;
	return -1;
}

static struct fw_set *find_set(const struct fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->nsets; i++)
		if (strcmp(t->sets[i]->name, name) == 0)
			return t->sets[i];
	return NULL;
}

/* The table an object ({"family","table"}) belongs to. */
static struct fw_table *obj_table(struct parser *p, json_t *o)
{
	const char *fam = json_string_value(json_object_get(o, "family"));
	const char *name = json_string_value(json_object_get(o, "table"));
	uint32_t f;

	if (!fam || !name || !lookup(families, fam, &f))
		return NULL;
	return find_table(p->rs, (enum fw_family)f, name);
}

static int grow(void **v, size_t n, size_t size)
{
	/* grows by powers of two: called with n the current count */
	if (n && (n & (n - 1)))
		return 0;
	void *nv = realloc(*v, (n ? 2 * n : 1) * size);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

static int add_table(struct parser *p, json_t *o)
{
	const char *fam = json_string_value(json_object_get(o, "family"));
	const char *name = json_string_value(json_object_get(o, "name"));
	struct fw_table *t;
	uint32_t f;

	if (!fam || !name)
		return why_err(p->why, p->whylen, -EINVAL, "table without family or name");
	if (!lookup(families, fam, &f))
		f = FW_FAM_UNKNOWN;
	if (grow((void **)&p->rs->tables, p->rs->ntables, sizeof(*t)) < 0)
		return -ENOMEM;
	t = &p->rs->tables[p->rs->ntables];
	memset(t, 0, sizeof(*t));
	t->family = (enum fw_family)f;
	t->name = strdup(name);
	if (!t->name)
		return -ENOMEM;
	p->rs->ntables++;
	return 0;
}

static int add_chain(struct parser *p, json_t *o)
{
	struct fw_table *t = obj_table(p, o);
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *hook = json_string_value(json_object_get(o, "hook"));
	const char *type = json_string_value(json_object_get(o, "type"));
	const char *policy = json_string_value(json_object_get(o, "policy"));
	const char *dev = json_string_value(json_object_get(o, "dev"));
	json_t *prio = json_object_get(o, "prio");
	struct fw_chain *c;
	uint32_t h;

	if (!t || !name)
		return why_err(p->why, p->whylen, -EINVAL, "chain '%s' outside a listed table",
		               name ? name : "?");
	if (grow((void **)&t->chains, t->nchains, sizeof(*c)) < 0)
		return -ENOMEM;
	c = &t->chains[t->nchains];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	if (!c->name)
		return -ENOMEM;
	t->nchains++;
	if (hook) {
		c->base = true;
		c->hook = lookup(hooks, hook, &h) ? (enum fw_hook)h : FW_HOOK_OTHER;
		c->prio = json_is_integer(prio) ? (int)json_integer_value(prio) : 0;
		c->type = type && strcmp(type, "nat") == 0     ? FW_CHAIN_NAT
		          : type && strcmp(type, "route") == 0 ? FW_CHAIN_ROUTE
		                                               : FW_CHAIN_FILTER;
		c->policy =
		    policy && strcmp(policy, "drop") == 0 ? FW_VERDICT_DROP : FW_VERDICT_ACCEPT;
		if (dev && !(c->dev = strdup(dev)))
			return -ENOMEM;
	}
	return 0;
}

/* A set's component from a type name ("ipv4_addr", "inet_service", ...). */
static int type_comp(const char *name, struct fw_comp *c)
{
	static const struct {
		const char *name;
		enum fw_field field;
		uint8_t family;
	} types[] = {
	    {"ipv4_addr", FW_F_DADDR, 4},      {"ipv6_addr", FW_F_DADDR, 6},
	    {"inet_service", FW_F_DPORT, 0},   {"inet_proto", FW_F_L4PROTO, 0},
	    {"ifname", FW_F_IIFNAME, 0},       {"mark", FW_F_MARK, 0},
	    {"ct_state", FW_F_CTSTATE, 0},     {"nf_proto", FW_F_NFPROTO, 0},
	    {"ether_type", FW_F_ETHERTYPE, 0}, {"pkt_type", FW_F_PKTTYPE, 0},
	    {"fib_addrtype", FW_F_FIBTYPE, 0}, {"ct_status", FW_F_CTSTATUS, 0},
	    {"icmp_type", FW_F_ICMPTYPE, 1},   {"icmpv6_type", FW_F_ICMPTYPE, 58},
	};

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0) {
			c->field = types[i].field;
			c->family = types[i].family;
			if (c->field == FW_F_ICMPTYPE) {
				c->l4 = c->family;
				c->family = 0;
			}
			c->width = (uint8_t)fw_field_width(c->field, c->family);
			return 0;
		}
	return -1;
}

/* Fills comps from a type: a name or an array of names; or a "a . b" string (map data). */
static int type_comps(json_t *type, struct fw_comp *comp, unsigned *ncomp, unsigned *len)
{
	const char *names[FW_COMP_MAX];
	char buf[256];
	unsigned n = 0;

	if (json_is_string(type)) {
		char *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", json_string_value(type));
		for (tok = strtok_r(buf, " .", &save); tok; tok = strtok_r(NULL, " .", &save)) {
			if (n == FW_COMP_MAX)
				return -1;
			names[n++] = tok;
		}
	} else if (json_is_array(type)) {
		size_t i;
		json_t *e;

		json_array_foreach(type, i, e)
		{
			if (!json_is_string(e) || n == FW_COMP_MAX)
				return -1;
			names[n++] = json_string_value(e);
		}
	} else {
		return -1;
	}
	*len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (type_comp(names[i], &comp[i]) < 0)
			return -1;
		*len += comp[i].width;
	}
	*ncomp = n;
	return n && *len <= FW_KEY_MAX ? 0 : -1;
}

static void set_free(struct fw_set *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->elems);
	free(s->vals);
	free(s->why);
	free(s);
}

static void set_unknown(struct fw_set *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_unknown(struct fw_set *s, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	if (s->why)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->why = strdup(buf);
}

static int parse_verdict_obj(json_t *j, struct fw_table *t, enum fw_verdict *v, uint32_t *target);

/* Reads one map element's data into vals[i]. */
static int map_data(struct fw_set *s, struct fw_table *t, json_t *d, struct fw_mapval *mv)
{
	memset(mv, 0, sizeof(*mv));
	if (s->kind == FW_MAP_VERDICT)
		return parse_verdict_obj(d, t, &mv->verdict, &mv->target);
	/* values: one component, or a concat */
	if (s->ndata == 1) {
		uint8_t hi[FW_KEY_MAX];

		mv->vlen = s->data[0].width;
		return comp_value(&s->data[0], d, mv->v, hi);
	}
	json_t *c = json_object_get(d, "concat");
	unsigned off = 0;

	if (!json_is_array(c) || json_array_size(c) != s->ndata)
		return -1;
	for (unsigned i = 0; i < s->ndata; off += s->data[i].width, i++) {
		uint8_t hi[FW_KEY_MAX];

		if (comp_value(&s->data[i], json_array_get(c, i), mv->v + off, hi) < 0)
			return -1;
	}
	mv->vlen = (uint8_t)off;
	return 0;
}

/* Reads the elements of a set or map (JSON array) into s. */
static int set_elems(struct fw_set *s, struct fw_table *t, json_t *elems)
{
	size_t i, n = json_array_size(elems);
	json_t *e;

	if (!n)
		return 0;
	s->elems = calloc(n, sizeof(*s->elems));
	if (s->kind != FW_MAP_NONE)
		s->vals = calloc(n, sizeof(*s->vals));
	if (!s->elems || (s->kind != FW_MAP_NONE && !s->vals))
		return -ENOMEM;
	json_array_foreach(elems, i, e)
	{
		struct fw_elem *el = &s->elems[s->nelems];
		json_t *key = e;

		if (s->kind != FW_MAP_NONE) {
			if (!json_is_array(e) || json_array_size(e) != 2) {
				set_unknown(s, "map element is not a key-value pair%s", "");
				continue;
			}
			key = json_array_get(e, 0);
			if (map_data(s, t, json_array_get(e, 1), &s->vals[s->nvals]) < 0) {
				set_unknown(s, "map data not understood (%s)",
				            s->name ? s->name : "anonymous");
				continue;
			}
			el->data = (uint32_t)s->nvals;
		}
		if (elem_value(s, key, el) < 0) {
			set_unknown(s, "element not understood in set %s",
			            s->name ? s->name : "anonymous");
			continue;
		}
		if (s->kind != FW_MAP_NONE)
			s->nvals++;
		s->nelems++;
	}
	return 0;
}

static int add_set(struct parser *p, json_t *o, bool map)
{
	struct fw_table *t = obj_table(p, o);
	const char *name = json_string_value(json_object_get(o, "name"));
	struct fw_set *s;
	int rc;

	if (!t || !name)
		return why_err(p->why, p->whylen, -EINVAL, "set '%s' outside a listed table",
		               name ? name : "?");
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(name))) {
		free(s);
		return -ENOMEM;
	}
	if (grow((void **)&t->sets, t->nsets, sizeof(*t->sets)) < 0) {
		set_free(s);
		return -ENOMEM;
	}
	t->sets[t->nsets++] = s;
	if (type_comps(json_object_get(o, "type"), s->comp, &s->ncomp, &s->keylen) < 0) {
		set_unknown(s, "set %s: key type not understood", name);
		return 0;
	}
	if (map) {
		json_t *m = json_object_get(o, "map");

		if (json_is_string(m) && strcmp(json_string_value(m), "verdict") == 0) {
			s->kind = FW_MAP_VERDICT;
		} else {
			unsigned len;

			s->kind = FW_MAP_VALUE;
			if (type_comps(m, s->data, &s->ndata, &len) < 0) {
				set_unknown(s, "map %s: data type not understood", name);
				return 0;
			}
		}
	}
	rc = set_elems(s, t, json_object_get(o, "elem"));
	return rc;
}

/* ---- expressions ---- */

static int parse_verdict_obj(json_t *j, struct fw_table *t, enum fw_verdict *v, uint32_t *target)
{
	static const struct name_val simple[] = {{"accept", FW_VERDICT_ACCEPT},
	                                         {"drop", FW_VERDICT_DROP},
	                                         {"return", FW_VERDICT_RETURN},
	                                         {"continue", FW_VERDICT_CONTINUE},
	                                         {NULL, 0}};
	const char *key;
	json_t *val;
	uint32_t x;

	if (!json_is_object(j) || json_object_size(j) != 1)
		return -1;
	json_object_foreach(j, key, val)
	{
		if (lookup(simple, key, &x)) {
			*v = (enum fw_verdict)x;
			return 0;
		}
		if (strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0) {
			const char *tg = json_string_value(json_object_get(val, "target"));
			long ci = tg ? find_chain(t, tg) : -1;

			if (ci < 0)
				return -1;
			*v = key[0] == 'j' ? FW_VERDICT_JUMP : FW_VERDICT_GOTO;
			*target = (uint32_t)ci;
			return 0;
		}
	}
	return -1;
}

/* The implied dependencies of a payload's protocol, added before the match. */
struct deps {
	uint8_t nfproto; /* 2, 10 or 0 */
	uint8_t l4;      /* 6, 17, ... or 0 */
};

/* A meta key: iif(name), oif(name), l4proto, nfproto, protocol, mark, pkttype. */
static int lhs_meta(json_t *x, struct fw_comp *c, struct deps *d, const char **what)
{
	(void)d;
	const char *k = json_string_value(json_object_get(x, "key"));
	static const struct name_val metas[] = {
	    {"iif", FW_F_IIFNAME},        {"iifname", FW_F_IIFNAME},
	    {"oif", FW_F_OIFNAME},        {"oifname", FW_F_OIFNAME},
	    {"l4proto", FW_F_L4PROTO},    {"nfproto", FW_F_NFPROTO},
	    {"protocol", FW_F_ETHERTYPE}, {"mark", FW_F_MARK},
	    {"pkttype", FW_F_PKTTYPE},    {NULL, 0}};
	uint32_t f;

	if (!k || !lookup(metas, k, &f)) {
		*what = k ? k : "meta";
		return -1;
	}
	c->field = (enum fw_field)f;
	return 0;
}

/* A payload field of ip/ip6, icmp/icmpv6 or a transport header. */
static int lhs_payload(json_t *x, struct fw_comp *c, struct deps *d, const char **what)
{
	const char *proto = json_string_value(json_object_get(x, "protocol"));
	const char *field = json_string_value(json_object_get(x, "field"));

	*what = "raw payload";
	if (!proto || !field)
		return -1;
	*what = field;
	if (strcmp(proto, "ip") == 0 || strcmp(proto, "ip6") == 0) {
		c->family = proto[2] == '6' ? 6 : 4;
		d->nfproto = c->family == 6 ? 10 : 2;
		if (strcmp(field, "saddr") == 0)
			c->field = FW_F_SADDR;
		else if (strcmp(field, "daddr") == 0)
			c->field = FW_F_DADDR;
		else if (strcmp(field, c->family == 6 ? "nexthdr" : "protocol") == 0)
			c->field = FW_F_L4PROTO;
		else if (strcmp(field, c->family == 6 ? "hoplimit" : "ttl") == 0)
			c->field = FW_F_HOPLIMIT;
		else
			return -1;
	} else if ((strcmp(proto, "icmp") == 0 || strcmp(proto, "icmpv6") == 0) &&
	           strcmp(field, "type") == 0) {
		c->field = FW_F_ICMPTYPE;
		c->l4 = proto[4] == 'v' ? 58 : 1;
		d->l4 = c->l4;
	} else if (strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 ||
	           strcmp(proto, "th") == 0 || strcmp(proto, "sctp") == 0 ||
	           strcmp(proto, "dccp") == 0 || strcmp(proto, "udplite") == 0) {
		uint32_t l4 = 0;

		if (strcmp(proto, "th") != 0)
			lookup(l4protos, proto, &l4);
		c->l4 = (uint8_t)l4;
		d->l4 = c->l4;
		if (strcmp(field, "sport") == 0)
			c->field = FW_F_SPORT;
		else if (strcmp(field, "dport") == 0)
			c->field = FW_F_DPORT;
		else if (strcmp(field, "flags") == 0 && c->l4 == 6)
			c->field = FW_F_TCPFLAGS;
		else
			return -1;
	} else {
		return -1;
	}
	return 0;
}

/* A conntrack key: state, status, direction, mark, original addresses and port. */
static int lhs_ct(json_t *x, struct fw_comp *c, struct deps *d, const char **what)
{
	const char *k = json_string_value(json_object_get(x, "key"));
	const char *dir = json_string_value(json_object_get(x, "dir"));

	*what = k ? k : "ct";
	if (!k)
		return -1;
	if (!dir && strcmp(k, "state") == 0)
		c->field = FW_F_CTSTATE;
	else if (!dir && strcmp(k, "status") == 0)
		c->field = FW_F_CTSTATUS;
	else if (!dir && strcmp(k, "direction") == 0)
		c->field = FW_F_CTDIR;
	else if (!dir && strcmp(k, "mark") == 0)
		c->field = FW_F_CTMARK;
	else if (dir && strcmp(dir, "original") == 0 &&
	         (strcmp(k, "ip daddr") == 0 || strcmp(k, "ip6 daddr") == 0)) {
		c->field = FW_F_CT_ODADDR;
		c->family = k[2] == '6' ? 6 : 4;
		d->nfproto = c->family == 6 ? 10 : 2;
	} else if (dir && strcmp(dir, "original") == 0 && strcmp(k, "ip saddr") == 0) {
		c->field = FW_F_SADDR;
		c->family = 4;
		d->nfproto = 2;
	} else if (dir && strcmp(dir, "original") == 0 && strcmp(k, "ip6 saddr") == 0) {
		c->field = FW_F_SADDR;
		c->family = 6;
		d->nfproto = 10;
	} else if (dir && strcmp(dir, "original") == 0 && strcmp(k, "proto-dst") == 0) {
		c->field = FW_F_CT_ODPORT;
	} else {
		return -1;
	}
	return 0;
}

/* A fib lookup: the route type of daddr, or the output interface of s/daddr. */
static int lhs_fib(json_t *x, struct fw_comp *c, struct deps *d, const char **what)
{
	(void)d;
	const char *res = json_string_value(json_object_get(x, "result"));
	json_t *flags = json_object_get(x, "flags");
	bool saddr = false, daddr = false, iif = false, other = false;
	size_t i;
	json_t *e;

	*what = "fib";
	if (!res)
		return -1;
	if (json_is_string(flags))
		flags = json_pack("[O]", flags);
	else
		json_incref(flags);
	json_array_foreach(flags, i, e)
	{
		const char *f = json_string_value(e);

		if (f && strcmp(f, "saddr") == 0)
			saddr = true;
		else if (f && strcmp(f, "daddr") == 0)
			daddr = true;
		else if (f && strcmp(f, "iif") == 0)
			iif = true;
		else if (f && strcmp(f, "mark") == 0)
			; /* no policy routing by mark here */
		else
			other = true;
	}
	json_decref(flags);
	if (other || saddr == daddr)
		return -1;
	c->fib_saddr = saddr;
	c->fib_iif = iif;
	if (strcmp(res, "type") == 0 && daddr)
		c->field = FW_F_FIBTYPE;
	else if (strcmp(res, "oif") == 0 || strcmp(res, "oifname") == 0)
		c->field = FW_F_FIBOIF;
	else
		return -1;
	return 0;
}

/* One left-hand side component; sets *d for implied protocol dependencies. */
static int lhs_comp(json_t *j, struct fw_comp *c, struct deps *d, uint8_t table_family,
                    const char **what)
{
	static const struct {
		const char *key;
		int (*parse)(json_t *x, struct fw_comp *c, struct deps *d, const char **what);
	} kinds[] = {
	    {"meta", lhs_meta}, {"payload", lhs_payload}, {"ct", lhs_ct}, {"fib", lhs_fib}};
	const char *k = NULL;
	json_t *x;

	(void)table_family;
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!(x = json_object_get(j, kinds[i].key)))
			continue;
		if (kinds[i].parse(x, c, d, what) < 0)
			return -1;
		c->width = (uint8_t)fw_field_width(c->field, c->family);
		return 0;
	}
	json_object_foreach(j, k, x) break;
	*what = k ? k : "expression";
	return -1;
}

static void add_implied(struct fw_item *items, size_t *n, const struct deps *d)
{
	if (d->nfproto) {
		struct fw_item *it = &items[(*n)++];

		memset(it, 0, sizeof(*it));
		it->kind = FW_ITEM_MATCH;
		it->match.ncomp = 1;
		it->match.comp[0] = (struct fw_comp){.field = FW_F_NFPROTO, .width = 1};
		it->match.keylen = 1;
		it->match.set = NULL; /* set below by caller via const value */
		it->mark = d->nfproto;
	}
	if (d->l4) {
		struct fw_item *it = &items[(*n)++];

		memset(it, 0, sizeof(*it));
		it->kind = FW_ITEM_MATCH;
		it->match.ncomp = 1;
		it->match.comp[0] = (struct fw_comp){.field = FW_F_L4PROTO, .width = 1};
		it->match.keylen = 1;
		it->mark = d->l4;
	}
}

/* A one-element anonymous set holding [v, v] over one byte. */
static struct fw_set *const_set(const struct fw_comp *c, const uint8_t *lo, const uint8_t *hi)
{
	struct fw_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->elems = calloc(1, sizeof(*s->elems));
	if (!s->elems) {
		free(s);
		return NULL;
	}
	s->ncomp = 1;
	s->comp[0] = *c;
	s->keylen = c->width;
	memcpy(s->elems[0].lo, lo, c->width);
	memcpy(s->elems[0].hi, hi, c->width);
	s->nelems = 1;
	return s;
}

/* Fills m's key components from a left-hand side (a concat, a binop &, or one). */
static int match_lhs(json_t *left, struct fw_match *m, struct deps *deps, uint8_t tfam,
                     const char **what, json_t **maskj)
{
	json_t *x;

	*maskj = NULL;
	if ((x = json_object_get(left, "&")) && json_is_array(x) && json_array_size(x) == 2) {
		*maskj = json_array_get(x, 1);
		left = json_array_get(x, 0);
	} else if (json_object_get(left, "|") || json_object_get(left, "^") ||
	           json_object_get(left, "<<") || json_object_get(left, ">>")) {
		*what = "binary operation";
		return -1;
	}
	m->keylen = 0;
	if ((x = json_object_get(left, "concat"))) {
		size_t i;
		json_t *e;

		if (!json_is_array(x) || json_array_size(x) > FW_COMP_MAX || *maskj) {
			*what = "concatenation";
			return -1;
		}
		m->ncomp = 0;
		json_array_foreach(x, i, e)
		{
			struct deps d = {0};

			if (lhs_comp(e, &m->comp[m->ncomp], &d, tfam, what) < 0)
				return -1;
			if (d.nfproto)
				deps->nfproto = d.nfproto;
			if (d.l4)
				deps->l4 = d.l4;
			m->keylen += m->comp[m->ncomp].width;
			m->ncomp++;
		}
		return m->ncomp ? 0 : -1;
	}
	m->ncomp = 1;
	if (lhs_comp(left, &m->comp[0], deps, tfam, what) < 0)
		return -1;
	m->keylen = m->comp[0].width;
	return 0;
}

/* The right-hand side: a value, a prefix, a range, an anonymous set or @named. */
static int match_rhs(json_t *right, struct fw_match *m, struct fw_table *t, const char **what)
{
	struct fw_set *s;
	json_t *x;

	if (json_is_string(right) && json_string_value(right)[0] == '@') {
		s = find_set(t, json_string_value(right) + 1);
		*what = "unknown named set";
		if (!s)
			return -1;
		*what = "set of another key type";
		if (s->ncomp != m->ncomp)
			return -1;
		/* a named set's type gives widths; the match gives what they read */
		for (unsigned i = 0; i < s->ncomp; i++)
			if (s->comp[i].width != m->comp[i].width)
				return -1;
		m->set = s;
		m->set_owned = false;
		return 0;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ncomp = m->ncomp;
	memcpy(s->comp, m->comp, sizeof(s->comp));
	s->keylen = m->keylen;
	m->set = s;
	m->set_owned = true;
	if ((x = json_object_get(right, "set"))) {
		if (!json_is_array(x))
			x = json_pack("[O]", x);
		else
			json_incref(x);
		int rc = set_elems(s, t, x);

		json_decref(x);
		if (rc < 0)
			return rc;
	} else if (m->comp[0].field == FW_F_TCPFLAGS || m->comp[0].field == FW_F_CTSTATE ||
	           m->comp[0].field == FW_F_CTSTATUS) {
		json_t *one = json_pack("[O]", right);

		/* a flag list on the right is one value: the OR of the flags */
		s->elems = calloc(1, sizeof(*s->elems));
		if (!one || !s->elems) {
			json_decref(one);
			return -ENOMEM;
		}
		if (comp_value(&s->comp[0], right, s->elems[0].lo, s->elems[0].hi) == 0)
			s->nelems = 1;
		else
			set_unknown(s, "value not understood%s", "");
		json_decref(one);
	} else {
		json_t *one = json_pack("[O]", right);
		int rc = one ? set_elems(s, t, one) : -ENOMEM;

		json_decref(one);
		if (rc < 0)
			return rc;
	}
	if (s->why) {
		*what = "value";
		return -1;
	}
	return 0;
}

/* Turns an op string and the elements into the match; < > <= >= become ranges. */
static int match_op(const char *op, struct fw_match *m)
{
	if (!op || strcmp(op, "==") == 0) {
		m->op = FW_OP_EQ;
	} else if (strcmp(op, "!=") == 0) {
		m->op = FW_OP_NE;
	} else if (strcmp(op, "in") == 0) {
		enum fw_field f = m->comp[0].field;

		/* "in" is implicit for flags and for sets alike: flags test bits */
		m->op =
		    m->ncomp == 1 && (f == FW_F_TCPFLAGS || f == FW_F_CTSTATE || f == FW_F_CTSTATUS)
		        ? FW_OP_IN
		        : FW_OP_EQ;
	} else if (strcmp(op, "<") == 0 || strcmp(op, ">") == 0 || strcmp(op, "<=") == 0 ||
	           strcmp(op, ">=") == 0) {
		struct fw_set *s = m->set;
		unsigned w = m->keylen;
		struct fw_elem *e;
		bool up = op[0] == '>', strict = op[1] == '\0';

		if (m->ncomp != 1 || !s || s->nelems != 1 || !m->set_owned)
			return -1;
		e = &s->elems[0];
		/* value v: < v is [0, v-1]; > v is [v+1, max] */
		if (up) {
			memcpy(e->lo, e->hi, w);
			memset(e->hi, 0xff, w);
			if (strict) {
				int i = (int)w - 1;

				while (i >= 0 && e->lo[i] == 0xff)
					e->lo[i--] = 0;
				if (i < 0)
					s->nelems = 0;
				else
					e->lo[i]++;
			}
		} else {
			memset(e->lo, 0, w);
			if (strict) {
				int i = (int)w - 1;

				while (i >= 0 && e->hi[i] == 0)
					e->hi[i--] = 0xff;
				if (i < 0)
					s->nelems = 0;
				else
					e->hi[i]--;
			}
		}
		m->op = FW_OP_EQ;
	} else {
		return -1;
	}
	return 0;
}

static void unknown_item(struct fw_item *it, enum fw_item_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void unknown_item(struct fw_item *it, enum fw_item_kind kind, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	fw_item_release(it);
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	it->why = strdup(buf);
}

/* A match expression into items (implied dependencies first). */
static int parse_match(json_t *m, struct fw_table *t, struct fw_item *items, size_t *n)
{
	struct fw_item *it;
	struct deps deps = {0};
	const char *what = "expression";
	json_t *maskj;
	size_t first = *n;
	int rc;

	it = &items[*n + 2];
	memset(it, 0, sizeof(*it));
	it->kind = FW_ITEM_MATCH;
	if (match_lhs(json_object_get(m, "left"), &it->match, &deps, (uint8_t)t->family, &what,
	              &maskj) < 0) {
		unknown_item(&items[*n], FW_ITEM_UNKNOWN_COND, "match on '%s'", what);
		(*n)++;
		return 0;
	}
	if (maskj) {
		uint8_t hi[FW_KEY_MAX];

		it->match.has_mask = true;
		if (comp_value(&it->match.comp[0], maskj, it->match.mask, hi) < 0) {
			unknown_item(&items[*n], FW_ITEM_UNKNOWN_COND, "mask of '%s'", what);
			(*n)++;
			return 0;
		}
	}
	rc = match_rhs(json_object_get(m, "right"), &it->match, t, &what);
	if (rc == -ENOMEM) {
		fw_item_release(it);
		return rc;
	}
	if (rc < 0 || match_op(json_string_value(json_object_get(m, "op")), &it->match) < 0) {
		struct fw_item tmp = *it;

		fw_item_release(&tmp);
		unknown_item(&items[*n], FW_ITEM_UNKNOWN_COND, "match with '%s'", what);
		(*n)++;
		return 0;
	}
	/* dependencies, then the match itself */
	struct fw_item main = *it;

	add_implied(items, n, &deps);
	for (size_t i = first; i < *n; i++) {
		struct fw_comp *c = &items[i].match.comp[0];
		uint8_t v = (uint8_t)items[i].mark;

		items[i].mark = 0;
		items[i].match.set = const_set(c, &v, &v);
		items[i].match.set_owned = true;
		if (!items[i].match.set)
			return -ENOMEM;
	}
	items[(*n)++] = main;
	return 0;
}

static void reject_of(json_t *r, uint8_t tfam, struct fw_item *it)
{
	const char *type = json_string_value(json_object_get(r, "type"));
	const char *code = json_string_value(json_object_get(r, "expr"));
	uint32_t c = 3;

	it->reject = FW_REJECT_DEFAULT;
	it->reject_code = 3; /* port unreachable (icmpx: port-unreachable) */
	if (!type)
		return;
	if (strcmp(type, "tcp reset") == 0) {
		it->reject = FW_REJECT_TCP_RST;
		return;
	}
	it->reject = FW_REJECT_ICMP;
	if (strcmp(type, "icmp") == 0)
		it->only_family =
		    (tfam == FW_FAM_INET || tfam == FW_FAM_NETDEV || tfam == FW_FAM_BRIDGE) ? 4 : 0;
	else if (strcmp(type, "icmpv6") == 0)
		it->only_family =
		    (tfam == FW_FAM_INET || tfam == FW_FAM_NETDEV || tfam == FW_FAM_BRIDGE) ? 6 : 0;
	if (code && lookup(icmpcodes, code, &c))
		it->reject_code = (uint8_t)c;
	if (strcmp(type, "icmpv6") == 0 && code) {
		/* icmpv6 codes: no-route 0, admin-prohibited 1, addr-unreachable 3,
		 * port-unreachable 4 */
		it->reject_code = strcmp(code, "port-unreachable") == 0   ? 4
		                  : strcmp(code, "admin-prohibited") == 0 ? 1
		                                                          : (uint8_t)c;
	}
}

/* A nat statement: dnat/snat {family, addr, port}, redirect {port}, masquerade. */
static int parse_nat(json_t *v, enum fw_nat_kind kind, struct fw_table *t, struct fw_item *it,
                     const char **what)
{
	struct fw_nat *nat = &it->nat;
	const char *fam = json_string_value(json_object_get(v, "family"));
	json_t *addr = json_object_get(v, "addr"), *port = json_object_get(v, "port"), *x;

	it->kind = FW_ITEM_NAT;
	nat->kind = kind;
	nat->family = fam ? (strcmp(fam, "ip6") == 0 ? 6 : 4) : 0;
	if (!fam && (t->family == FW_FAM_IP || t->family == FW_FAM_IP6))
		nat->family = t->family == FW_FAM_IP6 ? 6 : 4;
	if (nat->family)
		it->only_family = nat->family;
	*what = "nat address";
	if (addr && (x = json_object_get(addr, "map"))) {
		struct deps deps = {0};
		json_t *maskj;
		struct fw_set *s;
		const char *data = json_string_value(json_object_get(x, "data"));

		nat->map = calloc(1, sizeof(*nat->map));
		if (!nat->map)
			return -ENOMEM;
		if (match_lhs(json_object_get(x, "key"), nat->map, &deps, (uint8_t)t->family, what,
		              &maskj) < 0 ||
		    maskj)
			return -1;
		if (data && data[0] == '@') {
			s = find_set(t, data + 1);
			if (!s || s->kind != FW_MAP_VALUE || s->ncomp != nat->map->ncomp)
				return -1;
			nat->map->set = s;
		} else {
			/* anonymous: {"set": [[key, data], ...]} with the data typed by the nat
			 * family */
			json_t *elems = json_object_get(json_object_get(x, "data"), "set");

			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			nat->map->set = s;
			nat->map->set_owned = true;
			s->ncomp = nat->map->ncomp;
			memcpy(s->comp, nat->map->comp, sizeof(s->comp));
			s->keylen = nat->map->keylen;
			s->kind = FW_MAP_VALUE;
			s->ndata = 1;
			s->data[0].field = FW_F_DADDR;
			s->data[0].family = nat->family ? nat->family : 4;
			s->data[0].width = s->data[0].family == 6 ? 16 : 4;
			if (!json_is_array(elems) || set_elems(s, t, elems) < 0 || s->why)
				return -1;
		}
		if (s->why)
			return -1;
		for (unsigned i = 0; i < s->ndata; i++) {
			if (s->data[i].field == FW_F_DADDR)
				nat->map_addr = true;
			else if (s->data[i].field == FW_F_DPORT)
				nat->map_port = true;
			else
				return -1;
		}
		if (kind != FW_NAT_DNAT && kind != FW_NAT_SNAT)
			return -1;
		return 0;
	}
	if (addr) {
		struct fw_comp c = {.field = FW_F_DADDR, .family = nat->family ? nat->family : 4};
		uint8_t hi[16];

		c.width = c.family == 6 ? 16 : 4;
		if (!nat->family) {
			const char *s = json_string_value(addr);

			if (s && strchr(s, ':')) {
				c.family = 6;
				c.width = 16;
			}
			nat->family = c.family;
		}
		if (comp_value(&c, addr, nat->addr, hi) < 0)
			return -1;
		nat->has_addr = true;
	}
	*what = "nat port";
	if (port) {
		struct fw_comp c = {.field = FW_F_DPORT, .width = 2};
		uint8_t lo[2], hi[2];

		if (comp_value(&c, port, lo, hi) < 0)
			return -1;
		nat->has_port = true;
		nat->port = (uint16_t)(lo[0] << 8 | lo[1]);
	}
	if (kind == FW_NAT_DNAT && !nat->has_addr)
		return -1;
	return 0;
}

/* One rule expression (a match or a statement) into items. */
/* A verdict map statement: its key, then a named map or an anonymous one; its implied
 * protocol dependencies go before it. Returns 0 or -ENOMEM. */
static int parse_vmap(json_t *v, struct fw_table *t, struct fw_item *items, size_t *n,
                      struct fw_item *it)
{
	const char *what = "";
	struct deps deps = {0};
	json_t *maskj, *data = json_object_get(v, "data");
	int rc;

	it->kind = FW_ITEM_VMAP;
	if (match_lhs(json_object_get(v, "key"), &it->match, &deps, (uint8_t)t->family, &what,
	              &maskj) < 0 ||
	    maskj) {
		unknown_item(it, FW_ITEM_UNKNOWN_STMT, "verdict map on '%s'", what);
	} else if (json_is_string(data) && json_string_value(data)[0] == '@') {
		struct fw_set *s = find_set(t, json_string_value(data) + 1);

		if (!s || s->kind != FW_MAP_VERDICT || s->ncomp != it->match.ncomp || s->why)
			unknown_item(it, FW_ITEM_UNKNOWN_STMT, "verdict map %s not understood",
			             json_string_value(data));
		else
			it->match.set = s;
	} else {
		struct fw_set *s = calloc(1, sizeof(*s));

		if (!s)
			return -ENOMEM;
		s->ncomp = it->match.ncomp;
		memcpy(s->comp, it->match.comp, sizeof(s->comp));
		s->keylen = it->match.keylen;
		s->kind = FW_MAP_VERDICT;
		it->match.set = s;
		it->match.set_owned = true;
		data = json_object_get(data, "set");
		rc = json_is_array(data) ? set_elems(s, t, data) : -1;
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0 || s->why)
			unknown_item(it, FW_ITEM_UNKNOWN_STMT, "verdict map not understood%s", "");
	}
	if (it->kind == FW_ITEM_VMAP && (deps.nfproto || deps.l4)) {
		/* implied dependencies go before: shift the vmap up */
		struct fw_item vm = *it;
		size_t first = *n;

		add_implied(items, n, &deps);
		for (size_t i = first; i < *n; i++) {
			uint8_t b = (uint8_t)items[i].mark;

			items[i].mark = 0;
			items[i].match.set = const_set(&items[i].match.comp[0], &b, &b);
			items[i].match.set_owned = true;
			if (!items[i].match.set)
				return -ENOMEM;
		}
		items[*n] = vm;
	}
	return 0;
}

/* A mangle statement: meta mark set is followed; ct mark, priority and nftrace change nothing
 * on the path; anything else is unknown. */
static void parse_mangle(json_t *v, struct fw_item *it)
{
	json_t *k = json_object_get(json_object_get(v, "key"), "meta");
	json_t *val = json_object_get(v, "value");
	const char *mk = json_string_value(json_object_get(k, "key"));

	if (mk && strcmp(mk, "mark") == 0 && json_is_integer(val)) {
		it->kind = FW_ITEM_MARK_SET;
		it->mark = (uint32_t)json_integer_value(val);
	} else if (json_object_get(json_object_get(v, "key"), "ct") ||
	           (mk && strcmp(mk, "priority") == 0) || (mk && strcmp(mk, "nftrace") == 0)) {
		it->kind = FW_ITEM_NOP; /* ct mark set, priority, nftrace: no effect on the path */
	} else {
		unknown_item(it, FW_ITEM_UNKNOWN_STMT, "mangle%s", "");
	}
}

/* An iptables-nft xt expression: comments are nothing, the rest is decoded later (fw-xt.c)
 * by its index among the rule's xt expressions. */
static void parse_xt(json_t *v, const struct fw_item *items, size_t n, struct fw_item *it)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	const char *name = json_string_value(json_object_get(v, "name"));
	char buf[80];

	uint8_t seq = 1;

	for (size_t k = 0; k < n; k++)
		if (items[k].xt_index >= seq)
			seq = (uint8_t)(items[k].xt_index + 1);
	snprintf(buf, sizeof(buf), "xt %s '%s'", type ? type : "?", name ? name : "?");
	if (name && type && strcmp(type, "match") == 0 && strcmp(name, "comment") == 0)
		it->kind = FW_ITEM_NOP;
	else
		unknown_item(it,
		             type && strcmp(type, "target") == 0 ? FW_ITEM_UNKNOWN_STMT
		                                                 : FW_ITEM_UNKNOWN_COND,
		             "%s", buf);
	it->xt_index = seq;
}

static int parse_expr(json_t *e, struct fw_table *t, struct fw_item *items, size_t *n)
{
	static const char *const nops[] = {"counter",      "log",          "comment",
	                                   "set",          "meta-set-nop", "dup",
	                                   "ct-count-nop", "xt-comment",   NULL};
	struct fw_item *it = &items[*n];
	const char *key = NULL, *what = "";
	json_t *v = NULL;

	memset(it, 0, sizeof(*it));
	if (!json_is_object(e) || json_object_size(e) != 1) {
		unknown_item(it, FW_ITEM_UNKNOWN_STMT, "malformed expression%s", "");
		(*n)++;
		return 0;
	}
	json_object_foreach(e, key, v) break;
	if (strcmp(key, "match") == 0)
		return parse_match(v, t, items, n);
	for (const char *const *p = nops; *p; p++)
		if (strcmp(key, *p) == 0) {
			it->kind = FW_ITEM_NOP;
			(*n)++;
			return 0;
		}
	if (strcmp(key, "accept") == 0 || strcmp(key, "drop") == 0 || strcmp(key, "return") == 0 ||
	    strcmp(key, "continue") == 0 || strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0) {
		it->kind = FW_ITEM_VERDICT;
		if (parse_verdict_obj(e, t, &it->verdict, &it->target) < 0)
			unknown_item(it, FW_ITEM_UNKNOWN_STMT, "%s to an unknown chain", key);
	} else if (strcmp(key, "reject") == 0) {
		it->kind = FW_ITEM_VERDICT;
		it->verdict = FW_VERDICT_REJECT;
		reject_of(v, (uint8_t)t->family, it);
	} else if (strcmp(key, "queue") == 0) {
		unknown_item(it, FW_ITEM_UNKNOWN_STMT, "queue to user space%s", "");
	} else if (strcmp(key, "vmap") == 0) {
		int rc = parse_vmap(v, t, items, n, it);

		if (rc < 0)
			return rc;
	} else if (strcmp(key, "dnat") == 0 || strcmp(key, "snat") == 0 ||
	           strcmp(key, "redirect") == 0 || strcmp(key, "masquerade") == 0) {
		enum fw_nat_kind k = key[0] == 'd'   ? FW_NAT_DNAT
		                     : key[0] == 's' ? FW_NAT_SNAT
		                     : key[0] == 'r' ? FW_NAT_REDIRECT
		                                     : FW_NAT_MASQUERADE;
		int rc = parse_nat(v, k, t, it, &what);

		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			unknown_item(it, FW_ITEM_UNKNOWN_STMT, "%s not understood", key);
	} else if (strcmp(key, "mangle") == 0) {
		parse_mangle(v, it);
	} else if (strcmp(key, "notrack") == 0) {
		it->kind = FW_ITEM_NOTRACK;
	} else if (strcmp(key, "limit") == 0 || strcmp(key, "quota") == 0 ||
	           strcmp(key, "ct count") == 0) {
		unknown_item(it, FW_ITEM_UNKNOWN_COND, "%s (depends on earlier traffic)", key);
	} else if (strcmp(key, "xt") == 0) {
		parse_xt(v, items, *n, it);
	} else {
		unknown_item(it, FW_ITEM_UNKNOWN_STMT, "statement '%s'", key);
	}
	(*n)++;
	return 0;
}

static int add_rule(struct parser *p, json_t *o)
{
	struct fw_table *t = obj_table(p, o);
	const char *cname = json_string_value(json_object_get(o, "chain"));
	json_t *expr = json_object_get(o, "expr"), *e, *h = json_object_get(o, "handle");
	struct fw_chain *c;
	struct fw_rule *r;
	long ci;
	size_t i;
	int rc = 0;

	if (!t || !cname || (ci = find_chain(t, cname)) < 0)
		return why_err(p->why, p->whylen, -EINVAL, "rule in an unlisted chain '%s'",
		               cname ? cname : "?");
	if (!json_is_array(expr))
		return why_err(p->why, p->whylen, -EINVAL, "rule in chain '%s' without expressions",
		               cname);
	c = &t->chains[ci];
	if (grow((void **)&c->rules, c->nrules, sizeof(*r)) < 0)
		return -ENOMEM;
	r = &c->rules[c->nrules];
	memset(r, 0, sizeof(*r));
	r->handle = json_is_integer(h) ? (uint64_t)json_integer_value(h) : 0;
	/* each expression gives at most 3 items (two implied dependencies and itself) */
	r->items = calloc(3 * json_array_size(expr) + 1, sizeof(*r->items));
	if (!r->items)
		return -ENOMEM;
	c->nrules++;
	json_array_foreach(expr, i, e)
	{
		rc = parse_expr(e, t, r->items, &r->nitems);
		if (rc < 0)
			return rc;
	}
	r->text = fw_rule_render(expr);
	return r->text ? 0 : -ENOMEM;
}

void fw_item_release(struct fw_item *it)
{
	if (it->match.set_owned)
		set_free(it->match.set);
	it->match.set = NULL;
	it->match.set_owned = false;
	if (it->nat.map) {
		if (it->nat.map->set_owned)
			set_free(it->nat.map->set);
		free(it->nat.map);
		it->nat.map = NULL;
	}
	free(it->why);
	it->why = NULL;
}

void fw_env_free(struct fw_env *env)
{
	free(env->ifaces);
	free(env->addrs);
	free(env->routes);
	memset(env, 0, sizeof(*env));
}

void fw_ruleset_free(struct fw_ruleset *rs)
{
	if (!rs)
		return;
	fw_compile_free(rs);
	for (size_t i = 0; i < rs->ntables; i++) {
		struct fw_table *t = &rs->tables[i];

		for (size_t j = 0; j < t->nchains; j++) {
			struct fw_chain *c = &t->chains[j];

			for (size_t k = 0; k < c->nrules; k++) {
				for (size_t m = 0; m < c->rules[k].nitems; m++)
					fw_item_release(&c->rules[k].items[m]);
				free(c->rules[k].items);
				free(c->rules[k].text);
			}
			free(c->rules);
			free(c->name);
			free(c->dev);
		}
		free(t->chains);
		for (size_t j = 0; j < t->nsets; j++)
			set_free(t->sets[j]);
		free(t->sets);
		free(t->name);
	}
	free(rs->tables);
	free(rs->legacy);
	free(rs);
}

/* Passes over the list: tables and chains, then sets and maps, then rules. */
static int parse_pass(struct parser *p, json_t *list, int pass)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o)
	{
		json_t *x;
		int rc = 0;

		if (!json_is_object(o))
			return why_err(p->why, p->whylen, -EINVAL,
			               "item %zu of the ruleset is no object", i);
		if (pass == 0 && (x = json_object_get(o, "table")))
			rc = add_table(p, x);
		else if (pass == 1 && (x = json_object_get(o, "chain")))
			rc = add_chain(p, x);
		else if (pass == 2 && (x = json_object_get(o, "set")))
			rc = add_set(p, x, false);
		else if (pass == 2 && (x = json_object_get(o, "map")))
			rc = add_set(p, x, true);
		else if (pass == 3 && (x = json_object_get(o, "rule")))
			rc = add_rule(p, x);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int fw_ruleset_parse(const char *json, size_t len, struct fw_ruleset **out, char *why,
                     size_t whylen)
{
	struct parser p = {.why = why, .whylen = whylen};
	json_error_t err;
	json_t *root, *list;
	int rc = 0;

	*out = NULL;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return why_err(why, whylen, -EINVAL, "not JSON: %s (line %d)", err.text, err.line);
	list = json_object_get(root, "nftables");
	if (!json_is_array(list)) {
		json_decref(root);
		return why_err(why, whylen, -EINVAL,
		               "no \"nftables\" array: not an nft -j ruleset");
	}
	p.rs = calloc(1, sizeof(*p.rs));
	if (!p.rs) {
		json_decref(root);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 4 && rc == 0; pass++)
		rc = parse_pass(&p, list, pass);
	json_decref(root);
	if (rc == 0)
		rc = fw_compile(p.rs);
	if (rc < 0) {
		if (rc == -ENOMEM)
			why_set(why, whylen, "out of memory");
		fw_ruleset_free(p.rs);
		return rc;
	}
	*out = p.rs;
	return 0;
}

const struct fw_chain *fw_rule_chain(const struct fw_ruleset *rs, const struct fw_rule *r,
                                     const struct fw_table **table)
{
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++) {
			const struct fw_chain *c = &rs->tables[i].chains[j];

			if (c->nrules && r >= c->rules && r < c->rules + c->nrules) {
				if (table)
					*table = &rs->tables[i];
				return c;
			}
		}
	return NULL;
}
