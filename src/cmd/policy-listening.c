/*
 * portscope policy listening: this machine's listening sockets (TCP listen,
 * unconnected UDP) and the policy rule that decides each one for a source no
 * FROM list names, like ufw's "show listening". A listener the policy lets
 * everyone reach is flagged as exposed; a loopback listener is out of the
 * policy's reach (the compiled chain accepts the loopback interface).
 * Beside the policy's word, the live ruleset's: what the firewall loaded now
 * does with a NEW connection from outside (src/lib/firewall), and whether the
 * two agree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/common.h"
#include "cmd/policy.h"
#include "firewall/expose.h"
#include "firewall/firewall.h"
#include "output/json.h"
#include "output/table.h"
#include "platform/platform.h"
#include "sockets/sockexpose.h"
#include "util/array.h"

#define MAX_ALSO 8 /* ALLOW ... FROM rules named per listener */

struct listeners {
	struct sockdiag_sock *v;
	size_t n, cap;
};

static int listeners_add(const struct sockdiag_sock *s, void *data)
{
	struct listeners *l = data;

	/* UDP: only unconnected sockets wait for anyone; connected ones are clients. */
	if (s->proto == IPPROTO_UDP && s->state != TCP_CLOSE)
		return 0;
	if (GREEDY_REALLOC(l->v, l->cap, l->n + 1) < 0)
		return -ENOMEM;
	l->v[l->n++] = *s;
	return 0;
}

static int dump(struct listeners *l)
{
	struct plat_socktab *d = NULL;
	int rc = platform->sockets_open(&d);

	for (int p = 0; p < 2 && rc == 0; p++)
		for (int f = 0; f < 2 && rc == 0; f++) {
			struct sockdiag_req req = {
			    .family = f == 0 ? AF_INET : AF_INET6,
			    .proto = p == 0 ? IPPROTO_TCP : IPPROTO_UDP,
			    .states = p == 0 ? 1u << TCP_LISTEN : 1u << TCP_CLOSE,
			};
			rc = platform->sockets_dump(d, &req, listeners_add, l);
			if (rc == -ENOENT || rc == -EAFNOSUPPORT)
				rc = 0; /* no IPv6 or no UDP diag: nothing to show */
		}
	platform->sockets_close(d);
	return rc;
}

/* By protocol, port, family, address. */
static int cmp_sock(const void *pa, const void *pb)
{
	const struct sockdiag_sock *a = pa, *b = pb;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->local_port != b->local_port)
		return a->local_port < b->local_port ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->local, b->local, sizeof(a->local));
}

/* What the policy says about one listener. */
struct verdict {
	enum sockexpose exposure;
	bool dual;                      /* [::] accepting IPv4 too */
	bool loopback;                  /* out of the policy's reach */
	const struct policy_rule *rule; /* deciding for everyone else; NULL: chain policy */
	enum policy_action action;
	size_t also[MAX_ALSO]; /* ALLOW ... FROM rules before it */
	size_t nalso;
	bool exposed;
	struct fw_expo live; /* the live ruleset's verdict (cls NOT_EVALUATED when unread) */
	bool disagree;       /* the live ruleset does otherwise than the policy says */
};

/* The live firewall, read once. */
struct live {
	struct fw_ruleset *rs;
	struct fw_env env;
	bool ok;
	char why[256];
};

static void judge(const struct policy *p, const struct live *lv, const struct sockdiag_sock *s,
                  struct verdict *v)
{
	unsigned proto = s->proto == IPPROTO_TCP ? POLICY_P_TCP : POLICY_P_UDP;
	unsigned fams = 1u << s->family;
	ssize_t idx;

	*v = (struct verdict){0};
	v->exposure = sockexpose_classify(s->family, s->local, s->v6only, &v->dual);
	v->loopback = v->exposure == SOCKEXPOSE_LOOPBACK;
	if (v->dual)
		fams |= 1u << AF_INET;
	idx = policy_eval(p, &(struct policy_packet){.proto = proto, .port = s->local_port});
	v->rule = idx >= 0 ? &p->rules[idx] : NULL;
	v->action = v->rule ? v->rule->action : POLICY_DENY;
	v->nalso = policy_allowed_before(p, proto, s->local_port, idx, fams, v->also, MAX_ALSO);
	if (v->nalso > MAX_ALSO)
		v->nalso = MAX_ALSO;
	v->exposed = !v->loopback && v->action == POLICY_ALLOW;
	v->live.cls = FW_EXPO_NOT_EVALUATED;
	if (lv->ok && fw_expose_socket(lv->rs, &lv->env, s->proto, s->family == AF_INET6 ? 6 : 4,
	                               s->local, v->dual, s->local_port, &v->live) < 0)
		v->live.cls = FW_EXPO_NOT_EVALUATED;
	if (!v->loopback && (v->live.cls == FW_EXPO_REACHABLE || v->live.cls == FW_EXPO_BLOCKED))
		v->disagree = (v->live.cls == FW_EXPO_REACHABLE) != (v->action == POLICY_ALLOW);
}

/* The live column: "reachable (IPv4) by ...", or why the ruleset was not read. */
static const char *live_text(const struct live *lv, const struct verdict *v, char *buf, size_t len)
{
	if (!lv->ok)
		snprintf(buf, len, "not read: %s", lv->why);
	else if (lv->rs->legacy)
		snprintf(buf, len, "not evaluated: rules in %s", lv->rs->legacy);
	else
		fw_expo_describe(&v->live, buf, len);
	return buf;
}

static const char *addr_str(const struct sockdiag_sock *s, char *buf, size_t len)
{
	if (!inet_ntop(s->family, s->local, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *proto_str(const struct sockdiag_sock *s)
{
	return s->proto == IPPROTO_TCP ? "tcp" : "udp";
}

static int emit_json(const struct policy *p, const struct live *lv, const struct sockdiag_sock *s,
                     const struct verdict *v, struct plat_procs *procs)
{
	char lt[800];
	json_t *fw = json_object();
	json_t *o = json_object(), *also = json_array();
	char ab[INET6_ADDRSTRLEN];
	unsigned idx[1];
	size_t n = procs ? platform->procs_lookup(procs, s, idx, 1) : 0;
	int rc = 0;

	if (!o || !also || !fw) {
		json_decref(o);
		json_decref(also);
		json_decref(fw);
		return -ENOMEM;
	}
	rc |= json_set_str(fw, "exposure", fw_expo_name(v->live.cls));
	rc |= json_set_str(fw, "verdict", live_text(lv, v, lt, sizeof(lt)));
	rc |= json_set(fw, "agrees", json_boolean(!v->disagree));
	for (size_t i = 0; i < v->nalso; i++)
		rc |= json_array_append_new(also, policy_json_rule(&p->rules[v->also[i]]));
	rc |= json_set_str(o, "type", "listener");
	rc |= json_set_str(o, "proto", proto_str(s));
	rc |= json_set_str(o, "address", addr_str(s, ab, sizeof(ab)));
	rc |= json_set_str(o, "family", json_family(s->family));
	rc |= json_set(o, "port", json_integer(s->local_port));
	rc |= json_set_str(o, "exposure", sockexpose_name(v->exposure));
	rc |= json_set(o, "dual_stack", json_boolean(v->dual));
	rc |=
	    json_set(o, "pid", n ? json_integer(platform->procs_pid(procs, idx[0])) : json_null());
	rc |= json_set_str(o, "process", n ? platform->procs_name(procs, idx[0]) : NULL);
	rc |= json_set_str(o, "verdict", v->loopback ? "loopback" : policy_action_name(v->action));
	rc |= json_set(o, "rule", v->loopback ? json_null() : policy_json_rule(v->rule));
	rc |= json_set(o, "allowed_from", also);
	rc |= json_set(o, "exposed", json_boolean(v->exposed));
	rc |= json_set(o, "firewall", fw);
	if (rc == 0)
		rc = json_write_line(stdout, o);
	json_decref(o);
	return rc ? -ENOMEM : 0;
}

static int add_row(struct table *t, const struct policy *p, const struct live *lv,
                   const struct sockdiag_sock *s, const struct verdict *v, struct plat_procs *procs)
{
	char ab[INET6_ADDRSTRLEN], also[160], lt[800];
	unsigned idx[1];
	size_t n = procs ? platform->procs_lookup(procs, s, idx, 1) : 0, off = 0;
	int rc = 0;

	also[0] = '\0';
	for (size_t i = 0; i < v->nalso && off < sizeof(also); i++) {
		const struct policy_rule *r = &p->rules[v->also[i]];
		off += (size_t)snprintf(also + off, sizeof(also) - off, "%sline %u%s%s%s",
		                        i ? ", " : "", r->line, r->label ? " (" : "",
		                        r->label ? r->label : "", r->label ? ")" : "");
	}
	rc |= table_cell(t, proto_str(s));
	if (s->family == AF_INET6)
		rc |= table_cellf(t, "[%s]:%u", addr_str(s, ab, sizeof(ab)), s->local_port);
	else
		rc |= table_cellf(t, "%s:%u", addr_str(s, ab, sizeof(ab)), s->local_port);
	if (n)
		rc |= table_cellf(t, "%s(%d)", platform->procs_name(procs, idx[0]),
		                  (int)platform->procs_pid(procs, idx[0]));
	else
		rc |= table_cell(t, NULL);
	rc |= table_cell(t, v->dual ? "all-interfaces (v4+v6)" : sockexpose_name(v->exposure));
	if (v->loopback) {
		rc |= table_cell_color(t, "loopback", TABLE_DIM);
		rc |= table_cell(t, "out of reach (iif lo accept)");
	} else {
		rc |= table_cell_color(t, policy_action_name(v->action),
		                       v->action == POLICY_ALLOW ? TABLE_RED : TABLE_GREEN);
		if (v->rule)
			rc |= table_cellf(t, "line %u: %s", v->rule->line, v->rule->text);
		else
			rc |= table_cell(t, "none: the chain's policy drops");
	}
	rc |= table_cell(t, also[0] ? also : NULL);
	rc |= v->disagree ? table_cell_color(t, live_text(lv, v, lt, sizeof(lt)), TABLE_RED)
	                  : table_cell(t, live_text(lv, v, lt, sizeof(lt)));
	rc |= v->exposed ? table_cell_color(t, "EXPOSED", TABLE_RED) : table_cell(t, "");
	return rc ? -ENOMEM : 0;
}

/* The listeners, sorted, with the process scan (unless --no-process). An exit status. */
static int collect(const struct policy_opts *o, struct listeners *l, struct plat_procs **procs)
{
	int rc, rc2 = 0;

	if (!o->no_process) {
		*procs = platform->procs_new();
		if (!*procs || platform->procs_start(*procs) < 0) {
			cmd_error(CMD, "cannot start the process scan");
			return EXIT_RUNTIME;
		}
	}
	rc = dump(l);
	if (*procs)
		rc2 = platform->procs_wait(*procs);
	if (rc2 < 0 && rc == 0) {
		cmd_error(CMD, "cannot read /proc: %s", strerror(-rc2));
		return EXIT_RUNTIME;
	}
	if (rc < 0) {
		cmd_error(CMD, "sock_diag dump failed: %s%s", strerror(-rc),
		          rc == -EPERM ? " (run as root)" : "");
		return EXIT_RUNTIME;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_sock);
	return EXIT_OK;
}

/* Each listener judged, as JSON Lines or a table, then the summary. 0 or -errno. */
static int report(const struct policy_opts *o, const struct policy *p, const struct live *lv,
                  const struct listeners *l, struct plat_procs *procs, size_t *exposed)
{
	static const char *const cols[] = {"PROTO",     "LOCAL",         "PROCESS",
	                                   "EXPOSURE",  "VERDICT",       "RULE",
	                                   "ALSO FROM", "LIVE FIREWALL", ""};
	size_t disagree = 0;
	struct table *t = NULL;
	int rc = 0;

	if (!o->json) {
		t = table_new();
		for (size_t i = 0; t && i < ARRAY_SIZE(cols); i++)
			table_add_column(t, cols[i], TABLE_LEFT);
		if (!t)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		struct verdict v;

		judge(p, lv, &l->v[i], &v);
		*exposed += v.exposed;
		disagree += v.disagree;
		rc = o->json ? emit_json(p, lv, &l->v[i], &v, procs)
		             : add_row(t, p, lv, &l->v[i], &v, procs);
		fw_expo_release(&v.live);
	}
	if (rc == 0 && o->json) {
		json_t *sum = json_object();

		rc = !sum || json_set_str(sum, "type", "summary") ||
		     json_set(sum, "listeners", json_integer((json_int_t)l->n)) ||
		     json_set(sum, "exposed", json_integer((json_int_t)*exposed)) ||
		     json_set(sum, "firewall_disagrees", json_integer((json_int_t)disagree)) ||
		     json_write_line(stdout, sum);
		json_decref(sum);
	} else if (rc == 0) {
		if (table_rows(t))
			rc = table_render(t, stdout, cmd_use_color(stdout, o->no_color));
		char n[48];

		printf("%s, %zu exposed to everyone by %s",
		       cmd_plural(l->n, "listener", n, sizeof(n)), *exposed, o->file);
		if (lv->ok && !lv->rs->legacy)
			printf("; the live firewall does otherwise for %zu", disagree);
		printf("\n");
	}
	table_free(t);
	return rc ? -EIO : 0;
}

int policy_cmd_listening(const struct policy_opts *o)
{
	struct listeners l = {0};
	struct plat_procs *procs = NULL;
	struct policy p = {0};
	struct live lv = {0};
	size_t exposed = 0;
	int st = policy_cmd_load(o, &p);

	if (st == EXIT_OK)
		st = collect(o, &l, &procs);
	if (st == EXIT_OK) {
		int rc;

		/* the live ruleset: without CAP_NET_ADMIN it stays unread, and the column says so
		 */
		lv.ok = fw_ruleset_read(-1, &lv.rs, lv.why, sizeof(lv.why)) == 0 &&
		        fw_env_read(-1, &lv.env, lv.why, sizeof(lv.why)) == 0;
		rc = report(o, &p, &lv, &l, procs, &exposed);

		if (rc == -ENOMEM) {
			st = EXIT_RUNTIME;
		} else if (rc != 0 || fflush(stdout) != 0) {
			cmd_error(CMD, "cannot write the output");
			st = EXIT_RUNTIME;
		} else {
			st = o->strict && exposed ? EXIT_FINDINGS : EXIT_OK;
		}
	}
	fw_ruleset_free(lv.rs);
	fw_env_free(&lv.env);
	if (procs)
		platform->procs_free(procs);
	free(l.v);
	policy_free(&p);
	return st;
}
