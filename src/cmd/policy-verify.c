/*
 * portscope policy verify: scans TARGET and compares what answers with what
 * the policy allows for the scanning address (the table of results is in
 * policy/verify.h). TCP with a connect scan; UDP (the ports the policy's UDP
 * rules name, or -p U:...) with a raw UDP scan when this process has
 * CAP_NET_RAW, else UDP is left out with a note.
 *
 * A scan of this machine runs over the loopback, which every firewall accepts
 * first; there the live ruleset decides instead (src/lib/firewall): what a
 * NEW connection from outside meets at that address, and the rule that says
 * so. A port the policy allows but another table drops is blocked; a port the
 * policy denies but some rule (a DNAT, another table) lets in is a violation.
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
#include "firewall/firewall.h"
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
	uint64_t hidden;       /* filtered ports the policy denies, not listed (human output) */
	int error;             /* first output or look-up failure */
	struct fw_ruleset *rs; /* the live ruleset (NULL: not read) and its host */
	struct fw_env env;
	char fw_why[256]; /* why it was not read */
};

/* What the live ruleset does with a NEW connection from outside to (addr, port). */
struct live_verdict {
	bool have;
	enum fw_result result;
	bool natted;     /* accepted through a dnat or redirect */
	char text[1024]; /* "dropped by inet other input handle 2: tcp dport 2400 drop" */
};

static void live_eval(struct verify_ctx *c, const struct target_addr *a, int proto, uint16_t port,
                      const struct policy_addr *from, struct live_verdict *lv)
{
	struct fw_query q = {
	    .family = a->family == AF_INET6 ? 6 : 4, .proto = (uint8_t)proto, .dport = port};
	struct fw_outcome out[FW_MAX_OUTCOMES];
	char by[600];
	int n;

	memset(lv, 0, sizeof(*lv));
	if (!c->rs || c->rs->legacy)
		return;
	memcpy(q.daddr, target_addr_bytes(a), target_addr_size(a->family));
	/* arriving on the interface that holds the address */
	for (size_t i = 0; i < c->env.naddrs && !q.iifname; i++)
		if (c->env.addrs[i].family == q.family &&
		    memcmp(c->env.addrs[i].addr, q.daddr, q.family == 6 ? 16 : 4) == 0)
			q.iifname = c->env.addrs[i].ifname;
	if (!q.iifname || strcmp(q.iifname, "lo") == 0)
		return; /* a loopback address: nothing outside reaches it */
	if (c->o->from && from->family == a->family) {
		q.have_saddr = true;
		memcpy(q.saddr, from->bytes, target_addr_size(a->family));
	}
	n = fw_eval(c->rs, &c->env, &q, out, FW_MAX_OUTCOMES);
	if (n < 1)
		return;
	/*
	 * Without --from-address the policy speaks for a source no FROM list names:
	 * compare with the outcome of the most sources (the others a rule does not name).
	 */
	for (int i = 1; i < n; i++) {
		fw_u128 sa = 0, sb = 0;

		for (size_t k = 0; k < out[i].nsrc; k++)
			sa += out[i].src_hi[k] - out[i].src_lo[k];
		for (size_t k = 0; k < out[0].nsrc; k++)
			sb += out[0].src_hi[k] - out[0].src_lo[k];
		if (!out[0].src_all && (out[i].src_all || sa > sb))
			out[0] = out[i];
	}
	lv->have = true;
	lv->result = out[0].result;
	lv->natted = out[0].natted;
	fw_ref_format(out[0].natted && out[0].result == FW_ACCEPTED ? &out[0].nat_by : &out[0].by,
	              by, sizeof(by));
	snprintf(lv->text, sizeof(lv->text), "%s%s%s%s%s", fw_result_name(out[0].result),
	         out[0].natted && out[0].result == FW_ACCEPTED ? ", published by " : " by ", by,
	         out[0].why[0] ? ": " : "", out[0].why);
	if (!out[0].src_all && !q.have_saddr)
		strncat(lv->text, " (sources a rule does not name)",
		        sizeof(lv->text) - strlen(lv->text) - 1);
}

/* The result when the live ruleset speaks for the outside (a scan over the loopback). */
static enum policy_verify_result live_judge(enum policy_action action, enum scan_state state,
                                            const struct live_verdict *lv)
{
	if (lv->result == FW_UNKNOWN)
		return POLICY_VERIFY_DENIED_LOCAL; /* as before: the scan cannot tell */
	if (action == POLICY_ALLOW) {
		if (lv->result != FW_ACCEPTED)
			return POLICY_VERIFY_BLOCKED;
		return state == SCAN_CLOSED ? POLICY_VERIFY_CLOSED : POLICY_VERIFY_OK;
	}
	/* a translated port is published whatever the loopback scan met (it skips prerouting) */
	if (lv->result == FW_ACCEPTED &&
	    (lv->natted || state == SCAN_OPEN || state == SCAN_OPEN_FILTERED))
		return POLICY_VERIFY_VIOLATION;
	return POLICY_VERIFY_OK;
}

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
                     enum policy_action action, enum policy_verify_result res,
                     const struct live_verdict *lv)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return -ENOMEM;
	rc |= json_set_str(o, "type", "verify");
	rc |= json_set_str(o, "address", host);
	rc |= json_set_str(o, "from", from);
	rc |= json_set_str(o, "proto", proto == IPPROTO_UDP ? "udp" : "tcp");
	rc |= json_set(o, "port", json_integer(port));
	rc |= json_set_str(o, "state", scan_state_name(state));
	rc |= json_set_str(o, "verdict", policy_action_name(action));
	rc |= json_set(o, "rule", policy_json_rule(r));
	rc |= json_set_str(o, "result", policy_verify_result_name(res));
	if (lv->have) {
		json_t *fw = json_object();

		rc |= !fw;
		rc |= json_set_str(fw, "result", fw_result_name(lv->result));
		rc |= json_set_str(fw, "verdict", lv->text);
		rc |= json_set(o, "firewall", fw);
	} else {
		rc |= json_set(o, "firewall",
		               json_null()); /* not read: remote, or no CAP_NET_ADMIN */
	}
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
                      enum policy_verify_result res, const struct live_verdict *lv, bool live_col)
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
	if (live_col)
		rc |= table_cell(t, lv->have ? lv->text : "-");
	return rc ? -ENOMEM : 0;
}

static void verify_host(void *ctx, const struct scan_host *h)
{
	static const char *const cols[] = {"PORT", "STATE",  "POLICY",
	                                   "RULE", "RESULT", "LIVE FIREWALL (from outside)"};
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
		for (size_t i = 0; t && i < ARRAY_SIZE(cols) - (local && c->rs ? 0 : 1); i++)
			table_add_column(t, cols[i], TABLE_LEFT);
		if (!t)
			c->error = -ENOMEM;
	}
	for (size_t i = 0; i < h->nports && !c->error; i++) {
		enum scan_state state = scan_res_state(h->res[i]);
		unsigned proto = h->proto == IPPROTO_UDP ? POLICY_P_UDP : POLICY_P_TCP;
		/* over the loopback with the live ruleset: the policy for the outside's sources */
		bool outside = local && c->rs && !c->o->from;
		ssize_t idx = policy_eval(
		    c->p, &(struct policy_packet){
		              .proto = proto, .port = h->ports[i], .from = outside ? NULL : &src});
		const struct policy_rule *r = idx >= 0 ? &c->p->rules[idx] : NULL;
		enum policy_action action = r ? r->action : POLICY_DENY;
		enum policy_verify_result res = policy_verify_judge(action, state, local);
		struct live_verdict lv = {0};

		if (local && c->rs) {
			live_eval(c, &h->addr, h->proto, h->ports[i], &src, &lv);
			if (lv.have)
				res = live_judge(action, state, &lv);
		}
		c->counts[res]++;
		if (c->o->json)
			c->error = emit_json(c, host, from, h->proto, h->ports[i], state, r, action,
			                     res, &lv);
		else
			c->error =
			    verify_row(c, t, h, i, state, r, action, res, &lv, local && c->rs);
	}
	if (t && !c->error) {
		printf("%s from %s%s%s:\n", host, from, local ? " (over the loopback, " : "",
		       !local  ? ""
		       : c->rs ? "so the live ruleset speaks for the outside)"
		               : "which the compiled chain accepts)");
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
		if (portspec_parse_tcp(o->ports, ps, why, sizeof(why)) < 0)
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
		char v[48];

		printf("%s, %" PRIu64 " denied but open over the loopback, "
		       "%" PRIu64 " allowed but closed, %" PRIu64 " allowed but filtered, %" PRIu64
		       " denied but answered\n",
		       cmd_plural(c->counts[POLICY_VERIFY_VIOLATION], "violation", v, sizeof(v)),
		       c->counts[POLICY_VERIFY_DENIED_LOCAL], c->counts[POLICY_VERIFY_CLOSED],
		       c->counts[POLICY_VERIFY_BLOCKED], c->counts[POLICY_VERIFY_ANSWERED]);
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
	/* before any privilege is dropped: reading the ruleset needs CAP_NET_ADMIN */
	if (st == EXIT_OK && (fw_ruleset_read(-1, &c.rs, c.fw_why, sizeof(c.fw_why)) < 0 ||
	                      fw_env_read(-1, &c.env, c.fw_why, sizeof(c.fw_why)) < 0)) {
		fw_ruleset_free(c.rs);
		c.rs = NULL;
	}
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
	fw_ruleset_free(c.rs);
	fw_env_free(&c.env);
	return st;
}
