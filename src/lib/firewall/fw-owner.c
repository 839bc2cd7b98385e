/*
 * Who owns a translated endpoint's destination: the network namespace that
 * holds the address (a container's, the host's own) and the socket listening
 * there, found through the --netns all machinery (every /run/netns name and
 * every process's namespace).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/owner.h"
#include "sockets/sockdiag.h"

struct want {
	const struct fw_dest *d;
	struct fw_owner *out;
};

static bool addr_eq(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, family == 6 ? 16 : 4) == 0;
}

/* Whether the calling thread's namespace holds (family, addr) on an interface; its name in ifname.
 */
static bool holds(uint8_t family, const uint8_t *addr, char *ifname, size_t len)
{
	struct ifaddrs *ifa, *p;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (p = ifa; p && !found; p = p->ifa_next) {
		const void *a;

		if (!p->ifa_addr)
			continue;
		if (family == 4 && p->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)p->ifa_addr)->sin_addr;
		else if (family == 6 && p->ifa_addr->sa_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)p->ifa_addr)->sin6_addr;
		else
			continue;
		if (addr_eq(family, a, addr)) {
			found = true;
			snprintf(ifname, len, "%s", p->ifa_name);
		}
	}
	freeifaddrs(ifa);
	return found;
}

static int match_sock(const struct sockdiag_sock *s, void *data)
{
	struct want *w = data;
	const struct fw_dest *d = w->d;
	static const uint8_t zero[16];
	bool any = memcmp(s->local, zero, s->family == AF_INET6 ? 16 : 4) == 0;
	uint8_t fam = s->family == AF_INET6 ? 6 : 4;

	if (s->proto == IPPROTO_UDP && s->state != TCP_CLOSE)
		return 0;
	if (s->local_port != d->port)
		return 0;
	if (fam == d->family ? !(any || addr_eq(fam, s->local, d->addr))
	                     : !(fam == 6 && d->family == 4 && any && s->v6only == 0))
		return 0;
	w->out->found = true;
	w->out->sock = *s;
	return 1;
}

/* Looks in the calling thread's namespace; 1 when the address lives here. */
static int look_here(const struct fw_dest *d, struct fw_owner *out)
{
	struct want w = {.d = d, .out = out};
	struct sockdiag *sd;
	int rc;

	if (!holds(d->family, d->addr, out->ifname, sizeof(out->ifname)))
		return 0;
	out->addr_known = true;
	rc = sockdiag_open(&sd);
	if (rc < 0)
		return rc;
	for (int f = 0; f < 2 && !out->found; f++) {
		struct sockdiag_req req = {.family = f ? AF_INET6 : AF_INET,
		                           .proto = d->proto,
		                           .states = d->proto == IPPROTO_TCP ? 1u << TCP_LISTEN
		                                                             : 1u << TCP_CLOSE};

		rc = sockdiag_dump(sd, &req, match_sock, &w);
		if (rc < 0 && rc != -ENOENT && rc != -EAFNOSUPPORT) {
			sockdiag_close(sd);
			return rc;
		}
	}
	sockdiag_close(sd);
	return 1;
}

int fw_owner_find(const struct sockns *list, size_t n, const struct fw_dest *d,
                  struct fw_owner *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		int saved, rc;

		if (sockns_enter(&list[i], &saved) < 0)
			continue; /* gone, or not ours to enter */
		rc = look_here(d, out);
		if (sockns_leave(saved) < 0)
			return -EIO;
		if (rc < 0)
			return rc;
		if (rc == 1) {
			snprintf(out->netns, sizeof(out->netns), "%s", list[i].name);
			out->ns_index = i;
			return 0;
		}
	}
	return 0;
}
