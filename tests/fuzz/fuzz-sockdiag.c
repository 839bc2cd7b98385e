/* libFuzzer harness: a sock_diag receive buffer (many netlink messages) to the parser. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

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
	unsigned sum = 0;

	/* libFuzzer passes a heap copy of exactly size bytes: over-reads are caught. */
	(void)sockdiag_parse_buf(data, size, size % 2 ? IPPROTO_UDP : IPPROTO_TCP, touch, &sum);
	return 0;
}
