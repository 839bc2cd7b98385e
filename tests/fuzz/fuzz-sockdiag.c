/* libFuzzer harness: a sock_diag receive buffer (many netlink messages) to the parser. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockets/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct sockdiag_sock *s, void *data)
{
	unsigned *sum = data;

	/* Read every field so that a bad parse shows up under the sanitizers. */
	*sum += s->family + s->proto + s->state + (unsigned)s->v6only + s->local_port +
		s->peer_port + s->local[15] + s->peer[15] + s->uid + s->inode + s->ifindex;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that any over-read is caught. */
	uint8_t *buf = malloc(size ? size : 1);
	unsigned sum = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	(void)sockdiag_parse_buf(buf, size, size % 2 ? IPPROTO_UDP : IPPROTO_TCP, touch, &sum);
	free(buf);
	return 0;
}
