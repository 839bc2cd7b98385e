/*
 * libFuzzer harness: the raw-scan reply path on arbitrary bytes. The first byte
 * picks a link type (Ethernet, cooked v1/v2, raw IP, loopback), the rest is the
 * captured frame: link header stripping, then the IPv4/IPv6/TCP/UDP/ICMP parser
 * and the UDP scan's reply validation over what it parsed.
 */
#include <errno.h>
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/packet.h"
#include "scan/rawscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL};
	struct packet_info pi;
	const uint8_t *ip;
	uint8_t *copy;
	size_t iplen;
	int r;

	if (size < 1)
		return 0;
	/* An exact-size heap copy: any read past the end is caught by ASan. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	r = packet_strip_link(links[data[0] % 5], copy, size - 1, &ip, &iplen);
	if (r == 0) {
		if (ip < copy || ip + iplen != copy + size - 1)
			abort();
		r = packet_parse_ip(ip, iplen, &pi);
		if (r != 0 && r != -EINVAL && r != -EPROTONOSUPPORT)
			abort();
		if (r == 0 && pi.payload &&
		    (pi.payload < ip || pi.payload + pi.payload_len > ip + iplen))
			abort();
		if (r == 0 && pi.src.family != AF_INET && pi.src.family != AF_INET6)
			abort();
		if (r == 0 && pi.has_inner &&
		    (pi.inner_l4 < ip || pi.inner_l4 + pi.inner_l4_len > ip + iplen))
			abort();
		if (r == 0) {
			static const uint8_t key[16] = "fuzz-packet-key!";
			struct rawscan_match m;

			if (rawscan_ops_udp.match(&pi, key, PACKET_SPORT_LO, 65535, &m) &&
			    m.tryno >= RAWSCAN_TRIES)
				abort();
		}
	} else if (r != -EINVAL && r != -EPROTONOSUPPORT) {
		abort();
	}
	free(copy);
	return 0;
}
