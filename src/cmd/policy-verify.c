/*
 * portscope policy verify: scans TARGET and compares what answers with what
 * the policy allows for the scanning address (the table of results is in
 * policy/verify.h). TCP with a connect scan; UDP (the ports the policy's UDP
 * rules name, or -p U:...) with a raw UDP scan when this process has
 * CAP_NET_RAW, else UDP is left out with a note.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/common.h"
#include "cmd/policy.h"
#include "net/portspec.h"
#include "net/targetspec.h"
#include "output/json.h"
#include "output/table.h"
#include "scan/engine.h"
#include "scan/linkpath.h"
#include "policy/verify.h"
#include "scan/timing.h"
#include "util/privdrop.h"
#include "util/array.h"

#define DEFAULT_TIMING 4 /* aggressive: a verify is a check, not a survey */

struct verify_ctx {
	const struct policy_opts *o;
	const struct policy *p;
	bool color;
	uint64_t counts[POLICY_VERIFY_RESULT_MAX];
	uint64_t hidden; /* filtered ports the policy denies, not listed (human output) */
	int error;       /* first output or look-up failure */
};

/* The source address the kernel would use towards a (no packet is sent). */
static int source_for(const struct target_addr *a, struct policy_addr *src)
{
	struct target_addr self;
	int rc = linkpath_source(a, &self);

	if (rc < 0)
		return rc;
	*src = (struct policy_addr){.family = (uint8_t)a->family,
	                            .prefix = (uint8_t)(target_addr_size(a->family) * 8)};
	memcpy(src->bytes, target_addr_bytes(&self), target_addr_size(a->family));
	return 0;
}

static bool same_addr(const struct policy_addr *src, const struct target_addr *a)
{
	return src->family == a->family &&
	       memcmp(src->bytes, target_addr_bytes(a), target_addr_size(a->family)) == 0;
}

static const char *result_color(enum policy_verify_result r)
{
	switch (r) {
	case POLICY_VERIFY_VIOLATION:
		return TABLE_RED;
	case POLICY_VERIFY_BLOCKED:
	case POLICY_VERIFY_ANSWERED:
		return TABLE_YELLOW;
	case POLICY_VERIFY_OK:
		return TABLE_GREEN;
	default:
		return NULL;
	}
}

static int emit_json(struct verify_ctx *c, const char *host, const char *from, int proto,
                     uint16_t port, enum scan_state state, const struct policy_rule *r,
                     enum policy_action action, enum policy_verify_result res)
{
	json_t *o = json_object(), *jr = json_null();
	int rc = 0;

	if (!o)
		return -ENOMEM;
	if (r) {
		jr = json_object();
		rc |= json_set(jr, "line", json_integer(r->line));
		rc |= json_set_str(jr, "text", r->text);
		rc |= json_set_str(jr, "label", r->label);
	}
	rc |= json_set_str(o, "type", "verify");
	rc |= json_set_str(o, "host", host);
	rc |= json_set_str(o, "from", from);
	rc |= json_set_str(o, "proto", proto == IPPROTO_UDP ? "udp" : "tcp");
	rc |= json_set(o, "port", json_integer(port));
	rc |= json_set_str(o, "state", scan_state_name(state));
	rc |= json_set_str(o, "verdict", policy_action_name(action));
	rc |= json_set(o, "rule", jr);
	rc |= json_set_str(o, "result", policy_verify_result_name(res));
	if (rc == 0)
		rc = json_write_line(stdout, o);
	json_decref(o);
	return rc ? -EIO : 0;
}

/*
 * The address the policy judges the scan from (--from-address, else the one the
 * kernel picks towards the host), as text in from, and whether the scan goes over
 * the loopback. Returns 0, or a negative errno after reporting.
 */
static int verify_source(const struct verify_ctx *c, const struct scan_host *h, const char *host,
                         struct policy_addr *src, char *from, size_t fromlen, bool *local)
{
	int rc;

	if (c->o->from) {
		rc = policy_addr_parse(c->o->from, strlen(c->o->from), src);
		if (rc < 0 || src->family != h->addr.family) {
			cmd_error(CMD,
			          "--from-address '%s' is not an %s address (the family of %s)",
			          c->o->from, h->addr.family == AF_INET ? "IPv4" : "IPv6", host);
			return -EINVAL;
		}
	} else if ((rc = source_for(&h->addr, src)) < 0) {
		cmd_error(CMD, "no source address towards %s: %s", host, strerror(-rc));
		return rc;
	}
	*local = same_addr(src, &h->addr) ||
	         (h->addr.family == AF_INET ? (ntohl(h->addr.v4.s_addr) >> 24) == 127
	                                    : IN6_IS_ADDR_LOOPBACK(&h->addr.v6));
	policy_addr_format(src, from, fromlen);
	return 0;
}

/* One port's row of the table; filtered ports the policy denies are counted, not listed. */
static int verify_row(struct verify_ctx *c, struct table *t, const struct scan_host *h, size_t i,
                      enum scan_state state, const struct policy_rule *r, enum policy_action action,
                      enum policy_verify_result res)
{
	int rc;

	if (res == POLICY_VERIFY_OK && state != SCAN_OPEN && state != SCAN_CLOSED && !c->o->all &&
	    action != POLICY_ALLOW) {
		c->hidden++;
		return 0;
	}
	rc = table_cellf(t, "%u/%s", h->ports[i], h->proto == IPPROTO_UDP ? "udp" : "tcp");
	rc |= table_cell(t, scan_state_name(state));
	rc |= table_cell(t, policy_action_name(action));
	if (r)
		rc |= table_cellf(t, "line %u: %s", r->line, r->text);
	else
		rc |= table_cell(t, "none: the chain's policy drops");
	rc |= table_cell_color(t, policy_verify_result_name(res), result_color(res));
	return rc ? -ENOMEM : 0;
}

static void verify_host(void *ctx, const struct scan_host *h)
{
	static const char *const cols[] = {"PORT", "STATE", "POLICY", "RULE", "RESULT"};
	struct verify_ctx *c = ctx;
	char host[INET6_ADDRSTRLEN], from[64];
	struct policy_addr src;
	struct table *t = NULL;
	bool local;

	if (c->error)
		return;
	target_addr_str(&h->addr, host, sizeof(host));
	c->error = verify_source(c, h, host, &src, from, sizeof(from), &local);
	if (!c->error && !c->o->json) {
		t = table_new();
		for (size_t i = 0; t && i < ARRAY_SIZE(cols); i++)
			table_add_column(t, cols[i], TABLE_LEFT);
		if (!t)
			c->error = -ENOMEM;
	}
	for (size_t i = 0; i < h->nports && !c->error; i++) {
		enum scan_state state = scan_res_state(h->res[i]);
		unsigned proto = h->proto == IPPROTO_UDP ? POLICY_P_UDP : POLICY_P_TCP;
		ssize_t idx = policy_eval(
		    c->p,
		    &(struct policy_packet){.proto = proto, .port = h->ports[i], .from = &src});
		const struct policy_rule *r = idx >= 0 ? &c->p->rules[idx] : NULL;
		enum policy_action action = r ? r->action : POLICY_DENY;
		enum policy_verify_result res = policy_verify_judge(action, state, local);

		c->counts[res]++;
		if (c->o->json)
			c->error =
			    emit_json(c, host, from, h->proto, h->ports[i], state, r, action, res);
		else
			c->error = verify_row(c, t, h, i, state, r, action, res);
	}
	if (t && !c->error) {
		printf("%s from %s%s%s:\n", host, from, local ? " (over the loopback, " : "",
		       local ? "which the compiled chain accepts)" : "");
		if (table_rows(t) && table_render(t, stdout, c->color) < 0)
			c->error = -EIO;
		if (c->hidden)
			printf("%" PRIu64 " more ports filtered, as the policy says\n", c->hidden);
		c->hidden = 0;
	}
	table_free(t);
}

/*
 * The ports to scan: -p (UDP only with U:, as a verify is about TCP unless
 * asked), else every port the policy names (TCP and UDP) and TCP 1-1024.
 */
static int verify_ports(const struct policy_opts *o, const struct policy *p, struct portspec *ps)
{
	char why[256];

	if (o->ports) {
		if (portspec_parse(o->ports, ps, why, sizeof(why)) < 0)
			return cmd_usage(CMD, "-p: %s", why);
		if (!strchr(o->ports, 'U') && !strchr(o->ports, 'u'))
			portlist_free(&ps->udp);
		if (ps->tcp.n == 0 && ps->udp.n == 0)
			return cmd_usage(CMD, "-p '%s' names no port", o->ports);
		return EXIT_OK;
	}
	*ps = (struct portspec){0};
	if (portlist_add_range(&ps->tcp, 1, 1024) < 0)
		return EXIT_RUNTIME;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		for (size_t k = 0; k < r->nports; k++) {
			if ((r->protos & POLICY_P_TCP) &&
			    portlist_add_range(&ps->tcp, r->ports[k].lo, r->ports[k].hi) < 0)
				return EXIT_RUNTIME;
			if ((r->protos & POLICY_P_UDP) &&
			    portlist_add_range(&ps->udp, r->ports[k].lo, r->ports[k].hi) < 0)
				return EXIT_RUNTIME;
		}
	}
	return EXIT_OK;
}

/* One scan of ts with tech over ports, every host to verify_host. EXIT_OK or EXIT_RUNTIME. */
static int verify_scan(struct verify_ctx *c, const struct targetset *ts,
                       const struct portlist *ports, const struct scan_technique *tech,
                       const struct scan_config *base)
{
	struct scan_config cfg = *base;
	char why[512] = "";
	int rc;

	if (ports->n == 0)
		return EXIT_OK;
	cfg.targets = ts;
	cfg.ports = ports;
	cfg.tech = tech;
	cfg.drop_privileges = tech->needs_raw;
	rc = scan_run(&cfg, &(struct scan_sink){.ctx = c, .on_host_done = verify_host}, why,
	              sizeof(why));
	if (rc < 0) {
		cmd_error(CMD, "scan failed: %s", why[0] ? why : strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* TARGET as a sealed target set (IPv6 when it holds a ':'). An exit status. */
static int verify_target(const struct policy_opts *o, struct targetset **ts)
{
	char why[512] = "";
	int rc;

	*ts = targetset_new(strchr(o->target, ':') ? TARGETSET_IPV6 : 0);
	if (!*ts)
		return EXIT_RUNTIME;
	rc = targetset_add(*ts, o->target, why, sizeof(why));
	if (rc < 0)
		return cmd_usage(CMD, "TARGET: %s", why);
	return targetset_seal(*ts) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* The closing line (or JSON summary) with the counts of each result. An exit status. */
static int verify_summary(const struct verify_ctx *c, bool json)
{
	int rc = 0;

	if (json) {
		json_t *sum = json_object(), *counts = json_object();

		rc = !sum || !counts;
		for (int i = 0; !rc && i < POLICY_VERIFY_RESULT_MAX; i++)
			rc = json_set(counts, policy_verify_result_name(i),
			              json_integer((json_int_t)c->counts[i]));
		rc = rc || json_set_str(sum, "type", "summary") ||
		     json_set(sum, "results", counts) || json_write_line(stdout, sum);
		json_decref(sum);
	} else {
		printf("%" PRIu64 " violations, %" PRIu64 " denied but open over the loopback, "
		       "%" PRIu64 " allowed but closed, %" PRIu64 " allowed but filtered, %" PRIu64
		       " denied but answered\n",
		       c->counts[POLICY_VERIFY_VIOLATION], c->counts[POLICY_VERIFY_DENIED_LOCAL],
		       c->counts[POLICY_VERIFY_CLOSED], c->counts[POLICY_VERIFY_BLOCKED],
		       c->counts[POLICY_VERIFY_ANSWERED]);
	}
	if (rc || fflush(stdout) != 0) {
		cmd_error(CMD, "cannot write the output");
		return EXIT_RUNTIME;
	}
	return c->counts[POLICY_VERIFY_VIOLATION] ? EXIT_FINDINGS : EXIT_OK;
}

/* The scans: TCP connect, then UDP (raw, it drops privileges: last). An exit status. */
static int verify_scans(struct verify_ctx *c, const struct targetset *ts, struct portspec *ps,
                        const struct scan_config *cfg)
{
	int st;

	if (ps->udp.n && !privdrop_have_net_raw()) {
		if (ps->tcp.n == 0) {
			cmd_error(CMD, "a UDP scan needs CAP_NET_RAW (root or a file capability)");
			return EXIT_RUNTIME;
		}
		fprintf(stderr,
		        "portscope policy: note: no CAP_NET_RAW, so the %zu UDP ports are "
		        "not verified (TCP only)\n",
		        ps->udp.n);
		portlist_free(&ps->udp);
	}
	st = verify_scan(c, ts, &ps->tcp, &scan_tech_connect, cfg);
	if (st == EXIT_OK && !c->error)
		st = verify_scan(c, ts, &ps->udp, &scan_tech_udp, cfg);
	if (st != EXIT_OK)
		return st;
	if (c->error) {
		if (c->error != -EINVAL)
			cmd_error(CMD, "%s", strerror(-c->error));
		return c->error == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int policy_cmd_verify(const struct policy_opts *o)
{
	struct verify_ctx c = {.o = o, .color = cmd_use_color(stdout, o->no_color)};
	struct portspec ps = {0};
	struct targetset *ts = NULL;
	struct scan_config cfg;
	struct policy p = {0};
	int st, rc;

	if (o->from) {
		struct policy_addr a;

		rc = policy_addr_parse(o->from, strlen(o->from), &a);
		if (rc < 0 || a.prefix != (a.family == AF_INET ? 32 : 128))
			return cmd_usage(
			    CMD, "--from-address '%s': expected one IPv4 or IPv6 address", o->from);
	}
	st = policy_cmd_load(o, &p);
	c.p = &p;
	if (st == EXIT_OK)
		st = verify_ports(o, &p, &ps);
	if (st == EXIT_OK)
		st = verify_target(o, &ts);
	if (st == EXIT_OK &&
	    scan_config_defaults(&cfg, (unsigned)(o->timing >= 0 ? o->timing : DEFAULT_TIMING)) < 0)
		st = cmd_usage(CMD, "-T%d: no such timing template (0-5)", o->timing);
	if (st == EXIT_OK)
		st = verify_scans(&c, ts, &ps, &cfg);
	if (st == EXIT_OK)
		st = verify_summary(&c, o->json);
	targetset_free(ts);
	portspec_free(&ps);
	policy_free(&p);
	return st;
}
