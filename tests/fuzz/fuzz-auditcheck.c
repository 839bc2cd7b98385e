/*
 * libFuzzer harness: hostile server replies to every safe check. The first
 * byte picks the check; the rest arrives in reads whose sizes come from the
 * input, accumulated the way audit_check_run() does (reset after each send).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0, at = 1, have = 0;
	const struct audit_check *c;
	struct audit_conv conv;
	uint8_t *buf;
	unsigned sends = 0;

	if (size < 2)
		return 0;
	while (audit_checks[n])
		n++;
	c = audit_checks[data[0] % n];
	buf = malloc(AUDIT_CHECK_READ_MAX);
	if (!buf)
		return 0;
	memset(&conv, 0, sizeof(conv));
	conv.cookie = 0x01020304;
	if (c->start)
		c->start(&conv);
	while (at < size) {
		size_t chunk = data[at++] % 64 + 1;
		int v;

		if (chunk > size - at)
			chunk = size - at;
		if (chunk > AUDIT_CHECK_READ_MAX - have)
			chunk = AUDIT_CHECK_READ_MAX - have;
		memcpy(buf + have, data + at, chunk);
		have += chunk;
		at += chunk;
		conv.outlen = 0;
		v = c->step(&conv, buf, have);
		if (conv.outlen > sizeof(conv.out) ||
		    strlen(conv.evidence) >= sizeof(conv.evidence))
			abort();
		if (v == AUDIT_CHECK_YES || v == AUDIT_CHECK_NO)
			break;
		if (v == AUDIT_CHECK_SEND) {
			if (++sends > AUDIT_CHECK_STEPS_MAX)
				break;
			conv.step++;
			have = 0;
		} else if (v != AUDIT_CHECK_MORE || have == AUDIT_CHECK_READ_MAX) {
			break;
		}
	}
	free(buf);
	return 0;
}
