/* UDP probe payloads (see udp-payloads.h). */
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

const struct udp_payload udp_payloads[] = {
    {.port = 53, .name = "dns", .data = udp_dns, .len = sizeof(udp_dns)},
    {.port = 69, .name = "tftp", .data = udp_tftp, .len = sizeof(udp_tftp)},
    {.port = 123, .name = "ntp", .data = udp_ntp, .len = sizeof(udp_ntp)},
    {.port = 137, .name = "netbios-ns", .data = udp_netbios, .len = sizeof(udp_netbios)},
    {.port = 161, .name = "snmp", .data = udp_snmp, .len = sizeof(udp_snmp)},
    {.port = 1900, .name = "ssdp", .data = udp_ssdp, .len = sizeof(udp_ssdp) - 1},
    {.port = 5353, .name = "mdns", .data = udp_dns, .len = sizeof(udp_dns)},
    {.port = 11211, .name = "memcached", .data = udp_memcached, .len = sizeof(udp_memcached)},
    {.port = 0},
};

const uint8_t *udp_payload_for(uint16_t port, size_t *len)
{
	for (const struct udp_payload *p = udp_payloads; p->port; p++) {
		if (p->port == port) {
			*len = p->len;
			return p->data;
		}
		if (p->port > port)
			break;
	}
	*len = 0;
	return NULL;
}
