/* portscope show ID: a stored run printed again in any scan output format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/out.h"

static const char show_usage_text[] =
    "usage: portscope show [OPTIONS] ID|last\n"
    "\n"
    "Prints a run of the history (see 'portscope history') as the scan printed it;\n"
    "an audit's findings follow its ports (normal output and JSON Lines).\n"
    "\n"
    "  -oN            normal output (the default)\n"
    "  -oX            nmap XML\n"
    "  -oG            grepable\n"
    "  -oJ, --json    JSON Lines\n"
    "  --open         only open ports\n"
    "  --reason       a REASON column\n"
    "  --db PATH      the history file (default $XDG_STATE_HOME/portscope/history.db)\n"
    "  --no-color     no colour (also NO_COLOR)\n"
    "  -h, --help     this help\n";

struct show_ctx {
	struct out_stream s;
	struct scan_summary sum;
	bool json;     /* findings as JSON Lines records, else text */
	size_t nfound; /* findings printed */
	int err;
};

static int show_host(void *ctx, const struct scan_host *h)
{
	struct show_ctx *c = ctx;

	c->sum.hosts_total++;
	c->sum.hosts_up += h->up;
	c->sum.hosts_timedout += h->timedout;
	for (int i = 0; i < SCAN_STATE_MAX; i++)
		c->sum.counts[i] += h->counts[i];
	c->err = c->s.fmt->host(&c->s, h);
	return c->err;
}

/* One stored finding: a "finding" record, or an indented block as the audit prints it. */
static int show_finding(void *ctx, const struct store_finding_row *f)
{
	struct show_ctx *c = ctx;
	FILE *out = c->s.f;
	char port[16] = "";

	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "type", "finding", "id",
		                      f->check, "severity", f->severity, "title", f->title,
		                      "evidence", f->detail, "host", f->host);
		int r = j ? 0 : -ENOMEM;

		if (!r && f->proto) {
			r |= json_set_str(j, "proto", out_proto_name(f->proto));
			r |= json_set(j, "port", json_integer(f->port));
		}
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
	if (f->detail && f->detail[0])
		fprintf(out, "    evidence: %s\n", f->detail);
	return ferror(out) ? -EIO : 0;
}

int cmd_show_main(int argc, char **argv)
{
	const char *fmt = "normal", *db = NULL, *idword = NULL;
	bool open_only = false, reason = false, no_color = false;
	struct show_ctx c = {0};
	struct store_run run;
	struct portlist pl = {0};
	struct store *st;
	struct kb *kb = NULL;
	struct out_info info;
	char *args = NULL, *version = NULL, *scan_type = NULL;
	bool findings = false;
	char why[256];
	int64_t id;
	int rc, r;

	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
			fputs(show_usage_text, stdout);
			return EXIT_OK;
		} else if (strcmp(w, "-oN") == 0) {
			fmt = "normal";
		} else if (strcmp(w, "-oX") == 0) {
			fmt = "xml";
		} else if (strcmp(w, "-oG") == 0) {
			fmt = "grepable";
		} else if (strcmp(w, "-oJ") == 0 || strcmp(w, "--json") == 0) {
			fmt = "json-lines";
		} else if (strcmp(w, "--open") == 0) {
			open_only = true;
		} else if (strcmp(w, "--reason") == 0) {
			reason = true;
		} else if (strcmp(w, "--no-color") == 0) {
			no_color = true;
		} else if (strcmp(w, "--db") == 0) {
			if (++i == argc)
				return cmd_usage("show",
				                 "option '--db' needs an argument (see --help)");
			db = argv[i];
		} else if (strncmp(w, "--db=", 5) == 0) {
			db = w + 5;
		} else if (w[0] == '-' && w[1]) {
			return cmd_usage("show", "unknown option '%s' (see --help)", w);
		} else if (idword) {
			return cmd_usage("show", "unexpected argument '%s': one run ID", w);
		} else {
			idword = w;
		}
	}
	if (!idword)
		return cmd_usage("show", "missing run ID (see 'portscope history')");
	rc = histdb_open("show", db, &st);
	if (rc != EXIT_OK)
		return rc;
	r = histdb_parse_id(st, idword, &id);
	if (r == -EINVAL) {
		store_close(st);
		return cmd_usage("show", "'%s' is not a run ID (a number, or 'last')", idword);
	}
	if (!r)
		r = store_run_get(st, id, &run);
	if (r == -ENOENT) {
		store_close(st);
		return cmd_usage("show", "no run %s in the history", idword);
	}
	if (!r) {
		/* Scans record no findings; audits do, and show them where the format can. */
		findings = strcmp(fmt, "normal") == 0 || strcmp(fmt, "json-lines") == 0;
		c.json = strcmp(fmt, "json-lines") == 0;
		/* The run's strings live until the next store call: keep copies. */
		args = strdup(run.args ? run.args : "portscope");
		version = strdup(run.version ? run.version : "?");
		scan_type = strdup(run.scan_type ? run.scan_type : "connect");
		r = args && version && scan_type ? store_run_portlist(run.ports, run.proto, &pl)
		                                 : -ENOMEM;
	}
	if (r < 0) {
		cmd_error("show", "cannot read run %s: %s (%s)", idword, strerror(-r),
		          store_errmsg(st));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (run.status != STORE_RUN_COMPLETE)
		cmd_error("show", "run %lld is %s: what it recorded before it stopped",
		          (long long)id, store_status_name(run.status));
	if (kb_load(NULL, &kb, why, sizeof(why)) < 0)
		kb = NULL;
	info = (struct out_info){
	    .version = version,
	    .args = args,
	    .scan_type = scan_type,
	    .proto = run.proto ? run.proto : IPPROTO_TCP,
	    .ports = &pl,
	    .open_only = open_only,
	    .reason = reason,
	    .color = strcmp(fmt, "normal") == 0 && cmd_use_color(stdout, no_color),
	    .interactive = strcmp(fmt, "normal") == 0,
	    .start = run.start,
	    .kb = kb,
	};
	c.s = (struct out_stream){.fmt = out_format_find(fmt), .f = stdout, .info = &info};
	c.sum = (struct scan_summary){
	    .probes_sent = run.probes_sent,
	    .start = run.start,
	    .end = run.end > 0 ? run.end : run.start,
	    .elapsed = run.end > run.start ? run.end - run.start : 0,
	};
	r = c.s.fmt->begin(&c.s);
	if (!r) {
		r = store_hosts(st, id, show_host, &c);
		if (c.err)
			r = c.err;
		if (!r && findings) {
			r = store_findings(st, id, show_finding, &c);
			if (!r && !c.json && c.nfound)
				fputc('\n', stdout);
		}
		int e = c.s.fmt->end(&c.s, &c.sum);

		if (!r)
			r = e;
	}
	if (r < 0) {
		cmd_error("show", "cannot show run %lld: %s", (long long)id, strerror(-r));
		rc = EXIT_RUNTIME;
	} else if (fflush(stdout) != 0) {
		rc = EXIT_RUNTIME;
	}
out:
	free(args);
	free(version);
	free(scan_type);
	portlist_free(&pl);
	kb_free(kb);
	store_close(st);
	return rc;
}
