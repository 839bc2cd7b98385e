/* Host discovery packets: ARP, neighbour discovery, ICMP queries, and their replies (see
 * discprobe.h). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "scan/discprobe.h"
#include "scan/packet.h"

#define ETH_ARP  0x0806
#define ETH_IP4  0x0800
#define ETH_IP6  0x86dd
#define ND_NS    135
#define ND_NA    136
#define ND_SLLAO 1 /* source link-layer address option */
#define ND_TLLAO 2 /* target link-layer address option */

static inline uint16_t dp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void dp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dp_put32(uint8_t *p, uint32_t v)
{
	dp_put16(p, (uint16_t)(v >> 16));
	dp_put16(p + 2, (uint16_t)v);
}

static void dp_eth(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint16_t type)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	dp_put16(f + 12, type);
}

size_t discprobe_arp(uint8_t *f, size_t cap, const uint8_t smac[6], const struct in_addr *self,
                     const struct in_addr *dst)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a = f + 14;

	if (cap < DISCPROBE_ARP_LEN)
		return 0;
	dp_eth(f, bcast, smac, ETH_ARP);
	dp_put16(a, 1); /* hardware: Ethernet */
	dp_put16(a + 2, ETH_IP4);
	a[4] = 6;
	a[5] = 4;
	dp_put16(a + 6, 1); /* request */
	memcpy(a + 8, smac, 6);
	memcpy(a + 14, &self->s_addr, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &dst->s_addr, 4);
	return DISCPROBE_ARP_LEN;
}

size_t discprobe_ns(uint8_t *f, size_t cap, const uint8_t smac[6], const struct in6_addr *self,
                    const struct in6_addr *target)
{
	struct target_addr src = {.family = AF_INET6, .v6 = *self};
	struct target_addr grp = {.family = AF_INET6};
	uint8_t dmac[6] = {0x33, 0x33, 0xff};
	uint8_t *ip = f + 14, *icmp = f + 54;

	if (cap < DISCPROBE_NS_LEN)
		return 0;
	/* The solicited-node group ff02::1:ffXX:XXXX of the target's low 24 bits (RFC 4291). */
	grp.v6.s6_addr[0] = 0xff;
	grp.v6.s6_addr[1] = 0x02;
	grp.v6.s6_addr[11] = 0x01;
	grp.v6.s6_addr[12] = 0xff;
	memcpy(&grp.v6.s6_addr[13], &target->s6_addr[13], 3);
	memcpy(dmac + 3, &target->s6_addr[13], 3);
	dp_eth(f, dmac, smac, ETH_IP6);
	packet_ip6_header(ip, 32, IPPROTO_ICMPV6, self, &grp.v6);
	ip[7] = 255; /* neighbour discovery is refused at any other hop limit */
	memset(icmp, 0, 32);
	icmp[0] = ND_NS;
	memcpy(icmp + 8, target, 16);
	icmp[24] = ND_SLLAO;
	icmp[25] = 1; /* 8 bytes */
	memcpy(icmp + 26, smac, 6);
	dp_put16(icmp + 2,
	         packet_checksum(icmp, 32, packet_pseudo_sum(&src, &grp, IPPROTO_ICMPV6, 32)));
	return DISCPROBE_NS_LEN;
}

size_t discprobe_icmp4(uint8_t *buf, size_t cap, const struct in_addr *self,
                       const struct in_addr *dst, enum disc_icmp q, uint32_t check)
{
	size_t ilen = q == DISC_ICMP_TIMESTAMP ? 20 : q == DISC_ICMP_MASK ? 12 : 8;
	uint8_t *icmp = buf + 20;

	if (cap < 20 + ilen)
		return 0;
	packet_ip4_header(buf, 20 + ilen, IPPROTO_ICMP, (uint16_t)(check >> 7), self, dst);
	memset(icmp, 0, ilen);
	icmp[0] = (uint8_t)q;
	dp_put32(icmp + 4, check);
	dp_put16(icmp + 2, packet_checksum(icmp, ilen, 0));
	return 20 + ilen;
}

size_t discprobe_icmp6_echo(uint8_t *buf, size_t cap, const struct in6_addr *self,
                            const struct in6_addr *dst, uint32_t check)
{
	struct target_addr s = {.family = AF_INET6, .v6 = *self};
	struct target_addr d = {.family = AF_INET6, .v6 = *dst};

	if (cap < 8)
		return 0;
	memset(buf, 0, 8);
	buf[0] = 128; /* echo request */
	dp_put32(buf + 4, check);
	dp_put16(buf + 2, packet_checksum(buf, 8, packet_pseudo_sum(&s, &d, IPPROTO_ICMPV6, 8)));
	return 8;
}

static int dp_arp(const struct packet_link *l, struct disc_reply *r)
{
	const uint8_t *a = l->data;

	if (l->len < 28)
		return -EINVAL;
	if (dp_get16(a) != 1 || dp_get16(a + 2) != ETH_IP4 || a[4] != 6 || a[5] != 4)
		return -EPROTONOSUPPORT;
	if (dp_get16(a + 6) != 2)
		return 0; /* a request, not an answer */
	r->kind = DISC_REP_ARP;
	r->from.family = r->to.family = AF_INET;
	memcpy(&r->from.v4, a + 14, 4);
	memcpy(&r->to.v4, a + 24, 4);
	r->host = r->from;
	r->has_mac = true;
	memcpy(r->mac, a + 8, 6);
	return 0;
}

/* A neighbour advertisement (hop limit 255 only, as RFC 4861 requires). */
static void dp_na(const struct packet_info *pi, struct disc_reply *r)
{
	const uint8_t *p = pi->l4;
	size_t len = pi->l4_len;

	if (len < 24 || pi->ttl != 255 || pi->icmp_code != 0)
		return;
	r->kind = DISC_REP_NA;
	r->host.family = AF_INET6;
	memcpy(&r->host.v6, p + 8, 16);
	for (size_t off = 24; off + 8 <= len;) {
		size_t olen = (size_t)p[off + 1] * 8;

		if (olen == 0 || off + olen > len)
			break;
		if (p[off] == ND_TLLAO && olen >= 8) {
			memcpy(r->mac, p + off + 2, 6);
			r->has_mac = true;
		}
		off += olen;
	}
}

/* ICMP and ICMPv6: query replies, errors quoting a probe, advertisements. */
static void dp_icmp(const struct packet_info *pi, struct disc_reply *r)
{
	bool v6 = pi->proto == IPPROTO_ICMPV6;
	uint8_t t = pi->icmp_type;

	if (pi->has_inner) {
		r->kind = DISC_REP_ERROR;
		r->host = pi->inner_dst;
		r->icmp_type = t;
		r->icmp_code = pi->icmp_code;
		r->inner_proto = pi->inner_proto;
		r->sport = pi->inner_sport;
		r->dport = pi->inner_dport;
		r->inner_has_check = pi->inner_has_seq;
		r->inner_check = pi->inner_seq;
		r->inner_ipid = pi->inner_ipid;
		return;
	}
	if (v6 && t == ND_NA) {
		dp_na(pi, r);
		return;
	}
	if (pi->icmp_code != 0)
		return;
	if (v6 ? t == 129 : t == 0)
		r->kind = DISC_REP_ECHO;
	else if (!v6 && t == 14 && pi->l4_len >= 20)
		r->kind = DISC_REP_TIMESTAMP;
	else if (!v6 && t == 18 && pi->l4_len >= 12)
		r->kind = DISC_REP_MASK;
	else
		return;
	r->host = pi->src;
	r->check = dp_get32(pi->l4 + 4);
}

int discprobe_parse(int linktype, const uint8_t *frame, size_t caplen, struct disc_reply *r)
{
	struct packet_link l;
	struct packet_info pi;
	bool src_mac;
	int e;

	memset(r, 0, sizeof(*r));
	if (!frame)
		return -EINVAL;
	e = packet_link(linktype, frame, caplen, &l);
	if (e < 0)
		return e;
	if (l.ethertype == ETH_ARP)
		return dp_arp(&l, r);
	if (l.ethertype != ETH_IP4 && l.ethertype != ETH_IP6)
		return -EPROTONOSUPPORT;
	e = packet_parse_ip(l.data, l.len, &pi);
	if (e < 0)
		return e;
	r->from = pi.src;
	r->to = pi.dst;
	r->ttl = pi.ttl;
	src_mac = l.has_src_mac;
	switch (pi.proto) {
	case IPPROTO_TCP:
		r->kind = DISC_REP_TCP;
		r->host = pi.src;
		r->sport = pi.sport;
		r->dport = pi.dport;
		r->seq = pi.seq;
		r->ack = pi.ack;
		r->tcp_flags = pi.tcp_flags;
		break;
	case IPPROTO_UDP:
		r->kind = DISC_REP_UDP;
		r->host = pi.src;
		r->sport = pi.sport;
		r->dport = pi.dport;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		dp_icmp(&pi, r);
		break;
	default:
		break;
	}
	if (!r->has_mac && src_mac) {
		r->has_mac = true;
		memcpy(r->mac, l.src_mac, 6);
	}
	return 0;
}
