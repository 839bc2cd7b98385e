/*
 * libFuzzer harness for the knowledge parsers. The first byte picks the
 * target, the rest is the input:
 *   0  /etc/services text, then every look-up on the result
 *   1  nmap-services text, then every look-up on the result
 *   2  an info argument (PORT[/PROTO] | SERVICE[/PROTO])
 *   3  the sysctl parsers (ip_local_port_range, ip_unprivileged_port_start)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knowledge/portarg.h"
#include "knowledge/services.h"
#include "knowledge/sysctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_kb(const char *buf, size_t len, enum kb_source source)
{
	struct kb_parse_stats st;
	struct kb_portproto pp[8];
	struct kb *kb = kb_new();
	uint16_t top[64];
	char name[KB_NAME_MAX];

	if (!kb)
		return;
	if (kb_parse(kb, buf, len, source, &st) == 0 && kb_finalize(kb) == 0) {
		if (st.records + st.skipped > st.lines)
			abort();
		/* Look every record up again, by port and by name. */
		for (int p = 0; p < KB_PROTO_COUNT; p++) {
			for (unsigned port = 0; port < 65536; port += 257) {
				const struct kb_service *s;
				size_t n =
				    kb_port_services(kb, (uint16_t)port, (enum kb_proto)p, &s);
				for (size_t i = 0; i < n; i++) {
					if (s[i].port != port || s[i].proto != p)
						abort();
					for (unsigned a = 0; a < s[i].naliases; a++)
						if (!kb_service_alias(&s[i], a))
							abort();
					/* nmap's "unknown" is deliberately not a name. */
					bool unknown = s[i].source == KB_SRC_NMAP &&
					               strcmp(s[i].name, "unknown") == 0;
					if (!unknown && kb_service_ports(kb, s[i].name, pp, 8) <= 0)
						abort();
				}
				(void)kb_service_name(kb, (uint16_t)port, (enum kb_proto)p);
			}
			if (kb_top_ports(kb, (enum kb_proto)p, 64, top) != 64)
				abort();
		}
		/* The input as a name, too. */
		len = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
		memcpy(name, buf, len);
		name[len] = '\0';
		(void)kb_service_ports(kb, name, pp, 8);
	}
	kb_free(kb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_kb(buf, len, KB_SRC_ETC);
		break;
	case 1:
		fuzz_kb(buf, len, KB_SRC_NMAP);
		break;
	case 2: {
		struct portarg pa;
		char why[256];
		char *arg = malloc(len + 1);
		if (!arg)
			return 0;
		memcpy(arg, buf, len);
		arg[len] = '\0';
		if (portarg_parse(arg, &pa, why, sizeof(why)) == 0 && pa.kind == PORTARG_SERVICE &&
		    strlen(pa.name) >= KB_NAME_MAX)
			abort();
		free(arg);
		break;
	}
	case 3: {
		uint16_t lo, hi, start;
		char why[256];
		if (kb_sysctl_parse_range(buf, len, &lo, &hi, why, sizeof(why)) == 0 && lo > hi)
			abort();
		(void)kb_sysctl_parse_port(buf, len, &start, why, sizeof(why));
		break;
	}
	}
	return 0;
}
