/*
 * Driver of the firewall evaluator for benchmarks and tests: reads the live
 * ruleset of a namespace (or a JSON file), its interfaces and its listening
 * sockets, and evaluates every path to every socket and every translated
 * endpoint, timing each step.
 *
 *   fw-driver [--netns NAME] [--ruleset FILE.json] [--repeat N] [--list]
 *
 * Prints one JSON object: {"sockets":N,"paths":P,"nat_endpoints":E,
 * "read_ms":R,"eval_ms":V,"nat_ms":T} (eval and nat: the best of N runs);
 * --list first prints one object per path outcome and per endpoint.
 * Exit status: 0 done, 2 bad arguments, 3 a read failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "firewall/expose.h"
#include "firewall/firewall.h"
#include "firewall/owner.h"
#include "sockets/sockdiag.h"
#include "sockets/sockns.h"
#include "util/strnum.h"

struct socks {
	struct sockdiag_sock *v;
	size_t n, cap;
};

static int add_sock(const struct sockdiag_sock *s, void *data)
{
	struct socks *l = data;

	if (s->proto == IPPROTO_UDP && s->state != TCP_CLOSE)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct sockdiag_sock *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int dump(struct sockns *ns, struct socks *l)
{
	struct sockdiag *d = NULL;
	int saved = -1, rc;

	if (ns && (rc = sockns_enter(ns, &saved)) < 0)
		return rc;
	rc = sockdiag_open(&d);
	if (ns)
		sockns_leave(saved);
	for (int p = 0; p < 2 && rc == 0; p++)
		for (int f = 0; f < 2 && rc == 0; f++) {
			struct sockdiag_req req = {.family = f ? AF_INET6 : AF_INET,
			                           .proto = p ? IPPROTO_UDP : IPPROTO_TCP,
			                           .states =
			                               p ? 1u << TCP_CLOSE : 1u << TCP_LISTEN};

			rc = sockdiag_dump(d, &req, add_sock, l);
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0;
		}
	sockdiag_close(d);
	return rc;
}

/* s as a JSON string body (quotes and backslashes escaped, controls dropped). */
static const char *esc(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		if ((unsigned char)*s >= 0x20)
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static void list_path(const struct sockdiag_sock *s, const struct fw_expo *e)
{
	for (size_t i = 0; i < e->npaths; i++) {
		const struct fw_expo_path *p = &e->paths[i];
		char a[INET6_ADDRSTRLEN], by[600], src[400];

		inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
		for (size_t k = 0; k < p->nout; k++) {
			const struct fw_outcome *o = &p->out[k];
			char eby[1300], ewhy[400];

			fw_ref_format(&o->by, by, sizeof(by));
			fw_sources_format(o, p->family, src, sizeof(src));
			printf(
			    "{\"type\":\"path\",\"proto\":\"%s\",\"port\":%u,\"address\":\"%s\","
			    "\"iif\":\"%s\",\"result\":\"%s\",\"scan\":\"%s\",\"sources\":\"%s\","
			    "\"exposure\":\"%s\",\"by\":\"%s\",\"why\":\"%s\"}\n",
			    s->proto == IPPROTO_UDP ? "udp" : "tcp", s->local_port, a, p->iif,
			    fw_result_name(o->result), fw_scan_state(o, s->proto, o->local), src,
			    fw_expo_name(e->cls), esc(by, eby, sizeof(eby)),
			    esc(o->why, ewhy, sizeof(ewhy)));
		}
	}
}

struct nat_ctx {
	size_t n;
	bool list;
	struct sockns *all; /* every namespace, for the owners */
	size_t nall;
	struct sockns *self; /* the namespace evaluated: local deliveries' owners */
};

static int on_nat(const struct fw_nat_endpoint *ep, void *data)
{
	struct nat_ctx *c = data;

	c->n++;
	if (c->list) {
		char a[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], by[600], eby[1300];

		inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, a, sizeof(a));
		inet_ntop(ep->out.dfamily == 6 ? AF_INET6 : AF_INET, ep->out.daddr, d, sizeof(d));
		struct fw_dest dst = {
		    .proto = ep->proto, .family = ep->out.dfamily, .port = ep->out.dport};
		struct fw_owner own = {0};
		char enet[700];

		memcpy(dst.addr, ep->out.daddr, 16);
		if (ep->out.result == FW_ACCEPTED)
			fw_owner_find(ep->out.local ? c->self : c->all, ep->out.local ? 1 : c->nall,
			              &dst, &own);
		fw_ref_format(&ep->out.nat_by, by, sizeof(by));
		printf("{\"type\":\"nat\",\"proto\":\"%s\",\"address\":\"%s\",\"ports\":\"%u-%u\","
		       "\"iif\":\"%s\",\"to\":\"%s:%u\",\"result\":\"%s\",\"local\":%s,"
		       "\"by\":\"%s\",\"scan\":\"%s\",\"owner_netns\":\"%s\",\"owner_found\":%s}\n",
		       ep->proto == IPPROTO_UDP ? "udp" : "tcp", a, ep->port_lo, ep->port_hi,
		       ep->iif, d, ep->out.dport, fw_result_name(ep->out.result),
		       ep->out.local ? "true" : "false", esc(by, eby, sizeof(eby)),
		       fw_scan_state(&ep->out, ep->proto, own.found),
		       esc(own.netns, enet, sizeof(enet)), own.found ? "true" : "false");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *netns = NULL, *file = NULL;
	struct sockns ns = {.fd = -1};
	struct fw_ruleset *rs = NULL;
	struct fw_env env;
	struct socks l = {0};
	unsigned repeat = 1;
	bool list = false;
	double t0, read_ms, eval_ms = 1e18, nat_ms = 1e18;
	size_t paths = 0;
	struct nat_ctx nc = {0};
	char why[256] = "";
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc) {
			netns = argv[++i];
		} else if (strcmp(argv[i], "--ruleset") == 0 && i + 1 < argc) {
			file = argv[++i];
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			uint64_t v;

			if (strnum_u64(argv[++i], 1, 1000, &v) < 0) {
				fprintf(stderr, "fw-driver: bad --repeat '%s'\n", argv[i]);
				return 2;
			}
			repeat = (unsigned)v;
		} else if (strcmp(argv[i], "--list") == 0) {
			list = true;
		} else {
			fprintf(stderr,
			        "usage: fw-driver [--netns NAME] [--ruleset FILE] [--repeat N] "
			        "[--list]\n");
			return 2;
		}
	}
	if (netns && (rc = sockns_open_name(SOCKNS_RUN_DIR, netns, &ns)) < 0) {
		fprintf(stderr, "fw-driver: netns '%s': %s\n", netns, strerror(-rc));
		return 3;
	}
	t0 = now_ms();
	if (file) {
		FILE *f = fopen(file, "re");
		char *buf = NULL;
		size_t len = 0;

		if (!f) {
			fprintf(stderr, "fw-driver: %s: %s\n", file, strerror(errno));
			return 3;
		}
		{
			FILE *m = open_memstream(&buf, &len);
			char chunk[65536];
			size_t n;

			while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
				fwrite(chunk, 1, n, m);
			if (m)
				fclose(m);
		}
		fclose(f);
		rc = buf ? fw_ruleset_parse(buf, len, &rs, why, sizeof(why)) : -ENOMEM;
		free(buf);
	} else {
		rc = fw_ruleset_read(ns.fd, &rs, why, sizeof(why));
	}
	read_ms = now_ms() - t0;
	if (rc < 0) {
		fprintf(stderr, "fw-driver: ruleset: %s\n", why);
		return 3;
	}
	if ((rc = fw_env_read(ns.fd, &env, why, sizeof(why))) < 0 ||
	    (rc = dump(netns ? &ns : NULL, &l)) < 0) {
		fprintf(stderr, "fw-driver: %s\n", why[0] ? why : strerror(-rc));
		return 3;
	}
	nc.self = &ns;
	if (!netns && sockns_current(SOCKNS_RUN_DIR, &ns) < 0) {
		fprintf(stderr, "fw-driver: cannot open the own namespace\n");
		return 3;
	}
	if (list && sockns_list_all(SOCKNS_RUN_DIR, "/proc", &nc.all, &nc.nall) < 0) {
		fprintf(stderr, "fw-driver: cannot list the namespaces\n");
		return 3;
	}
	for (unsigned r = 0; r < repeat; r++) {
		double t = now_ms();

		paths = 0;
		for (size_t i = 0; i < l.n; i++) {
			struct fw_expo e;

			if (fw_expose_socket(rs, &env, l.v[i].proto,
			                     l.v[i].family == AF_INET6 ? 6 : 4, l.v[i].local,
			                     l.v[i].v6only == 0, l.v[i].local_port, &e) < 0)
				return 3;
			paths += e.npaths;
			if (list && r == 0)
				list_path(&l.v[i], &e);
			fw_expo_release(&e);
		}
		t = now_ms() - t;
		if (t < eval_ms)
			eval_ms = t;
		t = now_ms();
		nc.n = 0;
		nc.list = list && r == 0;
		if (fw_nat_endpoints(rs, &env, on_nat, &nc) < 0)
			return 3;
		t = now_ms() - t;
		if (t < nat_ms)
			nat_ms = t;
	}
	printf("{\"type\":\"summary\",\"sockets\":%zu,\"paths\":%zu,\"nat_endpoints\":%zu,"
	       "\"read_ms\":%.2f,\"eval_ms\":%.2f,\"nat_ms\":%.2f,\"legacy\":\"%s\"}\n",
	       l.n, paths, nc.n, read_ms, eval_ms, nat_ms, rs->legacy ? rs->legacy : "");
	fw_ruleset_free(rs);
	fw_env_free(&env);
	sockns_free_list(nc.all, nc.nall);
	free(l.v);
	sockns_release(&ns);
	return 0;
}
