/* Port ≠ service, with the spellings that differ between nmap and /etc/services. */
#include <stddef.h>
#include <string.h>

#include "audit/svcname.h"
#include "detect/engine.h"
#include "util/array.h"

/* Pairs naming one service: nmap's name first, /etc/services' second. */
static const char *const same[][2] = {
    {"memcached", "memcache"}, {"postgresql", "postgres"}, {"mongodb", "mongod"}, {"vnc", "rfb"},
    {"docker", "docker-api"},
};

bool audit_service_mismatch(const char *detected, const char *port_default)
{
	for (size_t i = 0; i < ARRAY_SIZE(same); i++)
		if (strcmp(detected, same[i][0]) == 0 && strcmp(port_default, same[i][1]) == 0)
			return false;
	return detect_mismatch(detected, port_default);
}
