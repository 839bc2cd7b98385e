/* Bounded, printable copies into a detect_service. */
#include "detect/service.h"

#include <string.h>

size_t service_copy_printable(char *dst, size_t dstsize, const char *s, size_t len)
{
	size_t o = 0;

	if (!dstsize)
		return 0;
	for (size_t i = 0; i < len && o + 1 < dstsize; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0' || c == '\r' || c == '\n')
			break;
		if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o;
}

void service_add_cpe(struct detect_service *svc, const char *cpe)
{
	size_t have = strlen(svc->cpe), add = strlen(cpe);

	if (!add || have + add + 2 > sizeof(svc->cpe))
		return;
	if (have)
		svc->cpe[have++] = ' ';
	memcpy(svc->cpe + have, cpe, add + 1);
}
