/* portscope history: the runs recorded in the history, newest first. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "output/json.h"
#include "output/table.h"
#include "util/strnum.h"
#include "util/array.h"

enum { OPT_LIMIT = CMD_OPT_OWN, OPT_TARGET };

static const struct cmd_option history_options[] = {
    CMD_OPTION_DB(CMD_DB_HELP),
    {.name = "limit",
     .id = OPT_LIMIT,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .help = "the N newest runs only"},
    {.name = "target",
     .id = OPT_TARGET,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "T",
     .help = "runs given the target word T, or that scanned host T"},
    CMD_OPTION_JSON("JSON Lines: one record per run, then a summary"),
    CMD_OPTION_NO_COLOR,
    {0},
};

struct history_out {
	struct table *table;
	bool json;   /* JSON Lines, written as the runs are read */
	size_t runs; /* runs listed */
	int err;
};

static int history_add_json(struct history_out *o, const struct store_run *r)
{
	json_t *j = histdb_json_run(r, NULL);
	int e = j ? json_write_line(stdout, j) : -ENOMEM;

	json_decref(j);
	return e;
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
	e |= table_cell(o->table, r->hostname);
	if (r->shard_count)
		e |= table_cellf(o->table, "%u/%u", r->shard_index, r->shard_count);
	else
		e |= table_cell(o->table, NULL);
	e |= table_cell(o->table, r->targets);
	return e ? -ENOMEM : 0;
}

static int history_each(void *ctx, const struct store_run *r)
{
	struct history_out *o = ctx;

	o->err = o->json ? history_add_json(o, r) : history_add_row(o, r);
	o->runs += !o->err;
	return o->err;
}

static int history_run(const struct cmd_args *a)
{
	static const char *const cols[] = {"ID",   "STARTED", "KIND",    "STATUS", "HOSTS UP",
	                                   "OPEN", "TIME",    "SCANNER", "SHARD",  "TARGETS"};
	struct store_query q = {.target = cmd_get(a, OPT_TARGET)};
	struct history_out o = {0};
	const char *limit = cmd_get(a, OPT_LIMIT);
	bool json = a->json;
	struct store *st;
	uint64_t v;
	int rc, r;

	if (limit) {
		if (strnum_u64(limit, 1, 1000000000, &v) < 0)
			return cmd_usage("history", "--limit: '%s' is not a number from 1", limit);
		q.limit = (size_t)v;
	}
	if (q.target && !*q.target)
		return cmd_usage("history", "--target: empty");
	/* Nothing recorded yet (no default file) is an empty history, not an error. */
	rc = histdb_open_or_empty("history", a->db, &st);
	if (rc != EXIT_OK)
		return rc;
	if (json) {
		o.json = true;
	} else {
		o.table = table_new();
		for (size_t i = 0; o.table && i < ARRAY_SIZE(cols); i++)
			table_add_column(o.table, cols[i],
			                 i == 0 || i == 5 || i == 6 ? TABLE_RIGHT : TABLE_LEFT);
	}
	r = !o.json && !o.table ? -ENOMEM : st ? store_runs(st, &q, history_each, &o) : 0;
	if (r < 0) {
		rc = histdb_read_error("history", st, r);
	} else if (json) {
		json_t *sum =
		    json_pack("{s:s, s:I}", "type", "summary", "runs", (json_int_t)o.runs);

		rc = !sum || json_write_line(stdout, sum) < 0 || fflush(stdout) != 0 ? EXIT_RUNTIME
		                                                                     : EXIT_OK;
		json_decref(sum);
	} else if (table_rows(o.table) == 0) {
		printf("no runs recorded%s\n", q.target ? " for that target" : "");
	} else {
		rc = table_render(o.table, stdout, cmd_use_color(stdout, a->no_color)) < 0
		         ? EXIT_RUNTIME
		         : EXIT_OK;
	}
	table_free(o.table);
	store_close(st);
	return rc;
}

const struct cmd_spec cmd_history = {
    .name = "history",
    .usage = "[OPTIONS]",
    .summary = "the scans recorded in the history",
    .about = "The scans and audits recorded in the history, newest first.\n",
    .epilog = "See a run with 'portscope show ID', changes with 'portscope diff [A] [B]'.\n",
    .options = history_options,
    .max_words = 0,
    .run = history_run,
};
