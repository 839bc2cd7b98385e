/*
 * iptables-nft's extensions. nft's JSON shows an xt match or target by name
 * only ({"xt": {"type": "match", "name": "conntrack"}}); its parameters are a
 * binary blob that only netlink gives. This file dumps the rules through
 * NFT_MSG_GETRULE, keeps each rule's "match"/"target" expressions in order,
 * and decodes the common ones (what ufw, firewalld's iptables back-end and
 * Docker write) into ordinary model items:
 *
 *   conntrack/state --ctstate   → ct state match
 *   multiport, tcp, udp         → port matches
 *   addrtype --dst-type         → fib daddr type match
 *   mark, pkttype, rpfilter     → meta mark, meta pkttype, fib saddr oif
 *   icmp, icmp6, hl, ttl        → icmp type and hop limit matches
 *   rt (IPv6 routing header)    → false: the evaluated packets carry none
 *   REJECT, DNAT, REDIRECT      → reject, dnat, redirect
 *   SNAT, MASQUERADE, LOG, ...  → no effect on the path in
 *
 * Anything else stays an unknown item, so evaluation says "unknown".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_pkttype.h>
#include <linux/netfilter/xt_rpfilter.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firewall/fw-private.h"

/* ---- building items ---- */

static struct fw_set *new_set(const struct fw_comp *c)
{
	struct fw_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ncomp = 1;
	s->comp[0] = *c;
	s->keylen = c->width;
	return s;
}

static int set_add(struct fw_set *s, uint64_t lo, uint64_t hi)
{
	struct fw_elem *v = realloc(s->elems, (s->nelems + 1) * sizeof(*v));
	unsigned w = s->keylen;

	if (!v)
		return -ENOMEM;
	s->elems = v;
	memset(&v[s->nelems], 0, sizeof(*v));
	for (unsigned i = 0; i < w; i++) {
		v[s->nelems].lo[w - 1 - i] = (uint8_t)(lo >> (8 * i));
		v[s->nelems].hi[w - 1 - i] = (uint8_t)(hi >> (8 * i));
	}
	s->nelems++;
	return 0;
}

/* A one-component match item over field f; the caller adds elements to its set. */
static int match_item(struct fw_item *it, enum fw_field f, enum fw_op op, uint8_t l4)
{
	struct fw_comp c = {.field = f, .l4 = l4};

	c.width = (uint8_t)fw_field_width(f, 0);
	memset(it, 0, sizeof(*it));
	it->kind = FW_ITEM_MATCH;
	it->match.op = op;
	it->match.ncomp = 1;
	it->match.comp[0] = c;
	it->match.keylen = c.width;
	it->match.set = new_set(&c);
	it->match.set_owned = true;
	return it->match.set ? 0 : -ENOMEM;
}

/* xt state bits (1 << (ctinfo + 1), untracked 1 << 8) to nft's ct state bits. */
static int ct_bits(unsigned xt, uint32_t *nft)
{
	*nft = xt & 0x0f; /* invalid 1, established 2, related 4, new 8: the same */
	if (xt & XT_STATE_UNTRACKED)
		*nft |= 64;
	/* SNAT/DNAT pseudo-states mix in the status: not a plain state test */
	return (xt & ~(0x0fu | XT_STATE_UNTRACKED)) ? -1 : 0;
}

static int port_range(struct fw_item *items, size_t *n, size_t max, enum fw_field f,
                      const uint16_t pts[2], bool inv, uint8_t l4)
{
	if (pts[0] == 0 && pts[1] == 0xffff)
		return 0;
	if (*n == max)
		return -ENOSPC;
	if (match_item(&items[*n], f, inv ? FW_OP_NE : FW_OP_EQ, l4) < 0 ||
	    set_add(items[*n].match.set, pts[0], pts[1]) < 0)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The nat address/port of a DNAT/REDIRECT target's range. */
static void nat_from(struct fw_item *it, enum fw_nat_kind kind, uint8_t family, bool map_ips,
                     const void *addr, bool proto, uint16_t port_be)
{
	memset(it, 0, sizeof(*it));
	it->kind = FW_ITEM_NAT;
	it->nat.kind = kind;
	it->nat.family = family;
	if (map_ips && kind == FW_NAT_DNAT) {
		it->nat.has_addr = true;
		memcpy(it->nat.addr, addr, family == 6 ? 16 : 4);
	}
	if (proto) {
		it->nat.has_port = true;
		it->nat.port = ntohs(port_be);
	}
}

#define NEED(type)                                                                                 \
	do {                                                                                       \
		if (xt->len < sizeof(type))                                                        \
			return -ENOTSUP;                                                           \
	} while (0)

static int decode_match(const struct fw_xt *xt, uint8_t family, struct fw_item *items, size_t max,
                        size_t *n)
{
	const char *name = xt->name;

	if (strcmp(name, "comment") == 0) {
		memset(&items[*n], 0, sizeof(items[0]));
		items[(*n)++].kind = FW_ITEM_NOP;
		return 0;
	}
	if (strcmp(name, "state") == 0) {
		struct xt_state_info si;
		uint32_t bits;

		NEED(si);
		memcpy(&si, xt->info, sizeof(si));
		if (ct_bits(si.statemask, &bits) < 0)
			return -ENOTSUP;
		if (match_item(&items[*n], FW_F_CTSTATE, FW_OP_IN, 0) < 0 ||
		    set_add(items[*n].match.set, bits, bits) < 0)
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "conntrack") == 0) {
		unsigned mflags, iflags, state;
		uint32_t bits;

		if (xt->rev == 1) {
			struct xt_conntrack_mtinfo1 ci;

			NEED(ci);
			memcpy(&ci, xt->info, sizeof(ci));
			mflags = ci.match_flags;
			iflags = ci.invert_flags;
			state = ci.state_mask;
		} else if (xt->rev == 2) {
			struct xt_conntrack_mtinfo2 ci;

			NEED(ci);
			memcpy(&ci, xt->info, sizeof(ci));
			mflags = ci.match_flags;
			iflags = ci.invert_flags;
			state = ci.state_mask;
		} else if (xt->rev == 3) {
			struct xt_conntrack_mtinfo3 ci;

			NEED(ci);
			memcpy(&ci, xt->info, sizeof(ci));
			mflags = ci.match_flags;
			iflags = ci.invert_flags;
			state = ci.state_mask;
		} else {
			return -ENOTSUP;
		}
		/* only --ctstate (the other options of conntrack stay unknown) */
		if (mflags != XT_CONNTRACK_STATE || ct_bits(state, &bits) < 0)
			return -ENOTSUP;
		if (match_item(&items[*n], FW_F_CTSTATE,
		               iflags & XT_CONNTRACK_STATE ? FW_OP_NOT_IN : FW_OP_IN, 0) < 0 ||
		    set_add(items[*n].match.set, bits, bits) < 0)
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "multiport") == 0) {
		struct xt_multiport_v1 mp;
		enum fw_field f;

		if (xt->rev == 0) {
			struct xt_multiport m0;

			NEED(m0);
			memcpy(&m0, xt->info, sizeof(m0));
			memset(&mp, 0, sizeof(mp));
			mp.flags = m0.flags;
			mp.count = m0.count;
			memcpy(mp.ports, m0.ports, sizeof(m0.ports));
		} else if (xt->rev == 1) {
			NEED(mp);
			memcpy(&mp, xt->info, sizeof(mp));
		} else {
			return -ENOTSUP;
		}
		if (mp.flags == XT_MULTIPORT_SOURCE)
			f = FW_F_SPORT;
		else if (mp.flags == XT_MULTIPORT_DESTINATION)
			f = FW_F_DPORT;
		else
			return -ENOTSUP; /* either: two fields at once */
		if (mp.count == 0 || mp.count > XT_MULTI_PORTS)
			return -ENOTSUP;
		if (match_item(&items[*n], f, mp.invert ? FW_OP_NE : FW_OP_EQ, 0) < 0)
			return -ENOMEM;
		for (unsigned i = 0; i < mp.count; i++) {
			uint16_t lo = mp.ports[i], hi = lo;

			if (mp.pflags[i] && i + 1 < mp.count)
				hi = mp.ports[++i];
			if (hi < lo || set_add(items[*n].match.set, lo, hi) < 0) {
				fw_item_release(&items[*n]);
				return hi < lo ? -ENOTSUP : -ENOMEM;
			}
		}
		(*n)++;
		return 0;
	}
	if (strcmp(name, "tcp") == 0 || strcmp(name, "udp") == 0) {
		bool tcp = name[0] == 't';
		uint16_t spts[2], dpts[2];
		uint8_t inv, l4 = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		size_t first = *n;
		int rc;

		if (tcp) {
			struct xt_tcp t;

			NEED(t);
			memcpy(&t, xt->info, sizeof(t));
			if (t.option || (t.invflags & (XT_TCP_INV_OPTION | XT_TCP_INV_FLAGS)))
				return -ENOTSUP;
			memcpy(spts, t.spts, sizeof(spts));
			memcpy(dpts, t.dpts, sizeof(dpts));
			inv = t.invflags;
			if (t.flg_mask) {
				/* (flags & mask) == cmp; a NEW connection's first packet is a bare
				 * SYN */
				if (*n == max)
					return -ENOSPC;
				if (match_item(&items[*n], FW_F_TCPFLAGS, FW_OP_EQ, 0) < 0 ||
				    set_add(items[*n].match.set, t.flg_cmp, t.flg_cmp) < 0)
					return -ENOMEM;
				items[*n].match.has_mask = true;
				items[*n].match.mask[0] = t.flg_mask;
				(*n)++;
			}
		} else {
			struct xt_udp u;

			NEED(u);
			memcpy(&u, xt->info, sizeof(u));
			memcpy(spts, u.spts, sizeof(spts));
			memcpy(dpts, u.dpts, sizeof(dpts));
			inv = u.invflags;
		}
		rc = port_range(items, n, max, FW_F_SPORT, spts, inv & XT_TCP_INV_SRCPT, l4);
		if (rc == 0)
			rc =
			    port_range(items, n, max, FW_F_DPORT, dpts, inv & XT_TCP_INV_DSTPT, l4);
		if (rc < 0) {
			while (*n > first)
				fw_item_release(&items[--*n]);
			return rc;
		}
		if (*n == first) {
			memset(&items[*n], 0, sizeof(items[0]));
			items[(*n)++].kind = FW_ITEM_NOP;
		}
		return 0;
	}
	if (strcmp(name, "addrtype") == 0) {
		uint16_t src, dst;
		bool inv_dst, iif;

		if (xt->rev == 0) {
			struct xt_addrtype_info a;

			NEED(a);
			memcpy(&a, xt->info, sizeof(a));
			src = a.source;
			dst = a.dest;
			inv_dst = a.invert_dest;
			iif = false;
		} else if (xt->rev == 1) {
			struct xt_addrtype_info_v1 a;

			NEED(a);
			memcpy(&a, xt->info, sizeof(a));
			src = a.source;
			dst = a.dest;
			inv_dst = a.flags & XT_ADDRTYPE_INVERT_DEST;
			iif = a.flags & XT_ADDRTYPE_LIMIT_IFACE_IN;
			if (a.flags & XT_ADDRTYPE_LIMIT_IFACE_OUT)
				return -ENOTSUP;
		} else {
			return -ENOTSUP;
		}
		if (src || !dst)
			return -ENOTSUP; /* --src-type: the source is symbolic here */
		if (match_item(&items[*n], FW_F_FIBTYPE, inv_dst ? FW_OP_NE : FW_OP_EQ, 0) < 0)
			return -ENOMEM;
		items[*n].match.comp[0].fib_iif = iif;
		items[*n].match.set->comp[0].fib_iif = iif;
		for (unsigned t = 0; t < 16; t++)
			if (dst & (1u << t) && set_add(items[*n].match.set, t, t) < 0) {
				fw_item_release(&items[*n]);
				return -ENOMEM;
			}
		(*n)++;
		return 0;
	}
	if (strcmp(name, "mark") == 0 && xt->rev == 1) {
		struct xt_mark_mtinfo1 m;

		NEED(m);
		memcpy(&m, xt->info, sizeof(m));
		if (match_item(&items[*n], FW_F_MARK, m.invert ? FW_OP_NE : FW_OP_EQ, 0) < 0 ||
		    set_add(items[*n].match.set, m.mark & m.mask, m.mark & m.mask) < 0)
			return -ENOMEM;
		items[*n].match.has_mask = true;
		for (unsigned i = 0; i < 4; i++)
			items[*n].match.mask[i] = (uint8_t)(m.mask >> (24 - 8 * i));
		(*n)++;
		return 0;
	}
	if (strcmp(name, "pkttype") == 0) {
		struct xt_pkttype_info p;

		NEED(p);
		memcpy(&p, xt->info, sizeof(p));
		if (p.pkttype < 0 || p.pkttype > 7)
			return -ENOTSUP;
		if (match_item(&items[*n], FW_F_PKTTYPE, p.invert ? FW_OP_NE : FW_OP_EQ, 0) < 0 ||
		    set_add(items[*n].match.set, (uint64_t)p.pkttype, (uint64_t)p.pkttype) < 0)
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "rpfilter") == 0) {
		struct xt_rpfilter_info rp;
		bool want;

		NEED(rp);
		memcpy(&rp, xt->info, sizeof(rp));
		if (rp.flags & (XT_RPFILTER_VALID_MARK | XT_RPFILTER_ACCEPT_LOCAL))
			return -ENOTSUP;
		want = !(rp.flags & XT_RPFILTER_INVERT);
		if (match_item(&items[*n], FW_F_FIBOIF, FW_OP_EQ, 0) < 0 ||
		    set_add(items[*n].match.set, want, want) < 0)
			return -ENOMEM;
		items[*n].match.comp[0].fib_saddr = true;
		items[*n].match.comp[0].fib_iif = !(rp.flags & XT_RPFILTER_LOOSE);
		(*n)++;
		return 0;
	}
	if (strcmp(name, "icmp") == 0 || strcmp(name, "icmp6") == 0) {
		/* ipt_icmp and ip6t_icmp: type, code range, inversion */
		uint8_t b[4];
		uint8_t l4 = name[4] == '6' ? 58 : 1;

		if (xt->len < 4)
			return -ENOTSUP;
		memcpy(b, xt->info, 4);
		if ((b[0] != 0xff && (b[1] != 0 || b[2] != 0xff)) || (b[3] & ~1u))
			return -ENOTSUP; /* a code range: not modelled */
		if (match_item(&items[*n], FW_F_ICMPTYPE, b[3] ? FW_OP_NE : FW_OP_EQ, l4) < 0)
			return -ENOMEM;
		items[*n].match.set->comp[0].l4 = l4;
		/* type 0xff matches any type */
		if (set_add(items[*n].match.set, b[0] == 0xff ? 0 : b[0],
		            b[0] == 0xff ? 255 : b[0]) < 0) {
			fw_item_release(&items[*n]);
			return -ENOMEM;
		}
		(*n)++;
		return 0;
	}
	if (strcmp(name, "hl") == 0 || strcmp(name, "ttl") == 0) {
		/* ip6t_hl_info and ipt_ttl_info alike: mode (eq, ne, lt, gt) and value */
		uint8_t b[2];
		uint64_t lo, hi;
		enum fw_op op = FW_OP_EQ;

		if (xt->len < 2)
			return -ENOTSUP;
		memcpy(b, xt->info, 2);
		switch (b[0]) {
		case 0:
			lo = hi = b[1];
			break;
		case 1:
			lo = hi = b[1];
			op = FW_OP_NE;
			break;
		case 2:
			if (b[1] == 0)
				return -ENOTSUP;
			lo = 0;
			hi = b[1] - 1u;
			break;
		case 3:
			if (b[1] == 255)
				return -ENOTSUP;
			lo = b[1] + 1u;
			hi = 255;
			break;
		default:
			return -ENOTSUP;
		}
		if (match_item(&items[*n], FW_F_HOPLIMIT, op, 0) < 0 ||
		    set_add(items[*n].match.set, lo, hi) < 0)
			return -ENOMEM;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "rt") == 0) {
		/*
		 * A routing extension header's fields: the kernel's match is false for
		 * a packet without one, and the packets evaluated here carry none.
		 */
		if (match_item(&items[*n], FW_F_L4PROTO, FW_OP_EQ, 0) < 0)
			return -ENOMEM;
		(*n)++; /* an empty set: never true */
		return 0;
	}
	(void)family;
	return -ENOTSUP;
}

static int decode_target(const struct fw_xt *xt, uint8_t family, struct fw_item *items, size_t max,
                         size_t *n)
{
	static const char *const nops[] = {"LOG",   "NFLOG",    "TCPMSS", "CHECKSUM", "TRACE",
	                                   "AUDIT", "CLASSIFY", "DSCP",   "TOS",      NULL};
	const char *name = xt->name;
	struct fw_item *it = &items[*n];

	(void)max;
	memset(it, 0, sizeof(*it));
	for (const char *const *p = nops; *p; p++)
		if (strcmp(name, *p) == 0) {
			it->kind = FW_ITEM_NOP;
			(*n)++;
			return 0;
		}
	if (strcmp(name, "REJECT") == 0) {
		uint32_t with;

		it->kind = FW_ITEM_VERDICT;
		it->verdict = FW_VERDICT_REJECT;
		if (xt->len < sizeof(uint32_t))
			return -ENOTSUP;
		memcpy(&with, xt->info, sizeof(with));
		if (family == 6) {
			static const uint8_t codes[] = {0, 1, 2, 3, 4};

			if (with == IP6T_TCP_RESET)
				it->reject = FW_REJECT_TCP_RST;
			else if (with < sizeof(codes))
				it->reject = FW_REJECT_ICMP, it->reject_code = codes[with];
			else
				return -ENOTSUP;
		} else {
			static const uint8_t codes[] = {0, 1, 2, 3, 0, 9, 10, 0, 13};

			if (with == IPT_TCP_RESET)
				it->reject = FW_REJECT_TCP_RST;
			else if (with < sizeof(codes) && with != IPT_ICMP_ECHOREPLY)
				it->reject = FW_REJECT_ICMP, it->reject_code = codes[with];
			else
				return -ENOTSUP;
		}
		(*n)++;
		return 0;
	}
	if (strcmp(name, "DNAT") == 0 || strcmp(name, "REDIRECT") == 0) {
		enum fw_nat_kind kind = name[0] == 'D' ? FW_NAT_DNAT : FW_NAT_REDIRECT;

		if (xt->rev == 0 && family == 4) {
			struct nf_nat_ipv4_multi_range_compat mr;

			NEED(mr);
			memcpy(&mr, xt->info, sizeof(mr));
			if (mr.rangesize != 1)
				return -ENOTSUP;
			nat_from(it, kind, 4, mr.range[0].flags & NF_NAT_RANGE_MAP_IPS,
			         &mr.range[0].min_ip,
			         mr.range[0].flags & NF_NAT_RANGE_PROTO_SPECIFIED,
			         mr.range[0].min.all);
		} else if (xt->rev == 1 || xt->rev == 2) {
			struct nf_nat_range r;

			NEED(r); /* nf_nat_range2 begins like nf_nat_range */
			memcpy(&r, xt->info, sizeof(r));
			nat_from(it, kind, family, r.flags & NF_NAT_RANGE_MAP_IPS, &r.min_addr,
			         r.flags & NF_NAT_RANGE_PROTO_SPECIFIED, r.min_proto.all);
		} else {
			return -ENOTSUP;
		}
		if (kind == FW_NAT_DNAT && !it->nat.has_addr)
			return -ENOTSUP;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "SNAT") == 0 || strcmp(name, "MASQUERADE") == 0) {
		it->kind = FW_ITEM_NAT;
		it->nat.kind = name[0] == 'S' ? FW_NAT_SNAT : FW_NAT_MASQUERADE;
		(*n)++;
		return 0;
	}
	if (strcmp(name, "NOTRACK") == 0) {
		it->kind = FW_ITEM_NOTRACK;
		(*n)++;
		return 0;
	}
	return -ENOTSUP;
}

int fw_xt_decode(const struct fw_xt *xt, uint8_t family, struct fw_item *out, size_t max, size_t *n)
{
	*n = 0;
	if (max < 3)
		return -ENOSPC;
	return xt->target ? decode_target(xt, family, out, max, n)
	                  : decode_match(xt, family, out, max, n);
}

/* ---- applying decodings to the parsed model ---- */

static enum fw_family nfproto_family(uint8_t p)
{
	switch (p) {
	case NFPROTO_INET:
		return FW_FAM_INET;
	case NFPROTO_IPV4:
		return FW_FAM_IP;
	case NFPROTO_IPV6:
		return FW_FAM_IP6;
	case NFPROTO_BRIDGE:
		return FW_FAM_BRIDGE;
	case NFPROTO_ARP:
		return FW_FAM_ARP;
	case NFPROTO_NETDEV:
		return FW_FAM_NETDEV;
	}
	return FW_FAM_UNKNOWN;
}

/* Appends the nft-like text of a decoded item to buf. */
static void item_text(const struct fw_item *it, char *buf, size_t len)
{
	size_t off = strlen(buf);
	char a[INET6_ADDRSTRLEN];

#define PUT(...) (off += (size_t)snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__))
	switch (it->kind) {
	case FW_ITEM_MATCH: {
		const struct fw_match *m = &it->match;
		const struct fw_set *set = m->set;
		static const char *const st[] = {"invalid", "established", "related", "new"};

		switch (m->comp[0].field) {
		case FW_F_CTSTATE:
			PUT("ct state %s", m->op == FW_OP_NOT_IN ? "!= " : "");
			for (unsigned b = 0, first = 1; set->nelems && b < 4; b++)
				if (set->elems[0].lo[3] & (1u << b)) {
					PUT("%s%s", first ? "" : ",", st[b]);
					first = 0;
				}
			if (set->nelems && set->elems[0].lo[3] & 64)
				PUT(",untracked");
			return;
		case FW_F_FIBTYPE:
			PUT("fib daddr%s type%s", m->comp[0].fib_iif ? " . iif" : "",
			    m->op == FW_OP_NE ? " !=" : "");
			for (size_t i = 0; i < set->nelems; i++)
				PUT("%s%u", i ? "," : " ", set->elems[i].lo[0]);
			return;
		case FW_F_SPORT:
		case FW_F_DPORT:
			PUT("%s%s%s {",
			    m->comp[0].l4 == 6    ? "tcp "
			    : m->comp[0].l4 == 17 ? "udp "
			                          : "th ",
			    m->comp[0].field == FW_F_SPORT ? "sport" : "dport",
			    m->op == FW_OP_NE ? " !=" : "");
			for (size_t i = 0; i < set->nelems; i++) {
				unsigned lo = set->elems[i].lo[0] << 8 | set->elems[i].lo[1];
				unsigned hi = set->elems[i].hi[0] << 8 | set->elems[i].hi[1];

				PUT(lo == hi ? "%s %u" : "%s %u-%u", i ? "," : "", lo, hi);
			}
			PUT(" }");
			return;
		case FW_F_ICMPTYPE:
			PUT("%s type%s %u", m->comp[0].l4 == 58 ? "icmpv6" : "icmp",
			    m->op == FW_OP_NE ? " !=" : "", set->nelems ? set->elems[0].lo[0] : 0);
			return;
		case FW_F_HOPLIMIT:
			PUT("hoplimit%s %u-%u", m->op == FW_OP_NE ? " !=" : "",
			    set->nelems ? set->elems[0].lo[0] : 0,
			    set->nelems ? set->elems[0].hi[0] : 0);
			return;
		case FW_F_MARK:
			PUT("meta mark%s 0x%02x%02x%02x%02x", m->op == FW_OP_NE ? " !=" : "",
			    set->elems[0].lo[0], set->elems[0].lo[1], set->elems[0].lo[2],
			    set->elems[0].lo[3]);
			return;
		case FW_F_FIBOIF:
			PUT("fib saddr%s oif %s", m->comp[0].fib_iif ? " . iif" : "",
			    set->nelems && set->elems[0].lo[0] ? "exists" : "missing");
			return;
		case FW_F_TCPFLAGS:
			PUT("tcp flags & 0x%x == 0x%x", m->mask[0],
			    set->nelems ? set->elems[0].lo[0] : 0);
			return;
		case FW_F_L4PROTO:
			if (!set->nelems) {
				PUT("rt (a routing header: none here)");
				return;
			}
			break;
		default:
			break;
		}
		PUT("match");
		return;
	}
	case FW_ITEM_VERDICT:
		if (it->reject == FW_REJECT_TCP_RST)
			PUT("reject with tcp reset");
		else
			PUT("reject with icmp code %u", it->reject_code);
		return;
	case FW_ITEM_NAT:
		PUT("%s", it->nat.kind == FW_NAT_DNAT       ? "dnat"
		          : it->nat.kind == FW_NAT_REDIRECT ? "redirect"
		          : it->nat.kind == FW_NAT_SNAT     ? "snat"
		                                            : "masquerade");
		if (it->nat.has_addr || it->nat.has_port)
			PUT(" to ");
		if (it->nat.has_addr) {
			inet_ntop(it->nat.family == 6 ? AF_INET6 : AF_INET, it->nat.addr, a,
			          sizeof(a));
			PUT(it->nat.family == 6 && it->nat.has_port ? "[%s]" : "%s", a);
		}
		if (it->nat.has_port)
			PUT(":%u", it->nat.port);
		return;
	case FW_ITEM_NOTRACK:
		PUT("notrack");
		return;
	default:
		PUT("comment");
		return;
	}
#undef PUT
}

/* Replaces the k-th 'xt ... "name"' of text by what it was decoded to. */
static int retext(struct fw_rule *r, unsigned k, const struct fw_item *dec, size_t nd)
{
	char *p = r->text, *end, *nt, repl[256] = "";
	unsigned seen = 0;

	for (;;) {
		char *m = strstr(p, "xt match \""), *t = strstr(p, "xt target \"");

		p = !m ? t : !t ? m : m < t ? m : t;
		if (!p || ++seen == k)
			break;
		p += 3;
	}
	if (!p || !(end = strchr(p, '"')) || !(end = strchr(end + 1, '"')))
		return 0;
	end++;
	for (size_t i = 0; i < nd; i++) {
		if (i)
			strncat(repl, " ", sizeof(repl) - strlen(repl) - 1);
		item_text(&dec[i], repl, sizeof(repl));
	}
	if (asprintf(&nt, "%.*s%s%s", (int)(p - r->text), r->text, repl, end) < 0)
		return -ENOMEM;
	free(r->text);
	r->text = nt;
	return 0;
}

/* Replaces rule r's xt items by the decodings of x (the same extensions in order). */
static int apply_rule(const struct fw_table *t, struct fw_rule *r, const struct fw_xt_rule *x)
{
	uint8_t family = t->family == FW_FAM_IP6 ? 6 : 4;
	unsigned texts_done = 0; /* replaced xt texts no longer count */

	for (size_t i = 0; i < r->nitems; i++) {
		struct fw_item *it = &r->items[i], dec[8];
		size_t nd = 0, idx = it->xt_index;
		struct fw_item *nv;

		if (!idx || idx > x->nxt)
			continue;
		if (fw_xt_decode(&x->xt[idx - 1], family, dec, 8, &nd) < 0 || nd == 0) {
			it->xt_index = 0; /* stays unknown, named */
			continue;
		}
		if (retext(r, (unsigned)idx - texts_done, dec, nd) < 0) {
			for (size_t k = 0; k < nd; k++)
				fw_item_release(&dec[k]);
			return -ENOMEM;
		}
		texts_done++;
		nv = realloc(r->items, (r->nitems + nd - 1) * sizeof(*nv));
		if (!nv) {
			for (size_t k = 0; k < nd; k++)
				fw_item_release(&dec[k]);
			return -ENOMEM;
		}
		r->items = nv;
		it = &r->items[i];
		fw_item_release(it);
		memmove(it + nd, it + 1, (r->nitems - i - 1) * sizeof(*it));
		memcpy(it, dec, nd * sizeof(*it));
		r->nitems += nd - 1;
		i += nd - 1;
	}
	return 0;
}

int fw_xt_apply(struct fw_ruleset *rs, const struct fw_xt_rule *xr, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct fw_xt_rule *x = &xr[k];
		enum fw_family fam = nfproto_family(x->family);

		for (size_t i = 0; i < rs->ntables; i++) {
			struct fw_table *t = &rs->tables[i];

			if (t->family != fam || strcmp(t->name, x->table) != 0)
				continue;
			for (size_t j = 0; j < t->nchains; j++) {
				struct fw_chain *c = &t->chains[j];

				if (strcmp(c->name, x->chain) != 0)
					continue;
				for (size_t m = 0; m < c->nrules; m++)
					if (c->rules[m].handle == x->handle) {
						int rc = apply_rule(t, &c->rules[m], x);

						if (rc < 0)
							return rc;
					}
			}
		}
	}
	/* the chains' port indexes were built on the unknown items: build them anew */
	fw_compile_free(rs);
	return fw_compile(rs);
}

/* ---- the netlink dump ---- */

struct dump {
	struct fw_xt_rule *v;
	size_t n, cap;
	int err;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned type = mnl_attr_get_type(a);

	if (type < 16)
		tb[type] = a;
	return MNL_CB_OK;
}

static void copy_str(char *dst, size_t len, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	if (n >= len)
		n = len - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[16] = {0}, *e;
	struct fw_xt_rule r;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb) < 0)
		return MNL_CB_OK;
	if (!tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN] || !tb[NFTA_RULE_HANDLE] ||
	    !tb[NFTA_RULE_EXPRESSIONS] || mnl_attr_get_payload_len(tb[NFTA_RULE_HANDLE]) != 8)
		return MNL_CB_OK;
	memset(&r, 0, sizeof(r));
	r.family = g->nfgen_family;
	copy_str(r.table, sizeof(r.table), tb[NFTA_RULE_TABLE]);
	copy_str(r.chain, sizeof(r.chain), tb[NFTA_RULE_CHAIN]);
	r.handle = be64toh(mnl_attr_get_u64(tb[NFTA_RULE_HANDLE]));
	mnl_attr_for_each_nested(e, tb[NFTA_RULE_EXPRESSIONS])
	{
		const struct nlattr *et[16] = {0}, *xt[16] = {0};
		char name[32];
		bool target;
		struct fw_xt *nx;

		if (mnl_attr_parse_nested(e, attr_cb, et) < 0 || !et[NFTA_EXPR_NAME] ||
		    !et[NFTA_EXPR_DATA])
			continue;
		copy_str(name, sizeof(name), et[NFTA_EXPR_NAME]);
		if (strcmp(name, "match") != 0 && strcmp(name, "target") != 0)
			continue;
		target = name[0] == 't';
		if (mnl_attr_parse_nested(et[NFTA_EXPR_DATA], attr_cb, xt) < 0 ||
		    !xt[NFTA_MATCH_NAME] || !xt[NFTA_MATCH_INFO])
			continue;
		nx = realloc(r.xt, (r.nxt + 1) * sizeof(*nx));
		if (!nx)
			goto oom;
		r.xt = nx;
		nx = &r.xt[r.nxt];
		memset(nx, 0, sizeof(*nx));
		nx->target = target;
		copy_str(nx->name, sizeof(nx->name), xt[NFTA_MATCH_NAME]);
		if (xt[NFTA_MATCH_REV] && mnl_attr_get_payload_len(xt[NFTA_MATCH_REV]) == 4)
			nx->rev = ntohl(mnl_attr_get_u32(xt[NFTA_MATCH_REV]));
		nx->len = mnl_attr_get_payload_len(xt[NFTA_MATCH_INFO]);
		nx->info = malloc(nx->len ? nx->len : 1);
		if (!nx->info)
			goto oom;
		memcpy((void *)nx->info, mnl_attr_get_payload(xt[NFTA_MATCH_INFO]), nx->len);
		r.nxt++;
	}
	if (!r.nxt)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct fw_xt_rule *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			goto oom;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = r;
	return MNL_CB_OK;
oom:
	for (size_t i = 0; i < r.nxt; i++)
		free((void *)r.xt[i].info);
	free(r.xt);
	d->err = -ENOMEM;
	return MNL_CB_ERROR;
}

int fw_xt_dump(struct fw_xt_rule **out, size_t *n)
{
	static __thread char buf[16384];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct dump d = {0};
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	unsigned seq = (unsigned)time(NULL), portid;
	int ret;

	*out = NULL;
	*n = 0;
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_UNSPEC;
	g->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (len < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)len, seq, portid, rule_cb, &d);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? (d.err ? d.err : -errno) : 0;
			break;
		}
	}
	mnl_socket_close(nl);
	if (ret < 0) {
		fw_xt_free(d.v, d.n);
		return ret;
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

void fw_xt_free(struct fw_xt_rule *xr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < xr[i].nxt; j++)
			free((void *)xr[i].xt[j].info);
		free(xr[i].xt);
	}
	free(xr);
}
