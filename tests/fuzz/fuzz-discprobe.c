/*
 * libFuzzer harness: host discovery's reply parser on arbitrary bytes. The
 * first byte picks a link type (Ethernet, cooked v1/v2, raw IP, loopback), the
 * rest is the captured frame: ARP, neighbour advertisements, ICMP replies and
 * errors quoting a probe, TCP and UDP.
 */
#include <errno.h>
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/discprobe.h"
#include "scan/discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL};
	struct disc_reply r;
	uint8_t *copy;
	int e;

	if (size < 1)
		return 0;
	/* An exact-size heap copy: any read past the end is caught by ASan. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	e = discprobe_parse(links[data[0] % 5], copy, size - 1, &r);
	if (e != 0 && e != -EINVAL && e != -EPROTONOSUPPORT)
		abort();
	if (e == 0 && r.kind != DISC_REP_NONE) {
		if (r.host.family != AF_INET && r.host.family != AF_INET6)
			abort();
		if (r.kind == DISC_REP_ERROR)
			(void)disc_icmp_reason(r.host.family, r.icmp_type, r.icmp_code);
		if (r.kind == DISC_REP_ARP && (!r.has_mac || r.host.family != AF_INET))
			abort();
	}
	free(copy);
	return 0;
}
