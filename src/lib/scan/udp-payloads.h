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
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct udp_payload {
	uint16_t port;
	const char *name;
	const uint8_t *data;
	size_t len;
};

/* The table, ascending by port, ending with a zero port. */
extern const struct udp_payload udp_payloads[];

/* The payload for port, or an empty one (NULL, *len 0) when none is known. */
const uint8_t *udp_payload_for(uint16_t port, size_t *len);
