/* UDP probe payloads (see udp-payloads.h). */
#include <string.h>

#include "scan/udp-payloads.h"

/* Header: id 0x7073, RD; one question: root, NS, IN. */
static const uint8_t udp_dns[] = {0x70, 0x73, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01};

/* Opcode 1 (RRQ), file "a", mode "octet". */
static const uint8_t udp_tftp[] = {0x00, 0x01, 'a', 0x00, 'o', 'c', 't', 'e', 't', 0x00};

/* LI 3 (unsynchronised), VN 4, mode 3 (client); the rest zero. */
static const uint8_t udp_ntp[48] = {0xe3};

/* Transaction 0x7073, no flags, one question: "*" encoded, NBSTAT, IN. */
static const uint8_t udp_netbios[] = {
    0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
    'C',  'K',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',
    'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',  'A',
    'A',  'A',  'A',  'A',  'A',  'A',  'A',  0x00, 0x00, 0x21, 0x00, 0x01};

/* SEQUENCE { version 0, "public", GetRequest { id, 0, 0, { { 1.3.6.1.2.1.1.1.0, NULL } } } } */
static const uint8_t udp_snmp[] = {0x30, 0x29, 0x02, 0x01, 0x00, 0x04, 0x06, 'p',  'u',  'b',  'l',
                                   'i',  'c',  0xa0, 0x1c, 0x02, 0x04, 0x70, 0x73, 0x63, 0x6f, 0x02,
                                   0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08,
                                   0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};

static const uint8_t udp_ssdp[] = "M-SEARCH * HTTP/1.1\r\n"
                                  "HOST: 239.255.255.250:1900\r\n"
                                  "MAN: \"ssdp:discover\"\r\n"
                                  "MX: 1\r\n"
                                  "ST: ssdp:all\r\n\r\n";

/* Frame header: request id, sequence 0, 1 datagram, reserved; then the command. */
static const uint8_t udp_memcached[] = {0x70, 0x73, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 'v',
                                        'e',  'r',  's',  'i',  'o',  'n',  '\r', '\n'};

/* The id fields: DNS, NetBIOS and memcached ids lead the answer as they lead the question. */
#define UDP_ID16 .token_off = 0, .token_len = 2, .echo = UDP_ECHO_AT, .echo_off = 0

const struct udp_payload udp_payloads[] = {
    {.port = 53, .name = "dns", .data = udp_dns, .len = sizeof(udp_dns), UDP_ID16},
    {.port = 69, .name = "tftp", .data = udp_tftp, .len = sizeof(udp_tftp)},
    /* The transmit timestamp comes back as the answer's origin timestamp (RFC 5905). */
    {.port = 123,
     .name = "ntp",
     .data = udp_ntp,
     .len = sizeof(udp_ntp),
     .token_off = 40,
     .token_len = 8,
     .echo = UDP_ECHO_AT,
     .echo_off = 24},
    {.port = 137, .name = "netbios-ns", .data = udp_netbios, .len = sizeof(udp_netbios), UDP_ID16},
    {.port = 161,
     .name = "snmp",
     .data = udp_snmp,
     .len = sizeof(udp_snmp),
     .token_off = 17,
     .token_len = 4,
     .echo = UDP_ECHO_BER},
    {.port = 1900, .name = "ssdp", .data = udp_ssdp, .len = sizeof(udp_ssdp) - 1},
    {.port = 5353, .name = "mdns", .data = udp_dns, .len = sizeof(udp_dns), UDP_ID16},
    {.port = 11211,
     .name = "memcached",
     .data = udp_memcached,
     .len = sizeof(udp_memcached),
     UDP_ID16},
    {.port = 0},
};

static const struct udp_payload *udp_payload_find(uint16_t port)
{
	for (const struct udp_payload *p = udp_payloads; p->port; p++) {
		if (p->port == port)
			return p;
		if (p->port > port)
			break;
	}
	return NULL;
}

const uint8_t *udp_payload_for(uint16_t port, size_t *len)
{
	const struct udp_payload *p = udp_payload_find(port);

	*len = p ? p->len : 0;
	return p ? p->data : NULL;
}

/* The token's bytes as the payload carries them. */
static void udp_token_bytes(const struct udp_payload *p, uint64_t token, uint8_t *b)
{
	for (unsigned i = 0; i < p->token_len; i++)
		b[i] = (uint8_t)(token >> (8 * i));
	/* A positive INTEGER of exactly token_len bytes: an agent that re-encodes it minimally
	 * writes the same bytes back. */
	if (p->echo == UDP_ECHO_BER)
		b[0] = (uint8_t)(b[0] % 0x7f + 1);
}

size_t udp_payload_build(uint16_t port, uint64_t token, uint8_t *out, size_t cap)
{
	const struct udp_payload *p = udp_payload_find(port);

	if (!p || p->len > cap)
		return 0;
	memcpy(out, p->data, p->len);
	if (p->token_len)
		udp_token_bytes(p, token, out + p->token_off);
	return p->len;
}

int udp_payload_echoed(uint16_t port, uint64_t token, const uint8_t *reply, size_t len)
{
	const struct udp_payload *p = udp_payload_find(port);
	uint8_t b[8], ber[10];

	if (!p || !p->token_len || p->echo == UDP_ECHO_NONE)
		return -1;
	udp_token_bytes(p, token, b);
	if (p->echo == UDP_ECHO_AT)
		return len >= (size_t)p->echo_off + p->token_len &&
		       memcmp(reply + p->echo_off, b, p->token_len) == 0;
	/* The response's request-id: INTEGER (0x02), its length, the bytes. */
	ber[0] = 0x02;
	ber[1] = p->token_len;
	memcpy(ber + 2, b, p->token_len);
	return memmem(reply, len, ber, (size_t)p->token_len + 2) != NULL;
}
