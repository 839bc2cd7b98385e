/* libFuzzer harness: portspec_parse on arbitrary text, checking the result's invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/portspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sorted(const struct portlist *pl)
{
	for (size_t i = 1; i < pl->n; i++)
		if (pl->ports[i - 1] >= pl->ports[i])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portspec ps;
	char why[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (portspec_parse(s, &ps, why, sizeof(why)) == 0) {
		check_sorted(&ps.tcp);
		check_sorted(&ps.udp);
		portspec_free(&ps);
	} else if (why[0] == '\0' || ps.tcp.ports || ps.udp.ports) {
		abort(); /* every error has a reason and leaves nothing allocated */
	}
	free(s);
	return 0;
}
