/*
 * NETLINK_SOCK_DIAG: dumps of the kernel's TCP and UDP sockets (what ss reads).
 *
 * A dump is one request per (family, protocol); the kernel answers with
 * SOCK_DIAG_BY_FAMILY messages, one struct inet_diag_msg each plus attributes,
 * closed by NLMSG_DONE. The parser is a pure function over a receive buffer so
 * that it can be unit-tested and fuzzed without a kernel.
 */
#pragma once

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One socket as sock_diag reports it. */
struct sockdiag_sock {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP (from the request) */
	uint8_t state;  /* TCP_* state (UDP: TCP_CLOSE unconnected, TCP_ESTABLISHED connected) */
	int8_t v6only;  /* INET_DIAG_SKV6ONLY: 1, 0, or -1 when not reported (AF_INET) */
	uint16_t local_port; /* host order */
	uint16_t peer_port;  /* host order */
	uint8_t local[16];   /* network order; the first 4 bytes for AF_INET */
	uint8_t peer[16];
	uint32_t uid;     /* owner of the socket */
	uint32_t inode;   /* socket inode, 0 for time-wait and request sockets */
	uint32_t ifindex; /* SO_BINDTODEVICE interface, 0 when none */
};

/* Called per socket; a non-zero return stops the walk and is returned. */
typedef int (*sockdiag_cb)(const struct sockdiag_sock *s, void *data);

/*
 * Parses one SOCK_DIAG_BY_FAMILY message (header included, nlh->nlmsg_len
 * bytes, already checked to lie inside the buffer) into out.
 * Returns 0, or -EBADMSG when it is too short, of an unknown family, or
 * its attributes are malformed.
 */
int sockdiag_parse_msg(const struct nlmsghdr *nlh, uint8_t proto, struct sockdiag_sock *out);

/*
 * Parses a buffer as one recv() returns it: any number of netlink messages.
 * Calls cb for each socket. Returns 1 when NLMSG_DONE was seen (dump over),
 * 0 when more messages are to come, the callback's non-zero return, or a
 * negative errno: -EBADMSG for a malformed message, the kernel's error for
 * NLMSG_ERROR.
 */
int sockdiag_parse_buf(const void *buf, size_t len, uint8_t proto, sockdiag_cb cb, void *data);

/* What to dump. */
struct sockdiag_req {
	uint8_t family;  /* AF_INET or AF_INET6 */
	uint8_t proto;   /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t states; /* bit (1 << TCP_*) per wanted state */
};

struct sockdiag;

/*
 * Opens a sock_diag netlink socket in the calling thread's current network
 * namespace (the socket stays bound to it). Returns 0 or a negative errno.
 */
int sockdiag_open(struct sockdiag **out);
void sockdiag_close(struct sockdiag *d);

/*
 * Dumps the sockets matching req, calling cb for each.
 * Returns 0, the callback's non-zero return, or a negative errno.
 */
int sockdiag_dump(struct sockdiag *d, const struct sockdiag_req *req, sockdiag_cb cb, void *data);
