/* Names of port states and reasons, as nmap prints them; a shard's view of a host. */
#include <string.h>

#include "scan/result.h"

size_t scan_host_own_ports(const struct scan_host *h, uint16_t *ports, uint8_t *res,
                           struct scan_host *out)
{
	size_t n = 0;

	*out = *h;
	memset(out->counts, 0, sizeof(out->counts));
	for (size_t i = 0; i < h->nports; i++) {
		if (h->res[i] == SCAN_RES_OTHER_SHARD)
			continue;
		ports[n] = h->ports[i];
		res[n] = h->res[i];
		out->counts[scan_res_state(h->res[i])]++;
		n++;
	}
	out->nports = n;
	out->ports = ports;
	out->res = res;
	return n;
}

const char *scan_state_name(enum scan_state s)
{
	static const char *const names[SCAN_STATE_MAX] = {
	    [SCAN_PENDING] = "unknown",
	    [SCAN_OPEN] = "open",
	    [SCAN_CLOSED] = "closed",
	    [SCAN_FILTERED] = "filtered",
	    [SCAN_UNFILTERED] = "unfiltered",
	    [SCAN_OPEN_FILTERED] = "open|filtered",
	    [SCAN_CLOSED_FILTERED] = "closed|filtered",
	};

	return (unsigned)s < SCAN_STATE_MAX ? names[s] : "unknown";
}

const char *scan_reason_name(enum scan_reason r)
{
	static const char *const names[SCAN_REASON_HOST_MAX] = {
	    [SCAN_REASON_NONE] = "unknown",
	    [SCAN_REASON_SYN_ACK] = "syn-ack",
	    [SCAN_REASON_CONN_REFUSED] = "conn-refused",
	    [SCAN_REASON_NO_RESPONSE] = "no-response",
	    [SCAN_REASON_HOST_UNREACH] = "host-unreach",
	    [SCAN_REASON_NET_UNREACH] = "net-unreach",
	    [SCAN_REASON_ADMIN_PROHIBITED] = "admin-prohibited",
	    [SCAN_REASON_RESET] = "reset",
	    [SCAN_REASON_PORT_UNREACH] = "port-unreach",
	    [SCAN_REASON_UDP_RESPONSE] = "udp-response",
	    [SCAN_REASON_ARP_RESPONSE] = "arp-response",
	    [SCAN_REASON_ND_RESPONSE] = "nd-response",
	    [SCAN_REASON_ECHO_REPLY] = "echo-reply",
	    [SCAN_REASON_TIMESTAMP_REPLY] = "timestamp-reply",
	    [SCAN_REASON_ADDRESSMASK_REPLY] = "addressmask-reply",
	    [SCAN_REASON_PROTO_UNREACH] = "proto-unreach",
	    [SCAN_REASON_TIME_EXCEEDED] = "time-exceeded",
	    [SCAN_REASON_LOCALHOST] = "localhost-response",
	    [SCAN_REASON_USER_SET] = "user-set",
	    [SCAN_REASON_NO_ROUTE] = "no-route",
	};

	return (unsigned)r < SCAN_REASON_HOST_MAX && names[r] ? names[r] : "unknown";
}
