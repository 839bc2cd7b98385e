/* portscope ls: local sockets and their processes, like ss -tulnp. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/ls.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/service.h"
#include "output/table.h"
#include "platform/platform.h"
#include "sockets/sockexpose.h"
#include "sockets/sockns.h"
#include "sockets/sockquery.h"
#include "util/array.h"
#include "util/strnum.h"
#include "util/why.h"

#define CMD "ls"

enum { OPT_NO_PROCESS = CMD_OPT_OWN, OPT_PORT, OPT_STATE, OPT_NETNS };

static const struct cmd_option ls_options[] = {
    {.letter = 't', .name = "tcp", .help = "TCP sockets"},
    {.letter = 'u', .name = "udp", .help = "UDP sockets"},
    {.letter = 'l', .name = "listening", .help = "listening sockets (the default)"},
    {.letter = 'a', .name = "all", .help = "sockets in every state"},
    {.letter = '4', .name = "ipv4", .help = "IPv4 only"},
    {.letter = '6', .name = "ipv6", .help = "IPv6 only"},
    {.letter = 'n', .name = "numeric", .help = "no service names"},
    {.letter = 'p', .name = "processes", .help = "owning processes (the default)"},
    {.name = "no-process", .id = OPT_NO_PROCESS, .help = "skip the process look-up (faster)"},
    {.name = "port",
     .id = OPT_PORT,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .help = "sockets whose local or peer port is N"},
    {.name = "state",
     .id = OPT_STATE,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "STATE",
     .complete = "listen|established|syn-sent|syn-recv|fin-wait-1|fin-wait-2|time-wait|close|"
                 "close-wait|last-ack|closing|connected|synchronized|all",
     .help = "listen, established, syn-sent, syn-recv, fin-wait-1, fin-wait-2,\n"
             "time-wait, close, close-wait, last-ack, closing, or the groups\n"
             "connected, synchronized, all (repeatable; overrides -l/-a)"},
    {.name = "netns",
     .id = OPT_NETNS,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "NAME",
     .complete = CMD_COMPLETE_NETNS,
     .help = "the namespace /run/netns/NAME; 'all' for every namespace"},
    CMD_OPTION_JSON("JSON Lines: one record per socket, then a summary"),
    CMD_OPTION_NO_COLOR,
    {.name = "no-colour", .id = CMD_OPT_NO_COLOR},
    {0},
};

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
	struct plat_socktab *d = NULL;
	int rc, saved;

	if (ns) {
		*what = "cannot enter the network namespace";
		rc = sockns_enter(ns, &saved);
		if (rc < 0)
			return rc;
		rc = platform->sockets_open(&d);
		int rc2 = sockns_leave(saved);
		if (rc2 < 0) {
			if (rc == 0)
				platform->sockets_close(d);
			*what = "cannot return to the original network namespace";
			return rc2;
		}
	} else {
		rc = platform->sockets_open(&d);
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
			rc = platform->sockets_dump(d, &req, rows_add, rows);
			/* A kernel without IPv6 (or without UDP diag) has nothing to show. */
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0;
		}
	}
	platform->sockets_close(d);
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

/* The user name of s's uid, looked up once; the number when it has no name. */
static const char *user_name(struct user_cache *c, const struct sockdiag_sock *s)
{
	uint32_t uid = s->uid;
	char buf[256];

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].uid == uid)
			return c->v[i].name;
	if (c->n == ARRAY_SIZE(c->v)) {
		snprintf(c->fallback, sizeof(c->fallback), "%u", uid);
		return c->fallback;
	}
	c->v[c->n].name = strdup(platform->user_name(s, buf, sizeof(buf)));
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
	const struct ls_opts *o;
	struct kb *kb; /* service names; NULL with -n */
	struct ls_services services;
	struct plat_procs *procs; /* NULL with --no-process */
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
	n = platform->procs_lookup(c->procs, s, c->idx, c->idx_cap);
	if (n > c->idx_cap) {
		if (GREEDY_REALLOC(c->idx, c->idx_cap, n) < 0)
			return c->idx_cap;
		n = platform->procs_lookup(c->procs, s, c->idx, c->idx_cap);
	}
	if (n == 0 && s->inode != 0 && platform->procs_unreadable(c->procs))
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
	const char *svc;
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
			rc |= json_set(p, "pid",
			               json_integer(platform->procs_pid(c->procs, c->idx[i])));
			rc |= json_set_str(p, "name", platform->procs_name(c->procs, c->idx[i]));
			rc |= json_array_append_new(procs, p);
		}
	}
	rc |= json_set_str(o, "type", "socket");
	rc |= json_set_str(o, "proto", s->proto == IPPROTO_TCP ? "tcp" : "udp");
	rc |= json_set_str(o, "family", json_family(s->family));
	rc |= json_set_str(o, "state", sockquery_state_name(s->state, s->proto));
	rc |= json_set_str(o, "address", addr_str(s, s->local, ab, sizeof(ab)));
	rc |= json_set(o, "port", json_integer(s->local_port));
	rc |= json_set_str(o, "peer_address", addr_str(s, s->peer, ab, sizeof(ab)));
	rc |= json_set(o, "peer_port", json_integer(s->peer_port));
	rc |= json_set(o, "pid", n ? json_integer(platform->procs_pid(c->procs, c->idx[0])) : NULL);
	rc |= json_set_str(o, "process", n ? platform->procs_name(c->procs, c->idx[0]) : NULL);
	rc |= json_set(o, "processes", procs);
	rc |= json_set_str(o, "user", user_name(&c->users, s));
	rc |= json_set(o, "uid", json_integer(s->uid));
	rc |= json_set(o, "inode", json_integer(s->inode));
	rc |= json_set_str(o, "netns", c->ns[r->ns].name);
	svc = row_service(&c->services, s);
	rc |= json_set(o, "service",
	               out_json_service(&(struct out_service){.name = svc, .port_default = svc}));
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
	if (!c->cells[i] && asprintf(&c->cells[i], "%s(%d)", platform->procs_name(c->procs, i),
	                             (int)platform->procs_pid(c->procs, i)) < 0)
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
		const char *name = platform->procs_name(c->procs, c->idx[i]);
		bool same =
		    i > 0 && strcmp(name, platform->procs_name(c->procs, c->idx[i - 1])) == 0;
		int pid = (int)platform->procs_pid(c->procs, c->idx[i]);
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

	if (c->nns > 1 || c->o->netns)
		rc |= table_cell(t, c->ns[r->ns].name);
	rc |= table_cell(t, s->proto == IPPROTO_TCP ? "tcp" : "udp");
	rc |= table_cell_color(t, state, s->state == TCP_LISTEN ? TABLE_GREEN : NULL);
	rc |= table_cell(t, local);
	rc |= table_cell(t, peer);
	if (c->procs)
		rc |= process_cell(c, n, t);
	rc |= table_cell(t, user_name(&c->users, s));
	if (!c->o->numeric)
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
	if (c->nns > 1 || c->o->netns)
		rc |= table_add_column(t, "NETNS", TABLE_LEFT);
	rc |= table_add_column(t, "PROTO", TABLE_LEFT);
	rc |= table_add_column(t, "STATE", TABLE_LEFT);
	rc |= table_add_column(t, "LOCAL", TABLE_LEFT);
	rc |= table_add_column(t, "PEER", TABLE_LEFT);
	if (c->procs)
		rc |= table_add_column(t, "PROCESS", TABLE_LEFT);
	rc |= table_add_column(t, "USER", TABLE_LEFT);
	if (!c->o->numeric)
		rc |= table_add_column(t, "SERVICE", TABLE_LEFT);
	rc |= table_add_column(t, "EXPOSURE", TABLE_LEFT);
	for (size_t i = 0; rc == 0 && i < rows->n; i++)
		rc = table_row(c, rows->order[i], t);
	if (rc == 0)
		rc = table_render(t, out, cmd_use_color(out, c->o->no_color));
	table_free(t);
	return rc ? (rc == -EIO ? -EIO : -ENOMEM) : 0;
}

/* Resolves --netns into the list of namespaces to dump; returns an exit status. */
static int resolve_ns(const struct ls_opts *q, struct sockns **list, size_t *n, bool *enter)
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

int ls_opts_from_args(const struct cmd_args *a, struct ls_opts *o, char *why, size_t whylen)
{
	uint32_t states = 0;
	bool have_states = false, t = false, u = false, v4 = false, v6 = false;
	uint64_t v;
	int r;

	*o = (struct ls_opts){.processes = true, .json = a->json, .no_color = a->no_color};
	sockquery_init(&o->q);
	for (size_t i = 0; i < a->nvalues; i++) {
		const char *arg = a->values[i].arg;

		switch (a->values[i].id) {
		case 't':
			t = true;
			break;
		case 'u':
			u = true;
			break;
		case '4':
			v4 = true;
			break;
		case '6':
			v6 = true;
			break;
		case 'l':
		case 'a': /* the last of -l/-a wins, as in ss */
			o->q.states = a->values[i].id == 'a' ? SOCKQUERY_STATES_ALL
			                                     : SOCKQUERY_STATES_LISTENING;
			break;
		case 'n':
			o->numeric = true;
			break;
		case 'p':
		case OPT_NO_PROCESS:
			o->processes = a->values[i].id == 'p';
			break;
		case OPT_PORT:
			r = strnum_u64(arg, 1, 65535, &v);
			if (r < 0)
				return why_err(why, whylen, -EINVAL, "bad --port '%s': %s", arg,
				               r == -ERANGE ? "not in 1-65535"
				                            : "not a port number");
			o->q.port = (int)v;
			break;
		case OPT_STATE:
			if (sockquery_parse_state(arg, &states) < 0)
				return why_err(
				    why, whylen, -EINVAL,
				    "unknown --state '%s' (listen, established, time-wait, "
				    "connected, all, ...: see --help)",
				    arg);
			have_states = true;
			break;
		case OPT_NETNS:
			if ((strcmp(arg, "all") != 0 && strchr(arg, '/')) || arg[0] == '\0' ||
			    strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0)
				return why_err(why, whylen, -EINVAL,
				               "bad --netns '%s': a name in /run/netns or 'all'",
				               arg);
			o->netns = arg;
			break;
		}
	}
	if (have_states)
		o->q.states = states; /* --state wins over -l/-a, as in ss */
	if (t || u) {
		o->q.tcp = t;
		o->q.udp = u;
	}
	if (v4 || v6) {
		o->q.inet4 = v4;
		o->q.inet6 = v6;
	}
	return 0;
}

/* The process scan (started: it runs while the sockets are dumped) and the service names. */
static int ls_prepare(const struct ls_opts *o, struct ls_ctx *c)
{
	char why[256];

	if (o->processes) {
		c->procs = platform->procs_new();
		if (!c->procs || platform->procs_start(c->procs) < 0) {
			cmd_error(CMD, "cannot start the process scan");
			return EXIT_RUNTIME;
		}
	}
	if (!o->numeric) {
		/*
		 * /etc/services only, as ss: nmap-services names nearly every
		 * ephemeral port, which would label client ports with noise.
		 */
		static const struct kb_paths etc_only = {.etc_services = NULL, .nmap_services = ""};

		if (kb_load(&etc_only, &c->kb, why, sizeof(why)) < 0) {
			cmd_error(CMD, "no service names: %s", why);
			c->kb = NULL;
		}
		c->services.kb = c->kb;
		c->services.memo = calloc(2 * 65536, sizeof(*c->services.memo));
	}
	return EXIT_OK;
}

/* Every namespace's sockets into rows, sorted; then the process scan's end. */
static int ls_collect(struct ls_ctx *c, struct ls_rows *rows, bool enter)
{
	int rc;

	for (size_t i = 0; i < c->nns; i++) {
		const char *what = "";

		rows->ns = (unsigned)i;
		rc = dump_ns(rows, enter ? &c->ns[i] : NULL, &what);
		if (rc < 0) {
			cmd_error(CMD, "%s%s%s: %s%s", what, enter ? " " : "",
			          enter ? c->ns[i].name : "", strerror(-rc),
			          rc == -EPERM ? " (run as root)" : "");
			return EXIT_RUNTIME;
		}
	}
	/* Sorted while the scan thread is still resolving links. */
	if (rows_sort(rows) < 0) {
		cmd_error(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	rc = c->procs ? platform->procs_wait(c->procs) : 0;
	if (rc < 0) {
		cmd_error(CMD, "cannot read /proc: %s", strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* The rows as JSON Lines or a table on stdout, then the note on hidden owners. */
static int ls_output(struct ls_ctx *c, const struct ls_rows *rows)
{
	int rc = 0;

	/* Only this thread writes stdout now: skip stdio's per-call locking. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	if (c->o->json) {
		json_t *sum;

		for (size_t i = 0; rc == 0 && i < rows->n; i++)
			rc = emit_json(c, rows->order[i], stdout);
		sum = json_pack("{s:s, s:I}", "type", "summary", "sockets", (json_int_t)rows->n);
		if (rc == 0)
			rc = sum ? json_write_line(stdout, sum) : -ENOMEM;
		json_decref(sum);
	} else {
		rc = render_table(c, rows, stdout);
	}
	if (fflush(stdout) != 0 || rc < 0) {
		cmd_error(CMD, "cannot write the output: %s", strerror(rc < 0 ? -rc : errno));
		return EXIT_RUNTIME;
	}
	if (c->hidden)
		cmd_error(
		    CMD,
		    "%zu socket%s owned by processes of other users %s shown without a process "
		    "(run as root to see them)",
		    c->hidden, c->hidden == 1 ? "" : "s", c->hidden == 1 ? "is" : "are");
	return EXIT_OK;
}

static void ls_ctx_free(struct ls_ctx *c)
{
	if (c->procs)
		platform->procs_free(c->procs);
	kb_free(c->kb);
	free(c->services.memo);
	user_cache_free(&c->users);
	free(c->idx);
	for (size_t i = 0; i < c->ncells; i++)
		free(c->cells[i]);
	free(c->cells);
	sockns_free_list(c->ns, c->nns);
}

static int ls_run(const struct cmd_args *a)
{
	static char outbuf[1 << 16];
	struct ls_opts o;
	struct ls_rows rows = {.q = &o.q};
	struct ls_ctx c = {.o = &o};
	bool enter;
	char why[256];
	int status;

	if (ls_opts_from_args(a, &o, why, sizeof(why)) < 0)
		return cmd_usage(CMD, "%s", why);
	status = resolve_ns(&o, &c.ns, &c.nns, &enter);
	if (status == EXIT_OK) {
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
		status = ls_prepare(&o, &c);
	}
	if (status == EXIT_OK)
		status = ls_collect(&c, &rows, enter);
	if (status == EXIT_OK)
		status = ls_output(&c, &rows);
	ls_ctx_free(&c);
	free(rows.order);
	free(rows.v);
	return status;
}

const struct cmd_spec cmd_ls = {
    .name = "ls",
    .usage = "[-tulan46] [--no-process] [--port N] [--state STATE]\n"
             "                    [--netns NAME|all] [--json] [--no-color]",
    .summary = "local sockets and their processes (like ss -tulnp)",
    .about = "Local TCP and UDP sockets with their owning processes (like ss -tulnp).\n"
             "Default: listening sockets (TCP LISTEN, unconnected UDP) of both protocols.\n",
    .options = ls_options,
    .max_words = 0,
    .run = ls_run,
};
