/*
 * Host discovery on Windows (see discovery.h): connect() to the TCP ports
 * asked for (-PS, -PA) or to 80 and 443, as nmap does without raw sockets;
 * an address of this machine (the loopback ranges and the adapters'
 * addresses) is up (localhost-response) and one no route leads to is down
 * (no-route) without a probe. ICMP and UDP probes need raw
 * sockets, which portscope has only on Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "platform/platform.h"
#include "scan/discovery-private.h"
#include "scan/linkpath.h"
#include "util/clock.h"
#include "util/why.h"

struct disc {
	struct disc_config cfg;
	struct portlist ports;
	struct target_addr *own; /* this machine's addresses */
	size_t nown, own_cap;
};

static void add_own(int family, const uint8_t *addr, void *data)
{
	struct disc *d = data;
	struct target_addr a = {.family = family};

	if (d->nown == d->own_cap) {
		size_t nc = d->own_cap ? 2 * d->own_cap : 16;
		struct target_addr *nv = realloc(d->own, nc * sizeof(*nv));

		if (!nv)
			return; /* one address fewer: it is probed like any other */
		d->own = nv;
		d->own_cap = nc;
	}
	memcpy(family == AF_INET ? (void *)&a.v4 : (void *)&a.v6, addr, family == AF_INET ? 4 : 16);
	d->own[d->nown++] = a;
}

int disc_open(const struct disc_config *cfg, struct disc **out, char *why, size_t whylen)
{
	struct disc *d;
	int r = 0;

	*out = NULL;
	if (!cfg->targets) {
		why_set(why, whylen, "no targets");
		return -EINVAL;
	}
	if (cfg->raw || cfg->icmp || (cfg->udp_ports && cfg->udp_ports->n)) {
		why_set(why, whylen,
		        "ICMP, UDP and crafted TCP host discovery need raw sockets "
		        "(Linux-only): use -PS, -PA or -Pn");
		return -EPERM;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	for (size_t i = 0; cfg->syn_ports && i < cfg->syn_ports->n && r == 0; i++)
		r = portlist_add_range(&d->ports, cfg->syn_ports->ports[i],
		                       cfg->syn_ports->ports[i]);
	for (size_t i = 0; cfg->ack_ports && i < cfg->ack_ports->n && r == 0; i++)
		r = portlist_add_range(&d->ports, cfg->ack_ports->ports[i],
		                       cfg->ack_ports->ports[i]);
	if (r == 0 && d->ports.n == 0) /* nothing asked: nmap's unprivileged default */
		r = portlist_add_range(&d->ports, 80, 80)
		        ?: portlist_add_range(&d->ports, 443, 443);
	if (r == 0)
		platform->own_addresses(add_own, d);
	if (r < 0) {
		disc_close(d);
		why_set(why, whylen, "out of memory");
		return r;
	}
	*out = d;
	return 0;
}

/* 1: an address of this machine; -ENETUNREACH: no route; 0: probe it. */
static int win_where(void *ctx, const struct target_addr *a)
{
	const struct disc *d = ctx;
	struct target_addr self;
	int r;

	if (a->family == AF_INET ? (ntohl(a->v4.s_addr) >> 24) == 127
	                         : IN6_IS_ADDR_LOOPBACK(&a->v6))
		return 1;
	for (size_t i = 0; i < d->nown; i++)
		if (d->own[i].family == a->family &&
		    (a->family == AF_INET ? d->own[i].v4.s_addr == a->v4.s_addr
		                          : !memcmp(&d->own[i].v6, &a->v6, sizeof(a->v6))))
			return 1;
	r = linkpath_source(a, &self);
	return r == -ENETUNREACH ? r : 0;
}

int disc_run(struct disc *d, const struct disc_sink *sink, struct disc_stats *st, char *why,
             size_t whylen)
{
	struct disc_stats local = {0};
	uint64_t t0 = clock_mono_us();
	int r;

	if (!st)
		st = &local;
	*st = (struct disc_stats){0};
	r = disc_connect_run(&d->cfg, &d->ports, win_where, d, sink, st, why, whylen);
	st->elapsed = (double)(clock_mono_us() - t0) / 1e6;
	return r;
}

void disc_stop(struct disc *d)
{
	(void)d; /* no sender threads: the connect engine ends with its feed */
}

void disc_close(struct disc *d)
{
	if (!d)
		return;
	portlist_free(&d->ports);
	free(d->own);
	free(d);
}
