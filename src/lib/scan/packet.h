/*
 * Raw packets of the SYN and UDP scans: building probes (IPv4 with its
 * header, IPv6 as the transport segment the kernel puts behind its own header)
 * and parsing what comes back (TCP, UDP, ICMP and ICMPv6 errors with the probe
 * they quote). Pure functions over byte buffers: no sockets, no clock.
 *
 *   n = packet_build_tcp4(buf, sizeof(buf), &src, &dst, 40000, 80, cookie);
 *   // 44 bytes: IPv4 header (20), TCP header with an MSS option (24)
 *   r = packet_parse_ip(reply, len, &pi);
 *   // pi.proto == IPPROTO_TCP, pi.tcp_flags == TCP_SYN|TCP_ACK, pi.ack == cookie + 1
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/targetspec.h"

enum {
	PKT_TCP_FIN = 0x01,
	PKT_TCP_SYN = 0x02,
	PKT_TCP_RST = 0x04,
	PKT_TCP_PSH = 0x08,
	PKT_TCP_ACK = 0x10,
};

#define PACKET_TCP4_LEN    44 /* IPv4 + TCP with MSS */
#define PACKET_TCP6_LEN    24 /* TCP with MSS (the kernel adds the IPv6 header) */
#define PACKET_UDP4_HDR    28 /* IPv4 + UDP headers */
#define PACKET_UDP6_HDR    8  /* UDP header */
#define PACKET_TCPACK4_LEN 40 /* IPv4 + TCP without options */
#define PACKET_TCPACK6_LEN 20 /* TCP without options */

/* Per-probe source ports (packet_sport()): 32768-65535. */
#define PACKET_SPORT_LO   32768
#define PACKET_SPORT_SPAN 32768

/* What a received IP packet says. */
struct packet_info {
	struct target_addr src, dst;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	uint8_t ttl;   /* TTL or hop limit */
	uint16_t sport, dport;
	uint32_t seq, ack; /* TCP */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload; /* UDP payload inside the buffer */
	size_t payload_len;
	const uint8_t
	    *l4; /* the transport header (TCP, UDP, ICMP) and what follows, in the buffer */
	size_t l4_len;
	/* ICMP errors: the start of the packet that caused it (our probe). */
	bool has_inner;
	struct target_addr inner_src, inner_dst;
	uint8_t inner_proto;
	uint16_t inner_ipid; /* IPv4 identification of the quoted probe (0 for IPv6) */
	uint16_t inner_sport, inner_dport;
	bool
	    inner_has_seq; /* the quote reaches bytes 4-7: TCP sequence, ICMP identifier+sequence */
	uint32_t inner_seq;
	const uint8_t *inner_l4; /* the quoted transport header and what follows, in the buffer */
	size_t inner_l4_len;     /* as much as was quoted (at least 4 bytes) */
};

/*
 * Parses an IPv4 or IPv6 packet (from its IP header). Returns 0, -EINVAL for a
 * malformed or truncated packet, -EPROTONOSUPPORT for a protocol other than
 * TCP/UDP/ICMP/ICMPv6 or a fragment past the first. IPv6 extension headers
 * (hop-by-hop, routing, destination options, first fragment) are skipped.
 */
int packet_parse_ip(const uint8_t *p, size_t len, struct packet_info *out);

/* A captured frame's link header: what it carries and who sent it. */
struct packet_link {
	uint16_t ethertype; /* 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, …; IP version for raw links */
	bool has_src_mac;   /* Ethernet links: the sender's MAC */
	uint8_t src_mac[6];
	const uint8_t *data; /* what follows the link header, inside the frame */
	size_t len;
};

/*
 * Parses the link header of a captured frame of link type linktype (pcap
 * DLT_* number: EN10MB with VLAN tags, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6,
 * NULL/LOOP). Returns 0, -EINVAL when truncated (nothing after the header),
 * -EPROTONOSUPPORT for other link types.
 */
int packet_link(int linktype, const uint8_t *frame, size_t caplen, struct packet_link *out);

/*
 * Finds the IP packet in a captured frame of link type linktype (pcap DLT_*
 * number: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, NULL/LOOP). Returns 0 with *ip
 * and *iplen set, -EINVAL when truncated, -EPROTONOSUPPORT for other link
 * types or non-IP frames.
 */
int packet_strip_link(int linktype, const uint8_t *frame, size_t caplen, const uint8_t **ip,
                      size_t *iplen);

/* Builds an IPv4 TCP SYN with an MSS option; returns PACKET_TCP4_LEN, or 0 if cap is short. */
size_t packet_build_tcp4(uint8_t *buf, size_t cap, const struct in_addr *src,
                         const struct in_addr *dst, uint16_t sport, uint16_t dport, uint32_t seq);

/* Builds the TCP SYN segment for IPv6 (checksum over the pseudo-header); PACKET_TCP6_LEN or 0. */
size_t packet_build_tcp6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                         const struct in6_addr *dst, uint16_t sport, uint16_t dport, uint32_t seq);

/* Builds an IPv4 UDP datagram carrying payload; returns its length, or 0 if cap is short. */
size_t packet_build_udp4(uint8_t *buf, size_t cap, const struct in_addr *src,
                         const struct in_addr *dst, uint16_t sport, uint16_t dport, uint16_t ipid,
                         const uint8_t *payload, size_t plen);

/* Builds the UDP datagram for IPv6 (header + payload, checksummed); its length or 0. */
size_t packet_build_udp6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                         const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                         const uint8_t *payload, size_t plen);

/* Builds an IPv4 TCP ACK (no options) acknowledging ack; PACKET_TCPACK4_LEN, or 0 if cap is short.
 */
size_t packet_build_tcp_ack4(uint8_t *buf, size_t cap, const struct in_addr *src,
                             const struct in_addr *dst, uint16_t sport, uint16_t dport,
                             uint32_t ack);

/* The TCP ACK segment for IPv6; PACKET_TCPACK6_LEN or 0. */
size_t packet_build_tcp_ack6(uint8_t *buf, size_t cap, const struct in6_addr *src,
                             const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                             uint32_t ack);

/* Writes a 20-byte IPv4 header (TTL 64, checksummed) for a packet of total bytes. */
void packet_ip4_header(uint8_t *buf, size_t total, uint8_t proto, uint16_t ipid,
                       const struct in_addr *src, const struct in_addr *dst);

/* The unfolded pseudo-header sum (IPv4 or IPv6, by src's family) for a segment of len bytes. */
uint32_t packet_pseudo_sum(const struct target_addr *src, const struct target_addr *dst,
                           uint8_t proto, size_t len);

/* Writes the 40-byte IPv6 header for a payload of plen bytes of proto (hop limit 64). */
void packet_ip6_header(uint8_t *buf, size_t plen, uint8_t proto, const struct in6_addr *src,
                       const struct in6_addr *dst);

/*
 * The 32-bit cookie of a probe: SipHash-2-4 under key of (target, target port,
 * our address, our port). A TCP reply acknowledges cookie + 1.
 */
uint32_t packet_cookie(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                       const struct target_addr *self, uint16_t sport);

/*
 * A 64-bit secret of a probe for use tag (a letter: 'T' payload token, 'I' IP
 * id), SipHash-2-4 under key of (tag, target, target port, our address, n);
 * n is our source port, or the try number for 'S'.
 */
uint64_t packet_secret(const uint8_t key[16], uint8_t tag, const struct target_addr *target,
                       uint16_t tport, const struct target_addr *self, uint16_t n);

/*
 * The source port of try tryno of the probe self -> target:tport, one of the
 * PACKET_SPORT_SPAN ports from PACKET_SPORT_LO, unpredictable without key:
 * a reply to another port answers no probe of ours.
 */
uint16_t packet_sport(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                      const struct target_addr *self, unsigned tryno);

/*
 * The try (0 .. ntries-1) whose packet_sport() is sport, or -1 when none is.
 * Example: packet_sport_try(k, t, 161, s, packet_sport(k, t, 161, s, 2), 16) == 2
 * (unless an earlier try drew the same port).
 */
int packet_sport_try(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                     const struct target_addr *self, uint16_t sport, unsigned ntries);

/* The Internet checksum (RFC 1071) of data, folded and complemented, seeded with sum. */
uint16_t packet_checksum(const void *data, size_t len, uint32_t sum);
