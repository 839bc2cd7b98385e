#include <errno.h>
#include <stddef.h>

#include "knowledge/portclass.h"

static const struct {
	const char *name;
	uint16_t lo, hi;
} classes[] = {
    [KB_PORT_WELL_KNOWN] = {"well-known", 0, 1023},
    [KB_PORT_REGISTERED] = {"registered", 1024, 49151},
    [KB_PORT_DYNAMIC] = {"dynamic", 49152, 65535},
};

enum kb_portclass kb_port_class(uint16_t port)
{
	if (port <= 1023)
		return KB_PORT_WELL_KNOWN;
	if (port <= 49151)
		return KB_PORT_REGISTERED;
	return KB_PORT_DYNAMIC;
}

const char *kb_portclass_name(int cls)
{
	if (cls < 0 || cls > KB_PORT_DYNAMIC)
		return NULL;
	return classes[cls].name;
}

int kb_portclass_range(int cls, uint16_t *lo, uint16_t *hi)
{
	if (cls < 0 || cls > KB_PORT_DYNAMIC || !lo || !hi)
		return -EINVAL;
	*lo = classes[cls].lo;
	*hi = classes[cls].hi;
	return 0;
}
