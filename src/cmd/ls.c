/* portscope ls: local sockets and their processes, like ss -tulnp. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/table.h"
#include "sockets/sockdiag.h"
#include "sockets/sockexpose.h"
#include "sockets/sockns.h"
#include "sockets/sockproc.h"
#include "sockets/sockquery.h"
#include "util/array.h"

#define CMD "ls"

static const char usage_text[] =
    "usage: portscope ls [-tulan46] [--no-process] [--port N] [--state STATE]\n"
    "                    [--netns NAME|all] [--json] [--no-color]\n"
    "\n"
    "Local TCP and UDP sockets with their owning processes (like ss -tulnp).\n"
    "Default: listening sockets (TCP LISTEN, unconnected UDP) of both protocols.\n"
    "\n"
    "  -t, --tcp          TCP sockets          -u, --udp        UDP sockets\n"
    "  -l, --listening    listening (default)  -a, --all        every state\n"
    "  -4, --ipv4         IPv4 only            -6, --ipv6       IPv6 only\n"
    "  -n, --numeric      no service names     -p, --processes  owning processes (default)\n"
    "      --no-process   skip the process look-up (faster)\n"
    "      --port N       sockets whose local or peer port is N\n"
    "      --state STATE  listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"
    "                     time-wait, close, close-wait, last-ack, closing, or the groups\n"
    "                     connected, synchronized, all (repeatable; overrides -l/-a)\n"
    "      --netns NAME   the namespace /run/netns/NAME; 'all' for every namespace\n"
    "      --json         JSON Lines, one object per socket\n"
    "      --no-color     no colour (also NO_COLOR)\n"
    "  -h, --help         this help\n";

/* A socket and the namespace (index into the run's list) it was dumped from. */
struct ls_row {
	struct sockdiag_sock s;
	unsigned ns;
};

struct ls_rows {
	struct ls_row *v;
	size_t n, cap;
	const struct ls_row **order; /* v sorted for output */
	const struct sockquery *q;
	unsigned ns; /* namespace being dumped */
};

static int rows_add(const struct sockdiag_sock *s, void *data)
{
	struct ls_rows *r = data;

	if (!sockquery_match(r->q, s))
		return 0;
	if (GREEDY_REALLOC(r->v, r->cap, r->n + 1) < 0)
		return -ENOMEM;
	r->v[r->n].s = *s;
	r->v[r->n].ns = r->ns;
	r->n++;
	return 0;
}

/* Dumps every wanted (protocol, family) of one namespace (NULL: our own). */
static int dump_ns(struct ls_rows *rows, const struct sockns *ns, const char **what)
{
	const struct sockquery *q = rows->q;
	struct sockdiag *d = NULL;
	int rc, saved;

	if (ns) {
		*what = "cannot enter the network namespace";
		rc = sockns_enter(ns, &saved);
		if (rc < 0)
			return rc;
		rc = sockdiag_open(&d);
		int rc2 = sockns_leave(saved);
		if (rc2 < 0) {
			sockdiag_close(d);
			*what = "cannot return to the original network namespace";
			return rc2;
		}
	} else {
		rc = sockdiag_open(&d);
	}
	if (rc < 0) {
		*what = "cannot open a sock_diag netlink socket";
		return rc;
	}
	*what = "sock_diag dump failed";
	for (int p = 0; p < 2 && rc == 0; p++) {
		if (!(p == 0 ? q->tcp : q->udp))
			continue;
		for (int f = 0; f < 2 && rc == 0; f++) {
			struct sockdiag_req req = {
			    .family = f == 0 ? AF_INET : AF_INET6,
			    .proto = p == 0 ? IPPROTO_TCP : IPPROTO_UDP,
			    .states = q->states,
			};

			if (!(f == 0 ? q->inet4 : q->inet6))
				continue;
			rc = sockdiag_dump(d, &req, rows_add, rows);
			/* A kernel without IPv6 (or without UDP diag) has nothing to show. */
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0;
		}
	}
	sockdiag_close(d);
	return rc;
}

/* Orders row pointers by namespace, protocol, local port, family, addresses. */
static int row_cmp(const void *pa, const void *pb)
{
	const struct ls_row *a = *(const struct ls_row *const *)pa;
	const struct ls_row *b = *(const struct ls_row *const *)pb;
	int c;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	if (a->s.proto != b->s.proto)
		return a->s.proto == IPPROTO_TCP ? -1 : 1;
	if (a->s.local_port != b->s.local_port)
		return a->s.local_port < b->s.local_port ? -1 : 1;
	if (a->s.family != b->s.family)
		return a->s.family == AF_INET ? -1 : 1;
	c = memcmp(a->s.local, b->s.local, sizeof(a->s.local));
	if (c)
		return c;
	c = memcmp(a->s.peer, b->s.peer, sizeof(a->s.peer));
	if (c)
		return c;
	return a->s.peer_port < b->s.peer_port ? -1 : a->s.peer_port > b->s.peer_port;
}

/* A row with integer sort keys, compared before the row itself. */
struct ls_key {
	uint64_t k1; /* namespace, protocol, local port, family */
	uint64_t k2; /* first 8 bytes of the local address */
	uint64_t k3; /* peer port, first 4 bytes of the peer address */
	const struct ls_row *row;
};

static uint64_t be_bytes(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct ls_key *a = pa, *b = pb;

	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	if (a->k3 != b->k3)
		return a->k3 < b->k3 ? -1 : 1;
	return row_cmp(&a->row, &b->row);
}

/* Fills rows->order sorted; returns 0 or -ENOMEM. */
static int rows_sort(struct ls_rows *rows)
{
	struct ls_key *keys = malloc((rows->n ? rows->n : 1) * sizeof(*keys));

	rows->order = malloc((rows->n ? rows->n : 1) * sizeof(*rows->order));
	if (!keys || !rows->order) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rows->n; i++) {
		const struct ls_row *r = &rows->v[i];

		keys[i] = (struct ls_key){
		    .k1 = (uint64_t)r->ns << 40 | (uint64_t)(r->s.proto != IPPROTO_TCP) << 39 |
		          (uint64_t)r->s.local_port << 23 |
		          (uint64_t)(r->s.family != AF_INET) << 22,
		    .k2 = be_bytes(r->s.local, 8),
		    .k3 = (uint64_t)r->s.peer_port << 32 | be_bytes(r->s.peer, 4),
		    .row = r,
		};
	}
	qsort(keys, rows->n, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < rows->n; i++)
		rows->order[i] = keys[i].row;
	free(keys);
	return 0;
}

/* Service names by [proto][port]: NULL not looked up yet, no_service when none. */
struct ls_services {
	const struct kb *kb;
	const char **memo; /* 2 * 65536 entries, NULL when out of memory */
};

static const char no_service[] = "";

/* kb_service_name() once per port: a busy port repeats on thousands of rows. */
static const char *service_of(struct ls_services *sv, uint16_t port, uint8_t proto)
{
	enum kb_proto p = proto == IPPROTO_TCP ? KB_PROTO_TCP : KB_PROTO_UDP;
	const char **slot, *name;

	if (!sv->memo)
		return kb_service_name(sv->kb, port, p);
	slot = &sv->memo[(size_t)p * 65536 + port];
	if (!*slot) {
		name = kb_service_name(sv->kb, port, p);
		*slot = name ? name : no_service;
	}
	return *slot == no_service ? NULL : *slot;
}

/*
 * The service of a socket from /etc/services: its local port's name, else (a
 * connection) its peer port's. NULL when none or with -n (no kb).
 */
static const char *row_service(struct ls_services *sv, const struct sockdiag_sock *s)
{
	const char *name;

	if (!sv->kb)
		return NULL;
	name = service_of(sv, s->local_port, s->proto);
	if (!name && s->state != TCP_LISTEN && s->state != TCP_CLOSE && s->peer_port)
		name = service_of(sv, s->peer_port, s->proto);
	return name;
}

struct user_cache {
	struct {
		uint32_t uid;
		char *name;
	} v[64];
	size_t n;
	char fallback[16];
};

/* The user name of uid, looked up once; the number when it has no name. */
static const char *user_name(struct user_cache *c, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[2048];

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].uid == uid)
			return c->v[i].name;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(c->fallback, sizeof(c->fallback), "%u", uid);
		if (c->n == ARRAY_SIZE(c->v))
			return c->fallback;
		c->v[c->n].name = strdup(c->fallback);
	} else {
		if (c->n == ARRAY_SIZE(c->v)) {
			snprintf(c->fallback, sizeof(c->fallback), "%u", uid);
			return c->fallback;
		}
		c->v[c->n].name = strdup(res->pw_name);
	}
	if (!c->v[c->n].name)
		return "?";
	c->v[c->n].uid = uid;
	return c->v[c->n++].name;
}

static void user_cache_free(struct user_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
}

/* Everything the renderers need besides the rows. */
struct ls_ctx {
	const struct sockquery *q;
	struct kb *kb; /* service names; NULL with -n */
	struct ls_services services;
	struct sockproc *procs; /* NULL with --no-process */
	struct sockns *ns;
	size_t nns;
	struct user_cache users;
	unsigned *idx; /* process indexes of the current row */
	size_t idx_cap;
	size_t hidden; /* sockets whose process could not be seen */
	char **cells;  /* single_cell() strings by process index */
	size_t ncells;
};

/* Fills ctx->idx with the processes holding s; returns how many. */
static size_t row_procs(struct ls_ctx *c, const struct sockdiag_sock *s)
{
	size_t n;

	if (!c->procs)
		return 0;
	n = sockproc_lookup(c->procs, s->inode, c->idx, c->idx_cap);
	if (n > c->idx_cap) {
		if (GREEDY_REALLOC(c->idx, c->idx_cap, n) < 0)
			return c->idx_cap;
		n = sockproc_lookup(c->procs, s->inode, c->idx, c->idx_cap);
	}
	if (n == 0 && s->inode != 0 && sockproc_unreadable(c->procs))
		c->hidden++;
	return n;
}

/* "127.0.0.1" or "::1" (no brackets). */
static const char *addr_str(const struct sockdiag_sock *s, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(s->family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Writes v in decimal at p (no NUL); returns the end. */
static char *put_uint(char *p, unsigned v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * "127.0.0.1:22", "[::1]:22". IPv4 is formatted by hand: with tens of
 * thousands of rows, inet_ntop() and snprintf() show in the profile.
 * buf must hold INET6_ADDRSTRLEN + 8 bytes.
 */
static void endpoint_str(const struct sockdiag_sock *s, const uint8_t *a, uint16_t port, char *buf)
{
	char *p = buf;

	if (s->family == AF_INET) {
		for (int i = 0; i < 4; i++) {
			p = put_uint(p, a[i]);
			*p++ = i < 3 ? '.' : ':';
		}
	} else {
		*p++ = '[';
		if (!inet_ntop(AF_INET6, a, p, INET6_ADDRSTRLEN))
			strcpy(p, "?");
		p += strlen(p);
		*p++ = ']';
		*p++ = ':';
	}
	p = put_uint(p, port);
	*p = '\0';
}

static bool is_unspecified(const struct sockdiag_sock *s, const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, s->family == AF_INET ? 4 : 16) == 0;
}

static int emit_json(struct ls_ctx *c, const struct ls_row *r, FILE *out)
{
	const struct sockdiag_sock *s = &r->s;
	char ab[INET6_ADDRSTRLEN];
	bool dual;
	enum sockexpose e = sockexpose_classify(s->family, s->local, s->v6only, &dual);
	size_t n = row_procs(c, s);
	json_t *o = json_object(), *procs = NULL;
	int rc = 0;

	if (!o)
		return -ENOMEM;
	if (c->procs) {
		procs = json_array();
		rc |= procs ? 0 : -ENOMEM;
		for (size_t i = 0; procs && i < n; i++) {
			json_t *p = json_object();

			if (!p) {
				rc |= -ENOMEM;
				break;
			}
			rc |= json_set(p, "pid", json_integer(sockproc_pid(c->procs, c->idx[i])));
			rc |= json_set_str(p, "name", sockproc_name(c->procs, c->idx[i]));
			rc |= json_array_append_new(procs, p);
		}
	}
	rc |= json_set_str(o, "proto", s->proto == IPPROTO_TCP ? "tcp" : "udp");
	rc |= json_set_str(o, "family", s->family == AF_INET ? "inet" : "inet6");
	rc |= json_set_str(o, "state", sockquery_state_name(s->state, s->proto));
	rc |= json_set_str(o, "local_address", addr_str(s, s->local, ab, sizeof(ab)));
	rc |= json_set(o, "local_port", json_integer(s->local_port));
	rc |= json_set_str(o, "peer_address", addr_str(s, s->peer, ab, sizeof(ab)));
	rc |= json_set(o, "peer_port", json_integer(s->peer_port));
	rc |= json_set(o, "pid", n ? json_integer(sockproc_pid(c->procs, c->idx[0])) : NULL);
	rc |= json_set_str(o, "process", n ? sockproc_name(c->procs, c->idx[0]) : NULL);
	rc |= json_set(o, "processes", procs);
	rc |= json_set_str(o, "user", user_name(&c->users, s->uid));
	rc |= json_set(o, "uid", json_integer(s->uid));
	rc |= json_set(o, "inode", json_integer(s->inode));
	rc |= json_set_str(o, "netns", c->ns[r->ns].name);
	rc |= json_set_str(o, "service", row_service(&c->services, s));
	rc |= json_set_str(o, "exposure", sockexpose_name(e));
	rc |= json_set(o, "dual_stack", json_boolean(dual));
	if (rc)
		rc = -ENOMEM;
	else if (json_write_line(out, o) < 0)
		rc = -EIO;
	json_decref(o);
	return rc;
}

/* "sshd(812)" for process index i, made once per process; NULL when out of memory. */
static const char *single_cell(struct ls_ctx *c, unsigned i)
{
	if (i >= c->ncells) {
		size_t had = c->ncells;

		if (GREEDY_REALLOC(c->cells, c->ncells, (size_t)i + 1) < 0)
			return NULL;
		memset(c->cells + had, 0, (c->ncells - had) * sizeof(*c->cells));
	}
	if (!c->cells[i] && asprintf(&c->cells[i], "%s(%d)", sockproc_name(c->procs, i),
	                             (int)sockproc_pid(c->procs, i)) < 0)
		c->cells[i] = NULL;
	return c->cells[i];
}

/* "sshd(812)", "nginx(100,101),python3(7)": every pid, grouped by name. */
static int process_cell(struct ls_ctx *c, size_t n, struct table *t)
{
	char stack[256], *buf = stack, *big = NULL;
	size_t cap = sizeof(stack), len = 0;
	int rc;

	if (n == 0)
		return table_cell_color(t, "-", TABLE_DIM);
	if (n == 1) {
		const char *one = single_cell(c, c->idx[0]);

		if (one)
			return table_cell(t, one);
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = sockproc_name(c->procs, c->idx[i]);
		bool same = i > 0 && strcmp(name, sockproc_name(c->procs, c->idx[i - 1])) == 0;
		int pid = (int)sockproc_pid(c->procs, c->idx[i]);
		size_t need = strlen(name) + 16;

		if (len + need + 2 > cap) {
			char *nb = realloc(big, cap * 2 + need);

			if (!nb) {
				free(big);
				return -ENOMEM;
			}
			if (!big)
				memcpy(nb, stack, len);
			big = buf = nb;
			cap = cap * 2 + need;
		}
		if (same)
			len += (size_t)snprintf(buf + len, cap - len, ",%d", pid);
		else
			len += (size_t)snprintf(buf + len, cap - len, "%s%s(%d", i ? ")," : "",
			                        name, pid);
	}
	buf[len++] = ')';
	buf[len] = '\0';
	rc = table_cell(t, buf);
	free(big);
	return rc;
}

static int table_row(struct ls_ctx *c, const struct ls_row *r, struct table *t)
{
	const struct sockdiag_sock *s = &r->s;
	char local[INET6_ADDRSTRLEN + 8], peer[INET6_ADDRSTRLEN + 8];
	const char *state = sockquery_state_name(s->state, s->proto);
	const char *ecolor;
	bool dual;
	enum sockexpose e = sockexpose_classify(s->family, s->local, s->v6only, &dual);
	size_t n = row_procs(c, s);
	int rc = 0;

	endpoint_str(s, s->local, s->local_port, local);
	if (s->peer_port == 0 && is_unspecified(s, s->peer))
		snprintf(peer, sizeof(peer), "*");
	else
		endpoint_str(s, s->peer, s->peer_port, peer);
	ecolor = e == SOCKEXPOSE_ALL        ? TABLE_YELLOW
	         : e == SOCKEXPOSE_LOOPBACK ? TABLE_GREEN
	                                    : TABLE_CYAN;

	if (c->nns > 1 || c->q->netns)
		rc |= table_cell(t, c->ns[r->ns].name);
	rc |= table_cell(t, s->proto == IPPROTO_TCP ? "tcp" : "udp");
	rc |= table_cell_color(t, state, s->state == TCP_LISTEN ? TABLE_GREEN : NULL);
	rc |= table_cell(t, local);
	rc |= table_cell(t, peer);
	if (c->procs)
		rc |= process_cell(c, n, t);
	rc |= table_cell(t, user_name(&c->users, s->uid));
	if (!c->q->numeric)
		rc |= table_cell(t, row_service(&c->services, s));
	rc |= table_cell_color(t, dual ? "all-interfaces (v4+v6)" : sockexpose_name(e), ecolor);
	return rc ? -ENOMEM : 0;
}

static int render_table(struct ls_ctx *c, const struct ls_rows *rows, FILE *out)
{
	struct table *t = table_new();
	int rc = 0;

	if (!t)
		return -ENOMEM;
	if (c->nns > 1 || c->q->netns)
		rc |= table_add_column(t, "NETNS", TABLE_LEFT);
	rc |= table_add_column(t, "PROTO", TABLE_LEFT);
	rc |= table_add_column(t, "STATE", TABLE_LEFT);
	rc |= table_add_column(t, "LOCAL", TABLE_LEFT);
	rc |= table_add_column(t, "PEER", TABLE_LEFT);
	if (c->procs)
		rc |= table_add_column(t, "PROCESS", TABLE_LEFT);
	rc |= table_add_column(t, "USER", TABLE_LEFT);
	if (!c->q->numeric)
		rc |= table_add_column(t, "SERVICE", TABLE_LEFT);
	rc |= table_add_column(t, "EXPOSURE", TABLE_LEFT);
	for (size_t i = 0; rc == 0 && i < rows->n; i++)
		rc = table_row(c, rows->order[i], t);
	if (rc == 0)
		rc = table_render(t, out, cmd_use_color(out, c->q->no_color));
	table_free(t);
	return rc ? (rc == -EIO ? -EIO : -ENOMEM) : 0;
}

/* Resolves --netns into the list of namespaces to dump; returns an exit status. */
static int resolve_ns(const struct sockquery *q, struct sockns **list, size_t *n, bool *enter)
{
	int rc;

	*enter = q->netns != NULL;
	if (q->netns && strcmp(q->netns, "all") == 0) {
		rc = sockns_list_all(SOCKNS_RUN_DIR, "/proc", list, n);
		if (rc < 0) {
			cmd_error(CMD, "cannot list network namespaces: %s", strerror(-rc));
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	*list = calloc(1, sizeof(**list));
	if (!*list) {
		cmd_error(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	(*list)->fd = -1;
	*n = 1;
	if (q->netns) {
		rc = sockns_open_name(SOCKNS_RUN_DIR, q->netns, *list);
		if (rc == -ENOENT || rc == -EINVAL)
			return cmd_usage(CMD, "no network namespace '%s' in %s (see ip netns list)",
			                 q->netns, SOCKNS_RUN_DIR);
		if (rc < 0) {
			cmd_error(CMD, "cannot open network namespace '%s': %s", q->netns,
			          strerror(-rc));
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	rc = sockns_current(SOCKNS_RUN_DIR, *list);
	if (rc < 0) {
		(*list)->fd = -1;
		(*list)->name = strdup("?");
	}
	return EXIT_OK;
}

int cmd_ls_main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct sockquery q;
	struct ls_rows rows = {.q = &q};
	struct ls_ctx c = {.q = &q};
	struct sockns *ns = NULL;
	size_t nns = 0;
	bool enter;
	char why[256];
	int rc, status = EXIT_OK;

	if (sockquery_parse_args(&q, argc, argv, why, sizeof(why)) < 0)
		return cmd_usage(CMD, "%s", why);
	if (q.help) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	status = resolve_ns(&q, &ns, &nns, &enter);
	if (status != EXIT_OK) {
		sockns_free_list(ns, nns);
		return status;
	}
	c.ns = ns;
	c.nns = nns;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	if (q.processes) {
		c.procs = sockproc_new();
		if (!c.procs || sockproc_scan_start(c.procs, "/proc") < 0) {
			cmd_error(CMD, "cannot start the process scan");
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	if (!q.numeric) {
		/*
		 * /etc/services only, as ss: nmap-services names nearly every
		 * ephemeral port, which would label client ports with noise.
		 */
		static const struct kb_paths etc_only = {.etc_services = NULL, .nmap_services = ""};

		if (kb_load(&etc_only, &c.kb, why, sizeof(why)) < 0) {
			cmd_error(CMD, "no service names: %s", why);
			c.kb = NULL;
		}
		c.services.kb = c.kb;
		c.services.memo = calloc(2 * 65536, sizeof(*c.services.memo));
	}
	for (size_t i = 0; i < nns; i++) {
		const char *what = "";

		rows.ns = (unsigned)i;
		rc = dump_ns(&rows, enter ? &ns[i] : NULL, &what);
		if (rc < 0) {
			cmd_error(CMD, "%s%s%s: %s%s", what, enter ? " " : "",
			          enter ? ns[i].name : "", strerror(-rc),
			          rc == -EPERM ? " (run as root)" : "");
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	/* Sorted while the scan thread is still resolving links. */
	rc = rows_sort(&rows);
	if (rc < 0) {
		cmd_error(CMD, "out of memory");
		status = EXIT_RUNTIME;
		goto out;
	}
	if (c.procs) {
		rc = sockproc_scan_wait(c.procs);
		if (rc < 0) {
			cmd_error(CMD, "cannot read /proc: %s", strerror(-rc));
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	/* Only this thread writes stdout now: skip stdio's per-call locking. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);

	rc = 0;
	if (q.json) {
		for (size_t i = 0; rc == 0 && i < rows.n; i++)
			rc = emit_json(&c, rows.order[i], stdout);
	} else {
		rc = render_table(&c, &rows, stdout);
	}
	if (fflush(stdout) != 0 || rc < 0) {
		cmd_error(CMD, "cannot write the output: %s", strerror(rc < 0 ? -rc : errno));
		status = EXIT_RUNTIME;
		goto out;
	}
	if (c.hidden)
		cmd_error(
		    CMD,
		    "%zu socket%s owned by processes of other users %s shown without a process "
		    "(run as root to see them)",
		    c.hidden, c.hidden == 1 ? "" : "s", c.hidden == 1 ? "is" : "are");
out:
	sockproc_free(c.procs);
	kb_free(c.kb);
	free(c.services.memo);
	user_cache_free(&c.users);
	free(c.idx);
	for (size_t i = 0; i < c.ncells; i++)
		free(c.cells[i]);
	free(c.cells);
	free(rows.order);
	free(rows.v);
	sockns_free_list(ns, nns);
	return status;
}
