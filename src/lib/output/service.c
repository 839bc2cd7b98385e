/* Service names for the SERVICE column. */
#include <netinet/in.h>
#include <string.h>

#include "knowledge/services.h"
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
