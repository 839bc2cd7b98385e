/*
 * The packets of host discovery: ARP requests and neighbour solicitations for
 * on-link hosts, ICMP echo, timestamp and address-mask requests (ICMPv6 echo),
 * and the parser of what comes back, from the captured frame. Pure functions
 * over byte buffers (TCP and UDP probes are packet.h's).
 *
 * A query carries a 32-bit check in its identifier and sequence fields, which
 * the reply (or an ICMP error quoting the query) gives back; its low 4 bits are
 * the try number (discprobe_check()):
 *
 *   n = discprobe_icmp4(buf, sizeof(buf), &self.v4, &dst.v4, DISC_ICMP_ECHO, check);
 *   // 28 bytes: IPv4 header (20), echo request (8), id = check >> 16, seq = check & 0xffff
 *   r = discprobe_parse(DLT_EN10MB, frame, len, &rep);
 *   // rep.kind == DISC_REP_ECHO, rep.host == dst, rep.check == check
 *
 *   n = discprobe_arp(frame, sizeof(frame), mymac, &self.v4, &dst.v4);
 *   // 42 bytes: Ethernet (broadcast, ARP) + who-has dst tell self
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/targetspec.h"

#define DISCPROBE_ARP_LEN 42  /* Ethernet header + ARP request */
#define DISCPROBE_NS_LEN  86  /* Ethernet + IPv6 + neighbour solicitation with our link address */
#define DISCPROBE_MAX_LEN 128 /* room for any query here */

/* ICMP queries (-PE, -PP, -PM); their replies are type + 1 (ICMPv6 echo: 128 → 129). */
enum disc_icmp {
	DISC_ICMP_ECHO = 8,
	DISC_ICMP_TIMESTAMP = 13,
	DISC_ICMP_MASK = 17,
};

enum disc_rep_kind {
	DISC_REP_NONE = 0,
	DISC_REP_ARP,       /* ARP reply: host is the sender's address */
	DISC_REP_NA,        /* neighbour advertisement: host is its target address */
	DISC_REP_ECHO,      /* ICMP (v6) echo reply */
	DISC_REP_TIMESTAMP, /* ICMP timestamp reply */
	DISC_REP_MASK,      /* ICMP address mask reply */
	DISC_REP_TCP,       /* a TCP segment to us */
	DISC_REP_UDP,       /* a UDP datagram to us */
	DISC_REP_ERROR,     /* an ICMP (v6) error quoting one of our probes */
};

/* What one captured frame says, as far as discovery cares. */
struct disc_reply {
	enum disc_rep_kind kind;
	struct target_addr host; /* the address the reply speaks for (ERROR: the probe's target) */
	struct target_addr from; /* who sent it (ARP: sender address; IP: source) */
	struct target_addr to;   /* our address it went to (ARP: target address; IP: destination) */
	uint8_t ttl;             /* TTL or hop limit, 0 for ARP */
	bool has_mac;            /* the link address of the sender (ARP/NA: the one announced) */
	uint8_t mac[6];
	uint32_t check; /* ECHO/TIMESTAMP/MASK: identifier << 16 | sequence */
	uint16_t sport,
	    dport;         /* TCP, UDP; ERROR: the quoted probe's ports (ICMP: type/code, sum) */
	uint32_t seq, ack; /* TCP */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code; /* ERROR */
	uint8_t inner_proto;          /* ERROR: the quoted probe's protocol */
	bool inner_has_check; /* ERROR: the quote reaches bytes 4-7 of its transport header */
	uint32_t inner_check; /* TCP sequence, or ICMP identifier << 16 | sequence */
	uint16_t inner_ipid;  /* ERROR: the quoted IPv4 identification */
};

/* The check of a query with cookie c on try t (0-15): the cookie's high 28 bits, t below. */
static inline uint32_t discprobe_check(uint32_t c, unsigned t)
{
	return (c & ~0xfu) | (t & 0xfu);
}

/* The try number a check carries, or -1 when it does not belong to cookie c. */
static inline int discprobe_try(uint32_t c, uint32_t check)
{
	return (check & ~0xfu) == (c & ~0xfu) ? (int)(check & 0xfu) : -1;
}

/*
 * Builds an ARP request frame (broadcast) asking for dst on behalf of self,
 * whose link address is smac. Returns DISCPROBE_ARP_LEN, or 0 if cap is short.
 */
size_t discprobe_arp(uint8_t *frame, size_t cap, const uint8_t smac[6], const struct in_addr *self,
                     const struct in_addr *dst);

/*
 * Builds a neighbour solicitation frame for target (to its solicited-node
 * multicast group, hop limit 255, with our link address smac) from self.
 * Returns DISCPROBE_NS_LEN, or 0 if cap is short.
 */
size_t discprobe_ns(uint8_t *frame, size_t cap, const uint8_t smac[6], const struct in6_addr *self,
                    const struct in6_addr *target);

/* Builds an IPv4 ICMP query of type q (IP header included) with check; its length or 0. */
size_t discprobe_icmp4(uint8_t *buf, size_t cap, const struct in_addr *self,
                       const struct in_addr *dst, enum disc_icmp q, uint32_t check);

/* Builds an ICMPv6 echo request (without the IPv6 header, checksummed) with check; 8 or 0. */
size_t discprobe_icmp6_echo(uint8_t *buf, size_t cap, const struct in6_addr *self,
                            const struct in6_addr *dst, uint32_t check);

/*
 * Parses a captured frame of link type linktype (pcap DLT_*: EN10MB,
 * LINUX_SLL, LINUX_SLL2, RAW). Returns 0 with r filled (kind NONE for frames
 * that say nothing to discovery), -EINVAL for a malformed or truncated frame,
 * -EPROTONOSUPPORT for other link types or protocols.
 */
int discprobe_parse(int linktype, const uint8_t *frame, size_t caplen, struct disc_reply *r);
