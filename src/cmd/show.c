/* portscope show ID: a stored run printed again in any scan output format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "detect/engine.h"
#include "detect/service.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/out.h"
#include "util/array.h"

enum { OPT_OPEN = CMD_OPT_OWN, OPT_REASON };

/* -oN, -oX, ...: one a format of the registry (output/out.h). */
static bool show_formats(size_t i, struct cmd_choice *c)
{
	if (!out_formats[i])
		return false;
	*c = (struct cmd_choice){.word = out_formats[i]->flag + 2, .help = out_formats[i]->help};
	return true;
}

static const struct cmd_option show_options[] = {
    {.letter = 'o', .arg = CMD_ARG_GLUED, .choices = show_formats},
    CMD_OPTION_JSON("JSON Lines (as -oJ)"),
    {.name = "open", .id = OPT_OPEN, .help = "only open ports"},
    {.name = "reason", .id = OPT_REASON, .help = "a REASON column"},
    CMD_OPTION_DB(CMD_DB_HELP),
    CMD_OPTION_NO_COLOR,
    {0},
};

struct show_ctx {
	struct out_stream s;
	struct out_info *info; /* s.info: the -sV answers are set per host */
	struct store *st;
	int64_t id;
	struct scan_summary sum;
	bool json;     /* findings as JSON Lines records, else text */
	size_t nfound; /* findings printed */
	int err;
};

/* The -sV answers of one host, rebuilt from the history for the outputs. */
struct show_versions {
	struct out_version *v;
	struct detect_result *r;
	size_t n, capv, capr;
};

/* Sets a field of svc from a stored text (NULL: left empty). */
#define SHOW_SET(svc, field, s)                                                                    \
	do {                                                                                       \
		if (s)                                                                             \
			service_set(svc, field, s);                                                \
	} while (0)

static int show_version_add(void *ctx, uint16_t port, const struct store_port *p)
{
	struct show_versions *sv = ctx;
	struct detect_result *d;

	if (GREEDY_REALLOC(sv->v, sv->capv, sv->n + 1) < 0 ||
	    GREEDY_REALLOC(sv->r, sv->capr, sv->n + 1) < 0)
		return -ENOMEM;
	d = &sv->r[sv->n];
	*d = (struct detect_result){
	    .method = "probed",
	    .confidence = p->conf,
	    .tunnel = p->tunnel && p->tunnel[0] ? "ssl" : NULL, /* the one tunnel -sV opens */
	};
	SHOW_SET(&d->svc, name, p->service);
	SHOW_SET(&d->svc, product, p->product);
	SHOW_SET(&d->svc, version, p->version);
	SHOW_SET(&d->svc, extrainfo, p->extrainfo);
	SHOW_SET(&d->svc, hostname, p->hostname);
	SHOW_SET(&d->svc, ostype, p->ostype);
	SHOW_SET(&d->svc, devicetype, p->devicetype);
	if (p->cpe)
		snprintf(d->svc.cpe, sizeof(d->svc.cpe), "%s", p->cpe);
	sv->v[sv->n++] = (struct out_version){.port = port};
	return 0;
}

static int show_host(void *ctx, const struct scan_host *h)
{
	struct show_ctx *c = ctx;
	struct show_versions sv = {0};

	c->sum.hosts_total++;
	c->sum.hosts_up += h->up;
	c->sum.hosts_timedout += h->timedout;
	for (int i = 0; i < SCAN_STATE_MAX; i++)
		c->sum.counts[i] += h->counts[i];
	if (c->info->version_scan) {
		c->err = store_services(c->st, c->id, &h->addr, h->proto, show_version_add, &sv);
		for (size_t i = 0; i < sv.n; i++)
			sv.v[i].r = &sv.r[i];
		c->info->versions = sv.v;
		c->info->nversions = sv.n;
	}
	if (!c->err)
		c->err = c->s.fmt->host(&c->s, h);
	c->info->versions = NULL;
	c->info->nversions = 0;
	free(sv.v);
	free(sv.r);
	return c->err;
}

/* Whether the run's command line asked for -sV (-sV, -sSV, -A): the VERSION column. */
static bool show_version_scan(const char *args)
{
	const char *p = args;

	while (p && *p) {
		size_t n = strcspn(p, " ");

		if ((n >= 3 && p[0] == '-' && p[1] == 's' && memchr(p + 2, 'V', n - 2)) ||
		    (n == 2 && strncmp(p, "-A", 2) == 0))
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

/* One stored finding: a "finding" record, or an indented block as the audit prints it. */
static int show_finding(void *ctx, const struct store_finding_row *f)
{
	struct show_ctx *c = ctx;
	FILE *out = c->s.f;
	char port[16] = "";

	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:o}", "type",
		                      "finding", "check", f->check, "severity", f->severity,
		                      "title", f->title, "evidence", f->detail, "address", f->host,
		                      "proto", f->proto ? out_proto_name(f->proto) : NULL, "port",
		                      f->proto ? json_integer(f->port) : json_null());
		int r = j ? 0 : -ENOMEM;

		if (!r)
			r = json_write_line(out, j);
		json_decref(j);
		c->nfound++;
		return r < 0 ? r : 0;
	}
	if (c->nfound++ == 0)
		fprintf(out, "FINDINGS\n");
	if (f->proto)
		snprintf(port, sizeof(port), "%s%u/%s", f->host ? ":" : "", f->port,
		         out_proto_name(f->proto));
	fprintf(out, "  %-7s %-22s %s%s\n", f->severity ? f->severity : "?", f->check,
	        f->host ? f->host : "", port);
	if (f->title)
		fprintf(out, "    %s\n", f->title);
	if (f->detail && f->detail[0]) {
		fputs("    evidence: ", out);
		cmd_put_indented(out, f->detail, "              ");
		fputc('\n', out);
	}
	return ferror(out) ? -EIO : 0;
}

/* The stored run id (a number or "last") as a run, its port list and strings. */
struct show_run {
	int64_t id;
	struct store_run run;
	struct portlist pl;
	char *args, *version, *scan_type; /* copies: the run's strings live until the next call */
};

static void show_run_free(struct show_run *r)
{
	free(r->args);
	free(r->version);
	free(r->scan_type);
	portlist_free(&r->pl);
}

/* Reads the run idword names. Returns EXIT_OK or reports and returns EXIT_USAGE/EXIT_RUNTIME. */
static int show_load(struct store *st, const char *idword, struct show_run *sr)
{
	int r = histdb_parse_id(st, idword, &sr->id);

	if (r == -EINVAL)
		return cmd_usage("show", "'%s' is not a run ID (a number, or 'last')", idword);
	if (!r)
		r = store_run_get(st, sr->id, &sr->run);
	if (r == -ENOENT)
		return cmd_usage("show", "no run %s in the history", idword);
	if (!r) {
		sr->args = strdup(sr->run.args ? sr->run.args : "portscope");
		sr->version = strdup(sr->run.version ? sr->run.version : "?");
		sr->scan_type = strdup(sr->run.scan_type ? sr->run.scan_type : "connect");
		r = sr->args && sr->version && sr->scan_type
		        ? store_run_portlist(sr->run.ports, sr->run.proto, &sr->pl)
		        : -ENOMEM;
	}
	if (r < 0) {
		return histdb_read_error("show", st, r);
	}
	if (sr->run.status != STORE_RUN_COMPLETE)
		cmd_error("show", "run %lld is %s: what it recorded before it stopped",
		          (long long)sr->id, store_status_name(sr->run.status));
	return EXIT_OK;
}

/* Writes the run through c->s: begin, its hosts, its findings (where the format can), end. */
static int show_write(struct store *st, const struct show_run *sr, struct show_ctx *c,
                      bool findings)
{
	int r = c->s.fmt->begin(&c->s), e;

	if (r < 0)
		return r;
	r = store_hosts(st, sr->id, show_host, c);
	if (c->err)
		r = c->err;
	/* Hosts found down are counted in the run, not kept one by one. */
	if (sr->run.hosts_total > c->sum.hosts_total)
		c->sum.hosts_total = sr->run.hosts_total;
	if (!r && findings) {
		r = store_findings(st, sr->id, show_finding, c);
		if (!r && !c->json && c->nfound)
			fputc('\n', stdout);
	}
	e = c->s.fmt->end(&c->s, &c->sum);
	return r ? r : e;
}

static int show_run(const struct cmd_args *a)
{
	const struct out_format *fmt = &out_normal;
	struct show_run sr = {0};
	struct show_ctx c = {0};
	struct store *st;
	struct kb *kb = NULL;
	struct out_info info;
	char why[256];
	int rc, r;

	for (size_t i = 0; i < a->nvalues; i++) {
		const struct cmd_value *v = &a->values[i];

		if (v->id == CMD_OPT_JSON)
			fmt = &out_jsonl;
		else if (v->id == 'o' && !(fmt = out_format_find(v->flag)))
			return cmd_usage("show", "unknown option '%s' (see --help)", v->flag);
		else if (v->id == 'o' && !fmt->begin)
			return cmd_usage("show", "%s: %s", v->flag, fmt->help);
	}
	if (a->nwords == 0)
		return cmd_usage("show", "missing run ID (see 'portscope history')");
	rc = histdb_open("show", a->db, &st);
	if (rc != EXIT_OK)
		return rc;
	rc = show_load(st, a->words[0], &sr);
	if (rc != EXIT_OK)
		goto out;
	if (kb_load(NULL, &kb, why, sizeof(why)) < 0)
		kb = NULL;
	info = (struct out_info){
	    .version = sr.version,
	    .args = sr.args,
	    .scan_type = sr.scan_type,
	    .proto = sr.run.proto ? sr.run.proto : IPPROTO_TCP,
	    .ports = &sr.pl,
	    .open_only = cmd_has(a, OPT_OPEN),
	    .reason = cmd_has(a, OPT_REASON),
	    .start = sr.run.start,
	    .kb = kb,
	    .status = store_status_name(sr.run.status),
	    .version_scan = show_version_scan(sr.args),
	};
	c.info = &info;
	c.st = st;
	c.id = sr.id;
	c.s =
	    (struct out_stream){.fmt = fmt,
	                        .f = stdout,
	                        .info = &info,
	                        .interactive = fmt == &out_normal,
	                        .color = fmt == &out_normal && cmd_use_color(stdout, a->no_color)};
	c.json = fmt == &out_jsonl;
	c.sum = (struct scan_summary){
	    .probes_sent = sr.run.probes_sent,
	    .start = sr.run.start,
	    .end = sr.run.end > 0 ? sr.run.end : sr.run.start,
	    .elapsed = sr.run.end > sr.run.start ? sr.run.end - sr.run.start : 0,
	};
	/* Scans record no findings; audits do, and show them where the format can. */
	r = show_write(st, &sr, &c, fmt == &out_normal || fmt == &out_jsonl);
	if (r < 0) {
		rc = r == -EIO ? EXIT_RUNTIME : histdb_read_error("show", st, r);
	} else if (fflush(stdout) != 0) {
		rc = EXIT_RUNTIME;
	}
out:
	show_run_free(&sr);
	kb_free(kb);
	store_close(st);
	return rc;
}

const struct cmd_spec cmd_show = {
    .name = "show",
    .usage = "[OPTIONS] ID|last",
    .summary = "print a recorded scan again, in any output format",
    .about = "Prints a run of the history (see 'portscope history') as the scan printed it;\n"
             "an audit's findings follow its ports (normal output and JSON Lines).\n",
    .options = show_options,
    .max_words = 1,
    .run = show_run,
};
