/* Service names for the SERVICE column. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "detect/engine.h"
#include "knowledge/services.h"
#include "output/out.h"
#include "output/service.h"

/*
 * Scan outputs name ports as nmap does, from nmap-services when it knows the
 * port (8080/tcp is "http-proxy" there, "http-alt" in /etc/services), so that
 * our reports and nmap's compare line for line; /etc/services otherwise.
 * nmap's "unknown" placeholder records are not names.
 */
const char *out_service_name(const struct kb *kb, uint16_t port, int proto)
{
	enum kb_proto p = proto == IPPROTO_UDP ? KB_PROTO_UDP : KB_PROTO_TCP;
	const struct kb_service *svc;
	size_t n;

	if (!kb)
		return NULL;
	n = kb_port_services(kb, port, p, &svc);
	for (size_t i = 0; i < n; i++)
		if (svc[i].source == KB_SRC_NMAP && strcmp(svc[i].name, "unknown") != 0)
			return svc[i].name;
	return kb_service_name(kb, port, p);
}

const struct detect_result *out_version_find(const struct out_info *in, uint16_t port)
{
	size_t lo = 0, hi = in->nversions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (in->versions[mid].port == port)
			return in->versions[mid].r;
		if (in->versions[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *out_version_name(const struct detect_result *r, char sep, char *buf, size_t len)
{
	const char *name = r->svc.name[0] ? r->svc.name : "unknown";

	if (r->tunnel)
		snprintf(buf, len, "%s%c%s", r->tunnel, sep, name);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

const char *out_version_text(const struct detect_result *r, char *buf, size_t len)
{
	const struct detect_service *s = &r->svc;

	snprintf(buf, len, "%s%s%s%s%s%s", s->product, s->product[0] && s->version[0] ? " " : "",
	         s->version, (s->product[0] || s->version[0]) && s->extrainfo[0] ? " " : "",
	         s->extrainfo[0] ? "(" : "", s->extrainfo);
	if (s->extrainfo[0] && strlen(buf) + 2 <= len)
		strcat(buf, ")");
	return buf;
}
