/* portscope history: the runs recorded in the history, newest first. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "output/json.h"
#include "output/table.h"
#include "util/strnum.h"
#include "util/array.h"

static const char history_usage_text[] =
    "usage: portscope history [OPTIONS]\n"
    "\n"
    "The scans and audits recorded in the history, newest first.\n"
    "\n"
    "  --db PATH      the history file (default $XDG_STATE_HOME/portscope/history.db)\n"
    "  --limit N      the N newest runs only\n"
    "  --target T     runs given the target word T, or that scanned host T\n"
    "  --json         one JSON document: an array of runs\n"
    "  --no-color     no colour (also NO_COLOR)\n"
    "  -h, --help     this help\n"
    "\n"
    "See a run with 'portscope show ID', changes with 'portscope diff [A] [B]'.\n";

struct history_out {
	struct table *table;
	json_t *array;
	int err;
};

static int history_add_json(struct history_out *o, const struct store_run *r)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:f, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I}", "id",
	                      (json_int_t)r->id, "kind", r->kind ? r->kind : "scan", "status",
	                      store_status_name(r->status), "start", r->start, "command", r->args,
	                      "targets", r->targets, "ports", r->ports, "hosts_total",
	                      (json_int_t)r->hosts_total, "hosts_up", (json_int_t)r->hosts_up,
	                      "open", (json_int_t)r->open, "findings", (json_int_t)r->findings);

	if (!j || (r->end > 0 && json_set(j, "end", json_real(r->end)) < 0) ||
	    json_array_append_new(o->array, j) < 0) {
		json_decref(j);
		return -ENOMEM;
	}
	return 0;
}

static int history_add_row(struct history_out *o, const struct store_run *r)
{
	char when[32];
	const char *st = store_status_name(r->status);
	int e = 0;

	e |= table_cellf(o->table, "%lld", (long long)r->id);
	e |= table_cell(o->table, histdb_time(r->start, when, sizeof(when)));
	e |= table_cell(o->table, r->kind);
	e |= table_cell_color(o->table, st, r->status == STORE_RUN_COMPLETE ? NULL : TABLE_YELLOW);
	e |= table_cellf(o->table, "%llu/%llu", (unsigned long long)r->hosts_up,
	                 (unsigned long long)r->hosts_total);
	e |= table_cellf(o->table, "%llu", (unsigned long long)r->open);
	if (r->end > 0)
		e |= table_cellf(o->table, "%.2fs", r->end - r->start);
	else
		e |= table_cell(o->table, NULL);
	e |= table_cell(o->table, r->targets);
	return e ? -ENOMEM : 0;
}

static int history_each(void *ctx, const struct store_run *r)
{
	struct history_out *o = ctx;

	o->err = o->array ? history_add_json(o, r) : history_add_row(o, r);
	return o->err;
}

int cmd_history_main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_LIMIT, OPT_TARGET, OPT_JSON, OPT_NO_COLOR };
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"db", required_argument, NULL, OPT_DB},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"target", required_argument, NULL, OPT_TARGET},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"no-color", no_argument, NULL, OPT_NO_COLOR},
	    {0},
	};
	static const char *const cols[] = {"ID",       "STARTED", "KIND", "STATUS",
	                                   "HOSTS UP", "OPEN",    "TIME", "TARGETS"};
	struct store_query q = {0};
	struct history_out o = {0};
	const char *db = NULL;
	bool json = false, no_color = false;
	struct store *st;
	uint64_t v;
	int c, rc, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(history_usage_text, stdout);
			return EXIT_OK;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_LIMIT:
			if (strnum_u64(optarg, 1, 1000000000, &v) < 0)
				return cmd_usage("history", "--limit: '%s' is not a number from 1",
				                 optarg);
			q.limit = (size_t)v;
			break;
		case OPT_TARGET:
			if (!*optarg)
				return cmd_usage("history", "--target: empty");
			q.target = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_NO_COLOR:
			no_color = true;
			break;
		default:
			return cmd_bad_option("history", argv, c);
		}
	}
	if (optind < argc)
		return cmd_usage("history", "unexpected argument '%s' (see --help)", argv[optind]);
	rc = histdb_open("history", db, &st);
	if (rc != EXIT_OK)
		return rc;
	if (json) {
		o.array = json_array();
	} else {
		o.table = table_new();
		for (size_t i = 0; o.table && i < ARRAY_SIZE(cols); i++)
			table_add_column(o.table, cols[i],
			                 i == 0 || i == 5 || i == 6 ? TABLE_RIGHT : TABLE_LEFT);
	}
	r = o.array || o.table ? store_runs(st, &q, history_each, &o) : -ENOMEM;
	if (r < 0) {
		cmd_error("history", "cannot read the history: %s (%s)", strerror(-r),
		          store_errmsg(st));
		rc = EXIT_RUNTIME;
	} else if (json) {
		rc = json_write_doc(stdout, o.array) < 0 ? EXIT_RUNTIME : EXIT_OK;
	} else if (table_rows(o.table) == 0) {
		printf("no runs recorded%s\n", q.target ? " for that target" : "");
	} else {
		rc = table_render(o.table, stdout, cmd_use_color(stdout, no_color)) < 0
		         ? EXIT_RUNTIME
		         : EXIT_OK;
	}
	json_decref(o.array);
	table_free(o.table);
	store_close(st);
	return rc;
}
