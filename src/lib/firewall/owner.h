/*
 * The owner of a translated endpoint's destination, in whichever network
 * namespace holds it: a DNAT to 198.18.60.2:80 is owned by the container
 * namespace whose interface has 198.18.60.2 and by the socket listening
 * there on port 80 (0.0.0.0:80, 198.18.60.2:80, or a dual-stack [::]:80).
 *
 *   struct sockns *all; size_t n;
 *   sockns_list_all(SOCKNS_RUN_DIR, "/proc", &all, &n);
 *   struct fw_dest d = {.proto = IPPROTO_TCP, .family = 4, .addr = {198,18,60,2}, .port = 80};
 *   struct fw_owner o;
 *   fw_owner_find(all, n, &d, &o);
 *   // o.addr_known: some namespace holds the address (o.netns, o.ifname)
 *   // o.found: and a socket listens (o.sock: its inode, uid for the process look-up)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall/firewall.h"
#include "sockets/sockdiag.h"
#include "sockets/sockns.h"

struct fw_dest {
	uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

struct fw_owner {
	bool addr_known;           /* a namespace holds the address */
	bool found;                /* and a socket listens on the port */
	char netns[300];           /* that namespace's name ("net:[INODE]" when unnamed) */
	size_t ns_index;           /* its index in the list given */
	char ifname[FW_IFNAMSIZ];  /* the interface with the address */
	struct sockdiag_sock sock; /* found: the socket */
};

/*
 * Looks through the namespaces of list (in order, the first holding the
 * address wins) for d's owner. Namespaces that cannot be entered are passed
 * over. Returns 0 with *out filled (found or not), or a negative errno.
 */
int fw_owner_find(const struct sockns *list, size_t n, const struct fw_dest *d,
                  struct fw_owner *out);
