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

#include "sockets/socktab.h"

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
