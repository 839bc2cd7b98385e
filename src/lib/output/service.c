/* Service names for the SERVICE column. */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "output/out.h"
#include "output/service.h"

/*
 * TODO(lead): answer from the knowledge base (kb_service_name(kb, port, proto))
 * once branch info lands; /etc/services through getservbyport_r() until then.
 */
const char *out_service_name(uint16_t port, int proto, char *buf, size_t len)
{
	struct servent se, *res = NULL;
	char tmp[1024];

	if (getservbyport_r(htons(port), out_proto_name(proto), &se, tmp, sizeof(tmp), &res) != 0 ||
	    !res || !res->s_name)
		return NULL;
	if (strlen(res->s_name) >= len)
		return NULL;
	strcpy(buf, res->s_name);
	return buf;
}
