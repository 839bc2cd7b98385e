/*
 * privdrop.h on Windows: no raw scans are built there (they are Linux-only),
 * so there is no raw-socket privilege to hold or give up, and a connect scan
 * runs with whatever token the user has.
 */
#include "util/privdrop.h"

bool privdrop_have_net_raw(void)
{
	return false;
}

int privdrop_all(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}

int privdrop_unneeded(char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return 0;
}
