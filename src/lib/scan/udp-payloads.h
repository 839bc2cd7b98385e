/*
 * Payloads that make common UDP services answer a UDP scan's probe (an
 * answer proves the port open; an empty datagram rarely gets one). Written
 * for portscope from the protocols' specifications:
 *
 *   53 DNS, 5353 mDNS   query for the root's NS records (RFC 1035)
 *   69 TFTP             read request (RFC 1350): an error reply is an answer
 *   123 NTP             version 4 client request (RFC 5905)
 *   137 NetBIOS-NS      node status request for "*" (RFC 1002)
 *   161 SNMP            v1 GetRequest sysDescr.0, community "public"
 *   1900 SSDP           M-SEARCH ssdp:all
 *   11211 memcached     "version" in the UDP frame header
 *
 *   size_t n; const uint8_t *p = udp_payload_for(53, &n);  // n == 17
 *
 * Where the protocol carries an identifier that the answer repeats (DNS and
 * NetBIOS transaction ids, the SNMP request-id, NTP's transmit timestamp, the
 * memcached request id), each probe puts a token of its own there
 * (udp_payload_build()) and an answer counts as proof of the probe only when
 * it carries the token back (udp_payload_echoed()).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Where an answer carries a probe's token back. */
enum udp_echo {
	UDP_ECHO_NONE, /* nowhere: the payload has no token */
	UDP_ECHO_AT,   /* at echo_off in the answer */
	UDP_ECHO_BER,  /* as a BER INTEGER of token_len bytes (SNMP's request-id) */
};

#define UDP_PAYLOAD_MAX 128 /* the longest payload of the table fits */

struct udp_payload {
	uint16_t port;
	const char *name;
	const uint8_t *data;
	size_t len;
	uint8_t token_off, token_len; /* the bytes a per-probe token replaces; 0 len: none */
	enum udp_echo echo;
	uint8_t echo_off; /* UDP_ECHO_AT: where the answer repeats the token */
};

/* The table, ascending by port, ending with a zero port. */
extern const struct udp_payload udp_payloads[];

/* The payload for port, or an empty one (NULL, *len 0) when none is known. */
const uint8_t *udp_payload_for(uint16_t port, size_t *len);

/*
 * Writes port's payload into out (cap bytes) with token in its identifier
 * field. Returns its length: 0 when the port has none, or it does not fit.
 */
size_t udp_payload_build(uint16_t port, uint64_t token, uint8_t *out, size_t cap);

/*
 * Whether the answer reply (len bytes) to port's probe carries token back:
 * 1 yes, 0 no, -1 when port's probe carries no token (nothing to check).
 */
int udp_payload_echoed(uint16_t port, uint64_t token, const uint8_t *reply, size_t len);
