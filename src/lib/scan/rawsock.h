/*
 * Sending crafted packets: raw IPv4 (IPPROTO_RAW, our own IP header) and raw
 * IPv6 (the kernel writes the IPv6 header, we the transport segment), in
 * batches of RAWSOCK_BATCH through sendmmsg(). The sockets never receive
 * (a drop-all socket filter); replies come through capture.h.
 *
 *   struct rawsock rs;
 *   rawsock_open(&rs, IPPROTO_TCP, why, sizeof(why));
 *   p = rawsock_slot(&rs.b4, &dst, sizeof(dst));  memcpy(p, pkt, n); rawsock_commit(&rs.b4, n);
 *   rawsock_flush(&rs.b4);  // sendmmsg of what is queued
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/targetspec.h"

#define RAWSOCK_BATCH 64
#define RAWSOCK_MTU   1500

struct rawsock_batch {
	int fd;
	unsigned n;     /* queued */
	unsigned first; /* queued ones before this are sent */
	struct mmsghdr msgs[RAWSOCK_BATCH];
	struct iovec iov[RAWSOCK_BATCH];
	struct sockaddr_storage sa[RAWSOCK_BATCH];
	uint8_t buf[RAWSOCK_BATCH][RAWSOCK_MTU];
};

struct rawsock {
	struct rawsock_batch b4, b6; /* fd -1 when that family could not be opened */
	int route4, route6;          /* UDP sockets for route look-ups (rawsock_source) */
};

/*
 * Opens the raw sockets for probes of protocol proto (IPPROTO_TCP or
 * IPPROTO_UDP). Returns 0 when at least one family opened; -EPERM without
 * CAP_NET_RAW (why says so), another negative errno otherwise.
 */
int rawsock_open(struct rawsock *rs, int proto, char *why, size_t whylen);

void rawsock_close(struct rawsock *rs);

/* The buffer for the next packet to dst (queued by rawsock_commit), or NULL when full. */
uint8_t *rawsock_slot(struct rawsock_batch *b, const struct target_addr *dst);

/* Queues the packet of len bytes written into the last slot. */
void rawsock_commit(struct rawsock_batch *b, size_t len);

/*
 * Sends what is queued. Returns how many went, or a negative errno
 * (-ENOBUFS, -EAGAIN: the device queue is full, the caller backs off and
 * flushes again; the unsent ones stay queued, in order).
 */
int rawsock_flush(struct rawsock_batch *b);

/* The local address the kernel would send from to reach dst. 0 or a negative errno. */
int rawsock_source(struct rawsock *rs, const struct target_addr *dst, struct target_addr *src);
