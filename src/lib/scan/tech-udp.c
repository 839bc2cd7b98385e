/*
 * -sU: the UDP scan as a raw technique. Each probe (and each try of it) leaves
 * from a source port of its own (packet_sport()), carries a service payload
 * where one is known (udp-payloads.h) with a token of its own where the
 * protocol repeats one, else an empty one; an IPv4 probe's IP identification
 * is a cookie too.
 *   open            a UDP reply from the probed port to the probe's source port:
 *                   proof when it repeats the token, else a bare reply (rawscan.h)
 *   closed          ICMP port unreachable (port-unreach)
 *   filtered        another ICMP unreachable
 *   open|filtered   silence after the paced retries
 * An ICMP error counts only when the probe it quotes is ours byte for byte:
 * source port of a try, IP id, UDP length and checksum, and as much of the
 * payload as is quoted.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "scan/engine.h"
#include "scan/rawscan.h"
#include "scan/technique.h"
#include "scan/udp-payloads.h"

static int udp_filter(char *buf, size_t len, uint16_t lo, uint16_t hi)
{
	int n = snprintf(buf, len, "(udp dst portrange %u-%u) or icmp or icmp6", lo, hi);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* The IP identification of an IPv4 probe: never 0, which the kernel would replace. */
static uint16_t udp_ipid(const uint8_t key[16], const struct target_addr *target, uint16_t tport,
                         const struct target_addr *self, uint16_t sport)
{
	uint16_t id = (uint16_t)packet_secret(key, 'I', target, tport, self, sport);

	return id ? id : 1;
}

static size_t udp_build(uint8_t *buf, size_t cap, const struct target_addr *self,
                        const struct target_addr *target, uint16_t sport, uint16_t tport,
                        const uint8_t key[16])
{
	uint8_t pl[UDP_PAYLOAD_MAX];
	size_t plen = udp_payload_build(tport, packet_secret(key, 'T', target, tport, self, sport),
	                                pl, sizeof(pl));

	if (target->family == AF_INET)
		return packet_build_udp4(buf, cap, &self->v4, &target->v4, sport, tport,
		                         udp_ipid(key, target, tport, self, sport), pl, plen);
	return packet_build_udp6(buf, cap, &self->v6, &target->v6, sport, tport, pl, plen);
}

/*
 * Whether the ICMP error pi quotes our probe self:sport -> target:tport as we
 * built it: the IPv4 identification, the whole UDP header (ports, length,
 * checksum over the payload and its token) and the payload bytes quoted.
 */
static bool udp_quote_is_ours(const struct packet_info *pi, const uint8_t key[16],
                              const struct target_addr *self, const struct target_addr *target,
                              uint16_t sport, uint16_t tport)
{
	uint8_t probe[PACKET_UDP4_HDR + UDP_PAYLOAD_MAX];
	size_t n = udp_build(probe, sizeof(probe), self, target, sport, tport, key);
	size_t hdr = target->family == AF_INET ? PACKET_UDP4_HDR - 8 : 0, quoted;

	if (n < hdr + 8 || pi->inner_l4_len < 8)
		return false;
	if (target->family == AF_INET &&
	    pi->inner_ipid != udp_ipid(key, target, tport, self, sport))
		return false;
	quoted = pi->inner_l4_len < n - hdr ? pi->inner_l4_len : n - hdr;
	return memcmp(pi->inner_l4, probe + hdr, quoted) == 0;
}

static bool udp_match(const struct packet_info *pi, const uint8_t key[16], uint16_t lo, uint16_t hi,
                      struct rawscan_match *m)
{
	int t;

	if (pi->proto == IPPROTO_UDP) {
		int echoed;

		if (pi->dport < lo || pi->dport > hi)
			return false;
		/* From the probed port to the source port of one of its tries. */
		t = packet_sport_try(key, &pi->src, pi->sport, &pi->dst, pi->dport, RAWSCAN_TRIES);
		if (t < 0)
			return false;
		echoed = udp_payload_echoed(
		    pi->sport, packet_secret(key, 'T', &pi->src, pi->sport, &pi->dst, pi->dport),
		    pi->payload, pi->payload_len);
		m->state = SCAN_OPEN;
		m->reason = SCAN_REASON_UDP_RESPONSE;
		m->target = pi->src;
		m->tport = pi->sport;
		m->tryno = (unsigned)t;
		m->bare = echoed != 1;
		return true;
	}
	if (pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6) {
		enum scan_reason r =
		    rawscan_icmp_reason(pi->src.family, pi->icmp_type, pi->icmp_code);

		if (r == SCAN_REASON_NONE || !pi->has_inner || pi->inner_proto != IPPROTO_UDP ||
		    pi->inner_sport < lo || pi->inner_sport > hi)
			return false;
		t = packet_sport_try(key, &pi->inner_dst, pi->inner_dport, &pi->inner_src,
		                     pi->inner_sport, RAWSCAN_TRIES);
		if (t < 0 || !udp_quote_is_ours(pi, key, &pi->inner_src, &pi->inner_dst,
		                                pi->inner_sport, pi->inner_dport))
			return false;
		m->state = r == SCAN_REASON_PORT_UNREACH ? SCAN_CLOSED : SCAN_FILTERED;
		m->reason = r;
		m->target = pi->inner_dst;
		m->tport = pi->inner_dport;
		m->tryno = (unsigned)t;
		m->bare = false;
		return true;
	}
	return false;
}

const struct rawscan_ops rawscan_ops_udp = {
    .proto = IPPROTO_UDP,
    .filter = udp_filter,
    .build = udp_build,
    .match = udp_match,
    .silent_state = SCAN_OPEN_FILTERED,
    .paced = true,
    .hashed_sports = true,
};

static int udp_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                   size_t whylen)
{
	return rawscan_run(cfg, &rawscan_ops_udp, sink, why, whylen);
}

const struct scan_technique scan_tech_udp = {
    .name = "udp",
    .flag = "-sU",
    .help = "UDP scan (service payloads, paced to the ICMP rate limit)",
    .xml_type = "udp",
    .proto = IPPROTO_UDP,
    .needs_raw = true,
    .run = udp_run,
};
