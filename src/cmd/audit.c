/*
 * portscope audit [TARGET…]: the attack-surface report. The pipeline and its
 * decisions are the library's (audit/audit.h); this file reads the options,
 * records the run in the history, and prints the report.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/scan.h"
#include "config.h"
#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/out.h"
#include "output/service.h"
#include "output/table.h"
#include "report/outfile.h"
#include "report/prom.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/rlimit.h"

enum { OPT_FAIL_ON = CMD_OPT_OWN, OPT_NO_HISTORY, OPT_PROMETHEUS };

static const struct cmd_option audit_options[] = {
    CMD_OPTION_JSON("one JSON document, on one line"),
    {.name = "fail-on",
     .id = OPT_FAIL_ON,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "SEV",
     .complete = "high|medium|low|info",
     .help = "exit 1 when a finding is at least SEV (high|medium|low|info)"},
    {.letter = 'p',
     .arg = CMD_ARG_REQUIRED,
     .metavar = "PORTS",
     .help = "remote mode: ports to scan, TCP unless after U: (default: the top 1000)"},
    {.letter = '6', .help = "remote mode: targets are IPv6"},
    CMD_OPTION_DB(CMD_DB_HELP),
    {.name = "no-history", .id = OPT_NO_HISTORY, .help = "do not record the audit"},
    CMD_OPTION_PROMETHEUS(OPT_PROMETHEUS,
                          "the audit's metrics as a node_exporter textfile (replaced whole)"),
    CMD_OPTION_NO_COLOR,
    {0},
};

/* One `portscope audit`: what the options asked, the library's report, the history. */
struct audit_cmd {
	const struct cmd_args *a;
	int fail_on;                /* -1 none */
	struct targetset *ts;       /* remote targets */
	struct portspec ps;         /* remote -p */
	struct kb *kb;              /* port names; NULL without services files */
	struct audit_report rep;    /* the library's findings */
	double t0, wall_start;      /* monotonic, wall clock */
	double elapsed;             /* seconds, the whole audit */
	char *args;                 /* the command line as one string */
	char *targets;              /* remote: the target words; local: NULL */
	struct scan_history hist;   /* the run being recorded (hist.st NULL: none) */
	int hist_rc;                /* EXIT_* of a history that could not be opened */
	struct scan_summary sum;    /* the scans' summaries added up */
	struct outfile_keeper prom; /* writes --prometheus FILE (the scan may drop root) */
};

static const char *addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* "0.0.0.0:80/tcp", "[::]:22/tcp": the bind address (local) or the target (remote). */
static const char *ep_where(const struct audit_endpoint *e, char *buf, size_t len)
{
	char b[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s%s%s:%u/%s", e->family == AF_INET6 ? "[" : "",
	         e->local || e->reach.nat ? addr_text(e->family, e->bind, b, sizeof(b))
	                                  : target_addr_str(&e->target, b, sizeof(b)),
	         e->family == AF_INET6 ? "]" : "", e->port,
	         e->proto == IPPROTO_TCP ? "tcp" : "udp");
	if (e->reach.nat && !e->local && e->reach.port_hi > e->port) {
		size_t at = strlen(buf);

		/* a range of ports: 198.18.0.2:30000/tcp-30999 reads badly; say the range */
		snprintf(buf + at, len > at ? len - at : 0, " (to port %u)", e->reach.port_hi);
	}
	return buf;
}

/* ---- the history: the scans' results as they arrive, then services and findings ---- */

static void history_port(void *ctx, const struct scan_result *r)
{
	scan_history_port(&((struct audit_cmd *)ctx)->hist, r);
}

static void history_host(void *ctx, const struct scan_host *h)
{
	scan_history_host(&((struct audit_cmd *)ctx)->hist, h, NULL);
}

static void history_tick(void *ctx, const struct scan_progress *p)
{
	(void)p;
	scan_history_tick(&((struct audit_cmd *)ctx)->hist);
}

/* Local mode scans once per address family: the history gets their sum. */
static void history_done(void *ctx, const struct scan_summary *s)
{
	struct audit_cmd *ac = ctx;

	ac->sum.hosts_total += s->hosts_total;
	ac->sum.hosts_up += s->hosts_up;
	ac->sum.hosts_timedout += s->hosts_timedout;
	for (int i = 0; i < SCAN_STATE_MAX; i++)
		ac->sum.counts[i] += s->counts[i];
	ac->sum.probes_sent += s->probes_sent;
	ac->sum.retries += s->retries;
}

/*
 * Records the run as begun, with the TCP ports it scans (the library's
 * on_begin). Returns 0, or -ECANCELED after reporting (hist_rc holds the status).
 */
static int history_begin(void *ctx, const struct portlist *pl)
{
	struct audit_cmd *ac = ctx;
	char *ranges;

	if (cmd_has(ac->a, OPT_NO_HISTORY))
		return 0;
	ranges = out_port_ranges(pl);
	if (!ranges)
		return -ENOMEM;
	ac->hist_rc = scan_history_start(&ac->hist, "audit", ac->a->db, false,
	                                 &(struct store_run_info){
	                                     .kind = "audit",
	                                     .version = PORTSCOPE_VERSION,
	                                     .args = ac->args,
	                                     .targets = ac->targets,
	                                     .ports = ranges,
	                                     .proto = IPPROTO_TCP,
	                                     .scan_type = "connect",
	                                     .start = ac->wall_start,
	                                 });
	free(ranges);
	return ac->hist_rc == EXIT_OK ? 0 : -ECANCELED;
}

static const char *fw_decided(const struct audit_endpoint *e, char *buf, size_t len);

/* Where an endpoint is recorded: the socket's bind address (local) or the target (remote). */
static struct target_addr ep_addr(const struct audit_endpoint *e)
{
	struct target_addr a = {.family = e->family};

	if (!e->local)
		return e->target;
	memcpy(e->family == AF_INET ? (void *)&a.v4 : (void *)&a.v6, e->bind,
	       e->family == AF_INET ? 4 : 16);
	return a;
}

/*
 * What the history keeps beyond the scan's ports: the services detected on
 * reachable TCP ports, every endpoint with its exposure and owner, and every
 * finding with its fix, reference and owner, placed at the socket's bind
 * address (local) or the target (remote) so that two audits match them up.
 */
static void history_record(struct audit_cmd *ac)
{
	const struct audit_report *rep = &ac->rep;
	char dec[AUDIT_RULE_MAX * 2 + AUDIT_REACH_MAX];

	for (size_t i = 0; i < rep->neps; i++) {
		const struct audit_endpoint *e = &rep->eps[i];
		struct target_addr a = ep_addr(e);
		const char *decided = rep->fw_evaluated ? fw_decided(e, dec, sizeof(dec)) : NULL;

		if (e->proto == IPPROTO_TCP && e->reach.exp == AUDIT_EXP_REACHABLE &&
		    e->have_target)
			scan_history_service(&ac->hist, &e->target, IPPROTO_TCP, e->port,
			                     e->service, e->product, e->version);
		scan_history_endpoint(
		    &ac->hist,
		    &(struct store_endpoint){
		        .addr = &a,
		        .proto = e->proto,
		        .port = e->port,
		        .exposure = audit_exposure_name(e->reach.exp),
		        .reachable_on = e->reach.on,
		        .decided_by = decided && strcmp(decided, "-") != 0 ? decided : NULL,
		        .service = e->service,
		        .product = e->product,
		        .version = e->version,
		        .port_default = e->port_default,
		        .mismatch = e->mismatch,
		        .pid = e->pid,
		        .process = e->pid ? e->process : NULL,
		        .user = e->local ? e->user : NULL,
		    });
	}
	for (size_t i = 0; i < rep->nfs; i++) {
		const struct audit_finding *f = &rep->fs[i];
		const struct audit_endpoint *e = &rep->eps[f->ep];
		struct target_addr a = ep_addr(e);

		scan_history_finding(&ac->hist, &(struct store_finding){
		                                    .addr = &a,
		                                    .proto = e->proto,
		                                    .port = e->port,
		                                    .check = f->id,
		                                    .severity = kb_severity_name(f->sev),
		                                    .title = f->title,
		                                    .detail = f->evidence,
		                                    .recommendation = f->recommendation,
		                                    .citation = f->citation,
		                                    .pid = e->pid,
		                                    .process = e->pid ? e->process : NULL,
		                                });
	}
}

/* The audit's metrics into --prometheus FILE. Returns 0, or -EIO after reporting. */
static int audit_write_prometheus(struct audit_cmd *ac)
{
	static const enum audit_exposure exps[] = {AUDIT_EXP_REACHABLE, AUDIT_EXP_LOOPBACK,
	                                           AUDIT_EXP_BLOCKED, AUDIT_EXP_NO_ADDRESS,
	                                           AUDIT_EXP_UNVERIFIED};
	const struct audit_report *rep = &ac->rep;
	struct prom_count byexp[ARRAY_SIZE(exps)];
	struct audit_counts c;
	struct prom_run pr = {
	    .kind = "audit",
	    .targets = ac->targets,
	    .tcp = true,
	    .udp = true,
	    .hosts_up = rep->remote ? ac->sum.hosts_up : 1,
	    .exposures = byexp,
	    .nexposures = ARRAY_SIZE(exps),
	    .end = clock_wall(),
	    .duration = ac->elapsed,
	};
	char why[PATH_MAX + 128] = "";

	audit_count(rep, &c);
	pr.reachable = c.reachable;
	for (int s = KB_SEV_INFO; s <= KB_SEV_HIGH; s++)
		pr.findings[s] = c.sev[s];
	for (size_t k = 0; k < ARRAY_SIZE(exps); k++)
		byexp[k] = (struct prom_count){.name = audit_exposure_name(exps[k])};
	for (size_t i = 0; i < rep->neps; i++) {
		const struct audit_endpoint *e = &rep->eps[i];

		for (size_t k = 0; k < ARRAY_SIZE(exps); k++)
			byexp[k].n += e->reach.exp == exps[k];
		/* A remote UDP port no check could ask is not known to be open. */
		if (rep->remote && e->reach.exp == AUDIT_EXP_UNVERIFIED)
			continue;
		if (e->proto == IPPROTO_UDP)
			pr.open_udp++;
		else
			pr.open_tcp++;
	}
	if (prom_send(&ac->prom, &pr, why, sizeof(why)) < 0) {
		cmd_error("audit", "--prometheus: %s", why);
		return -EIO;
	}
	return 0;
}

/* ---- the report ---- */

static void print_findings(const struct audit_report *rep, bool color)
{
	char where[AUDIT_REACH_MAX + 32];
	int last = -1;

	for (size_t i = 0; i < rep->nfs; i++) {
		const struct audit_finding *f = &rep->fs[i];
		const struct audit_endpoint *e = &rep->eps[f->ep];

		if (f->sev != last) {
			const char *name = kb_severity_name(f->sev);

			if (color)
				printf("\033[1;%sm%s\033[0m\n", cmd_severity_color(f->sev), name);
			else
				printf("%s\n", name);
			last = f->sev;
		}
		printf("  %-22s %s", f->id, ep_where(e, where, sizeof(where)));
		if (e->pid)
			printf("  %s (pid %d, user %s)", e->process, (int)e->pid, e->user);
		printf("\n    %s\n    evidence: ", f->title);
		cmd_put_indented(stdout, f->evidence, "              ");
		printf("\n    do: %s\n    ref: %s\n", f->recommendation,
		       f->citation ? f->citation : "-");
	}
	if (!rep->nfs)
		printf("no findings\n");
}

/*
 * The firewall's word on e: "dnat to 198.18.50.2:80 (ip nat pre handle 3 …)",
 * the rule that decided, and "from S only" when a rule restricts the sources.
 */
static const char *fw_decided(const struct audit_endpoint *e, char *buf, size_t len)
{
	char a[48];

	if (e->reach.nat && !e->local) {
		inet_ntop(e->reach.to_family == 6 ? AF_INET6 : AF_INET, e->reach.to_addr, a,
		          sizeof(a));
		snprintf(buf, len, "to %s:%u by %s", a, e->reach.to_port, e->reach.nat_rule);
	} else if (e->reach.nat) {
		snprintf(buf, len, "through %s", e->reach.nat_rule);
	} else if (e->reach.exp == AUDIT_EXP_REACHABLE && e->reach.restricted &&
	           strcmp(e->reach.sources, "any") != 0) {
		snprintf(buf, len, "%s (from %s only)", e->reach.rule, e->reach.sources);
	} else {
		snprintf(buf, len, "%s", e->reach.rule[0] ? e->reach.rule : "-");
	}
	return buf;
}

/* The endpoints' table: socket, exposure, where it answered, service, owner. */
static int print_endpoints(const struct audit_report *rep, bool color)
{
	struct table *t = table_new();
	char where[AUDIT_REACH_MAX + 32], dec[AUDIT_RULE_MAX * 2 + AUDIT_REACH_MAX];

	if (!t)
		return -ENOMEM;
	printf("\n");
	table_add_column(t, "SOCKET", TABLE_LEFT);
	table_add_column(t, "EXPOSURE", TABLE_LEFT);
	table_add_column(t, "REACHABLE ON", TABLE_LEFT);
	table_add_column(t, "SERVICE", TABLE_LEFT);
	table_add_column(t, "PROCESS", TABLE_LEFT);
	if (rep->fw_evaluated)
		table_add_column(t, "DECIDED BY (live ruleset)", TABLE_LEFT);
	for (size_t i = 0; i < rep->neps; i++) {
		const struct audit_endpoint *e = &rep->eps[i];
		enum audit_exposure x = e->reach.exp;

		table_cell(t, ep_where(e, where, sizeof(where)));
		table_cell_color(t, audit_exposure_name(x),
		                 x == AUDIT_EXP_REACHABLE ? TABLE_YELLOW
		                 : x == AUDIT_EXP_BLOCKED ? TABLE_BLUE
		                                          : TABLE_GREEN);
		table_cell(t, e->reach.on[0] ? e->reach.on : "-");
		if (e->service[0])
			table_cellf(t, "%s%s%s%s", e->service, e->mismatch ? " (port of " : "",
			            e->mismatch ? e->port_default : "", e->mismatch ? ")" : "");
		else
			table_cellf(t, "%s?", e->port_default ? e->port_default : "");
		if (e->pid)
			table_cellf(t, "%s/%d %s%s%s", e->process, (int)e->pid, e->user,
			            e->reach.netns[0] ? " in " : "", e->reach.netns);
		else if (e->reach.nat && !e->local)
			table_cell(t, e->reach.owner_found ? "-" : "nobody listens");
		else
			table_cell(t, e->local ? e->user : "-");
		if (rep->fw_evaluated)
			table_cell(t, fw_decided(e, dec, sizeof(dec)));
	}
	table_render(t, stdout, color);
	table_free(t);
	return 0;
}

/* Remote: the targets found down, which have nothing to audit (the first 20 named). */
static void print_down(const struct audit_report *rep)
{
	char b[INET6_ADDRSTRLEN];

	printf("hosts: %zu up, %llu down\n", rep->nup, (unsigned long long)rep->hosts_down);
	for (size_t i = 0; i < rep->ndown && i < 20; i++)
		printf("  %s is down (%s): not audited\n",
		       target_addr_str(&rep->down[i].addr, b, sizeof(b)),
		       scan_reason_name(rep->down[i].reason ? rep->down[i].reason
		                                            : SCAN_REASON_NO_RESPONSE));
	if (rep->hosts_down > 20)
		printf("  and %llu more down\n", (unsigned long long)(rep->hosts_down - 20));
}

/* Remote: {"up": N, "down_count": N, "down": [{"address", "status", "reason"}, ...]}. */
static json_t *json_hosts(const struct audit_report *rep)
{
	json_t *o = json_object(), *down = json_array();
	char b[INET6_ADDRSTRLEN];
	int rc = !o || !down;

	for (size_t i = 0; !rc && i < rep->ndown; i++)
		rc |= json_array_append_new(
		    down, json_pack("{s:s, s:s, s:s}", "address",
		                    target_addr_str(&rep->down[i].addr, b, sizeof(b)), "status",
		                    "down", "reason", scan_reason_name(rep->down[i].reason)));
	rc |= json_set(o, "up", json_integer((json_int_t)rep->nup));
	rc |= json_set(o, "down_count", json_integer((json_int_t)rep->hosts_down));
	rc |= json_set(o, "down", down);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_human(const struct audit_cmd *ac)
{
	const struct audit_report *rep = &ac->rep;
	bool color = cmd_use_color(stdout, ac->a->no_color);
	struct audit_counts c;
	char what[64];

	audit_count(rep, &c);
	printf("portscope audit: %s\n\n", rep->remote ? "targets (remote view)" : "this machine");
	print_findings(rep, color);
	if (rep->neps && print_endpoints(rep, color) < 0)
		return -ENOMEM;
	printf("\nattack surface: %s, %u reachable from outside, %u loopback-only, %u blocked; "
	       "findings: %u high, %u medium, %u low, %u info (%.1f s)\n",
	       cmd_plural(c.endpoints, rep->remote ? "open port" : "listening socket", what,
	                  sizeof(what)),
	       c.reachable, c.loopback, c.blocked, c.sev[KB_SEV_HIGH], c.sev[KB_SEV_MEDIUM],
	       c.sev[KB_SEV_LOW], c.sev[KB_SEV_INFO], ac->elapsed);
	if (!rep->remote && !rep->naddrs)
		printf("note: no address but loopback here: nothing is reachable from outside\n");
	if (!rep->remote)
		printf("firewall: %s%s\n", rep->firewall,
		       rep->fw_evaluated ? "" : " (exposure from a scan of the own addresses)");
	if (rep->remote)
		print_down(rep);
	/* the hosts down are listed above; said again only beside hosts up that are silent */
	if (rep->remote && rep->hosts_silent > rep->hosts_down)
		printf("unreachable: %s: no answer at all (no route, host down, or every port "
		       "filtered)\n",
		       rep->silent);
	if (rep->overflow)
		printf("note: more than %d endpoints; the rest were left out\n", AUDIT_MAX_EPS);
	if (c.unverified)
		printf("note: %u UDP port(s) did not answer (open|filtered, listed as unverified): "
		       "not counted as open\n",
		       c.unverified);
	if (rep->udp_silent)
		printf("note: %u more UDP port(s) gave no answer to one UDP probe each "
		       "(open|filtered)\n",
		       rep->udp_silent);
	if (rep->udp_skipped)
		printf(
		    "note: %u UDP port(s) without a safe check were not scanned (a UDP scan needs "
		    "CAP_NET_RAW: run as root)\n",
		    rep->udp_skipped);
	return ferror(stdout) ? -EIO : 0;
}

/* The fields an endpoint and its findings share in JSON. */
static int json_where(json_t *o, const struct audit_endpoint *e)
{
	char b[INET6_ADDRSTRLEN];
	int rc = 0;

	rc |= json_set_str(o, "address",
	                   e->local || e->reach.nat ? addr_text(e->family, e->bind, b, sizeof(b))
	                                            : target_addr_str(&e->target, b, sizeof(b)));
	rc |= json_set_str(o, "proto", out_proto_name(e->proto));
	rc |= json_set(o, "port", json_integer(e->port));
	return rc;
}

/* "198.18.0.2,fd00:5c09::2" as ["198.18.0.2","fd00:5c09::2"]. */
static json_t *json_addresses(const char *list)
{
	json_t *arr = json_array();
	char buf[AUDIT_REACH_MAX], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); arr && tok; tok = strtok_r(NULL, ", ", &save))
		if (json_array_append_new(arr, json_string(tok)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	return arr;
}

/* One path's outcomes: what a NEW connection from each group of sources meets. */
static json_t *json_path(const struct audit_endpoint *e, const struct fw_expo_path *p)
{
	json_t *o = json_object(), *outs = json_array();
	char b[INET6_ADDRSTRLEN], by[AUDIT_RULE_MAX], src[AUDIT_REACH_MAX];
	int rc = !o || !outs;

	inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, b, sizeof(b));
	rc |= json_set_str(o, "address", b);
	rc |= json_set_str(o, "family", p->family == 6 ? "ipv6" : "ipv4");
	rc |= json_set_str(o, "iif", p->iif);
	for (size_t k = 0; rc == 0 && k < p->nout; k++) {
		const struct fw_outcome *x = &p->out[k];
		json_t *j = json_object();
		/* a socket waits where the outcome delivers: here, untranslated or to its port */
		bool here = x->local && (!x->natted || x->dport == e->port);

		rc |= !j;
		rc |= json_set_str(j, "result", fw_result_name(x->result));
		rc |= json_set_str(j, "scan", fw_scan_state(x, (uint8_t)e->proto, here));
		rc |= json_set_str(j, "sources", fw_sources_format(x, p->family, src, sizeof(src)));
		/* "no rule": no chain on the path decides (nothing filters it) */
		rc |= json_set_str(j, "rule", fw_ref_format(&x->by, by, sizeof(by)));
		rc |= json_set_str(j, "why", x->why[0] ? x->why : NULL);
		rc |= json_array_append_new(outs, j);
	}
	rc |= json_set(o, "outcomes", outs);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* What the live ruleset says of e (issue 14): rule, families, sources, paths, translation. */
static json_t *json_firewall(const struct audit_endpoint *e)
{
	json_t *o = json_object(), *paths = json_array(), *fams = json_array();
	int rc = !o || !paths || !fams;

	if (e->reach.v4)
		rc |= json_array_append_new(fams, json_string("ipv4"));
	if (e->reach.v6)
		rc |= json_array_append_new(fams, json_string("ipv6"));
	rc |= json_set_str(o, "rule", e->reach.rule[0] ? e->reach.rule : NULL);
	rc |= json_set(o, "families", fams);
	rc |= json_set_str(o, "sources", e->reach.sources[0] ? e->reach.sources : NULL);
	rc |= json_set(o, "restricted", json_boolean(e->reach.restricted));
	for (size_t i = 0; rc == 0 && i < e->reach.npaths; i++)
		rc |= json_array_append_new(paths, json_path(e, &e->reach.paths[i]));
	rc |= json_set(o, "paths", paths);
	if (e->reach.nat) {
		json_t *n = json_object();
		char a[INET6_ADDRSTRLEN], to[64];

		inet_ntop(e->reach.to_family == 6 ? AF_INET6 : AF_INET, e->reach.to_addr, a,
		          sizeof(a));
		snprintf(to, sizeof(to), e->reach.to_family == 6 ? "[%s]:%u" : "%s:%u", a,
		         e->reach.to_port);
		rc |= !n;
		rc |= json_set_str(n, "to", to);
		rc |= json_set_str(n, "rule", e->reach.nat_rule);
		rc |= json_set(n, "port_hi",
		               json_integer(e->reach.port_hi ? e->reach.port_hi : e->port));
		rc |= json_set(n, "forwarded", json_boolean(e->reach.forwarded));
		rc |= json_set_str(n, "netns", e->reach.netns[0] ? e->reach.netns : NULL);
		rc |= json_set(n, "owner_found", json_boolean(e->reach.owner_found));
		rc |= json_set(n, "loopback_bound", json_boolean(e->reach.loopback_bound));
		if (!e->local)
			rc |= json_set_str(n, "scan", e->reach.owner_found ? "open" : "closed");
		rc |= json_set(o, "nat", n);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *json_endpoint(const struct audit_endpoint *e)
{
	json_t *o = json_object();
	int rc;

	if (!o)
		return NULL;
	rc = json_where(o, e);
	rc |= json_set_str(o, "family", json_family(e->family));
	rc |= json_set_str(o, "exposure", audit_exposure_name(e->reach.exp));
	rc |= json_set(o, "reachable_on", json_addresses(e->reach.on));
	rc |= json_set(o, "service",
	               out_json_service(&(struct out_service){
	                   .name = e->service[0] ? e->service : e->port_default,
	                   .probed = e->service[0] != '\0',
	                   .confidence = e->confidence,
	                   .product = e->product,
	                   .version = e->version,
	                   .port_default = e->port_default,
	                   .mismatch = &e->mismatch,
	               }));
	rc |= json_set(o, "pid", e->pid ? json_integer(e->pid) : NULL);
	rc |= json_set_str(o, "process", e->pid ? e->process : NULL);
	rc |= json_set_str(o, "user", e->local || e->pid ? e->user : NULL);
	if (e->reach.evaluated)
		rc |= json_set(o, "firewall", json_firewall(e));
	if (rc) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *json_finding(const struct audit_finding *f, const struct audit_endpoint *e)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= json_set_str(o, "check", f->id);
	rc |= json_set_str(o, "severity", kb_severity_name(f->sev));
	rc |= json_set_str(o, "title", f->title);
	rc |= json_where(o, e);
	rc |= json_set_str(o, "evidence", f->evidence);
	rc |= json_set_str(o, "recommendation", f->recommendation);
	rc |= json_set_str(o, "citation", f->citation);
	rc |= json_set(o, "pid", e->pid ? json_integer(e->pid) : NULL);
	rc |= json_set_str(o, "process", e->pid ? e->process : NULL);
	if (rc) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The one document (schema/audit.json), on one line. */
static int print_json(const struct audit_cmd *ac)
{
	const struct audit_report *rep = &ac->rep;
	json_t *doc = json_object(), *eps = json_array(), *fs = json_array(), *sum = json_object();
	struct audit_counts c;
	int rc = 0;

	if (!doc || !eps || !fs || !sum) {
		json_decref(doc);
		json_decref(eps);
		json_decref(fs);
		json_decref(sum);
		return -ENOMEM;
	}
	audit_count(rep, &c);
	rc |= json_set_str(doc, "type", "audit");
	rc |= json_set_str(doc, "mode", rep->remote ? "remote" : "local");
	for (size_t i = 0; rc == 0 && i < rep->neps; i++)
		rc |= json_array_append_new(eps, json_endpoint(&rep->eps[i]));
	for (size_t i = 0; rc == 0 && i < rep->nfs; i++)
		rc |=
		    json_array_append_new(fs, json_finding(&rep->fs[i], &rep->eps[rep->fs[i].ep]));
	rc |= json_set(sum, "endpoints", json_integer(c.endpoints));
	rc |= json_set(sum, "unverified", json_integer(c.unverified));
	rc |= json_set(sum, "reachable", json_integer(c.reachable));
	rc |= json_set(sum, "loopback_only", json_integer(c.loopback));
	rc |= json_set(sum, "blocked", json_integer(c.blocked));
	for (int s = KB_SEV_INFO; s <= KB_SEV_HIGH; s++)
		rc |= json_set(sum, kb_severity_name(s), json_integer(c.sev[s]));
	rc |= json_set(sum, "duration_s", json_seconds(ac->elapsed));
	if (!rep->remote) {
		json_t *fw = json_object();

		rc |= !fw;
		rc |= json_set(fw, "evaluated", json_boolean(rep->fw_evaluated));
		rc |= json_set_str(fw, "note", rep->firewall);
		rc |= json_set(doc, "firewall", fw);
	} else {
		rc |= json_set(sum, "targets", json_integer(rep->hosts_done));
		rc |= json_set(sum, "unreachable", json_integer(rep->hosts_silent));
	}
	rc |= json_set(doc, "summary", sum);
	if (rep->remote) {
		json_t *hosts = json_hosts(rep);

		rc |= !hosts || json_set(doc, "hosts", hosts);
	}
	rc |= json_set(doc, "endpoints", eps);
	rc |= json_set(doc, "findings", fs);
	if (rc == 0)
		rc = json_write_line(stdout, doc);
	else
		rc = -ENOMEM;
	json_decref(doc);
	return rc;
}

/* ---- the command ---- */

static int out_of_memory(void)
{
	cmd_error("audit", "out of memory");
	return EXIT_RUNTIME;
}

/* Remote mode: the targets and -p, checked before anything is sent. An exit status. */
static int audit_remote_args(struct audit_cmd *ac)
{
	const struct cmd_args *a = ac->a;
	const char *ports = cmd_get(a, 'p');
	char why[512];
	int rc;

	ac->ts = targetset_new(cmd_has(a, '6') ? TARGETSET_IPV6 : 0);
	if (!ac->ts)
		return out_of_memory();
	for (size_t i = 0; i < a->nwords; i++) {
		rc = targetset_add(ac->ts, a->words[i], why, sizeof(why));
		if (rc < 0)
			return rc == -ENOMEM ? out_of_memory() : cmd_usage("audit", "%s", why);
	}
	if (targetset_seal(ac->ts) < 0)
		return out_of_memory();
	if (!ports)
		return EXIT_OK;
	rc = portspec_parse_tcp(ports, &ac->ps, why, sizeof(why));
	if (rc < 0)
		return rc == -ENOMEM ? out_of_memory() : cmd_usage("audit", "%s", why);
	if (ac->ps.tcp.n == 0 && ac->ps.udp.n == 0)
		return cmd_usage("audit", "-p '%s' names no port", ports);
	return EXIT_OK;
}

/* The options into ac, checked. An exit status. */
static int audit_setup(struct audit_cmd *ac)
{
	const struct cmd_args *a = ac->a;
	const char *fail_on = cmd_get(a, OPT_FAIL_ON);
	bool remote = a->nwords > 0;
	char why[PATH_MAX + 128];

	ac->args = cmd_join("portscope", a->argc, a->argv);
	if (!ac->args)
		return out_of_memory();
	if (cmd_has(a, OPT_PROMETHEUS) && !*cmd_get(a, OPT_PROMETHEUS))
		return cmd_usage("audit", "--prometheus: empty path");
	if (fail_on && (ac->fail_on = audit_severity_parse(fail_on)) < 0)
		return cmd_usage("audit", "bad --fail-on '%s': not high, medium, low or info",
		                 fail_on);
	if (!remote && (cmd_has(a, 'p') || cmd_has(a, '6')))
		return cmd_usage("audit", "%s needs a TARGET (remote mode)",
		                 cmd_has(a, 'p') ? "-p" : "-6");
	if (remote) {
		int rc = audit_remote_args(ac);

		if (rc != EXIT_OK)
			return rc;
		ac->targets = cmd_join(NULL, (int)a->nwords, a->words);
		if (!ac->targets)
			return out_of_memory();
	}
	if (kb_load(NULL, &ac->kb, why, sizeof(why)) < 0)
		ac->kb = NULL; /* no services files: no port names */
	rlimit_raise_nofile();
	/* Forked before any thread, and before the scan gives up root. */
	if (cmd_has(a, OPT_PROMETHEUS) &&
	    outfile_keep(&ac->prom, cmd_get(a, OPT_PROMETHEUS), why, sizeof(why)) < 0) {
		cmd_error("audit", "--prometheus: %s", why);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Runs the library's audit and prints the report. An exit status. */
static int audit_report(struct audit_cmd *ac)
{
	struct scan_sink sink = {.ctx = ac,
	                         .on_port = history_port,
	                         .on_host_done = history_host,
	                         .on_progress = history_tick,
	                         .on_done = history_done};
	struct audit_config cfg = {.remote = ac->a->nwords > 0,
	                           .targets = ac->ts,
	                           .ports = cmd_has(ac->a, 'p') ? &ac->ps : NULL,
	                           .kb = ac->kb,
	                           .sink = &sink,
	                           .on_begin = history_begin,
	                           .ctx = ac};
	char why[512] = "";
	int rc = audit_run(&cfg, &ac->rep, why, sizeof(why)), st = EXIT_OK;

	if (rc == -ECANCELED && ac->hist_rc != EXIT_OK)
		return ac->hist_rc; /* the history file was refused: reported */
	if (rc < 0) {
		cmd_error("audit", "%s", why[0] ? why : strerror(-rc));
		return EXIT_RUNTIME;
	}
	ac->elapsed = clock_mono() - ac->t0;
	rc = ac->a->json ? print_json(ac) : print_human(ac);
	if (rc < 0) {
		cmd_error("audit", "cannot write the report: %s", strerror(-rc));
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; ac->fail_on >= 0 && i < ac->rep.nfs; i++)
		if (ac->rep.fs[i].sev >= ac->fail_on)
			st = EXIT_FINDINGS;
	history_record(ac);
	if (cmd_has(ac->a, OPT_PROMETHEUS) && audit_write_prometheus(ac) < 0)
		st = EXIT_RUNTIME;
	if (ac->rep.remote && ac->rep.hosts_silent) {
		/* never "no findings", exit 0 for a target that could not be reached */
		cmd_error("audit", "%u of %u target%s unreachable: %s", ac->rep.hosts_silent,
		          ac->rep.hosts_done, ac->rep.hosts_done == 1 ? "" : "s", ac->rep.silent);
		st = EXIT_RUNTIME;
	}
	return st;
}

static int audit_cmd_run(const struct cmd_args *a)
{
	struct audit_cmd ac = {
	    .a = a, .fail_on = -1, .t0 = clock_mono(), .wall_start = clock_wall()};
	int st = audit_setup(&ac);

	if (st == EXIT_OK)
		st = audit_report(&ac);
	/* The report is out: a history that failed only changes the exit status. */
	ac.sum.start = ac.wall_start;
	ac.sum.end = clock_wall();
	ac.sum.elapsed = clock_mono() - ac.t0;
	if (scan_history_close(&ac.hist, &ac.sum,
	                       st == EXIT_OK || st == EXIT_FINDINGS
	                           ? STORE_RUN_COMPLETE
	                           : STORE_RUN_INCOMPLETE) != EXIT_OK &&
	    (st == EXIT_OK || st == EXIT_FINDINGS))
		st = EXIT_RUNTIME;
	outfile_keeper_cancel(&ac.prom); /* the run failed: the file stays as it was */
	free(ac.args);
	free(ac.targets);
	targetset_free(ac.ts);
	portspec_free(&ac.ps);
	audit_report_free(&ac.rep);
	kb_free(ac.kb);
	return st;
}

const struct cmd_spec cmd_audit = {
    .name = "audit",
    .usage = "[OPTIONS] [TARGET...]",
    .summary = "attack-surface report of this machine or of targets (the default)",
    .about = "The attack surface: without TARGET, this machine's listening sockets, who owns\n"
             "them, where they are reachable from outside (the live nftables ruleset, read and\n"
             "evaluated: the rule that decides, the sources it admits, DNAT'd endpoints and\n"
             "their owners in any namespace; without CAP_NET_ADMIN a scan of the own\n"
             "addresses; on Windows the Windows Firewall's rules through INetFwPolicy2),\n"
             "what answers and how risky it is; with TARGETs, the same from the\n"
             "network (scan side only): host discovery first, only the hosts up are scanned\n"
             "and checked; a target found down, or answering nothing, exits 3.\n",
    .options = audit_options,
    .max_words = -1,
    .run = audit_cmd_run,
    .uses_capabilities = true,
};
