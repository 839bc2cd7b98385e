/*
 * A machine's TCP and UDP sockets as records, on every platform: Linux fills
 * them from sock_diag (sockdiag.h), Windows from the IP Helper's extended
 * TCP/UDP tables (platform-windows.c). States are Linux's TCP_* numbers
 * (TCP_ESTABLISHED 1 ... TCP_CLOSING 11, as <netinet/tcp.h>).
 */
#pragma once

#include <stdint.h>

/* One socket. */
struct sockdiag_sock {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP (from the request) */
	uint8_t state;  /* TCP_* state (UDP: TCP_CLOSE unconnected, TCP_ESTABLISHED connected) */
	int8_t v6only;  /* INET_DIAG_SKV6ONLY: 1, 0, or -1 when not reported (AF_INET) */
	uint16_t local_port; /* host order */
	uint16_t peer_port;  /* host order */
	uint8_t local[16];   /* network order; the first 4 bytes for AF_INET */
	uint8_t peer[16];
	uint32_t uid;   /* owner of the socket (Linux) */
	uint32_t inode; /* socket inode, 0 for time-wait and request sockets; Windows: owner pid */
	uint32_t ifindex; /* SO_BINDTODEVICE interface, 0 when none */
};

/* Called per socket; a non-zero return stops the walk and is returned. */
typedef int (*sockdiag_cb)(const struct sockdiag_sock *s, void *data);

/* Which sockets to dump. */
struct sockdiag_req {
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t proto;   /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t states; /* bit (1 << TCP_*) per wanted state */
};
