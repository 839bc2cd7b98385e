/*
 * The live side: the ruleset through libnftables, legacy xtables detected
 * through their sockopts, and the host facts (interfaces, addresses, routes,
 * sysctls) through rtnetlink and /proc/sys. Each reads the calling thread's
 * network namespace, or enters nsfd first and comes back after.
 */
#include <net/if.h> /* before the linux headers, which then skip their copy */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "firewall/fw-private.h"
#include "util/privdrop.h"
#include "util/why.h"

/* Enters nsfd (when >= 0), saving the thread's own namespace in *saved (-1: none). */
static int ns_enter(int nsfd, int *saved, char *why, size_t whylen)
{
	*saved = -1;
	if (nsfd < 0)
		return 0;
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return why_err(why, whylen, -errno, "cannot open own network namespace: %s",
		               strerror(errno));
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int rc = -errno;

		close(*saved);
		*saved = -1;
		return why_err(why, whylen, rc, "cannot enter the network namespace: %s",
		               strerror(-rc));
	}
	return 0;
}

/* Back to the saved namespace. Returns 0 or -errno (the thread stays elsewhere). */
static int ns_leave(int saved)
{
	int rc = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		rc = -errno;
	close(saved);
	return rc;
}

/* ---- legacy xtables ---- */

/*
 * Whether legacy table name (of the family) holds anything but empty built-in
 * chains with policy ACCEPT. Returns 1 (it does), 0 (neutral), or -errno.
 */
static int legacy_table_busy(int family, const char *name)
{
	int level = family == 6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int s = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	struct ipt_getinfo info;
	socklen_t len = sizeof(info);
	unsigned hooks = 0;
	int rc = 1;

	if (s < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%.31s", name);
	/* ip6t_getinfo has the same layout as ipt_getinfo */
	if (getsockopt(s, level, family == 6 ? IP6T_SO_GET_INFO : IPT_SO_GET_INFO, &info, &len) <
	    0) {
		rc = -errno;
		close(s);
		return rc;
	}
	for (unsigned h = 0; h < NF_INET_NUMHOOKS; h++)
		if (info.valid_hooks & (1u << h))
			hooks++;
	if (info.num_entries == hooks + 1) {
		/* only the policies and the error entry: read the policies */
		size_t sz = sizeof(struct ipt_get_entries) + info.size;
		struct ipt_get_entries *ge = calloc(1, sz);

		if (!ge) {
			close(s);
			return -ENOMEM;
		}
		snprintf(ge->name, sizeof(ge->name), "%.31s", name);
		ge->size = info.size;
		len = (socklen_t)sz;
		if (getsockopt(s, level, family == 6 ? IP6T_SO_GET_ENTRIES : IPT_SO_GET_ENTRIES, ge,
		               &len) == 0) {
			rc = 0;
			for (unsigned h = 0; h < NF_INET_NUMHOOKS && rc == 0; h++) {
				unsigned off = info.hook_entry[h], toff;
				const struct xt_standard_target *t;

				if (!(info.valid_hooks & (1u << h)))
					continue;
				if (family == 6) {
					const struct ip6t_entry *e;

					if (off + sizeof(*e) > info.size) {
						rc = 1;
						break;
					}
					e = (const void *)((const char *)ge->entrytable + off);
					toff = off + e->target_offset;
				} else {
					const struct ipt_entry *e;

					if (off + sizeof(*e) > info.size) {
						rc = 1;
						break;
					}
					e = (const void *)((const char *)ge->entrytable + off);
					toff = off + e->target_offset;
				}
				if (toff + sizeof(*t) > info.size) {
					rc = 1;
					break;
				}
				t = (const void *)((const char *)ge->entrytable + toff);
				/* a standard target's verdict: -NF_ACCEPT - 1 is ACCEPT */
				if (t->target.u.user.name[0] != '\0' ||
				    t->verdict != -NF_ACCEPT - 1)
					rc = 1;
			}
		}
		free(ge);
	}
	close(s);
	return rc;
}

/* Checks /proc/thread-self/net/ip{,6}_tables_names; sets *legacy to a description. */
static int legacy_check(char **legacy)
{
	static const struct {
		int family;
		const char *path;
		const char *cmd;
	} files[] = {
	    {4, "/proc/thread-self/net/ip_tables_names", "iptables-legacy"},
	    {6, "/proc/thread-self/net/ip6_tables_names", "ip6tables-legacy"},
	};
	char found[256] = "";

	*legacy = NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i].path, "re");
		char name[64];

		if (!f)
			continue; /* no legacy module loaded: nothing there */
		while (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			if (!name[0])
				continue;
			if (legacy_table_busy(files[i].family, name) != 0) {
				size_t n = strlen(found);

				snprintf(found + n, sizeof(found) - n, "%s%s table %s",
				         n ? ", " : "", files[i].cmd, name);
			}
		}
		fclose(f);
	}
	if (found[0] && !(*legacy = strdup(found)))
		return -ENOMEM;
	return 0;
}

/* ---- the ruleset ---- */

static bool xt_left(const struct fw_ruleset *rs)
{
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++)
			for (size_t k = 0; k < rs->tables[i].chains[j].nrules; k++) {
				const struct fw_rule *r = &rs->tables[i].chains[j].rules[k];

				for (size_t m = 0; m < r->nitems; m++)
					if (r->items[m].xt_index)
						return true;
			}
	return false;
}

static int read_here(struct fw_ruleset **out, char *why, size_t whylen)
{
	struct nft_ctx *ctx;
	const char *json, *err;
	char *legacy = NULL;
	int rc;

	if (!privdrop_have_net_admin())
		return why_err(why, whylen, -EPERM,
		               "reading the ruleset needs CAP_NET_ADMIN (root)");
	rc = legacy_check(&legacy);
	if (rc < 0)
		return rc;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx) {
		free(legacy);
		return -ENOMEM;
	}
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		free(legacy);
		return -ENOMEM;
	}
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	rc = nft_run_cmd_from_buffer(ctx, "list ruleset");
	if (rc != 0) {
		err = nft_ctx_get_error_buffer(ctx);
		rc = err && strstr(err, "Operation not permitted") ? -EPERM : -EIO;
		why_set(why, whylen, "cannot list the nftables ruleset: %s",
		        rc == -EPERM ? "Operation not permitted (needs CAP_NET_ADMIN)"
		                     : (err && *err ? err : "libnftables failed"));
		if (why && whylen)
			why[strcspn(why, "\n")] = '\0';
		nft_ctx_free(ctx);
		free(legacy);
		return rc;
	}
	json = nft_ctx_get_output_buffer(ctx);
	if (!json || !*json)
		json = "{\"nftables\": []}"; /* no tables at all: nft prints nothing */
	rc = fw_ruleset_parse(json, strlen(json), out, why, whylen);
	nft_ctx_free(ctx);
	if (rc < 0) {
		free(legacy);
		return rc;
	}
	(*out)->legacy = legacy;
	if (xt_left(*out)) {
		struct fw_xt_rule *xr = NULL;
		size_t n = 0;

		rc = fw_xt_dump(&xr, &n);
		if (rc == 0)
			rc = fw_xt_apply(*out, xr, n);
		fw_xt_free(xr, n);
		if (rc == -ENOMEM) {
			fw_ruleset_free(*out);
			*out = NULL;
			return rc;
		}
		/* other failures leave the xt items unknown, which is honest */
	}
	return 0;
}

int fw_ruleset_read(int nsfd, struct fw_ruleset **out, char *why, size_t whylen)
{
	int saved, rc;

	*out = NULL;
	rc = ns_enter(nsfd, &saved, why, whylen);
	if (rc < 0)
		return rc;
	rc = read_here(out, why, whylen);
	if (ns_leave(saved) < 0 && rc == 0) {
		fw_ruleset_free(*out);
		*out = NULL;
		return why_err(why, whylen, -EIO, "cannot return to the own network namespace");
	}
	return rc;
}

/* ---- host facts ---- */

static int read_bool(const char *path, bool *v)
{
	FILE *f = fopen(path, "re");
	int x = 0;

	*v = false;
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &x) != 1)
		x = 0;
	fclose(f);
	*v = x != 0;
	return 0;
}

struct route_ctx {
	struct fw_env *env;
	size_t cap;
	int err;
};

static int route_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_ctx *rc = data;
	const struct rtmsg *rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct fw_route *r;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rm))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rm), route_attr, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rm->rtm_table;
	if (table != RT_TABLE_MAIN || (rm->rtm_family != AF_INET && rm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	if (rc->env->nroutes == rc->cap) {
		size_t cap = rc->cap ? 2 * rc->cap : 16;
		struct fw_route *v = realloc(rc->env->routes, cap * sizeof(*v));

		if (!v) {
			rc->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		rc->env->routes = v;
		rc->cap = cap;
	}
	r = &rc->env->routes[rc->env->nroutes];
	memset(r, 0, sizeof(*r));
	r->family = rm->rtm_family == AF_INET6 ? 6 : 4;
	r->type = rm->rtm_type;
	r->plen = rm->rtm_dst_len;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) >= (r->family == 6 ? 16u : 4u))
		memcpy(r->addr, mnl_attr_get_payload(tb[RTA_DST]), r->family == 6 ? 16 : 4);
	if (tb[RTA_OIF])
		if_indextoname(mnl_attr_get_u32(tb[RTA_OIF]), r->oifname) || (r->oifname[0] = 0);
	rc->env->nroutes++;
	return MNL_CB_OK;
}

static int read_routes(struct fw_env *env)
{
	static __thread char buf[8192];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct route_ctx ctx = {.env = env};
	struct nlmsghdr *nlh;
	struct rtmsg *rm;
	unsigned seq = (unsigned)time(NULL), portid;
	int ret;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, route_cb, &ctx);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? (ctx.err ? ctx.err : -errno) : 0;
			break;
		}
	}
	mnl_socket_close(nl);
	return ret;
}

static int read_env_here(struct fw_env *env, char *why, size_t whylen)
{
	struct ifaddrs *ifa, *p;
	size_t ncap = 0, acap = 0;
	bool all_localnet = false;
	int rc;

	if (getifaddrs(&ifa) < 0)
		return why_err(why, whylen, -errno, "cannot list interfaces: %s", strerror(errno));
	for (p = ifa; p; p = p->ifa_next) {
		size_t i;

		if (!p->ifa_name || strlen(p->ifa_name) >= FW_IFNAMSIZ)
			continue;
		for (i = 0; i < env->nifaces; i++)
			if (strcmp(env->ifaces[i].name, p->ifa_name) == 0)
				break;
		if (i == env->nifaces) {
			if (env->nifaces == ncap) {
				size_t cap = ncap ? 2 * ncap : 8;
				struct fw_iface *v = realloc(env->ifaces, cap * sizeof(*v));

				if (!v)
					goto oom;
				env->ifaces = v;
				ncap = cap;
			}
			memset(&env->ifaces[i], 0, sizeof(env->ifaces[i]));
			snprintf(env->ifaces[i].name, FW_IFNAMSIZ, "%s", p->ifa_name);
			env->ifaces[i].index = if_nametoindex(p->ifa_name);
			env->nifaces++;
		}
		env->ifaces[i].up = p->ifa_flags & IFF_UP;
		env->ifaces[i].loopback = p->ifa_flags & IFF_LOOPBACK;
		if (!p->ifa_addr ||
		    (p->ifa_addr->sa_family != AF_INET && p->ifa_addr->sa_family != AF_INET6))
			continue;
		if (env->naddrs == acap) {
			size_t cap = acap ? 2 * acap : 8;
			struct fw_addr *v = realloc(env->addrs, cap * sizeof(*v));

			if (!v)
				goto oom;
			env->addrs = v;
			acap = cap;
		}
		struct fw_addr *a = &env->addrs[env->naddrs++];

		memset(a, 0, sizeof(*a));
		snprintf(a->ifname, FW_IFNAMSIZ, "%s", p->ifa_name);
		if (p->ifa_addr->sa_family == AF_INET) {
			a->family = 4;
			memcpy(a->addr, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4);
		} else {
			a->family = 6;
			memcpy(a->addr, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16);
		}
	}
	freeifaddrs(ifa);
	read_bool("/proc/sys/net/ipv4/ip_forward", &env->forward4);
	read_bool("/proc/sys/net/ipv6/conf/all/forwarding", &env->forward6);
	read_bool("/proc/sys/net/ipv4/conf/all/route_localnet", &all_localnet);
	for (size_t i = 0; i < env->nifaces; i++) {
		char path[128];
		bool v = false;

		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet",
		         env->ifaces[i].name);
		read_bool(path, &v);
		env->ifaces[i].route_localnet = v || all_localnet;
	}
	rc = read_routes(env);
	if (rc < 0)
		return why_err(why, whylen, rc, "cannot read the routes: %s", strerror(-rc));
	return 0;
oom:
	freeifaddrs(ifa);
	return -ENOMEM;
}

int fw_env_read(int nsfd, struct fw_env *env, char *why, size_t whylen)
{
	int saved, rc;

	memset(env, 0, sizeof(*env));
	rc = ns_enter(nsfd, &saved, why, whylen);
	if (rc < 0)
		return rc;
	rc = read_env_here(env, why, whylen);
	if (ns_leave(saved) < 0 && rc == 0)
		rc = why_err(why, whylen, -EIO, "cannot return to the own network namespace");
	if (rc < 0)
		fw_env_free(env);
	return rc;
}
