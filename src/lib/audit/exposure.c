/* Exposure of a listening socket: its bind address joined with a scan of the machine's addresses.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "audit/exposure.h"
#include "knowledge/risk.h"

const char *audit_exposure_name(enum audit_exposure e)
{
	switch (e) {
	case AUDIT_EXP_LOOPBACK:
		return "loopback-only";
	case AUDIT_EXP_REACHABLE:
		return "reachable";
	case AUDIT_EXP_BLOCKED:
		return "blocked";
	case AUDIT_EXP_NO_ADDRESS:
		return "no-address";
	case AUDIT_EXP_UNVERIFIED:
		return "unverified";
	case AUDIT_EXP_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool audit_is_loopback(int family, const uint8_t *addr)
{
	static const uint8_t one[16] = {[15] = 1};

	if (family == AF_INET)
		return addr[0] == 127;
	return memcmp(addr, one, 16) == 0 || (memcmp(addr, v4mapped, 12) == 0 && addr[12] == 127);
}

static bool is_any(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, family == AF_INET ? 4 : 16) == 0;
}

bool audit_accepts(int family, const uint8_t *bind, bool dual_stack, int afamily,
                   const uint8_t *addr)
{
	if (family == afamily)
		return is_any(family, bind) || memcmp(bind, addr, family == AF_INET ? 4 : 16) == 0;
	if (family == AF_INET6 && afamily == AF_INET) {
		if (dual_stack)
			return true;
		/* bound to ::ffff:a.b.c.d, IPV6_V6ONLY off */
		return memcmp(bind, v4mapped, 12) == 0 && memcmp(bind + 12, addr, 4) == 0;
	}
	return false;
}

enum audit_exposure audit_exposure_of(bool loopback, const enum scan_state *states, unsigned n)
{
	bool seen = false;

	if (loopback)
		return AUDIT_EXP_LOOPBACK;
	for (unsigned i = 0; i < n; i++) {
		if (states[i] == SCAN_OPEN)
			return AUDIT_EXP_REACHABLE;
		if (states[i] != SCAN_PENDING)
			seen = true;
	}
	if (n == 0)
		return AUDIT_EXP_NO_ADDRESS;
	return seen ? AUDIT_EXP_BLOCKED : AUDIT_EXP_UNVERIFIED;
}

int audit_severity_parse(const char *s)
{
	for (int v = KB_SEV_INFO; v <= KB_SEV_HIGH; v++)
		if (strcasecmp(s, kb_severity_name(v)) == 0)
			return v;
	return -EINVAL;
}
