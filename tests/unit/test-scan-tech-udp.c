/*
 * The UDP scan's reply validation (tech-udp.c): which forged ICMP errors and
 * UDP datagrams are refused, and which real answers are proof of a probe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/packet.h"
#include "scan/rawscan.h"
#include "scan/udp-payloads.h"

static const uint8_t key[16] = "portscope-test-k";
static const struct rawscan_ops *ops = &rawscan_ops_udp;

static struct target_addr addr(const char *s)
{
	struct target_addr a = {.family = strchr(s, ':') ? AF_INET6 : AF_INET};

	assert_int_equal(inet_pton(a.family, s, &a.v6), 1);
	return a;
}

/* The probe to target:tport on try tryno as the scan sends it; its length. */
static size_t probe(uint8_t *buf, size_t cap, const struct target_addr *self,
                    const struct target_addr *target, uint16_t tport, unsigned tryno)
{
	uint16_t sport = packet_sport(key, target, tport, self, tryno);
	size_t n = ops->build(buf, cap, self, target, sport, tport, key);

	assert_true(n > 0);
	return n;
}

/* An ICMP(v6) port unreachable from target quoting the first qlen bytes of probe q. */
static size_t icmp_error(uint8_t *pkt, const struct target_addr *self,
                         const struct target_addr *target, const uint8_t *q, size_t qlen)
{
	if (target->family == AF_INET) {
		memset(pkt, 0, 28);
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)((28 + qlen) >> 8);
		pkt[3] = (uint8_t)(28 + qlen);
		pkt[8] = 64;
		pkt[9] = IPPROTO_ICMP;
		memcpy(pkt + 12, &target->v4, 4);
		memcpy(pkt + 16, &self->v4, 4);
		pkt[20] = 3;
		pkt[21] = 3;
		memcpy(pkt + 28, q, qlen);
		return 28 + qlen;
	}
	/* ICMPv6 quotes the whole IPv6 packet: our segment behind the kernel's header. */
	packet_ip6_header(pkt, 8 + 40 + qlen, IPPROTO_ICMPV6, &target->v6, &self->v6);
	memset(pkt + 40, 0, 8);
	pkt[40] = 1;
	pkt[41] = 4;
	packet_ip6_header(pkt + 48, qlen, IPPROTO_UDP, &self->v6, &target->v6);
	memcpy(pkt + 88, q, qlen);
	return 88 + qlen;
}

/* A UDP datagram from target:sport to self:dport carrying payload. */
static size_t udp_reply(uint8_t *pkt, const struct target_addr *self,
                        const struct target_addr *target, uint16_t sport, uint16_t dport,
                        const uint8_t *payload, size_t plen)
{
	return packet_build_udp4(pkt, 1500, &target->v4, &self->v4, sport, dport, 1, payload, plen);
}

static bool match(const uint8_t *pkt, size_t len, struct rawscan_match *m)
{
	struct packet_info pi;

	memset(m, 0, sizeof(*m));
	assert_int_equal(packet_parse_ip(pkt, len, &pi), 0);
	return ops->match(&pi, key, PACKET_SPORT_LO, PACKET_SPORT_LO + PACKET_SPORT_SPAN - 1, m);
}

static void test_sports(void **state)
{
	struct target_addr s = addr("198.18.0.1"), t = addr("198.18.0.2");
	unsigned distinct = 0;

	(void)state;
	assert_true(ops->hashed_sports);
	for (unsigned i = 0; i < 16; i++) {
		uint16_t p = packet_sport(key, &t, 161, &s, i);

		assert_true(p >= PACKET_SPORT_LO);
		assert_int_equal(packet_sport(key, &t, 161, &s, i), p);
		if (packet_sport_try(key, &t, 161, &s, p, 16) == (int)i)
			distinct++;
	}
	assert_true(distinct >= 15); /* two tries may draw one port: the first is found */
	assert_int_not_equal(packet_sport(key, &t, 161, &s, 0), packet_sport(key, &t, 162, &s, 0));
	assert_int_equal(packet_sport_try(key, &t, 161, &s, 1000, 16), -1);
}

/* ICMP errors: only a quote of our probe, byte for byte, counts. */
static void test_icmp_quote(void **state)
{
	struct target_addr s = addr("198.18.0.1"), t = addr("198.18.0.2");
	uint8_t q[200], pkt[400];
	struct rawscan_match m;
	size_t n, len;

	(void)state;
	for (unsigned port = 0; port < 3; port++) {
		uint16_t tport = port == 0 ? 161 : port == 1 ? 40000 : 53;

		n = probe(q, sizeof(q), &s, &t, tport, 2);
		/* The whole probe, and only its UDP header (RFC 792's minimum). */
		len = icmp_error(pkt, &s, &t, q, n);
		assert_true(match(pkt, len, &m));
		assert_int_equal(m.state, SCAN_CLOSED);
		assert_int_equal(m.tport, tport);
		assert_int_equal(m.tryno, 2);
		assert_false(m.bare);
		assert_true(match(pkt, icmp_error(pkt, &s, &t, q, 28), &m));
		/* Another IP id, checksum, length or payload byte: not ours. */
		for (size_t off = 4; off < n; off++) {
			if (off >= 6 && off < 20)
				continue; /* flags, TTL, protocol, header checksum, addresses */
			len = icmp_error(pkt, &s, &t, q, n);
			pkt[28 + off] ^= 0x40;
			if (off >= 20 && off < 24) /* the ports: another probe, or none */
				continue;
			assert_false(match(pkt, len, &m));
		}
	}
	/* A try's source port of another target port: not ours. */
	n = probe(q, sizeof(q), &s, &t, 40000, 0);
	q[22] = 0x9c;
	q[23] = 0x41; /* 40001 */
	assert_false(match(pkt, icmp_error(pkt, &s, &t, q, n), &m));
}

static void test_icmp6_quote(void **state)
{
	struct target_addr s = addr("fd00:5c09::1"), t = addr("fd00:5c09::2");
	uint8_t q[200], pkt[400];
	struct rawscan_match m;
	size_t n = probe(q, sizeof(q), &s, &t, 5353, 0);

	(void)state;
	assert_true(match(pkt, icmp_error(pkt, &s, &t, q, n), &m));
	assert_int_equal(m.state, SCAN_CLOSED);
	assert_int_equal(m.tport, 5353);
	q[9] ^= 1; /* the token */
	assert_false(match(pkt, icmp_error(pkt, &s, &t, q, n), &m));
}

/* UDP replies: from the probed port to a try's source port; a repeated token is proof. */
static void test_udp_replies(void **state)
{
	struct target_addr s = addr("198.18.0.1"), t = addr("198.18.0.2");
	uint8_t q[200], pkt[400], answer[64];
	struct rawscan_match m;
	uint16_t sport = packet_sport(key, &t, 53, &s, 1);
	size_t n = probe(q, sizeof(q), &s, &t, 53, 1);

	(void)state;
	/* A DNS answer repeats the query's id (the token). */
	memcpy(answer, q + 28, n - 28);
	answer[2] |= 0x80;
	assert_true(match(pkt, udp_reply(pkt, &s, &t, 53, sport, answer, n - 28), &m));
	assert_int_equal(m.state, SCAN_OPEN);
	assert_int_equal(m.tryno, 1);
	assert_false(m.bare);
	/* portscope's old fixed id, or any other: a bare reply. */
	answer[0] = 0x70;
	answer[1] = 0x73;
	assert_true(match(pkt, udp_reply(pkt, &s, &t, 53, sport, answer, n - 28), &m));
	assert_true(m.bare);
	/* From another port, or to another source port: no probe of ours. */
	assert_false(match(pkt, udp_reply(pkt, &s, &t, 54, sport, answer, n - 28), &m));
	assert_false(match(pkt, udp_reply(pkt, &s, &t, 53, (uint16_t)(sport ^ 1), answer, 12), &m));
	assert_false(match(pkt, udp_reply(pkt, &s, &t, 53, 61000, answer, 12), &m));
	/* A service whose probe has no token: always bare. */
	sport = packet_sport(key, &t, 40000, &s, 0);
	assert_true(
	    match(pkt, udp_reply(pkt, &s, &t, 40000, sport, (const uint8_t *)"pong", 4), &m));
	assert_true(m.bare);
	assert_int_equal(m.tport, 40000);
}

/* Each payload with a token: built with it, and an answer that repeats it is recognised. */
static void test_payload_tokens(void **state)
{
	static const uint16_t ports[] = {53, 123, 137, 161, 5353, 11211};
	uint8_t a[UDP_PAYLOAD_MAX], b[UDP_PAYLOAD_MAX], reply[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		size_t n = udp_payload_build(ports[i], 0x1122334455667788ull, a, sizeof(a));
		size_t m = udp_payload_build(ports[i], 0x99aabbccddeeff00ull, b, sizeof(b));
		const uint8_t *plain;
		size_t plen;

		plain = udp_payload_for(ports[i], &plen);
		assert_int_equal(n, plen);
		assert_int_equal(m, plen);
		assert_memory_not_equal(a, b, n);
		memset(reply, 0, sizeof(reply));
		switch (ports[i]) {
		case 123: /* NTP: the transmit timestamp comes back as the origin timestamp */
			memcpy(reply + 24, a + 40, 8);
			break;
		case 161: /* SNMP: GetResponse with the request-id */
			memcpy(reply, a, n);
			reply[13] = 0xa2;
			break;
		default:
			memcpy(reply, a, 2);
		}
		assert_int_equal(udp_payload_echoed(ports[i], 0x1122334455667788ull, reply, 48), 1);
		assert_int_equal(udp_payload_echoed(ports[i], 0x99aabbccddeeff00ull, reply, 48), 0);
		assert_int_equal(udp_payload_echoed(ports[i], 0x1122334455667788ull, reply, 1), 0);
		(void)plain;
	}
	/* The SNMP request-id is a positive INTEGER of four bytes, whatever the token. */
	for (uint64_t tok = 0; tok < 512; tok++) {
		udp_payload_build(161, tok * 0x0101010101010101ull, a, sizeof(a));
		assert_true(a[17] >= 1 && a[17] <= 0x7f);
	}
	assert_int_equal(udp_payload_echoed(40000, 1, reply, 8), -1);
	assert_int_equal(udp_payload_echoed(1900, 1, reply, 8), -1);
	assert_int_equal(udp_payload_build(40000, 1, a, sizeof(a)), 0);
	assert_int_equal(udp_payload_build(1900, 1, a, 8), 0); /* does not fit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sports),         cmocka_unit_test(test_icmp_quote),
	    cmocka_unit_test(test_icmp6_quote),    cmocka_unit_test(test_udp_replies),
	    cmocka_unit_test(test_payload_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
