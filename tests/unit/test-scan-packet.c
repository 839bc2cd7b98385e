/* Raw packets: probes built, checksummed and parsed back; replies, ICMP quotes, hostile input. */
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
#include "scan/packet.h"
#include "scan/rawscan.h"
#include "scan/technique.h"
#include "scan/udp-payloads.h"

/* The transport checksum of an IPv4 packet verifies (sums to 0 with the pseudo-header). */
static void assert_l4_sum4(const uint8_t *p, size_t len)
{
	uint8_t pseudo[12];
	size_t ihl = (size_t)(p[0] & 15) * 4;
	uint32_t sum = 0;

	memcpy(pseudo, p + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = p[9];
	pseudo[10] = (uint8_t)((len - ihl) >> 8);
	pseudo[11] = (uint8_t)(len - ihl);
	for (size_t i = 0; i < 12; i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	assert_int_equal(packet_checksum(p + ihl, len - ihl, sum), 0);
	assert_int_equal(packet_checksum(p, ihl, 0), 0); /* the IP header's own */
}

static void test_syn4_roundtrip(void **state)
{
	struct target_addr s = v4("198.18.0.1"), d = v4("198.18.0.2");
	struct packet_info pi;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(packet_build_tcp4(buf, 43, &s.v4, &d.v4, 61000, 80, 1), 0);
	assert_int_equal(packet_build_tcp4(buf, sizeof(buf), &s.v4, &d.v4, 61000, 80, 0xdeadbeef),
	                 PACKET_TCP4_LEN);
	assert_l4_sum4(buf, PACKET_TCP4_LEN);
	assert_int_equal(packet_parse_ip(buf, PACKET_TCP4_LEN, &pi), 0);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_int_equal(pi.src.v4.s_addr, s.v4.s_addr);
	assert_int_equal(pi.dst.v4.s_addr, d.v4.s_addr);
	assert_int_equal(pi.sport, 61000);
	assert_int_equal(pi.dport, 80);
	assert_int_equal(pi.seq, 0xdeadbeef);
	assert_int_equal(pi.tcp_flags, PKT_TCP_SYN);
	assert_int_equal(pi.ttl, 64);
	/* Every truncation is refused, never read past. */
	for (size_t n = 0; n < 40; n++)
		assert_int_equal(packet_parse_ip(buf, n, &pi), -EINVAL);
}

static void test_syn6_checksum(void **state)
{
	struct target_addr s = v6("fd00:5c09::1"), d = v6("fd00:5c09::2");
	uint8_t seg[PACKET_TCP6_LEN], pseudo[40];
	uint32_t sum = 0;

	(void)state;
	assert_int_equal(packet_build_tcp6(seg, sizeof(seg), &s.v6, &d.v6, 61001, 443, 7),
	                 PACKET_TCP6_LEN);
	memcpy(pseudo, &s.v6, 16);
	memcpy(pseudo + 16, &d.v6, 16);
	memset(pseudo + 32, 0, 8);
	pseudo[35] = PACKET_TCP6_LEN;
	pseudo[39] = IPPROTO_TCP;
	for (size_t i = 0; i < 40; i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	assert_int_equal(packet_checksum(seg, sizeof(seg), sum), 0);
	assert_int_equal(seg[13], PKT_TCP_SYN);
	assert_int_equal(seg[0] << 8 | seg[1], 61001);
}

static void test_udp4(void **state)
{
	struct target_addr s = v4("198.18.0.1"), d = v4("198.18.0.2");
	const uint8_t payload[] = "hello";
	struct packet_info pi;
	uint8_t buf[64];
	size_t n;

	(void)state;
	n = packet_build_udp4(buf, sizeof(buf), &s.v4, &d.v4, 5353, 53, 9, payload, 5);
	assert_int_equal(n, PACKET_UDP4_HDR + 5);
	assert_l4_sum4(buf, n);
	assert_int_equal(packet_parse_ip(buf, n, &pi), 0);
	assert_int_equal(pi.proto, IPPROTO_UDP);
	assert_int_equal(pi.payload_len, 5);
	assert_memory_equal(pi.payload, "hello", 5);
	assert_int_equal(packet_build_udp4(buf, 20, &s.v4, &d.v4, 1, 2, 0, payload, 5), 0);
	n = packet_build_udp6(buf, sizeof(buf), &s.v6, &d.v6, 1, 2, payload, 5);
	assert_int_equal(n, PACKET_UDP6_HDR + 5);
}

/* An IPv4 header of len total bytes, protocol proto, from src to dst. */
static void ip4(uint8_t *p, size_t len, uint8_t proto, const char *src, const char *dst)
{
	struct target_addr s = v4(src), d = v4(dst);

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 63;
	p[9] = proto;
	memcpy(p + 12, &s.v4, 4);
	memcpy(p + 16, &d.v4, 4);
}

static void test_icmp_quote(void **state)
{
	struct target_addr s = v4("198.18.0.1"), d = v4("198.18.0.2");
	struct packet_info pi;
	uint8_t pkt[20 + 8 + PACKET_TCP4_LEN];

	(void)state;
	ip4(pkt, sizeof(pkt), IPPROTO_ICMP, "198.18.0.2", "198.18.0.1");
	memset(pkt + 20, 0, 8);
	pkt[20] = 3;  /* unreachable */
	pkt[21] = 13; /* administratively prohibited */
	packet_build_tcp4(pkt + 28, PACKET_TCP4_LEN, &s.v4, &d.v4, 61002, 8082, 0x01020304);
	assert_int_equal(packet_parse_ip(pkt, sizeof(pkt), &pi), 0);
	assert_int_equal(pi.proto, IPPROTO_ICMP);
	assert_true(pi.has_inner && pi.inner_has_seq);
	assert_int_equal(pi.inner_proto, IPPROTO_TCP);
	assert_int_equal(pi.inner_sport, 61002);
	assert_int_equal(pi.inner_dport, 8082);
	assert_int_equal(pi.inner_seq, 0x01020304);
	assert_int_equal(pi.inner_dst.v4.s_addr, d.v4.s_addr);
	assert_int_equal(rawscan_icmp_reason(AF_INET, pi.icmp_type, pi.icmp_code),
	                 SCAN_REASON_ADMIN_PROHIBITED);
	/* The quote cut to its ports: no sequence number. */
	assert_int_equal(packet_parse_ip(pkt, 20 + 8 + 20 + 4, &pi), 0);
	assert_true(pi.has_inner && !pi.inner_has_seq);
	/* Cut inside the quoted header: no quote at all. */
	assert_int_equal(packet_parse_ip(pkt, 20 + 8 + 19, &pi), 0);
	assert_false(pi.has_inner);
	/* Echo replies quote nothing. */
	pkt[20] = 0;
	assert_int_equal(packet_parse_ip(pkt, sizeof(pkt), &pi), 0);
	assert_false(pi.has_inner);
}

static void test_icmp_reasons(void **state)
{
	(void)state;
	assert_int_equal(rawscan_icmp_reason(AF_INET, 3, 3), SCAN_REASON_PORT_UNREACH);
	assert_int_equal(rawscan_icmp_reason(AF_INET, 3, 1), SCAN_REASON_HOST_UNREACH);
	assert_int_equal(rawscan_icmp_reason(AF_INET, 3, 0), SCAN_REASON_NET_UNREACH);
	assert_int_equal(rawscan_icmp_reason(AF_INET, 11, 0), SCAN_REASON_NONE);
	assert_int_equal(rawscan_icmp_reason(AF_INET6, 1, 4), SCAN_REASON_PORT_UNREACH);
	assert_int_equal(rawscan_icmp_reason(AF_INET6, 1, 1), SCAN_REASON_ADMIN_PROHIBITED);
	assert_int_equal(rawscan_icmp_reason(AF_INET6, 128, 0), SCAN_REASON_NONE);
}

static void test_ipv6_reply_and_ext(void **state)
{
	struct target_addr s = v6("fd00:5c09::2"), d = v6("fd00:5c09::1");
	uint8_t pkt[40 + 8 + 20];
	struct packet_info pi;

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[5] = 28; /* payload length */
	pkt[6] = 60; /* destination options, then TCP */
	pkt[7] = 64;
	memcpy(pkt + 8, &s.v6, 16);
	memcpy(pkt + 24, &d.v6, 16);
	pkt[40] = IPPROTO_TCP;
	pkt[41] = 0; /* 8 bytes */
	pkt[48] = 0;
	pkt[49] = 22;
	pkt[50] = 0xee;
	pkt[51] = 0x48;
	pkt[60] = 5 << 4;
	pkt[61] = PKT_TCP_SYN | PKT_TCP_ACK;
	pkt[56] = 0x12; /* ack */
	assert_int_equal(packet_parse_ip(pkt, sizeof(pkt), &pi), 0);
	assert_int_equal(pi.proto, IPPROTO_TCP);
	assert_int_equal(pi.sport, 22);
	assert_int_equal(pi.dport, 61000);
	assert_int_equal(pi.ack >> 24, 0x12);
	assert_int_equal(pi.tcp_flags, PKT_TCP_SYN | PKT_TCP_ACK);
	assert_int_equal(pi.src.family, AF_INET6);
	/* An extension header claiming more than there is. */
	pkt[41] = 9;
	assert_int_equal(packet_parse_ip(pkt, sizeof(pkt), &pi), -EINVAL);
	/* A later fragment has no transport header. */
	pkt[6] = 44;
	pkt[40] = IPPROTO_TCP;
	pkt[42] = 0;
	pkt[43] = 8;
	assert_int_equal(packet_parse_ip(pkt, sizeof(pkt), &pi), -EPROTONOSUPPORT);
}

static void test_hostile_ipv4(void **state)
{
	uint8_t pkt[60];
	struct packet_info pi;

	(void)state;
	ip4(pkt, 40, IPPROTO_TCP, "198.18.0.2", "198.18.0.1");
	memset(pkt + 20, 0, 40);
	pkt[32] = 5 << 4;
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), 0);
	pkt[32] = 15 << 4; /* data offset past the end */
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EINVAL);
	pkt[32] = 4 << 4; /* data offset under the header */
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EINVAL);
	pkt[32] = 5 << 4;
	pkt[3] = 10; /* total length under the header */
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EINVAL);
	pkt[3] = 40;
	pkt[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EINVAL);
	pkt[0] = 0x45;
	pkt[7] = 1; /* fragment offset 8 */
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EPROTONOSUPPORT);
	pkt[7] = 0;
	pkt[9] = IPPROTO_GRE;
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EPROTONOSUPPORT);
	pkt[0] = 0x55;
	assert_int_equal(packet_parse_ip(pkt, 40, &pi), -EINVAL);
	assert_int_equal(packet_parse_ip(NULL, 0, &pi), -EINVAL);
}

static void test_strip_link(void **state)
{
	uint8_t f[64] = {0};
	const uint8_t *ip;
	size_t len;

	(void)state;
	f[12] = 0x08; /* Ethernet, IPv4 */
	assert_int_equal(packet_strip_link(DLT_EN10MB, f, 40, &ip, &len), 0);
	assert_ptr_equal(ip, f + 14);
	assert_int_equal(len, 26);
	f[12] = 0x81; /* a VLAN tag, then IPv6 */
	f[16] = 0x86;
	f[17] = 0xdd;
	assert_int_equal(packet_strip_link(DLT_EN10MB, f, 40, &ip, &len), 0);
	assert_ptr_equal(ip, f + 18);
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_int_equal(packet_strip_link(DLT_EN10MB, f, 40, &ip, &len), -EPROTONOSUPPORT);
	assert_int_equal(packet_strip_link(DLT_EN10MB, f, 10, &ip, &len), -EINVAL);
	memset(f, 0, sizeof(f));
	f[14] = 0x08; /* cooked v1 */
	assert_int_equal(packet_strip_link(DLT_LINUX_SLL, f, 40, &ip, &len), 0);
	assert_ptr_equal(ip, f + 16);
	assert_int_equal(packet_strip_link(DLT_LINUX_SLL, f, 16, &ip, &len), -EINVAL);
	f[0] = 0x86; /* cooked v2 */
	f[1] = 0xdd;
	assert_int_equal(packet_strip_link(DLT_LINUX_SLL2, f, 60, &ip, &len), 0);
	assert_ptr_equal(ip, f + 20);
	assert_int_equal(packet_strip_link(DLT_RAW, f, 60, &ip, &len), 0);
	assert_ptr_equal(ip, f);
	assert_int_equal(packet_strip_link(DLT_IEEE802_11, f, 60, &ip, &len), -EPROTONOSUPPORT);
}

static void test_cookie(void **state)
{
	uint8_t key[16] = {9, 8, 7};
	struct target_addr t = v4("198.18.0.2"), s = v4("198.18.0.1");
	struct target_addr t6 = v6("fd00:5c09::2"), s6 = v6("fd00:5c09::1");
	uint32_t c = packet_cookie(key, &t, 80, &s, 61000);

	(void)state;
	assert_int_equal(c, packet_cookie(key, &t, 80, &s, 61000));
	assert_int_not_equal(c, packet_cookie(key, &t, 81, &s, 61000));
	assert_int_not_equal(c, packet_cookie(key, &t, 80, &s, 61001));
	assert_int_not_equal(c, packet_cookie(key, &s, 80, &t, 61000));
	assert_int_not_equal(packet_cookie(key, &t6, 80, &s6, 61000),
	                     packet_cookie(key, &s6, 80, &t6, 61000));
	key[15] ^= 1;
	assert_int_not_equal(c, packet_cookie(key, &t, 80, &s, 61000));
}

static void test_udp_payloads(void **state)
{
	const uint8_t *p;
	size_t n = 99, count = 0;

	(void)state;
	for (const struct udp_payload *u = udp_payloads; u->port; u++, count++) {
		assert_non_null(u->name);
		assert_non_null(u->data);
		assert_true(u->len > 0 && u->len <= 1400);
		if (u != udp_payloads)
			assert_true(u[-1].port < u->port); /* ascending, unique */
		assert_ptr_equal(udp_payload_for(u->port, &n), u->data);
		assert_int_equal(n, u->len);
	}
	assert_true(count >= 6);
	p = udp_payload_for(53, &n);
	assert_int_equal(n, 17);
	assert_int_equal(p[5], 1); /* one question */
	p = udp_payload_for(161, &n);
	assert_int_equal(p[0], 0x30);
	assert_int_equal(p[1] + 2, n); /* the BER length covers the message */
	p = udp_payload_for(123, &n);
	assert_int_equal(n, 48);
	assert_int_equal(p[0] & 7, 3); /* client mode */
	assert_null(udp_payload_for(9, &n));
	assert_int_equal(n, 0);
	assert_null(udp_payload_for(65535, &n));
	assert_int_equal(scan_tech_udp.proto, IPPROTO_UDP);
	assert_ptr_equal(scan_technique_find("-sU"), &scan_tech_udp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syn4_roundtrip), cmocka_unit_test(test_syn6_checksum),
	    cmocka_unit_test(test_udp4),           cmocka_unit_test(test_icmp_quote),
	    cmocka_unit_test(test_icmp_reasons),   cmocka_unit_test(test_ipv6_reply_and_ext),
	    cmocka_unit_test(test_hostile_ipv4),   cmocka_unit_test(test_strip_link),
	    cmocka_unit_test(test_cookie),         cmocka_unit_test(test_udp_payloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
