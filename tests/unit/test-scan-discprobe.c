/* Host discovery packets: ARP, ND, ICMP queries built and checked; replies parsed from frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addr-helpers.h"
#include "scan/discovery.h"
#include "scan/discprobe.h"
#include "scan/packet.h"

static const uint8_t mymac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
static const uint8_t hismac[6] = {0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc};

/* An Ethernet frame from hismac carrying ip[0..len). */
static size_t eth_wrap(uint8_t *f, uint16_t type, const uint8_t *ip, size_t len)
{
	memcpy(f, mymac, 6);
	memcpy(f + 6, hismac, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	memcpy(f + 14, ip, len);
	return 14 + len;
}

static void test_check_bits(void **state)
{
	uint32_t c = 0xa5a5a5a5;

	(void)state;
	assert_int_equal(discprobe_check(c, 3), 0xa5a5a5a3);
	assert_int_equal(discprobe_try(c, discprobe_check(c, 0)), 0);
	assert_int_equal(discprobe_try(c, discprobe_check(c, 15)), 15);
	assert_int_equal(discprobe_try(c, discprobe_check(c ^ 0x10, 1)), -1);
}

static void test_arp_request_and_reply(void **state)
{
	struct target_addr me = v4("198.18.4.1"), him = v4("198.18.4.77");
	struct disc_reply r;
	uint8_t f[64];

	(void)state;
	assert_int_equal(discprobe_arp(f, DISCPROBE_ARP_LEN - 1, mymac, &me.v4, &him.v4), 0);
	assert_int_equal(discprobe_arp(f, sizeof(f), mymac, &me.v4, &him.v4), DISCPROBE_ARP_LEN);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(f + 6, mymac, 6);
	assert_int_equal(f[12] << 8 | f[13], 0x0806);
	assert_int_equal(f[20] << 8 | f[21], 1); /* request */
	assert_memory_equal(f + 28, &me.v4, 4);
	assert_memory_equal(f + 38, &him.v4, 4);
	/* A request is no answer. */
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, DISCPROBE_ARP_LEN, &r), 0);
	assert_int_equal(r.kind, DISC_REP_NONE);
	/* Turn it into his reply: oper 2, sender him (hismac), target us. */
	f[21] = 2;
	memcpy(f + 22, hismac, 6);
	memcpy(f + 28, &him.v4, 4);
	memcpy(f + 32, mymac, 6);
	memcpy(f + 38, &me.v4, 4);
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, DISCPROBE_ARP_LEN, &r), 0);
	assert_int_equal(r.kind, DISC_REP_ARP);
	assert_true(target_addr_equal(&r.host, &him));
	assert_true(target_addr_equal(&r.to, &me));
	assert_true(r.has_mac);
	assert_memory_equal(r.mac, hismac, 6);
	/* Truncated, or another hardware type: not an answer. */
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, 30, &r), -EINVAL);
	f[15] = 6;
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, DISCPROBE_ARP_LEN, &r), -EPROTONOSUPPORT);
}

static void test_ns_and_na(void **state)
{
	struct target_addr me = v6("fd00:5c09::1"), him = v6("fd00:5c09::12:3456");
	struct target_addr grp = v6("ff02::1:ff12:3456");
	struct disc_reply r;
	uint8_t f[128], *ip = f + 14, *icmp = f + 54;

	(void)state;
	assert_int_equal(discprobe_ns(f, 80, mymac, &me.v6, &him.v6), 0);
	assert_int_equal(discprobe_ns(f, sizeof(f), mymac, &me.v6, &him.v6), DISCPROBE_NS_LEN);
	assert_memory_equal(f, "\x33\x33\xff\x12\x34\x56", 6);
	assert_int_equal(f[12] << 8 | f[13], 0x86dd);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 24, &grp.v6, 16);
	assert_int_equal(icmp[0], 135);
	assert_memory_equal(icmp + 8, &him.v6, 16);
	assert_memory_equal(icmp + 26, mymac, 6);
	/* The checksum verifies over the pseudo-header. */
	assert_int_equal(
	    packet_checksum(icmp, 32, packet_pseudo_sum(&me, &grp, IPPROTO_ICMPV6, 32)), 0);
	/* His advertisement: from him to us, target him, with his link address. */
	memcpy(ip + 8, &him.v6, 16);
	memcpy(ip + 24, &me.v6, 16);
	icmp[0] = 136;
	icmp[4] = 0x60; /* solicited, override */
	icmp[24] = 2;   /* target link-layer address */
	memcpy(icmp + 26, hismac, 6);
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, DISCPROBE_NS_LEN, &r), 0);
	assert_int_equal(r.kind, DISC_REP_NA);
	assert_true(target_addr_equal(&r.host, &him));
	assert_true(target_addr_equal(&r.to, &me));
	assert_memory_equal(r.mac, hismac, 6);
	/* At any other hop limit it is forged (RFC 4861): ignored. */
	ip[7] = 64;
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, DISCPROBE_NS_LEN, &r), 0);
	assert_int_equal(r.kind, DISC_REP_NONE);
}

static void test_icmp4_queries(void **state)
{
	static const struct {
		enum disc_icmp q;
		size_t len;
		uint8_t reply;
		enum disc_rep_kind kind;
	} cases[] = {
	    {DISC_ICMP_ECHO, 28, 0, DISC_REP_ECHO},
	    {DISC_ICMP_TIMESTAMP, 40, 14, DISC_REP_TIMESTAMP},
	    {DISC_ICMP_MASK, 32, 18, DISC_REP_MASK},
	};
	struct target_addr me = v4("198.18.4.1"), him = v4("198.18.8.9");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t p[64], f[128];
		struct disc_reply r;
		size_t n;

		assert_int_equal(
		    discprobe_icmp4(p, cases[i].len - 1, &me.v4, &him.v4, cases[i].q, 0x12345670),
		    0);
		n = discprobe_icmp4(p, sizeof(p), &me.v4, &him.v4, cases[i].q, 0x12345671);
		assert_int_equal(n, cases[i].len);
		assert_int_equal(p[9], IPPROTO_ICMP);
		assert_int_equal(p[20], cases[i].q);
		assert_int_equal(packet_checksum(p, 20, 0), 0);
		assert_int_equal(packet_checksum(p + 20, n - 20, 0), 0);
		/* The reply: addresses swapped, type of the reply, fields echoed. */
		memcpy(p + 12, &him.v4, 4);
		memcpy(p + 16, &me.v4, 4);
		p[8] = 63;
		p[20] = cases[i].reply;
		assert_int_equal(discprobe_parse(DLT_EN10MB, f, eth_wrap(f, 0x0800, p, n), &r), 0);
		assert_int_equal(r.kind, cases[i].kind);
		assert_true(target_addr_equal(&r.host, &him));
		assert_int_equal(r.check, 0x12345671);
		assert_int_equal(r.ttl, 63);
		assert_memory_equal(r.mac, hismac, 6);
	}
}

static void test_icmp6_echo(void **state)
{
	struct target_addr me = v6("fd00:5c09::1"), him = v6("fd00:5c09:1::9");
	struct disc_reply r;
	uint8_t ip[48], f[128];

	(void)state;
	assert_int_equal(discprobe_icmp6_echo(ip + 40, 7, &me.v6, &him.v6, 1), 0);
	assert_int_equal(discprobe_icmp6_echo(ip + 40, 8, &me.v6, &him.v6, 0xcafe0002), 8);
	assert_int_equal(ip[40], 128);
	assert_int_equal(
	    packet_checksum(ip + 40, 8, packet_pseudo_sum(&me, &him, IPPROTO_ICMPV6, 8)), 0);
	packet_ip6_header(ip, 8, IPPROTO_ICMPV6, &him.v6, &me.v6);
	ip[40] = 129;
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, eth_wrap(f, 0x86dd, ip, 48), &r), 0);
	assert_int_equal(r.kind, DISC_REP_ECHO);
	assert_int_equal(r.check, 0xcafe0002);
	assert_true(target_addr_equal(&r.host, &him));
}

/* An ICMP error quoting our echo request: the check comes back in the quote. */
static void test_error_quotes_query(void **state)
{
	struct target_addr me = v4("198.18.4.1"), him = v4("198.18.8.9"), gw = v4("198.18.4.254");
	uint8_t q[28], e[64], f[128];
	struct disc_reply r;

	(void)state;
	assert_int_equal(discprobe_icmp4(q, sizeof(q), &me.v4, &him.v4, DISC_ICMP_ECHO, 0xbeef0003),
	                 28);
	memset(e, 0, sizeof(e));
	packet_ip4_header(e, 20 + 8 + 28, IPPROTO_ICMP, 1, &gw.v4, &me.v4);
	e[20] = 3; /* host unreachable */
	e[21] = 1;
	memcpy(e + 28, q, 28);
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, eth_wrap(f, 0x0800, e, 56), &r), 0);
	assert_int_equal(r.kind, DISC_REP_ERROR);
	assert_true(target_addr_equal(&r.host, &him));
	assert_true(target_addr_equal(&r.from, &gw));
	assert_int_equal(r.inner_proto, IPPROTO_ICMP);
	assert_true(r.inner_has_check);
	assert_int_equal(r.inner_check, 0xbeef0003);
	assert_int_equal(r.sport >> 8, DISC_ICMP_ECHO); /* the quoted type */
	assert_int_equal(disc_icmp_reason(AF_INET, r.icmp_type, r.icmp_code),
	                 SCAN_REASON_HOST_UNREACH);
}

/* A TCP ACK probe, its RST (seq = our ack) and a SYN-ACK to a SYN probe. */
static void test_tcp_replies(void **state)
{
	struct target_addr me = v4("198.18.4.1"), him = v4("198.18.8.9");
	uint8_t p[64], f[128];
	struct disc_reply r;

	(void)state;
	assert_int_equal(packet_build_tcp_ack4(p, 39, &me.v4, &him.v4, 53000, 80, 7), 0);
	assert_int_equal(
	    packet_build_tcp_ack4(p, sizeof(p), &me.v4, &him.v4, 53001, 80, 0x11223344),
	    PACKET_TCPACK4_LEN);
	assert_int_equal(p[33], PKT_TCP_ACK);
	assert_int_equal(packet_checksum(p + 20, 20, packet_pseudo_sum(&me, &him, IPPROTO_TCP, 20)),
	                 0);
	/* His RST: ports and addresses swapped, seq = our ack. */
	memcpy(p + 12, &him.v4, 4);
	memcpy(p + 16, &me.v4, 4);
	p[20] = 0, p[21] = 80, p[22] = 0xcf, p[23] = 0x09; /* 80 -> 53001 */
	memcpy(p + 24, "\x11\x22\x33\x44", 4);
	p[33] = PKT_TCP_RST;
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, eth_wrap(f, 0x0800, p, 40), &r), 0);
	assert_int_equal(r.kind, DISC_REP_TCP);
	assert_int_equal(r.seq, 0x11223344);
	assert_int_equal(r.dport, 53001);
	assert_int_equal(r.sport, 80);
	assert_int_equal(r.tcp_flags, PKT_TCP_RST);
}

static void test_icmp_reasons(void **state)
{
	(void)state;
	assert_int_equal(disc_icmp_reason(AF_INET, 3, 3), SCAN_REASON_PORT_UNREACH);
	assert_int_equal(disc_icmp_reason(AF_INET, 3, 2), SCAN_REASON_PROTO_UNREACH);
	assert_int_equal(disc_icmp_reason(AF_INET, 3, 0), SCAN_REASON_NET_UNREACH);
	assert_int_equal(disc_icmp_reason(AF_INET, 3, 13), SCAN_REASON_ADMIN_PROHIBITED);
	assert_int_equal(disc_icmp_reason(AF_INET, 11, 0), SCAN_REASON_TIME_EXCEEDED);
	assert_int_equal(disc_icmp_reason(AF_INET, 0, 0), SCAN_REASON_NONE);
	assert_int_equal(disc_icmp_reason(AF_INET6, 1, 4), SCAN_REASON_PORT_UNREACH);
	assert_int_equal(disc_icmp_reason(AF_INET6, 1, 3), SCAN_REASON_HOST_UNREACH);
	assert_int_equal(disc_icmp_reason(AF_INET6, 1, 1), SCAN_REASON_ADMIN_PROHIBITED);
	assert_int_equal(disc_icmp_reason(AF_INET6, 3, 0), SCAN_REASON_TIME_EXCEEDED);
	assert_int_equal(disc_icmp_reason(AF_INET6, 129, 0), SCAN_REASON_NONE);
	assert_string_equal(scan_reason_name(SCAN_REASON_ARP_RESPONSE), "arp-response");
	assert_string_equal(scan_reason_name(SCAN_REASON_LOCALHOST), "localhost-response");
	assert_string_equal(scan_reason_name(SCAN_REASON_HOST_MAX), "unknown");
}

/* Link types: cooked captures carry the sender's MAC; unknown ones and garbage are refused. */
static void test_links_and_garbage(void **state)
{
	struct target_addr me = v4("198.18.4.1"), him = v4("198.18.4.77");
	uint8_t f[64], sll[64];
	struct disc_reply r;

	(void)state;
	assert_int_equal(discprobe_arp(f, sizeof(f), hismac, &him.v4, &me.v4), DISCPROBE_ARP_LEN);
	f[21] = 2;
	memset(sll, 0, sizeof(sll));
	sll[3] = 1; /* hatype Ethernet */
	sll[5] = 6;
	memcpy(sll + 6, hismac, 6);
	sll[14] = 0x08;
	sll[15] = 0x06;
	memcpy(sll + 16, f + 14, 28);
	assert_int_equal(discprobe_parse(DLT_LINUX_SLL, sll, 44, &r), 0);
	assert_int_equal(r.kind, DISC_REP_ARP);
	assert_true(target_addr_equal(&r.host, &him));
	assert_int_equal(discprobe_parse(DLT_IEEE802_11, f, 42, &r), -EPROTONOSUPPORT);
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, 14, &r), -EINVAL);
	assert_int_equal(discprobe_parse(DLT_EN10MB, NULL, 0, &r), -EINVAL);
	f[12] = 0x88; /* an ethertype discovery does not know */
	f[13] = 0xcc;
	assert_int_equal(discprobe_parse(DLT_EN10MB, f, 42, &r), -EPROTONOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_bits),        cmocka_unit_test(test_arp_request_and_reply),
	    cmocka_unit_test(test_ns_and_na),         cmocka_unit_test(test_icmp4_queries),
	    cmocka_unit_test(test_icmp6_echo),        cmocka_unit_test(test_error_quotes_query),
	    cmocka_unit_test(test_tcp_replies),       cmocka_unit_test(test_icmp_reasons),
	    cmocka_unit_test(test_links_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
