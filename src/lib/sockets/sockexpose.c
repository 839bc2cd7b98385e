#include <string.h>
#include <sys/socket.h>

#include "sockets/sockexpose.h"

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
static const uint8_t zero16[16];

/* IPv4 address in network order. */
static enum sockexpose classify4(const uint8_t *a)
{
	if (a[0] == 127)
		return SOCKEXPOSE_LOOPBACK;
	if (memcmp(a, zero16, 4) == 0)
		return SOCKEXPOSE_ALL;
	return SOCKEXPOSE_ADDRESS;
}

enum sockexpose sockexpose_classify(int family, const uint8_t *addr, int v6only, bool *dual_stack)
{
	static const uint8_t loop6[16] = {[15] = 1};

	*dual_stack = false;
	if (family == AF_INET)
		return classify4(addr);
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		return classify4(addr + 12);
	if (memcmp(addr, loop6, 16) == 0)
		return SOCKEXPOSE_LOOPBACK;
	if (memcmp(addr, zero16, 16) == 0) {
		*dual_stack = v6only == 0;
		return SOCKEXPOSE_ALL;
	}
	return SOCKEXPOSE_ADDRESS;
}

const char *sockexpose_name(enum sockexpose e)
{
	switch (e) {
	case SOCKEXPOSE_LOOPBACK:
		return "loopback";
	case SOCKEXPOSE_ALL:
		return "all-interfaces";
	case SOCKEXPOSE_ADDRESS:
		return "address";
	}
	return "address";
}
