/*
 * -sS: the TCP SYN scan as a raw technique. A SYN carries the probe's cookie
 * as its sequence number; a SYN-ACK (open) or RST (closed) counts only when it
 * acknowledges cookie + 1, an ICMP unreachable (filtered) only when the probe
 * it quotes carries the cookie. Anything else is ignored, however it looks.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "scan/engine.h"
#include "scan/rawscan.h"
#include "scan/technique.h"

static int syn_filter(char *buf, size_t len, uint16_t lo, uint16_t hi)
{
	int n = snprintf(buf, len, "(tcp dst portrange %u-%u) or icmp or icmp6", lo, hi);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static size_t syn_build(uint8_t *buf, size_t cap, const struct target_addr *self,
                        const struct target_addr *target, uint16_t sport, uint16_t tport,
                        const uint8_t key[16])
{
	uint32_t seq = packet_cookie(key, target, tport, self, sport);

	if (target->family == AF_INET)
		return packet_build_tcp4(buf, cap, &self->v4, &target->v4, sport, tport, seq);
	return packet_build_tcp6(buf, cap, &self->v6, &target->v6, sport, tport, seq);
}

static bool syn_match(const struct packet_info *pi, const uint8_t key[16], uint16_t lo, uint16_t hi,
                      struct rawscan_match *m)
{
	if (pi->proto == IPPROTO_TCP) {
		if (pi->dport < lo || pi->dport > hi || !(pi->tcp_flags & PKT_TCP_ACK))
			return false;
		if (pi->ack - 1 != packet_cookie(key, &pi->src, pi->sport, &pi->dst, pi->dport))
			return false;
		if ((pi->tcp_flags & (PKT_TCP_SYN | PKT_TCP_RST)) == PKT_TCP_SYN) {
			m->state = SCAN_OPEN;
			m->reason = SCAN_REASON_SYN_ACK;
		} else if (pi->tcp_flags & PKT_TCP_RST) {
			m->state = SCAN_CLOSED;
			m->reason = SCAN_REASON_RESET;
		} else {
			return false;
		}
		m->target = pi->src;
		m->tport = pi->sport;
		m->tryno = (unsigned)(pi->dport - lo);
		return true;
	}
	if (pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6) {
		enum scan_reason r =
		    rawscan_icmp_reason(pi->src.family, pi->icmp_type, pi->icmp_code);

		if (r == SCAN_REASON_NONE || !pi->has_inner || !pi->inner_has_seq ||
		    pi->inner_proto != IPPROTO_TCP || pi->inner_sport < lo || pi->inner_sport > hi)
			return false;
		if (pi->inner_seq != packet_cookie(key, &pi->inner_dst, pi->inner_dport,
		                                   &pi->inner_src, pi->inner_sport))
			return false;
		m->state = SCAN_FILTERED;
		m->reason = r;
		m->target = pi->inner_dst;
		m->tport = pi->inner_dport;
		m->tryno = (unsigned)(pi->inner_sport - lo);
		return true;
	}
	return false;
}

static const struct rawscan_ops syn_ops = {
    .proto = IPPROTO_TCP,
    .filter = syn_filter,
    .build = syn_build,
    .match = syn_match,
    .silent_state = SCAN_FILTERED,
};

static int syn_run(const struct scan_config *cfg, const struct scan_sink *sink, char *why,
                   size_t whylen)
{
	return rawscan_run(cfg, &syn_ops, sink, why, whylen);
}

const struct scan_technique scan_tech_syn = {
    .name = "syn",
    .flag = "-sS",
    .help = "TCP SYN scan (the default with CAP_NET_RAW)",
    .xml_type = "syn",
    .proto = IPPROTO_TCP,
    .needs_raw = true,
    .run = syn_run,
};
