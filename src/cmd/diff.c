/* portscope diff [A] [B]: what changed between two recorded runs (like ndiff). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/histdb.h"
#include "output/json.h"
#include "output/out.h"
#include "output/service.h"
#include "store/diff.h"

enum { OPT_HOST = CMD_OPT_OWN };

static const struct cmd_option diff_options[] = {
    CMD_OPTION_DB(CMD_DB_HELP),
    {.name = "host",
     .id = OPT_HOST,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "HOST",
     .help = "one host's changes: a target address, or a machine's name (its own audits)"},
    CMD_OPTION_JSON("JSON Lines: two run records, one per change, a summary"),
    CMD_OPTION_NO_COLOR,
    {0},
};

struct diff_out {
	bool json, color;
	FILE *f;
	const char *host; /* --host, or NULL */
};

static const char *diff_state(enum scan_state s)
{
	return s == SCAN_PENDING ? NULL : scan_state_name(s);
}

/* A detected service of a change as the service object, null when none was stored. */
static json_t *diff_service(const struct store_change_service *sv)
{
	if (!sv->name)
		return json_null();
	return out_json_service(&(struct out_service){.name = sv->name,
	                                              .probed = true,
	                                              .confidence = 10,
	                                              .product = sv->product,
	                                              .version = sv->version});
}

/* One change (schema/diff-change.json): every key, null where it does not apply. */
static int diff_print_json(struct diff_out *o, const struct store_change *c)
{
	bool port = c->kind == STORE_CH_PORT || c->kind == STORE_CH_SERVICE;
	bool finding = c->kind == STORE_CH_FINDING_NEW || c->kind == STORE_CH_FINDING_FIXED;
	json_t *j = json_pack(
	    "{s:s, s:s, s:s?, s:s?, s:o, s:s?, s:s?, s:o, s:o, s:s?, s:s?, s:s?, s:n, s:n}", "type",
	    "change", "change", store_change_kind_name(c->kind), "address", c->host, "proto",
	    c->proto ? out_proto_name(c->proto) : NULL, "port",
	    c->proto ? json_integer(c->port) : json_null(), "old_state",
	    port ? diff_state(c->old_state) : NULL, "new_state",
	    port ? diff_state(c->new_state) : NULL, "old_service",
	    port ? diff_service(&c->old_svc) : json_null(), "new_service",
	    port ? diff_service(&c->new_svc) : json_null(), "check", finding ? c->check : NULL,
	    "severity", finding ? c->severity : NULL, "title", finding ? c->title : NULL,
	    "old_exposure", "new_exposure");
	int r = j ? json_write_line(o->f, j) : -ENOMEM;

	json_decref(j);
	return r < 0 ? r : 0;
}

static void diff_paint(struct diff_out *o, const char *sgr, const char *text)
{
	if (o->color && sgr)
		fprintf(o->f, "\033[%sm%s\033[0m", sgr, text);
	else
		fputs(text, o->f);
}

static int diff_print(void *ctx, const struct store_change *c)
{
	struct diff_out *o = ctx;
	char port[16] = "";

	if (o->json)
		return diff_print_json(o, c);
	if (c->proto)
		snprintf(port, sizeof(port), "%u/%s", c->port, out_proto_name(c->proto));
	switch (c->kind) {
	case STORE_CH_HOST_NEW:
	case STORE_CH_HOST_UP:
		diff_paint(o, "32", "+");
		fprintf(o->f, " %s  host %s\n", c->host,
		        c->kind == STORE_CH_HOST_NEW ? "new" : "up");
		break;
	case STORE_CH_HOST_GONE:
	case STORE_CH_HOST_DOWN:
		diff_paint(o, "31", "-");
		fprintf(o->f, " %s  host %s\n", c->host,
		        c->kind == STORE_CH_HOST_GONE ? "gone" : "down");
		break;
	case STORE_CH_PORT:
		diff_paint(o, c->new_state == SCAN_OPEN ? "32" : "31",
		           c->new_state == SCAN_OPEN ? "+" : "-");
		fprintf(o->f, " %s  %s  %s -> ", c->host, port, scan_state_name(c->old_state));
		diff_paint(o, "1", scan_state_name(c->new_state));
		fputc('\n', o->f);
		break;
	case STORE_CH_SERVICE:
		diff_paint(o, "33", "~");
		fprintf(o->f, " %s  %s  service %s -> %s\n", c->host, port,
		        c->old_service ? c->old_service : "(none)",
		        c->new_service ? c->new_service : "(none)");
		break;
	case STORE_CH_FINDING_NEW:
	case STORE_CH_FINDING_FIXED:
		diff_paint(o, c->kind == STORE_CH_FINDING_NEW ? "31" : "32",
		           c->kind == STORE_CH_FINDING_NEW ? "+" : "-");
		fprintf(o->f, " %s%s%s  finding %s: [%s] %s: %s\n", c->host ? c->host : "",
		        c->host && *port ? "  " : "", port,
		        c->kind == STORE_CH_FINDING_NEW ? "new" : "fixed",
		        c->severity ? c->severity : "?", c->check, c->title ? c->title : "");
		break;
	default:
		break;
	}
	return ferror(o->f) ? -EIO : 0;
}

static const char *const diff_endpoint_kinds[] = {
    [STORE_EP_OPENED] = "endpoint-opened",
    [STORE_EP_CLOSED] = "endpoint-closed",
    [STORE_EP_EXPOSURE] = "endpoint-exposure",
};

/* An endpoint change of a machine's own audits: a socket opened, closed, or exposed anew. */
static int diff_print_endpoint(void *ctx, const struct store_endpoint_change *e)
{
	struct diff_out *o = ctx;
	const char *sv = e->service ? e->service : "";

	if (o->json) {
		json_t *j = json_pack(
		    "{s:s, s:s, s:s?, s:s, s:i, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:s?, s:s?}",
		    "type", "change", "change", diff_endpoint_kinds[e->kind], "address", e->host,
		    "proto", out_proto_name(e->proto), "port", (int)e->port, "old_state",
		    "new_state", "old_service", "new_service", "check", "severity", "title",
		    "old_exposure", e->old_exposure, "new_exposure", e->new_exposure);
		int r = j ? json_write_line(o->f, j) : -ENOMEM;

		json_decref(j);
		return r < 0 ? r : 0;
	}
	diff_paint(o,
	           e->kind == STORE_EP_OPENED   ? "32"
	           : e->kind == STORE_EP_CLOSED ? "31"
	                                        : "33",
	           e->kind == STORE_EP_OPENED   ? "+"
	           : e->kind == STORE_EP_CLOSED ? "-"
	                                        : "~");
	fprintf(o->f, " %s  %u/%s  ", e->host ? e->host : "?", e->port, out_proto_name(e->proto));
	if (e->kind == STORE_EP_OPENED)
		fprintf(o->f, "listening, %s", e->new_exposure);
	else if (e->kind == STORE_EP_CLOSED)
		fprintf(o->f, "closed (was %s)", e->old_exposure);
	else
		fprintf(o->f, "exposure %s -> %s", e->old_exposure, e->new_exposure);
	fprintf(o->f, "%s%s%s\n", *sv ? "  (" : "", sv, *sv ? ")" : "");
	return ferror(o->f) ? -EIO : 0;
}

static int diff_header(struct diff_out *o, const char *role, const struct store_run *r)
{
	char when[32];

	if (o->json) {
		json_t *j = histdb_json_run(r, role);
		int e = j ? json_write_line(o->f, j) : -ENOMEM;

		json_decref(j);
		return e;
	}
	fprintf(o->f, "%s run %lld  %s  %s%s%s\n", strcmp(role, "old") == 0 ? "---" : "+++",
	        (long long)r->id, histdb_time(r->start, when, sizeof(when)), r->args ? r->args : "",
	        r->status == STORE_RUN_COMPLETE ? "" : "  ",
	        r->status == STORE_RUN_COMPLETE ? "" : store_status_name(r->status));
	return 0;
}

/* Resolves a run word into id, reporting a bad or unknown one. Returns EXIT_*. */
static int diff_run_id(struct store *st, const char *word, int64_t *id)
{
	struct store_run r;
	int e = histdb_parse_id(st, word, id);

	if (e == -EINVAL)
		return cmd_usage("diff", "'%s' is not a run ID (a number, or 'last')", word);
	if (!e)
		e = store_run_get(st, *id, &r);
	if (e == -ENOENT)
		return cmd_usage("diff", "no run %s in the history", word);
	if (e < 0) {
		return histdb_read_error("diff", st, e);
	}
	return EXIT_OK;
}

/* The two runs to compare from the words: A B, B (and the one before), or the newest two. */
static int diff_pick_runs(struct store *st, char *const *words, size_t nwords, int64_t *a,
                          int64_t *b)
{
	int rc = EXIT_OK;

	if (nwords == 2) {
		rc = diff_run_id(st, words[0], a);
		if (rc == EXIT_OK)
			rc = diff_run_id(st, words[1], b);
		return rc;
	}
	if (nwords == 1)
		rc = diff_run_id(st, words[0], b);
	else if (store_run_previous(st, 0, b) < 0)
		rc = cmd_usage("diff", "no complete run in the history to compare");
	if (rc == EXIT_OK && store_run_previous(st, *b, a) < 0)
		rc = cmd_usage("diff",
		               "run %lld has no earlier complete run over the same targets: "
		               "name two runs (portscope diff A B)",
		               (long long)*b);
	return rc;
}

/*
 * The two runs to compare for one host: A B, B (and the host's run before it),
 * or the host's newest two; runs of one kind, from any scanner, with any targets.
 */
static int diff_pick_host_runs(struct store *st, const char *host, bool machine, char *const *words,
                               size_t nwords, int64_t *a, int64_t *b)
{
	int rc = EXIT_OK, e;

	if (nwords == 2)
		return diff_pick_runs(st, words, nwords, a, b);
	if (nwords == 1)
		rc = diff_run_id(st, words[0], b);
	else if ((e = store_host_previous(st, host, machine, 0, b)) < 0)
		rc = e == -ENOENT
		         ? cmd_usage("diff", "no complete run in the history covers %s", host)
		         : histdb_read_error("diff", st, e);
	if (rc == EXIT_OK && (e = store_host_previous(st, host, machine, *b, a)) < 0)
		rc = e == -ENOENT ? cmd_usage("diff",
		                              "run %lld has no earlier complete run of its kind "
		                              "that covers %s: name two runs (portscope diff "
		                              "--host %s A B)",
		                              (long long)*b, host, host)
		                  : histdb_read_error("diff", st, e);
	return rc;
}

/* The last line: how many changes. Returns 0 or -EIO. */
static int diff_summary(const struct diff_out *o, int64_t a, int64_t b, int64_t n)
{
	if (o->json) {
		json_t *j =
		    json_pack("{s:s, s:I, s:I, s:I, s:s?}", "type", "summary", "old", (json_int_t)a,
		              "new", (json_int_t)b, "changes", (json_int_t)n, "host", o->host);
		int r = j ? json_write_line(stdout, j) : -ENOMEM;

		json_decref(j);
		return r < 0 ? -EIO : 0;
	}
	printf("%lld change%s\n", (long long)n, n == 1 ? "" : "s");
	return 0;
}

/* The runs to compare (--host: that host's), and the address to keep changes of. */
static int diff_choose(struct store *st, const struct cmd_args *args, const char *host, int64_t *a,
                       int64_t *b, const char **only, bool *own)
{
	int machine = 0;

	*only = NULL;
	*own = false;
	if (!host)
		return diff_pick_runs(st, args->words, args->nwords, a, b);
	if (!*host)
		return cmd_usage("diff", "--host: empty");
	machine = store_host_is_machine(st, host);
	if (machine < 0)
		return histdb_read_error("diff", st, machine);
	/* A machine's own audits are about it whole; a target's runs hold other hosts too. */
	*only = machine ? NULL : host;
	*own = machine > 0;
	return diff_pick_host_runs(st, host, machine, args->words, args->nwords, a, b);
}

static int diff_run(const struct cmd_args *args)
{
	struct diff_out o = {.f = stdout, .json = args->json, .host = cmd_get(args, OPT_HOST)};
	int64_t a = 0, b = 0, n;
	struct store_run ra, rb;
	const char *only;
	struct store *st;
	bool own;
	int rc, e;

	o.color = !o.json && cmd_use_color(stdout, args->no_color);
	rc = histdb_open("diff", args->db, &st);
	if (rc != EXIT_OK)
		return rc;
	rc = diff_choose(st, args, o.host, &a, &b, &only, &own);
	if (rc != EXIT_OK)
		goto out;
	e = store_run_get(st, a, &ra);
	if (!e)
		e = diff_header(&o, "old", &ra);
	own = own && !e && !ra.targets; /* ra's strings last until the next read */
	if (!e)
		e = store_run_get(st, b, &rb);
	if (!e)
		e = diff_header(&o, "new", &rb);
	own = own && !e && !rb.targets;
	/* A machine's own audits: its listening sockets opened, closed, exposed anew too. */
	n = e < 0 ? e : own ? store_endpoint_diff(st, a, b, diff_print_endpoint, &o) : 0;
	if (n >= 0) {
		int64_t m = store_diff_host(st, a, b, only, diff_print, &o);

		n = m < 0 ? m : n + m;
	}
	if (n < 0) {
		rc = n == -EIO ? EXIT_RUNTIME : histdb_read_error("diff", st, (int)n);
		goto out;
	}
	if (diff_summary(&o, a, b, n) < 0 || fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
	else if (n > 0)
		rc = EXIT_FINDINGS;
out:
	store_close(st);
	return rc;
}

const struct cmd_spec cmd_diff = {
    .name = "diff",
    .usage = "[OPTIONS] [--host HOST] [A] [B]",
    .summary = "what changed between two recorded scans (like ndiff)",
    .about =
        "What changed from run A to run B of the history: hosts new, gone, up or down;\n"
        "ports whose state changed; services or versions changed; findings new or fixed.\n"
        "Exit status 1 when anything changed, 0 when nothing did.\n"
        "\n"
        "  (no runs)      the newest complete run and the one before it over the same targets\n"
        "  B              run B and the complete run before it over the same targets\n"
        "  A B            run A, then run B (IDs, or 'last')\n"
        "\n"
        "With --host HOST, one host's changes only, across runs of any scanner and any\n"
        "targets: HOST is a target address (the runs that scanned it) or the name of a\n"
        "machine whose own audits the history holds (those audits, whole, and the\n"
        "machine's listening sockets opened, closed or exposed otherwise).\n"
        "\n"
        "  --host H       H's newest complete run and its run before it of the same kind\n"
        "  --host H B     run B and H's complete run before it of the same kind\n"
        "  --host H A B   H's changes from run A to run B\n",
    .options = diff_options,
    .max_words = 2,
    .run = diff_run,
};
