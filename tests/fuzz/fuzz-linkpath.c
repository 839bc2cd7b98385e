/* libFuzzer harness: netlink answers (route, link, neighbour) to linkpath's parser. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scan/linkpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t buf[(1 << 16) / 4]; /* netlink buffers are 4-byte aligned */
	struct linkpath p;
	unsigned sum = 0;

	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	/* The first byte picks the kind and family; the rest is the receive buffer. */
	(void)linkpath_parse((enum linkpath_msg)((data[0] & 0x7f) % 3),
	                     data[0] & 0x80 ? AF_INET6 : AF_INET, data + 1, size - 1, &p);
	/* Read every field so that a bad parse shows up under the sanitizers. */
	for (size_t i = 0; i < sizeof(p.hdr); i++)
		sum += p.hdr[i];
	sum += (unsigned)p.ifindex + p.noqueue + (unsigned)p.self.family;
	return (int)(sum & 0);
}
