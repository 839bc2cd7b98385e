/* portscope report [RUN…] -o FILE.html: the history as one self-contained HTML page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "config.h"
#include "knowledge/services.h"
#include "report/outfile.h"
#include "report/report.h"
#include "store/db.h"
#include "util/strnum.h"

enum { OPT_HISTORY = CMD_OPT_OWN, OPT_TITLE, OPT_NO_FLEET };

static const struct cmd_option report_options[] = {
    {.name = "output",
     .letter = 'o',
     .arg = CMD_ARG_REQUIRED,
     .metavar = "FILE",
     .complete = CMD_COMPLETE_FILE,
     .once = true,
     .help = "the page ('-' for stdout); replaced whole, never half-written"},
    CMD_OPTION_DB(CMD_DB_HELP),
    {.name = "history",
     .id = OPT_HISTORY,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .once = true,
     .help = "runs in each timeline (default 100)"},
    {.name = "title",
     .id = OPT_TITLE,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "TEXT",
     .once = true,
     .help = "the page's title"},
    {.name = "no-fleet", .id = OPT_NO_FLEET, .help = "no fleet table"},
    {0},
};

/* The run IDs of the words into *ids. Returns EXIT_OK, or an exit status after reporting. */
static int report_runs(struct store *st, const struct cmd_args *a, int64_t **ids)
{
	*ids = calloc(a->nwords + 1, sizeof(**ids));
	if (!*ids) {
		cmd_error("report", "out of memory");
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < a->nwords; i++) {
		int r = histdb_parse_id(st, a->words[i], &(*ids)[i]);

		if (r == -EINVAL)
			return cmd_usage("report", "'%s' is not a run ID (a number, or 'last')",
			                 a->words[i]);
		if (r < 0)
			return cmd_usage("report", "no run %s in the history", a->words[i]);
	}
	return EXIT_OK;
}

/* Writes the page to path ('-': stdout). Returns EXIT_OK, or an exit status after reporting. */
static int report_write(struct store *st, const struct report_request *rq, const char *path)
{
	char why[512] = "";
	struct outfile of;
	int r;

	if (strcmp(path, "-") == 0) {
		r = report_html(st, rq, stdout, why, sizeof(why));
	} else {
		r = outfile_open(&of, path, why, sizeof(why));
		if (r == -ENOENT || r == -ENOTDIR || r == -ENAMETOOLONG)
			return cmd_usage("report", "-o: %s", why);
		if (!r)
			r = outfile_commit(&of, report_html(st, rq, of.f, why, sizeof(why)), why,
			                   sizeof(why));
	}
	if (r < 0) {
		cmd_error("report", "%s", why[0] ? why : strerror(-r));
		return r == -ENOENT || r == -EBADMSG ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* What the page says it was made from: never a PostgreSQL URI (it may hold a password). */
static const char *report_source(const char *db)
{
	if (!db)
		return "the default history";
	if (store_backend_for(db) != &store_backend_sqlite)
		return "a PostgreSQL history";
	return db;
}

static int report_run(const struct cmd_args *a)
{
	const char *out = cmd_get(a, 'o'), *history = cmd_get(a, OPT_HISTORY);
	struct report_request rq = {
	    .nruns = a->nwords,
	    .no_fleet = cmd_has(a, OPT_NO_FLEET),
	    .title = cmd_get(a, OPT_TITLE),
	    .source = report_source(a->db),
	    .generator = "portscope " PORTSCOPE_VERSION,
	    .now = (double)time(NULL),
	};
	struct store *st = NULL;
	struct kb *kb = NULL;
	int64_t *ids = NULL;
	char why[256];
	uint64_t v;
	int rc;

	if (!out || !*out)
		return cmd_usage("report",
		                 "no output file: give -o FILE.html (or -o - for stdout)");
	if (history) {
		if (strnum_u64(history, 1, 100000, &v) < 0)
			return cmd_usage(
			    "report", "--history: '%s' is not a number from 1 to 100000", history);
		rq.history = (size_t)v;
	}
	rc = histdb_open("report", a->db, &st);
	if (rc == EXIT_OK)
		rc = report_runs(st, a, &ids);
	if (rc == EXIT_OK) {
		if (kb_load(NULL, &kb, why, sizeof(why)) < 0)
			kb = NULL; /* no services files: no port names on the scan pages */
		rq.runs = ids;
		rq.kb = kb;
		rc = report_write(st, &rq, out);
	}
	free(ids);
	kb_free(kb);
	store_close(st);
	return rc;
}

const struct cmd_spec cmd_report = {
    .name = "report",
    .usage = "[OPTIONS] [RUN...] -o FILE.html",
    .summary = "the history as one HTML page: findings, exposure, timeline, fleet",
    .about = "One self-contained HTML page of the history (inline style and charts, no\n"
             "network access: it works offline and as a mail attachment). By default the\n"
             "newest audit (else scan), with the timeline and the changes of the runs of\n"
             "the same targets; a fleet table when the history covers several hosts.\n"
             "RUN is a run ID (see 'portscope history') or 'last'; several make one page.\n",
    .options = report_options,
    .max_words = -1,
    .run = report_run,
};
