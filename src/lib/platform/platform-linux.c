/*
 * The platform layer on Linux: sock_diag for sockets, /proc for their owners,
 * the passwd database for users, /proc/sys for port ranges, getifaddrs for
 * addresses, XDG for the history file.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "knowledge/sysctl.h"
#include "platform/platform.h"
#include "sockets/sockdiag.h"
#include "sockets/sockproc.h"

/* The opaque handles are the Linux modules' own structs. */
static struct sockdiag *diag(struct plat_socktab *t)
{
	return (struct sockdiag *)(void *)t;
}

static struct sockproc *procs(struct plat_procs *m)
{
	return (struct sockproc *)(void *)m;
}

static const struct sockproc *cprocs(const struct plat_procs *m)
{
	return (const struct sockproc *)(const void *)m;
}

static int linux_sockets_open(struct plat_socktab **out)
{
	struct sockdiag *d = NULL;
	int rc = sockdiag_open(&d);

	*out = (struct plat_socktab *)(void *)d;
	return rc;
}

static int linux_sockets_dump(struct plat_socktab *t, const struct sockdiag_req *req,
                              sockdiag_cb cb, void *data)
{
	return sockdiag_dump(diag(t), req, cb, data);
}

static void linux_sockets_close(struct plat_socktab *t)
{
	sockdiag_close(diag(t));
}

static struct plat_procs *linux_procs_new(void)
{
	return (struct plat_procs *)(void *)sockproc_new();
}

static int linux_procs_start(struct plat_procs *m)
{
	return sockproc_scan_start(procs(m), "/proc");
}

static int linux_procs_wait(struct plat_procs *m)
{
	return sockproc_scan_wait(procs(m));
}

static size_t linux_procs_lookup(const struct plat_procs *m, const struct sockdiag_sock *s,
                                 unsigned *idx, size_t max)
{
	return sockproc_lookup(cprocs(m), s->inode, idx, max);
}

static long linux_procs_pid(const struct plat_procs *m, unsigned i)
{
	return (long)sockproc_pid(cprocs(m), i);
}

static const char *linux_procs_name(struct plat_procs *m, unsigned i)
{
	return sockproc_name(procs(m), i);
}

static unsigned linux_procs_unreadable(const struct plat_procs *m)
{
	return sockproc_unreadable(cprocs(m));
}

static void linux_procs_free(struct plat_procs *m)
{
	sockproc_free(procs(m));
}

static const char *linux_user_name(const struct sockdiag_sock *s, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[2048];

	if (getpwuid_r(s->uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", s->uid);
	return buf;
}

static int linux_ephemeral_range(uint16_t *lo, uint16_t *hi, char *why, size_t whylen)
{
	return kb_sysctl_port_range(NULL, lo, hi, why, whylen);
}

static int linux_unpriv_port_start(uint16_t *start, char *why, size_t whylen)
{
	return kb_sysctl_unpriv_start(NULL, start, why, whylen);
}

static int linux_own_addresses(plat_addr_cb cb, void *data)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			cb(AF_INET,
			   (const uint8_t *)&((const struct sockaddr_in *)(const void *)i->ifa_addr)
			       ->sin_addr,
			   data);
		else if (i->ifa_addr->sa_family == AF_INET6)
			cb(AF_INET6,
			   ((const struct sockaddr_in6 *)(const void *)i->ifa_addr)
			       ->sin6_addr.s6_addr,
			   data);
	}
	freeifaddrs(ifa);
	return 0;
}

static int linux_history_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/portscope/history.db", xdg);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/portscope/history.db", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static const struct platform_ops platform_linux = {
    .name = "linux",
    .sockets_open = linux_sockets_open,
    .sockets_dump = linux_sockets_dump,
    .sockets_close = linux_sockets_close,
    .procs_new = linux_procs_new,
    .procs_start = linux_procs_start,
    .procs_wait = linux_procs_wait,
    .procs_lookup = linux_procs_lookup,
    .procs_pid = linux_procs_pid,
    .procs_name = linux_procs_name,
    .procs_unreadable = linux_procs_unreadable,
    .procs_free = linux_procs_free,
    .user_name = linux_user_name,
    .ephemeral_range = linux_ephemeral_range,
    .unpriv_port_start = linux_unpriv_port_start,
    .unpriv_setting = "net.ipv4.ip_unprivileged_port_start",
    .own_addresses = linux_own_addresses,
    .history_path = linux_history_path,
};

const struct platform_ops *const platform = &platform_linux;
