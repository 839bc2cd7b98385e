/* The registry of scan techniques (see technique.h). */
#include <errno.h>
#include <string.h>

#include "scan/technique.h"

const struct scan_technique *const scan_techniques[] = {
    &scan_tech_connect, /* tech-connect.c */
    &scan_tech_syn,     /* tech-syn.c */
    &scan_tech_udp,     /* tech-udp.c */
    NULL,
};

const struct scan_technique *scan_technique_find(const char *name_or_flag)
{
	for (size_t i = 0; scan_techniques[i]; i++)
		if (strcmp(scan_techniques[i]->name, name_or_flag) == 0 ||
		    strcmp(scan_techniques[i]->flag, name_or_flag) == 0)
			return scan_techniques[i];
	return NULL;
}

bool scan_technique_transient(int err)
{
	switch (-err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL:
	case EAGAIN:
		return true;
	default:
		return false;
	}
}
