/*
 * For the Windows tests: the name `ls` would give the owner of a socket owned
 * by PID, through the platform layer (Toolhelp, QueryFullProcessImageNameW,
 * UTF-16 → UTF-8), since Wine's socket tables give no owner (see
 * test_windows.py). Prints the name's UTF-8 bytes as hex, then the name:
 *   procname.exe PID   →   "6cc3ad... lístener-ñ.exe"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

int main(int argc, char **argv)
{
	struct sockdiag_sock s;
	struct plat_procs *m;
	unsigned idx[1];
	const char *name;

	if (argc != 2)
		return 2;
	memset(&s, 0, sizeof(s));
	s.inode = (uint32_t)strtoul(argv[1], NULL, 10); /* Windows: the owner's pid */
	m = platform->procs_new();
	if (!m || platform->procs_start(m) < 0 || platform->procs_wait(m) < 0 ||
	    platform->procs_lookup(m, &s, idx, 1) < 1) {
		fprintf(stderr, "procname: no process %s\n", argv[1]);
		return 1;
	}
	name = platform->procs_name(m, idx[0]);
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		printf("%02x", *c);
	printf(" %s\n", name);
	platform->procs_free(m);
	return 0;
}
