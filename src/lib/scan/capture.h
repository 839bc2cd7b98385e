/*
 * Receiving replies of raw scans through libpcap on the "any" device (every
 * interface of the namespace, TPACKET_V3 ring underneath), inbound only,
 * behind a BPF filter, non-blocking for poll().
 *
 *   capture_open("tcp dst portrange 40000-40015 or icmp or icmp6", &c, why, n);
 *   poll(capture_fd(c)); capture_dispatch(c, on_ip_packet, ctx);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct capture;

/* Called with each captured IP packet (link header removed). */
typedef void (*capture_cb)(void *ctx, const uint8_t *ip, size_t len);

/* Called with each captured frame, link header included (linktype: pcap DLT_*). */
typedef void (*capture_frame_cb)(void *ctx, int linktype, const uint8_t *frame, size_t len);

/*
 * Opens and activates the capture with filter. Returns 0, -EPERM without
 * CAP_NET_RAW, -EINVAL for a filter that does not compile, -EIO otherwise;
 * why says which.
 */
int capture_open(const char *filter, struct capture **out, char *why, size_t whylen);

/* The same with a ring of buffer bytes (capture_open's: 64 MiB, room for full-rate bursts). */
int capture_open_sized(const char *filter, size_t buffer, struct capture **out, char *why,
                       size_t whylen);

/* The descriptor to poll for readability. */
int capture_fd(const struct capture *c);

/* Hands every packet waiting to cb. Returns how many, or -EIO. */
int capture_dispatch(struct capture *c, capture_cb cb, void *ctx);

/* Hands every frame waiting to cb, link header included (ARP too). Returns how many, or -EIO. */
int capture_dispatch_frames(struct capture *c, capture_frame_cb cb, void *ctx);

/* Packets the kernel dropped for want of room so far (a loss signal). */
uint64_t capture_drops(struct capture *c);

void capture_close(struct capture *c);
