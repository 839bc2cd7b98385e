/*
 * Sending crafted packets in batches of RAWSOCK_BATCH through sendmmsg(), on
 * one of four sockets per scan:
 *
 *   RAWSOCK_IP4     raw IPv4 (IPPROTO_RAW, our own IP header): the kernel routes
 *   RAWSOCK_IP6     raw IPv6 (the kernel writes the IPv6 header, we the segment)
 *   RAWSOCK_LINK    packet socket: our own Ethernet and IP headers, through the
 *                   device's queueing discipline
 *   RAWSOCK_DIRECT  the same straight to the driver (PACKET_QDISC_BYPASS), for
 *                   devices without one (veth)
 *
 * A probe takes a link socket when linkpath.h found the device and the next
 * hop's address, skipping the kernel's routing and netfilter output path (as
 * masscan and zmap do); else the raw IP socket of its family. The sockets never
 * receive; replies come through capture.h. Each sending thread has its own
 * struct rawsock_tx of batches over the shared sockets.
 *
 *   struct rawsock rs;  rawsock_open(&rs, IPPROTO_TCP, why, sizeof(why));
 *   struct rawsock_tx *tx = rawsock_tx_new(&rs);
 *   b = rawsock_batch_for(tx, &path);
 *   p = rawsock_slot(b, &self, &dst, &path);   // NULL: full, rawsock_flush(b) first
 *   n = packet_build_tcp4(p, RAWSOCK_MTU, ...); rawsock_commit(b, n);
 *   rawsock_flush(b);                          // sendmmsg of what is queued
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/targetspec.h"
#include "scan/linkpath.h"

#define RAWSOCK_BATCH 64
#define RAWSOCK_MTU   1500                /* room for the probe's IP packet */
#define RAWSOCK_HEAD  (LINKPATH_HDR + 40) /* link header and an IPv6 header we write */

enum rawsock_kind { RAWSOCK_IP4, RAWSOCK_IP6, RAWSOCK_LINK, RAWSOCK_DIRECT, RAWSOCK_KINDS };

struct rawsock_batch {
	int fd;
	enum rawsock_kind kind;
	unsigned n;                  /* queued */
	unsigned first;              /* queued ones before this are sent */
	uint16_t off[RAWSOCK_BATCH]; /* where the probe's IP packet starts in buf */
	struct mmsghdr msgs[RAWSOCK_BATCH];
	struct iovec iov[RAWSOCK_BATCH];
	struct sockaddr_storage sa[RAWSOCK_BATCH];
	uint8_t buf[RAWSOCK_BATCH][RAWSOCK_HEAD + RAWSOCK_MTU];
};

struct rawsock {
	int fd[RAWSOCK_KINDS]; /* -1 when that socket could not be opened */
};

struct rawsock_tx {
	struct rawsock_batch b[RAWSOCK_KINDS];
};

/*
 * Opens the sockets for probes of protocol proto (IPPROTO_TCP or
 * IPPROTO_UDP). Returns 0 when a raw IP socket of at least one family opened;
 * -EPERM without CAP_NET_RAW (why says so), another negative errno otherwise.
 * The packet sockets are optional.
 */
int rawsock_open(struct rawsock *rs, int proto, char *why, size_t whylen);

void rawsock_close(struct rawsock *rs);

/* Whether probes to family can be sent at all (its raw IP socket opened). */
bool rawsock_can(const struct rawsock *rs, int family);

/* A sending thread's batches over rs's sockets; NULL without memory. Freed with free(). */
struct rawsock_tx *rawsock_tx_new(const struct rawsock *rs);

/* The batch probes along path p to a target of family take. */
struct rawsock_batch *rawsock_batch_for(struct rawsock_tx *tx, const struct rawsock *rs, int family,
                                        const struct linkpath *p);

/*
 * The buffer for the next probe self -> dst along p (IPv4: from the IP header;
 * IPv6: the transport segment), queued by rawsock_commit; NULL when full.
 */
uint8_t *rawsock_slot(struct rawsock_batch *b, const struct target_addr *self,
                      const struct target_addr *dst, const struct linkpath *p, uint8_t proto);

/*
 * The buffer for a whole frame, link header included (ARP, neighbour
 * solicitations), to dmac on device ifindex: b is a link batch (its kind
 * RAWSOCK_LINK or RAWSOCK_DIRECT). Queued by rawsock_commit; NULL when full.
 */
uint8_t *rawsock_frame_slot(struct rawsock_batch *b, int ifindex, uint16_t ethertype,
                            const uint8_t dmac[6]);

/* Queues the probe of len bytes written into the last slot. */
void rawsock_commit(struct rawsock_batch *b, size_t len);

/*
 * Sends what is queued. Returns how many went, or a negative errno
 * (-ENOBUFS, -EAGAIN: the device queue is full, the caller backs off and
 * flushes again; the unsent ones stay queued, in order).
 */
int rawsock_flush(struct rawsock_batch *b);

/*
 * rawsock_flush() until b is empty, waiting out a full device queue (200 us
 * at a time, each counted in *nobufs: a loss signal for the rate). Returns 0,
 * a negative errno, or *error as soon as it is set (another sender failed).
 */
int rawsock_flush_wait(struct rawsock_batch *b, atomic_uint_fast64_t *nobufs,
                       const atomic_int *error);
