/* Raw probe packets and reply parsing (see packet.h). */
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "scan/packet.h"
#include "scan/siphash.h"

#define PKT_MAX_EXT 8 /* IPv6 extension headers skipped at most */

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t pkt_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t packet_checksum(const void *data, size_t len, uint32_t sum)
{
	return (uint16_t)~pkt_sum(data, len, sum);
}

/* The pseudo-header sum of IPv4 (RFC 793) for a transport segment of len bytes. */
static uint32_t pkt_pseudo4(const struct in_addr *src, const struct in_addr *dst, uint8_t proto,
                            size_t len)
{
	uint32_t sum = pkt_sum(&src->s_addr, 4, 0);

	sum = pkt_sum(&dst->s_addr, 4, sum);
	return sum + proto + (uint32_t)len;
}

/* The pseudo-header sum of IPv6 (RFC 8200 section 8.1). */
static uint32_t pkt_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
                            size_t len)
{
	uint32_t sum = pkt_sum(src, 16, 0);

	sum = pkt_sum(dst, 16, sum);
	return sum + proto + (uint32_t)len;
}

void packet_ip4_header(uint8_t *p, size_t total, uint8_t proto, uint16_t ipid,
                       const struct in_addr *src, const struct in_addr *dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	pkt_put16(p + 2, (uint16_t)total);
	pkt_put16(p + 4, ipid);
	p[8] = 64; /* TTL */
	p[9] = proto;
	memcpy(p + 12, &src->s_addr, 4);
	memcpy(p + 16, &dst->s_addr, 4);
	pkt_put16(p + 10, packet_checksum(p, 20, 0));
}

/* The TCP SYN header with an MSS option of 1460, checksum left 0. */
static void pkt_tcp_syn(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq)
{
	memset(t, 0, 24);
	pkt_put16(t, sport);
	pkt_put16(t + 2, dport);
	pkt_put32(t + 4, seq);
	t[12] = 6 << 4; /* 24 bytes */
	t[13] = PKT_TCP_SYN;
	pkt_put16(t + 14, 1024); /* window */
	t[20] = 2;               /* MSS */
	t[21] = 4;
	pkt_put16(t + 22, 1460);
}

size_t packet_build_tcp4(uint8_t *buf, size_t cap, const struct in_addr *src,
                         const struct in_addr *dst, uint16_t sport, uint16_t dport, uint32_t seq)
{
	uint8_t *t = buf + 20;

	if (cap < PACKET_TCP4_LEN)
		return 0;
	/* The IP ID from the cookie: looks random, costs nothing. */
	packet_ip4_header(buf, PACKET_TCP4_LEN, IPPROTO_TCP, (uint16_t)(seq >> 16 ^ seq), src, dst);
	pkt_tcp_syn(t, sport, dport, seq);
	pkt_put16(t + 16, packet_checksum(t, 24, pkt_pseudo4(src, dst, IPPROTO_TCP, 24)));
	return PACKET_TCP4_LEN;
}

uint32_t packet_pseudo_sum(const struct target_addr *src, const struct target_addr *dst,
                           uint8_t proto, size_t len)
{
	if (src->family == AF_INET)
		return pkt_pseudo4(&src->v4, &dst->v4, proto, len);
	return pkt_pseudo6(&src->v6, &dst->v6, proto, len);
}

/* A TCP ACK header without options, checksum left 0: a probe a host answers with RST (seq = ack).
 */
static void pkt_tcp_ack(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t ack)
{
	memset(t, 0, 20);
	pkt_put16(t, sport);
	pkt_put16(t + 2, dport);
	pkt_put32(t + 4, ack ^ 0x5bd1e995u); /* any sequence number: the reply does not carry it */
	pkt_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = PKT_TCP_ACK;
	pkt_put16(t + 14, 1024);
}

size_t packet_build_tcp_ack4(uint8_t *buf, size_t cap, const struct in_addr *src,
                             const struct in_addr *dst, uint16_t sport, uint16_t dport,
                             uint32_t ack)
{
	uint8_t *t = buf + 20;

	if (cap < PACKET_TCPACK4_LEN)
		return 0;
	packet_ip4_header(buf, PACKET_TCPACK4_LEN, IPPROTO_TCP, (uint16_t)(ack >> 16 ^ ack), src,
	                  dst);
	pkt_tcp_ack(t, sport, dport, ack);
	pkt_put16(t + 16, packet_checksum(t, 20, pkt_pseudo4(src, dst, IPPROTO_TCP, 20)));
	return PACKET_TCPACK4_LEN;
}

size_t packet_build_tcp_ack6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                             const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                             uint32_t ack)
{
	if (cap < PACKET_TCPACK6_LEN)
		return 0;
	pkt_tcp_ack(buf, sport, dport, ack);
	pkt_put16(buf + 16, packet_checksum(buf, 20, pkt_pseudo6(src, dst, IPPROTO_TCP, 20)));
	return PACKET_TCPACK6_LEN;
}

size_t packet_build_tcp6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                         const struct in6_addr *dst, uint16_t sport, uint16_t dport, uint32_t seq)
{
	if (cap < PACKET_TCP6_LEN)
		return 0;
	pkt_tcp_syn(buf, sport, dport, seq);
	pkt_put16(buf + 16, packet_checksum(buf, 24, pkt_pseudo6(src, dst, IPPROTO_TCP, 24)));
	return PACKET_TCP6_LEN;
}

void packet_ip6_header(uint8_t *buf, size_t plen, uint8_t proto, const struct in6_addr *src,
                       const struct in6_addr *dst)
{
	memset(buf, 0, 8);
	buf[0] = 0x60;
	pkt_put16(buf + 4, (uint16_t)plen);
	buf[6] = proto;
	buf[7] = 64; /* hop limit */
	memcpy(buf + 8, src, 16);
	memcpy(buf + 24, dst, 16);
}

size_t packet_build_udp4(uint8_t *buf, size_t cap, const struct in_addr *src,
                         const struct in_addr *dst, uint16_t sport, uint16_t dport, uint16_t ipid,
                         const uint8_t *payload, size_t plen)
{
	size_t total = PACKET_UDP4_HDR + plen;
	uint8_t *u = buf + 20;
	uint16_t sum;

	if (cap < total || total > 65535)
		return 0;
	packet_ip4_header(buf, total, IPPROTO_UDP, ipid, src, dst);
	pkt_put16(u, sport);
	pkt_put16(u + 2, dport);
	pkt_put16(u + 4, (uint16_t)(8 + plen));
	pkt_put16(u + 6, 0);
	if (plen)
		memcpy(u + 8, payload, plen);
	sum = packet_checksum(u, 8 + plen, pkt_pseudo4(src, dst, IPPROTO_UDP, 8 + plen));
	pkt_put16(u + 6, sum ? sum : 0xffff);
	return total;
}

size_t packet_build_udp6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                         const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                         const uint8_t *payload, size_t plen)
{
	size_t total = PACKET_UDP6_HDR + plen;
	uint16_t sum;

	if (cap < total || total > 65535)
		return 0;
	pkt_put16(buf, sport);
	pkt_put16(buf + 2, dport);
	pkt_put16(buf + 4, (uint16_t)total);
	pkt_put16(buf + 6, 0);
	if (plen)
		memcpy(buf + 8, payload, plen);
	sum = packet_checksum(buf, total, pkt_pseudo6(src, dst, IPPROTO_UDP, total));
	pkt_put16(buf + 6, sum ? sum : 0xffff);
	return total;
}

uint32_t packet_cookie(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                       const struct target_addr *self, uint16_t sport)
{
	uint8_t b[36];
	size_t n = 0;

	if (target->family == AF_INET6) {
		memcpy(b, &target->v6, 16);
		memcpy(b + 16, &self->v6, 16);
		n = 32;
	} else {
		memcpy(b, &target->v4, 4);
		memcpy(b + 4, &self->v4, 4);
		n = 8;
	}
	pkt_put16(b + n, tport);
	pkt_put16(b + n + 2, sport);
	return (uint32_t)siphash24(key, b, n + 4);
}

uint64_t packet_secret(const uint8_t key[16], uint8_t tag, const struct target_addr *target,
                       uint16_t tport, const struct target_addr *self, uint16_t n)
{
	uint8_t b[37];
	size_t len = target_addr_size(target->family);

	b[0] = tag;
	memcpy(b + 1, target_addr_bytes(target), len);
	memcpy(b + 1 + len, target_addr_bytes(self), len);
	pkt_put16(b + 1 + 2 * len, tport);
	pkt_put16(b + 3 + 2 * len, n);
	return siphash24(key, b, 5 + 2 * len);
}

uint16_t packet_sport(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                      const struct target_addr *self, unsigned tryno)
{
	uint64_t h = packet_secret(key, 'S', target, tport, self, (uint16_t)tryno);

	return (uint16_t)(PACKET_SPORT_LO + h % PACKET_SPORT_SPAN);
}

int packet_sport_try(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                     const struct target_addr *self, uint16_t sport, unsigned ntries)
{
	if (sport < PACKET_SPORT_LO)
		return -1;
	for (unsigned t = 0; t < ntries; t++)
		if (packet_sport(key, target, tport, self, t) == sport)
			return (int)t;
	return -1;
}

/* Skips IPv6 extension headers from *nh at p[*off]; 0, -EINVAL or -EPROTONOSUPPORT. */
static int pkt_skip_ext6(const uint8_t *p, size_t len, uint8_t *nh, size_t *off)
{
	for (int i = 0; i < PKT_MAX_EXT; i++) {
		size_t hl;

		switch (*nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (len - *off < 8)
				return -EINVAL;
			hl = ((size_t)p[*off + 1] + 1) * 8;
			break;
		case 44: /* fragment: only the first carries the transport header */
			if (len - *off < 8)
				return -EINVAL;
			if ((pkt_get16(p + *off + 2) & 0xfff8) != 0)
				return -EPROTONOSUPPORT;
			hl = 8;
			break;
		default:
			return 0;
		}
		if (len - *off < hl)
			return -EINVAL;
		*nh = p[*off];
		*off += hl;
	}
	return -EPROTONOSUPPORT;
}

/* The quoted probe of an ICMP error: an IP header and the first 8 transport bytes. */
static void pkt_parse_inner(const uint8_t *p, size_t len, struct packet_info *pi)
{
	size_t off;
	uint8_t nh;

	if (len < 1)
		return;
	if (p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;

		if (ihl < 20 || len < ihl + 4)
			return;
		pi->inner_src = (struct target_addr){.family = AF_INET};
		pi->inner_dst = (struct target_addr){.family = AF_INET};
		memcpy(&pi->inner_src.v4, p + 12, 4);
		memcpy(&pi->inner_dst.v4, p + 16, 4);
		pi->inner_ipid = pkt_get16(p + 4);
		nh = p[9];
		off = ihl;
	} else if (p[0] >> 4 == 6) {
		if (len < 40 + 4)
			return;
		pi->inner_src = (struct target_addr){.family = AF_INET6};
		pi->inner_dst = (struct target_addr){.family = AF_INET6};
		memcpy(&pi->inner_src.v6, p + 8, 16);
		memcpy(&pi->inner_dst.v6, p + 24, 16);
		nh = p[6];
		off = 40;
		if (pkt_skip_ext6(p, len, &nh, &off) < 0 || len - off < 4)
			return;
	} else {
		return;
	}
	pi->has_inner = true;
	pi->inner_proto = nh;
	pi->inner_sport = pkt_get16(p + off);
	pi->inner_dport = pkt_get16(p + off + 2);
	pi->inner_l4 = p + off;
	pi->inner_l4_len = len - off;
	if ((nh == IPPROTO_TCP || nh == IPPROTO_ICMP || nh == IPPROTO_ICMPV6) && len - off >= 8) {
		pi->inner_has_seq = true;
		pi->inner_seq = pkt_get32(p + off + 4);
	}
}

static int pkt_parse_l4(const uint8_t *p, size_t len, struct packet_info *pi)
{
	pi->l4 = p;
	pi->l4_len = len;
	switch (pi->proto) {
	case IPPROTO_TCP: {
		size_t doff;

		if (len < 20)
			return -EINVAL;
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < 20 || doff > len)
			return -EINVAL;
		pi->sport = pkt_get16(p);
		pi->dport = pkt_get16(p + 2);
		pi->seq = pkt_get32(p + 4);
		pi->ack = pkt_get32(p + 8);
		pi->tcp_flags = p[13];
		return 0;
	}
	case IPPROTO_UDP: {
		size_t ulen;

		if (len < 8)
			return -EINVAL;
		ulen = pkt_get16(p + 4);
		if (ulen < 8)
			return -EINVAL;
		pi->sport = pkt_get16(p);
		pi->dport = pkt_get16(p + 2);
		pi->payload = p + 8;
		pi->payload_len = (ulen < len ? ulen : len) - 8;
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		bool err;

		if (len < 8)
			return -EINVAL;
		pi->icmp_type = p[0];
		pi->icmp_code = p[1];
		if (pi->proto == IPPROTO_ICMP)
			err = p[0] == 3 || p[0] == 11 || p[0] == 12;
		else
			err = p[0] >= 1 && p[0] <= 4;
		if (err)
			pkt_parse_inner(p + 8, len - 8, pi);
		return 0;
	}
	default:
		return -EPROTONOSUPPORT;
	}
}

int packet_parse_ip(const uint8_t *p, size_t len, struct packet_info *out)
{
	size_t off;
	uint8_t nh;

	memset(out, 0, sizeof(*out));
	if (!p || len < 1)
		return -EINVAL;
	if (p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4, tot;

		if (ihl < 20 || len < ihl)
			return -EINVAL;
		tot = pkt_get16(p + 2);
		if (tot < ihl)
			return -EINVAL;
		if (tot < len)
			len = tot; /* link-layer padding */
		if ((pkt_get16(p + 6) & 0x1fff) != 0)
			return -EPROTONOSUPPORT; /* a later fragment */
		out->src.family = out->dst.family = AF_INET;
		memcpy(&out->src.v4, p + 12, 4);
		memcpy(&out->dst.v4, p + 16, 4);
		out->ttl = p[8];
		nh = p[9];
		off = ihl;
		if (nh == IPPROTO_ICMPV6)
			return -EPROTONOSUPPORT;
	} else if (p[0] >> 4 == 6) {
		size_t plen;
		int r;

		if (len < 40)
			return -EINVAL;
		plen = pkt_get16(p + 4);
		if (40 + plen < len)
			len = 40 + plen;
		out->src.family = out->dst.family = AF_INET6;
		memcpy(&out->src.v6, p + 8, 16);
		memcpy(&out->dst.v6, p + 24, 16);
		out->ttl = p[7];
		nh = p[6];
		off = 40;
		r = pkt_skip_ext6(p, len, &nh, &off);
		if (r < 0)
			return r;
		if (nh == IPPROTO_ICMP)
			return -EPROTONOSUPPORT;
	} else {
		return -EINVAL;
	}
	out->proto = nh;
	return pkt_parse_l4(p + off, len - off, out);
}

int packet_link(int linktype, const uint8_t *frame, size_t caplen, struct packet_link *out)
{
	size_t off;
	uint16_t et;

	memset(out, 0, sizeof(*out));
	switch (linktype) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -EINVAL;
		memcpy(out->src_mac, frame + 6, 6);
		out->has_src_mac = true;
		et = pkt_get16(frame + 12);
		off = 14;
		while (et == 0x8100 || et == 0x88a8) { /* VLAN tags */
			if (caplen < off + 4)
				return -EINVAL;
			et = pkt_get16(frame + off + 2);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -EINVAL;
		/* hatype Ethernet (1) with a 6-byte address: the sender's MAC */
		if (pkt_get16(frame + 2) == 1 && pkt_get16(frame + 4) == 6) {
			memcpy(out->src_mac, frame + 6, 6);
			out->has_src_mac = true;
		}
		et = pkt_get16(frame + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -EINVAL;
		if (pkt_get16(frame + 8) == 1 && frame[11] == 6) {
			memcpy(out->src_mac, frame + 12, 6);
			out->has_src_mac = true;
		}
		et = pkt_get16(frame);
		off = 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		et = 0;
		off = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (caplen < 4)
			return -EINVAL;
		et = 0;
		off = 4;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (caplen <= off)
		return -EINVAL;
	if (et == 0) /* raw IP links: the version tells */
		et = frame[off] >> 4 == 6 ? 0x86dd : frame[off] >> 4 == 4 ? 0x0800 : 0;
	out->ethertype = et;
	out->data = frame + off;
	out->len = caplen - off;
	return 0;
}

int packet_strip_link(int linktype, const uint8_t *frame, size_t caplen, const uint8_t **ip,
                      size_t *iplen)
{
	struct packet_link l;
	int r = packet_link(linktype, frame, caplen, &l);

	if (r < 0)
		return r;
	/* 0: a raw link of another version; the IP parser judges it. */
	if (l.ethertype != 0 && l.ethertype != 0x0800 && l.ethertype != 0x86dd)
		return -EPROTONOSUPPORT;
	*ip = l.data;
	*iplen = l.len;
	return 0;
}
