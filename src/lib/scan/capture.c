/* libpcap capture of raw-scan replies (see capture.h). */
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/capture.h"
#include "scan/packet.h"

#define CAPTURE_SNAPLEN 512
#define CAPTURE_BUFFER  (64 << 20) /* ring bytes: room for bursts at full rate */

struct capture {
	pcap_t *p;
	int linktype;
	int fd;
	capture_cb cb;
	capture_frame_cb fcb;
	void *ctx;
	uint64_t drops; /* accumulated: the counters reset when read */
};

static void capture_fail(char *why, size_t whylen, const char *what, const char *detail)
{
	snprintf(why, whylen, "packet capture: %s: %s", what, detail);
}

int capture_open(const char *filter, struct capture **out, char *why, size_t whylen)
{
	return capture_open_sized(filter, CAPTURE_BUFFER, out, why, whylen);
}

int capture_open_sized(const char *filter, size_t buffer, struct capture **out, char *why,
                       size_t whylen)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct capture *c;
	int r;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->p = pcap_create("any", err);
	if (!c->p) {
		capture_fail(why, whylen, "cannot create", err);
		free(c);
		return -EIO;
	}
	pcap_set_snaplen(c->p, CAPTURE_SNAPLEN);
	pcap_set_promisc(c->p, 0);
	pcap_set_timeout(c->p, 5);
	pcap_set_buffer_size(c->p, buffer > INT_MAX ? INT_MAX : (int)buffer);
	r = pcap_activate(c->p);
	if (r < 0) {
		int e = r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;

		capture_fail(why, whylen, "cannot start",
		             r == PCAP_ERROR_PERM_DENIED ? "needs CAP_NET_RAW" : pcap_geterr(c->p));
		pcap_close(c->p);
		free(c);
		return e;
	}
	if (pcap_setdirection(c->p, PCAP_D_IN) < 0 ||
	    pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		capture_fail(why, whylen, "bad filter", pcap_geterr(c->p));
		pcap_close(c->p);
		free(c);
		return -EINVAL;
	}
	r = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (r < 0 || pcap_setnonblock(c->p, 1, err) < 0) {
		capture_fail(why, whylen, "cannot set up", r < 0 ? pcap_geterr(c->p) : err);
		pcap_close(c->p);
		free(c);
		return -EIO;
	}
	c->linktype = pcap_datalink(c->p);
	c->fd = pcap_get_selectable_fd(c->p);
	*out = c;
	return 0;
}

int capture_fd(const struct capture *c)
{
	return c->fd;
}

static void capture_one(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	const uint8_t *ip;
	size_t iplen;

	if (packet_strip_link(c->linktype, bytes, h->caplen, &ip, &iplen) == 0)
		c->cb(c->ctx, ip, iplen);
}

int capture_dispatch(struct capture *c, capture_cb cb, void *ctx)
{
	int r;

	c->cb = cb;
	c->ctx = ctx;
	r = pcap_dispatch(c->p, -1, capture_one, (u_char *)c);
	return r < 0 ? -EIO : r;
}

static void capture_one_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;

	c->fcb(c->ctx, c->linktype, bytes, h->caplen);
}

int capture_dispatch_frames(struct capture *c, capture_frame_cb cb, void *ctx)
{
	int r;

	c->fcb = cb;
	c->ctx = ctx;
	r = pcap_dispatch(c->p, -1, capture_one_frame, (u_char *)c);
	return r < 0 ? -EIO : r;
}

uint64_t capture_drops(struct capture *c)
{
	struct pcap_stat st;

	if (pcap_stats(c->p, &st) == 0)
		c->drops = st.ps_drop;
	return c->drops;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->p);
	free(c);
}
