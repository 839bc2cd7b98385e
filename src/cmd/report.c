/* portscope report [RUN…] -o FILE.html: the history as one self-contained HTML page. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "config.h"
#include "knowledge/services.h"
#include "report/outfile.h"
#include "report/report.h"
#include "util/strnum.h"

static const char report_usage_text[] =
    "usage: portscope report [OPTIONS] [RUN...] -o FILE.html\n"
    "\n"
    "One self-contained HTML page of the history (inline style and charts, no\n"
    "network access: it works offline and as a mail attachment). By default the\n"
    "newest audit (else scan), with the timeline and the changes of the runs of\n"
    "the same targets; a fleet table when the history covers several hosts.\n"
    "RUN is a run ID (see 'portscope history') or 'last'; several make one page.\n"
    "\n"
    "  -o, --output FILE  the page ('-' for stdout); replaced whole, never half-written\n"
    "  --db PATH          the history file (default $XDG_STATE_HOME/portscope/history.db)\n"
    "  --history N        runs in each timeline (default 100)\n"
    "  --title TEXT       the page's title\n"
    "  --no-fleet         no fleet table\n"
    "  -h, --help         this help\n";

struct report_opts {
	const char *out, *db, *title;
	size_t history;
	bool no_fleet;
	int first_run; /* argv index of the first RUN word */
};

/* Parses the options; returns EXIT_OK, or EXIT_USAGE after reporting (-1: --help printed). */
static int report_parse(int argc, char **argv, struct report_opts *o)
{
	enum { OPT_DB = 256, OPT_HISTORY, OPT_TITLE, OPT_NO_FLEET };
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"output", required_argument, NULL, 'o'},
	    {"db", required_argument, NULL, OPT_DB},
	    {"history", required_argument, NULL, OPT_HISTORY},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"no-fleet", no_argument, NULL, OPT_NO_FLEET},
	    {0},
	};
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(report_usage_text, stdout);
			return -1;
		case 'o':
			if (!*optarg)
				return cmd_usage("report", "-o: empty file name");
			o->out = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_HISTORY:
			if (strnum_u64(optarg, 1, 100000, &v) < 0)
				return cmd_usage("report",
				                 "--history: '%s' is not a number from 1 to "
				                 "100000",
				                 optarg);
			o->history = (size_t)v;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case OPT_NO_FLEET:
			o->no_fleet = true;
			break;
		default:
			return cmd_bad_option("report", argv, c);
		}
	}
	if (!o->out)
		return cmd_usage("report",
		                 "no output file: give -o FILE.html (or -o - for stdout)");
	o->first_run = optind;
	return EXIT_OK;
}

/* The run IDs of argv[first..argc) into *ids. Returns EXIT_OK or EXIT_USAGE after reporting. */
static int report_runs(struct store *st, int argc, char **argv, int first, int64_t **ids)
{
	*ids = calloc((size_t)(argc - first) + 1, sizeof(**ids));
	if (!*ids) {
		cmd_error("report", "out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = first; i < argc; i++) {
		int r = histdb_parse_id(st, argv[i], &(*ids)[i - first]);

		if (r == -EINVAL)
			return cmd_usage("report", "'%s' is not a run ID (a number, or 'last')",
			                 argv[i]);
		if (r < 0)
			return cmd_usage("report", "no run %s in the history", argv[i]);
	}
	return EXIT_OK;
}

int cmd_report_main(int argc, char **argv)
{
	struct report_opts o = {0};
	struct report_request rq;
	struct store *st = NULL;
	struct kb *kb = NULL;
	struct outfile of;
	int64_t *ids = NULL;
	char why[512] = "", source[256];
	int rc, r;

	rc = report_parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	rc = histdb_open("report", o.db, &st);
	if (rc != EXIT_OK)
		return rc;
	rc = report_runs(st, argc, argv, o.first_run, &ids);
	if (rc != EXIT_OK)
		goto out;
	if (kb_load(NULL, &kb, why, sizeof(why)) < 0)
		kb = NULL; /* no services files: no port names on the scan pages */
	snprintf(source, sizeof(source), "%s", o.db ? o.db : "the default history");
	rq = (struct report_request){
	    .runs = ids,
	    .nruns = (size_t)(argc - o.first_run),
	    .history = o.history,
	    .no_fleet = o.no_fleet,
	    .title = o.title,
	    .source = source,
	    .generator = "portscope " PORTSCOPE_VERSION,
	    .now = (double)time(NULL),
	    .kb = kb,
	};
	why[0] = '\0';
	if (strcmp(o.out, "-") == 0) {
		r = report_html(st, &rq, stdout, why, sizeof(why));
	} else {
		r = outfile_open(&of, o.out, why, sizeof(why));
		if (r == -ENOENT || r == -ENOTDIR || r == -ENAMETOOLONG) {
			rc = cmd_usage("report", "-o: %s", why);
			goto out;
		}
		if (!r)
			r = outfile_commit(&of, report_html(st, &rq, of.f, why, sizeof(why)), why,
			                   sizeof(why));
	}
	if (r < 0) {
		cmd_error("report", "%s", why[0] ? why : strerror(-r));
		rc = r == -ENOENT || r == -EBADMSG ? EXIT_USAGE : EXIT_RUNTIME;
	}
out:
	free(ids);
	kb_free(kb);
	store_close(st);
	return rc;
}
