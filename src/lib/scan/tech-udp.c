/*
 * -sU: the UDP scan as a raw technique. Probes carry a service payload where
 * one is known (udp-payloads.h), an empty one elsewhere; an IPv4 probe's IP
 * identification is its cookie, which an ICMP error quotes back.
 *   open            any UDP reply from the port (udp-response)
 *   closed          ICMP port unreachable (port-unreach)
 *   filtered        another ICMP unreachable
 *   open|filtered   silence after the paced retries
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "scan/engine.h"
#include "scan/rawscan.h"
#include "scan/technique.h"
#include "scan/udp-payloads.h"

static int udp_filter(char *buf, size_t len, uint16_t lo, uint16_t hi)
{
	int n = snprintf(buf, len, "(udp dst portrange %u-%u) or icmp or icmp6", lo, hi);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static size_t udp_build(uint8_t *buf, size_t cap, const struct target_addr *self,
                        const struct target_addr *target, uint16_t sport, uint16_t tport,
                        const uint8_t key[16])
{
	size_t plen;
	const uint8_t *pl = udp_payload_for(tport, &plen);

	if (target->family == AF_INET) {
		uint16_t id = (uint16_t)packet_cookie(key, target, tport, self, sport);

		return packet_build_udp4(buf, cap, &self->v4, &target->v4, sport, tport, id, pl,
		                         plen);
	}
	return packet_build_udp6(buf, cap, &self->v6, &target->v6, sport, tport, pl, plen);
}

static bool udp_match(const struct packet_info *pi, const uint8_t key[16], uint16_t lo, uint16_t hi,
                      struct rawscan_match *m)
{
	if (pi->proto == IPPROTO_UDP) {
		if (pi->dport < lo || pi->dport > hi)
			return false;
		m->state = SCAN_OPEN;
		m->reason = SCAN_REASON_UDP_RESPONSE;
		m->target = pi->src;
		m->tport = pi->sport;
		m->tryno = (unsigned)(pi->dport - lo);
		return true;
	}
	if (pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6) {
		enum scan_reason r =
		    rawscan_icmp_reason(pi->src.family, pi->icmp_type, pi->icmp_code);

		if (r == SCAN_REASON_NONE || !pi->has_inner || pi->inner_proto != IPPROTO_UDP ||
		    pi->inner_sport < lo || pi->inner_sport > hi)
			return false;
		if (pi->inner_dst.family == AF_INET &&
		    pi->inner_ipid != (uint16_t)packet_cookie(key, &pi->inner_dst, pi->inner_dport,
		                                              &pi->inner_src, pi->inner_sport))
			return false;
		m->state = r == SCAN_REASON_PORT_UNREACH ? SCAN_CLOSED : SCAN_FILTERED;
		m->reason = r;
		m->target = pi->inner_dst;
		m->tport = pi->inner_dport;
		m->tryno = (unsigned)(pi->inner_sport - lo);
		return true;
	}
	return false;
}

static const struct rawscan_ops udp_ops = {
    .proto = IPPROTO_UDP,
    .filter = udp_filter,
    .build = udp_build,
    .match = udp_match,
    .silent_state = SCAN_OPEN_FILTERED,
    .paced = true,
};

static int udp_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                   size_t whylen)
{
	return rawscan_run(cfg, &udp_ops, sink, why, whylen);
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
