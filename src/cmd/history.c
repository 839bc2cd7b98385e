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

enum { OPT_LIMIT = CMD_OPT_OWN, OPT_TARGET, OPT_HOSTS };

static const struct cmd_option history_options[] = {
    CMD_OPTION_DB(CMD_DB_HELP),
    {.name = "limit",
     .id = OPT_LIMIT,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .help = "the N newest runs only (with --hosts: the first N hosts)"},
    {.name = "target",
     .id = OPT_TARGET,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "T",
     .help = "runs given the target word T, or that scanned host T"},
    {.name = "hosts",
     .id = OPT_HOSTS,
     .help = "the fleet: each host the audits covered, with its newest audit"},
    CMD_OPTION_JSON("JSON Lines: one record per run (or host), then a summary"),
    CMD_OPTION_NO_COLOR,
    {0},
};

struct history_out {
	struct table *table;
	bool json;    /* JSON Lines, written as the runs are read */
	size_t runs;  /* runs (or hosts) listed */
	size_t limit; /* --hosts: list no more hosts than this; 0: all */
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

/* ---- --hosts: the fleet, one line per host with its newest audit ---- */

/* A host of the fleet (schema/history-host.json). NULL: no memory. */
static json_t *history_host_json(const struct store_fleet_host *h)
{
	static const char *const sev[STORE_SEVERITIES] = {"info", "low", "medium", "high"};
	json_t *f = json_object();

	for (int i = STORE_SEVERITIES - 1; f && i >= 0; i--) {
		if (json_object_set_new(f, sev[i], json_integer((json_int_t)h->findings[i])) < 0) {
			json_decref(f);
			return NULL;
		}
	}
	if (!f)
		return NULL;
	/* json_pack takes f ("o"), also when it fails */
	return json_pack("{s:s, s:s, s:s?, s:b, s:b, s:I, s:o, s:s?, s:I, s:I, s:I,"
	                 " s:{s:I, s:I, s:I}, s:o}",
	                 "type", "host", "host", h->host, "address", h->local ? NULL : h->host,
	                 "local", h->local, "up", h->up, "run", (json_int_t)h->run, "start",
	                 json_time(h->start), "scanner", h->scanner, "runs", (json_int_t)h->runs,
	                 "open", (json_int_t)h->open, "endpoints", (json_int_t)h->endpoints,
	                 "exposure", "reachable", (json_int_t)h->reachable, "loopback-only",
	                 (json_int_t)h->loopback, "blocked", (json_int_t)h->blocked, "findings", f);
}

static int history_host_row(struct history_out *o, const struct store_fleet_host *h)
{
	uint64_t all = 0;
	char when[32];
	int e = 0;

	for (int i = 0; i < STORE_SEVERITIES; i++)
		all += h->findings[i];
	if (h->local)
		e |= table_cellf(o->table, "%s (own audit)", *h->host ? h->host : "?");
	else
		e |= table_cellf(o->table, "%s%s", h->host, h->up ? "" : " (down)");
	e |= table_cellf(o->table, "%lld", (long long)h->run);
	e |= table_cell(o->table, histdb_time(h->start, when, sizeof(when)));
	e |= table_cell(o->table, h->scanner);
	e |= table_cellf(o->table, "%llu", (unsigned long long)h->open);
	e |= table_cellf(o->table, "%llu", (unsigned long long)h->reachable);
	e |= table_cellf(o->table, "%llu", (unsigned long long)h->loopback);
	e |= table_cellf(o->table, "%llu", (unsigned long long)h->blocked);
	snprintf(when, sizeof(when), "%llu", (unsigned long long)h->findings[3]);
	e |= table_cell_color(o->table, when, h->findings[3] ? TABLE_RED : NULL);
	e |= table_cellf(o->table, "%llu", (unsigned long long)all);
	return e ? -ENOMEM : 0;
}

static int history_each_host(void *ctx, const struct store_fleet_host *h)
{
	struct history_out *o = ctx;

	if (o->limit && o->runs >= o->limit)
		return 1;
	if (o->json) {
		json_t *j = history_host_json(h);

		o->err = j ? json_write_line(stdout, j) : -ENOMEM;
		json_decref(j);
	} else {
		o->err = history_host_row(o, h);
	}
	o->runs += !o->err;
	return o->err;
}

/* The table's columns: the runs', or the hosts' (--hosts); numbers right-aligned. */
static struct table *history_table(bool hosts)
{
	static const char *const runs[] = {"ID",   "STARTED", "KIND",    "STATUS", "HOSTS UP",
	                                   "OPEN", "TIME",    "SCANNER", "SHARD",  "TARGETS"};
	static const char *const fleet[] = {"HOST", "RUN",       "AUDITED",  "SCANNER",
	                                    "OPEN", "REACHABLE", "LOOPBACK", "BLOCKED",
	                                    "HIGH", "FINDINGS"};
	const char *const *cols = hosts ? fleet : runs;
	size_t n = hosts ? ARRAY_SIZE(fleet) : ARRAY_SIZE(runs);
	struct table *t = table_new();

	for (size_t i = 0; t && i < n; i++) {
		bool num = hosts ? i == 1 || i >= 4 : i == 0 || i == 5 || i == 6;

		table_add_column(t, cols[i], num ? TABLE_RIGHT : TABLE_LEFT);
	}
	return t;
}

/* Reads --limit and --target into q, and whether --hosts. Returns EXIT_*. */
static int history_options_read(const struct cmd_args *a, struct store_query *q, bool *hosts)
{
	const char *limit = cmd_get(a, OPT_LIMIT);
	uint64_t v;

	*q = (struct store_query){.target = cmd_get(a, OPT_TARGET)};
	*hosts = cmd_has(a, OPT_HOSTS);
	if (limit) {
		if (strnum_u64(limit, 1, 1000000000, &v) < 0)
			return cmd_usage("history", "--limit: '%s' is not a number from 1", limit);
		q->limit = (size_t)v;
	}
	if (q->target && !*q->target)
		return cmd_usage("history", "--target: empty");
	if (q->target && *hosts)
		return cmd_usage("history", "--target and --hosts: choose one");
	return EXIT_OK;
}

/* The last line: the summary record (--json), the table, or that there is nothing. */
static int history_finish(struct history_out *o, const struct store_query *q, bool hosts,
                          bool color)
{
	int rc = EXIT_OK;

	if (o->json) {
		json_t *sum = json_pack("{s:s, s:I}", "type", "summary", hosts ? "hosts" : "runs",
		                        (json_int_t)o->runs);

		rc = !sum || json_write_line(stdout, sum) < 0 || fflush(stdout) != 0 ? EXIT_RUNTIME
		                                                                     : EXIT_OK;
		json_decref(sum);
	} else if (table_rows(o->table) == 0) {
		printf("no %s recorded%s\n", hosts ? "audits" : "runs",
		       q->target ? " for that target" : "");
	} else {
		rc = table_render(o->table, stdout, color) < 0 ? EXIT_RUNTIME : EXIT_OK;
	}
	return rc;
}

static int history_run(const struct cmd_args *a)
{
	struct store_query q;
	struct history_out o = {.json = a->json};
	struct store *st;
	bool hosts;
	int rc, r;

	rc = history_options_read(a, &q, &hosts);
	if (rc != EXIT_OK)
		return rc;
	/* Nothing recorded yet (no default file) is an empty history, not an error. */
	rc = histdb_open_or_empty("history", a->db, &st);
	if (rc != EXIT_OK)
		return rc;
	if (!o.json)
		o.table = history_table(hosts);
	o.limit = hosts ? q.limit : 0;
	if (!o.json && !o.table)
		r = -ENOMEM;
	else if (!st)
		r = 0;
	else if (hosts)
		r = store_fleet(st, "audit", history_each_host, &o);
	else
		r = store_runs(st, &q, history_each, &o);
	if (r < 0)
		rc = histdb_read_error("history", st, r);
	else
		rc = history_finish(&o, &q, hosts, cmd_use_color(stdout, a->no_color));
	table_free(o.table);
	store_close(st);
	return rc;
}

const struct cmd_spec cmd_history = {
    .name = "history",
    .usage = "[OPTIONS]",
    .summary = "the scans recorded in the history",
    .about = "The scans and audits recorded in the history, newest first.\n"
             "\n"
             "With --hosts, the fleet instead: one line per host the complete audits\n"
             "covered (a machine's own audits by its name, remote audits by target\n"
             "address), with its newest audit: the run, when, the scanner, the open\n"
             "ports (own audits: listening sockets), how many are reachable from\n"
             "outside, loopback-only or blocked, the high findings and all findings.\n",
    .epilog = "See a run with 'portscope show ID', changes with 'portscope diff [A] [B]',\n"
              "one host's with 'portscope diff --host HOST'.\n",
    .options = history_options,
    .max_words = 0,
    .run = history_run,
};
