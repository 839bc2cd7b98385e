#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "knowledge/portarg.h"
#include "util/strnum.h"
#include "util/why.h"

#define ARG_SHOWN 64 /* longest part of an argument quoted in a message */

/* Whether the first len bytes of s are a (possibly negative) decimal number. */
static bool looks_numeric(const char *s, size_t len)
{
	size_t i = 0;

	if (len && s[0] == '-')
		i = 1;
	if (i == len)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int portarg_parse(const char *arg, struct portarg *pa, char *why, size_t whylen)
{
	const char *slash;
	size_t len, head;
	int proto = -1;

	if (!arg || !pa)
		return -EINVAL;
	len = strlen(arg);
	if (len == 0) {
		why_set(why, whylen, "empty argument '' (expected PORT[/PROTO] or SERVICE)");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)arg[i];
		if (c <= ' ' || c >= 0x7f) {
			why_set(why, whylen, "invalid character 0x%02x in '%.*s'", c, ARG_SHOWN,
			        arg);
			return -EINVAL;
		}
	}
	slash = strchr(arg, '/');
	head = slash ? (size_t)(slash - arg) : len;
	if (slash) {
		const char *p = slash + 1;
		if (*p == '\0') {
			why_set(why, whylen, "missing protocol after '/' in '%.*s'", ARG_SHOWN,
			        arg);
			return -EINVAL;
		}
		if (head == 0) {
			why_set(why, whylen, "missing port or service before '/' in '%.*s'",
			        ARG_SHOWN, arg);
			return -EINVAL;
		}
		proto = kb_proto_parse(p, strlen(p));
		if (proto < 0) {
			why_set(why, whylen,
			        "unknown protocol '%.*s' in '%.*s' (expected tcp, udp or sctp)",
			        ARG_SHOWN, p, ARG_SHOWN, arg);
			return -EINVAL;
		}
	}
	if (looks_numeric(arg, head)) {
		uint64_t v;
		if (arg[0] == '-' || strnum_u64n(arg, head, 0, 65535, &v) < 0) {
			why_set(why, whylen, "port '%.*s' out of range 0-65535",
			        (int)(head > ARG_SHOWN ? ARG_SHOWN : head), arg);
			return -ERANGE;
		}
		*pa = (struct portarg){.kind = PORTARG_PORT, .port = (uint16_t)v, .proto = proto};
		return 0;
	}
	if (head >= KB_NAME_MAX) {
		why_set(why, whylen, "service name '%.*s...' too long (at most %d characters)",
		        ARG_SHOWN, arg, KB_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (arg[0] == '-') {
		why_set(why, whylen, "'%.*s' is not a port or service name", ARG_SHOWN, arg);
		return -EINVAL;
	}
	*pa = (struct portarg){.kind = PORTARG_SERVICE, .proto = proto};
	memcpy(pa->name, arg, head);
	pa->name[head] = '\0';
	return 0;
}
