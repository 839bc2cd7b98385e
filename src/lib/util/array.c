#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/array.h"

#define GROW_FIRST_BYTES 4096 /* a first allocation holds at least this much */

int grow_array(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	if (size == 0 || need > SIZE_MAX / size)
		return -ENOMEM;
	ncap = *cap <= SIZE_MAX / 2 / size ? *cap * 2 : need;
	if (ncap < need)
		ncap = need;
	if (*cap == 0 && ncap < GROW_FIRST_BYTES / size)
		ncap = GROW_FIRST_BYTES / size;
	np = realloc(*p, ncap * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}
