/*
 * `portscope scan --resume [RUN]`: finds the interrupted run in the history,
 * reads back its command line (runs.argv) and last checkpoint, and gives
 * scan.c the run's options with this command line's outputs, to continue the
 * same run where the checkpoint left it.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/scan.h"

struct resume_pick {
	int64_t id;
};

/* Whether run r can be continued: killed, failed, or stopped by a signal. */
static bool resume_unfinished(const struct store_run *r)
{
	return r->status == STORE_RUN_INCOMPLETE || r->status == STORE_RUN_INTERRUPTED;
}

/* The newest interrupted scan. */
static int resume_newest(void *ctx, const struct store_run *r)
{
	struct resume_pick *p = ctx;

	if (!resume_unfinished(r))
		return 0;
	p->id = r->id;
	return 1;
}

/* The run's argv (a JSON array of strings) into rs->argv. */
static int resume_argv(struct scan_resume *rs, const char *json)
{
	json_t *a = json ? json_loads(json, 0, NULL) : NULL;
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	int r = n ? 0 : -EBADMSG;

	rs->argv = r ? NULL : calloc(n + 1, sizeof(*rs->argv));
	for (size_t i = 0; rs->argv && i < n && !r; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s)
			r = -EBADMSG;
		else if (!(rs->argv[rs->argc++] = strdup(s)))
			r = -ENOMEM;
	}
	json_decref(a);
	return r ? r : rs->argv ? 0 : -ENOMEM;
}

/* Which run, and whether it can be continued. An exit status, reported. */
static int resume_find(struct store *st, int64_t want, struct store_run *run)
{
	struct resume_pick p = {.id = want};
	int r = 0;

	if (!want)
		r = store_runs(st, &(struct store_query){.kind = "scan"}, resume_newest, &p);
	if (r < 0 || (!want && !p.id)) {
		cmd_error("scan", "--resume: %s",
		          r < 0 ? store_errmsg(st) : "no interrupted scan in the history");
		return r < 0 ? EXIT_RUNTIME : EXIT_USAGE;
	}
	r = store_run_get(st, p.id, run);
	if (r == -ENOENT || (!r && strcmp(run->kind, "scan") != 0))
		return cmd_usage("scan", "--resume: no scan run %lld in the history",
		                 (long long)p.id);
	if (r < 0) {
		cmd_error("scan", "--resume: %s", store_errmsg(st));
		return EXIT_RUNTIME;
	}
	if (run->status == STORE_RUN_RUNNING)
		return cmd_usage("scan", "--resume: run %lld is still running (on %s)",
		                 (long long)p.id, run->hostname ? run->hostname : "this machine");
	if (run->status == STORE_RUN_COMPLETE)
		return cmd_usage("scan", "--resume: run %lld is complete: nothing to continue",
		                 (long long)p.id);
	return EXIT_OK;
}

/* The run's options parsed again, with the outputs of the --resume command line. */
static int resume_opts(struct scan_resume *rs, const struct scan_opts *o,
                       const struct store_run *run, struct scan_opts *out)
{
	char why[768];
	int r = resume_argv(rs, run->argv);

	if (r == -EBADMSG)
		return cmd_usage("scan", "--resume: run %lld has no command line to run again",
		                 (long long)run->id);
	if (r == 0)
		r = cmd_parse(&cmd_scan, rs->argc, rs->argv, &rs->args, why, sizeof(why));
	if (r == 0)
		r = scan_opts_from_args(&rs->args, out, why, sizeof(why));
	if (r < 0) {
		cmd_error("scan", "--resume: run %lld: %s", (long long)run->id,
		          r == -ENOMEM ? "out of memory" : why);
		return r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (out->list_only || out->ping_only || !out->no_ping || out->resume)
		return cmd_usage("scan",
		                 "--resume: run %lld is not a port scan of -Pn targets; "
		                 "only those can be continued",
		                 (long long)run->id);
	memcpy(out->outputs, o->outputs, sizeof(out->outputs));
	out->noutputs = o->noutputs;
	out->out_all = o->out_all;
	out->db = o->db;
	out->json = o->json;
	out->no_history = false;
	out->prometheus = NULL;    /* the run's metrics file is not rewritten by a part of it */
	out->resume_run = run->id; /* continued, not begun (scan_history_open()) */
	return EXIT_OK;
}

/* Opens the history of o (--db, else the default path). An exit status, reported. */
static int resume_open(const struct scan_opts *o, struct store **st)
{
	char path[PATH_MAX], why[PATH_MAX + 128] = "";
	int r;

	if (o->db && strlen(o->db) >= sizeof(path))
		return cmd_usage("scan", "--db: path too long");
	if (!o->db && store_default_path(path, sizeof(path)) < 0)
		return cmd_usage("scan",
		                 "%s: no history (neither XDG_STATE_HOME nor HOME "
		                 "is set; use --db PATH)",
		                 o->resume ? "--resume" : "--resume-or-start");
	r = store_open(o->db ? o->db : path, o->resume ? 0 : STORE_CREATE | STORE_MKDIR, st, why,
	               sizeof(why));
	if (r < 0) {
		cmd_error("scan", "history: %s", why[0] ? why : strerror(-r));
		return r == -EBADMSG || r == -ENOTSUP || r == -EINVAL || r == -ENOENT
		           ? EXIT_USAGE
		           : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* What --resume-or-start looks for: a run of this very command line and shard. */
struct resume_own {
	const struct scan_opts *o;
	const char *argv;       /* this command line, as runs.argv holds it */
	char host[256];         /* this machine's name (runs without a shard only) */
	struct store_run found; /* the newest such run (id 0: none); strings not kept */
};

/* The newest run of the same command line, shard and seed (and machine, unsharded). */
static int resume_own_pick(void *ctx, const struct store_run *r)
{
	struct resume_own *w = ctx;
	const struct shard *sh = &w->o->shard;

	if (!r->argv || strcmp(r->argv, w->argv) != 0 || r->shard_index != sh->index ||
	    r->shard_count != sh->count || (w->o->seed_given && r->seed != w->o->seed))
		return 0;
	/* A retried Job pod or Slurm task runs elsewhere: its shard says which run is its. */
	if (!sh->count && strcmp(r->hostname ? r->hostname : "", w->host) != 0)
		return 0;
	w->found = (struct store_run){.id = r->id, .status = r->status};
	return 1;
}

int scan_resume_lookup(const struct scan_opts *o, const char *argv_json, int64_t *run)
{
	struct resume_own w = {.o = o, .argv = argv_json};
	struct store *st = NULL;
	int rc = resume_open(o, &st), r;

	*run = 0;
	if (rc != EXIT_OK)
		return rc;
	if (gethostname(w.host, sizeof(w.host) - 1) < 0)
		w.host[0] = '\0';
	r = store_runs(st, &(struct store_query){.kind = "scan"}, resume_own_pick, &w);
	if (r < 0) {
		cmd_error("scan", "--resume-or-start: %s", store_errmsg(st));
		rc = EXIT_RUNTIME;
	}
	/* Only the newest: a complete or still running one means a new run. */
	if (r >= 0 && w.found.id && resume_unfinished(&w.found))
		*run = w.found.id;
	store_close(st);
	return rc;
}

int scan_resume_load(const struct scan_opts *o, struct scan_resume *rs, struct scan_opts *out)
{
	struct store *st = NULL;
	struct store_run run;
	int r, rc;

	*out = (struct scan_opts){0};
	rc = resume_open(o, &st);
	if (rc != EXIT_OK)
		return rc;
	rc = resume_find(st, o->resume_run, &run);
	if (rc == EXIT_OK)
		rc = resume_opts(rs, o, &run, out);
	if (rc == EXIT_OK) {
		rs->run = run.id;
		rs->seed = run.seed;
		rs->shard = (struct shard){.index = run.shard_index, .count = run.shard_count};
		r = store_checkpoint_get(st, run.id, &rs->cp);
		rs->has_cp = r == 0;
		if (r < 0 && r != -ENOENT) {
			cmd_error("scan", "--resume: run %lld: cannot read its checkpoint: %s",
			          (long long)run.id,
			          r == -EBADMSG ? "malformed" : store_errmsg(st));
			rc = EXIT_RUNTIME;
		}
	}
	store_close(st);
	return rc;
}

void scan_resume_free(struct scan_resume *rs)
{
	cmd_args_free(&rs->args);
	for (int i = 0; i < rs->argc; i++)
		free(rs->argv[i]);
	free(rs->argv);
	store_checkpoint_free(&rs->cp);
	*rs = (struct scan_resume){0};
}
