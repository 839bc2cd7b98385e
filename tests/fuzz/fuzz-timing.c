/* libFuzzer harness: the -T and --host-timeout parsers on arbitrary text. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/timing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t ms = 12345;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = scan_timing_parse_level(s);
	if (r != -EINVAL && (r < 0 || r > 5))
		abort();
	r = scan_timing_parse_time(s, &ms);
	if (r == 0 && ms > 1000000000000ull)
		abort(); /* bounded */
	if (r < 0 && (ms != 12345 || (r != -EINVAL && r != -ERANGE)))
		abort(); /* errors leave the output alone */
	free(s);
	return 0;
}
