/* portscope policy: the docs' firewall language: check, eval, compile, apply, import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "cmd/policy.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "output/table.h"
#include "policy/lint.h"
#include "policy/nft.h"
#include "policy/policy.h"
#include "policy/win.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/input.h"
#include "util/strnum.h"

#define MAX_ERRORS 20 /* syntax errors shown before "... and N more" */

enum {
	OPT_STRICT = CMD_OPT_OWN,
	OPT_DRY_RUN,
	OPT_NO_PING,
	OPT_PROTO,
	OPT_PORT,
	OPT_FROM,
	OPT_NO_PROCESS,
	OPT_FROM_ADDRESS,
	OPT_ALL,
	OPT_MAPS,
	OPT_FORCE,
	OPT_CONFIRM,
	OPT_IIF,
	OPT_TO,
};

/* The options, each declared once; a subcommand's table names those it takes. */
#define POLICY_JSON  CMD_OPTION_JSON("machine output (check, eval, listening, verify)")
#define POLICY_COLOR CMD_OPTION_NO_COLOR
#define POLICY_STRICT                                                                              \
	{                                                                                          \
		.name = "strict", .id = OPT_STRICT, .section = "options:",                         \
		.help = "check: warnings fail too; listening: exposed listeners fail"              \
	}
#define POLICY_NO_PING                                                                             \
	{                                                                                          \
		.name = "no-ping", .id = OPT_NO_PING,                                              \
		.help = "compile/apply: do not accept ICMP/ICMPv6 echo requests"                   \
	}
#define POLICY_MAPS                                                                                \
	{                                                                                          \
		.name = "maps", .id = OPT_MAPS,                                                    \
		.help = "compile/apply: verdict maps whatever the size (the default above\n"       \
		        "100 rules)"                                                               \
	}
#define POLICY_FORCE                                                                               \
	{                                                                                          \
		.name = "force", .id = OPT_FORCE,                                                  \
		.help = "compile/apply: even a policy that allows nothing; apply: even\n"          \
		        "one that would cut off this SSH session"                                  \
	}

static const struct cmd_option check_options[] = {POLICY_STRICT, POLICY_JSON, POLICY_COLOR, {0}};

static const struct cmd_option eval_options[] = {
    {.name = "proto",
     .id = OPT_PROTO,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "P",
     .complete = "tcp|udp",
     .help = "eval: tcp or udp"},
    {.name = "port",
     .id = OPT_PORT,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .help = "eval: destination port 1-65535"},
    {.name = "from",
     .id = OPT_FROM,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "ADDR",
     .help = "eval: source address (none: an address no FROM list names)"},
    POLICY_JSON,
    POLICY_COLOR,
    {0},
};

static const struct cmd_option compile_options[] = {
    {.name = "to",
     .id = OPT_TO,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "TARGET",
     .complete = "nftables|windows|netsh",
     .help = "compile: nftables (the default), windows (a PowerShell script of\n"
             "New-NetFirewallRule calls) or netsh (netsh advfirewall lines)"},
    POLICY_NO_PING,
    POLICY_MAPS,
    POLICY_FORCE,
    POLICY_COLOR,
    {0}};

static const struct cmd_option apply_options[] = {
    {.name = "dry-run", .id = OPT_DRY_RUN, .help = "apply: check only"},
    {.name = "confirm",
     .id = OPT_CONFIRM,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "S",
     .help = "apply: ask on the terminal; anything but \"yes\" within S seconds\n"
             "(or end of input, or a hang-up) puts back what was there before\n"
             "(exit 1); the default from an SSH session on a terminal is 10,\n"
             "0 does not ask"},
    POLICY_FORCE,
    POLICY_NO_PING,
    POLICY_MAPS,
    POLICY_COLOR,
    {0},
};

static const struct cmd_option import_options[] = {
    {.name = "iif",
     .id = OPT_IIF,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "IFACE",
     .help = "import: judge connections arriving on IFACE (default: the first\n"
             "interface up with an address)"},
    POLICY_COLOR,
    {0},
};

static const struct cmd_option listening_options[] = {
    {.name = "no-process",
     .id = OPT_NO_PROCESS,
     .help = "listening: skip the owning-process look-up"},
    POLICY_STRICT,
    POLICY_JSON,
    POLICY_COLOR,
    {0},
};

static const struct cmd_option verify_options[] = {
    {.letter = 'p',
     .arg = CMD_ARG_REQUIRED,
     .metavar = "PORTS",
     .help = "verify: ports to scan (nmap syntax, UDP only after U:;\n"
             "default: TCP 1-1024 and every port the policy names)"},
    {.letter = 'T',
     .arg = CMD_ARG_REQUIRED,
     .metavar = "0-5",
     .complete = "0|1|2|3|4|5",
     .help = "verify: timing template (default 4)"},
    {.name = "from-address",
     .id = OPT_FROM_ADDRESS,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "ADDR",
     .help = "verify: judge as if the scan came from ADDR (default:\n"
             "the source address the kernel picks towards TARGET)"},
    {.name = "all", .id = OPT_ALL, .help = "verify: list filtered ports the policy denies too"},
    POLICY_JSON,
    POLICY_COLOR,
    {0},
};

/* Reads and parses opts->file; reports syntax errors. Returns an exit status. */
static int load(const struct policy_opts *o, struct policy *p, struct policy_error *errs,
                size_t *nerr)
{
	/*
	 * Lines up to 64 KiB reach the parser, which names a line over POLICY_LINE_MAX;
	 * files up to POLICY_FILE_MAX hold the most rules the parser takes.
	 */
	const struct input_limits lim = {.max_bytes = POLICY_FILE_MAX, .max_line = 65536};
	char why[512], *buf;
	size_t len;
	int rc;

	*nerr = 0;
	rc = input_slurp(o->file, &lim, &buf, &len, why, sizeof(why));
	if (rc < 0) {
		cmd_error(CMD, "%s", why);
		return input_is_bad(rc) ? EXIT_USAGE : EXIT_RUNTIME;
	}
	rc = policy_read_buf(buf, len, p, errs, MAX_ERRORS, nerr);
	free(buf);
	if (rc < 0 && rc != -EINVAL) {
		cmd_error(CMD, "reading '%s': %s", o->file, strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (rc == -EINVAL)
		return EXIT_USAGE;
	return EXIT_OK;
}

static void print_syntax_errors(const struct policy_opts *o, const struct policy_error *errs,
                                size_t nerr)
{
	for (size_t i = 0; i < nerr && i < MAX_ERRORS; i++)
		cmd_error(CMD, "%s:%u:%u: %s", o->file, errs[i].line, errs[i].col, errs[i].msg);
	if (nerr > MAX_ERRORS)
		cmd_error(CMD, "%s: ... and %zu more syntax errors", o->file, nerr - MAX_ERRORS);
}

int policy_cmd_load(const struct policy_opts *o, struct policy *p)
{
	struct policy_error errs[MAX_ERRORS];
	size_t nerr;
	int st = load(o, p, errs, &nerr);

	if (st == EXIT_USAGE && nerr)
		print_syntax_errors(o, errs, nerr);
	return st;
}

/* ---- progress on a terminal, for long runs ---- */

#define PROGRESS_AFTER 0.5 /* seconds before the first progress line */

struct progress {
	bool on;    /* stderr is a terminal */
	bool shown; /* a progress line is on screen */
	double start;
};

static void progress_init(struct progress *pg)
{
	pg->on = cmd_is_smart_terminal(stderr);
	pg->shown = false;
	pg->start = clock_mono();
}

/* "portscope policy: linting 24576/60000 rules" on one line that is rewritten. */
static void progress_show(struct progress *pg, const char *what, size_t done, size_t total)
{
	if (!pg->on || clock_mono() - pg->start < PROGRESS_AFTER)
		return;
	if (total)
		fprintf(stderr, "\rportscope policy: %s %zu/%zu rules (%zu%%)\033[K", what, done,
		        total, done * 100 / total);
	else
		fprintf(stderr, "\rportscope policy: %s\033[K", what);
	fflush(stderr);
	pg->shown = true;
}

static void progress_done(struct progress *pg)
{
	if (pg->shown)
		fputs("\r\033[K", stderr);
	pg->shown = false;
}

static void lint_progress(size_t done, size_t total, void *ctx)
{
	progress_show(ctx, "linting", done, total);
}

/* Whether some rule names a service hint (then the services files are worth loading). */
static bool has_hints(const struct policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].hint)
			return true;
	return false;
}

struct json_t *policy_json_rule(const struct policy_rule *r)
{
	if (!r)
		return json_null();
	return json_pack("{s:i, s:s?, s:s?, s:s?}", "line", (int)r->line, "text", r->text, "label",
	                 r->label, "hint", r->hint);
}

/* ---- check ---- */

struct check_state {
	const struct policy_opts *o;
	struct table *t;
	json_t *arr;
	unsigned count[3]; /* per severity */
};

static const char *sev_color(enum policy_severity s)
{
	return s == POLICY_SEV_ERROR ? TABLE_RED : s == POLICY_SEV_WARNING ? TABLE_YELLOW : NULL;
}

static int check_emit(const struct policy_finding *f, void *ctx)
{
	struct check_state *cs = ctx;
	int rc = 0;

	cs->count[f->severity]++;
	if (cs->arr) {
		json_t *j = json_object();
		if (!j)
			return -ENOMEM;
		json_set(j, "line", f->line ? json_integer(f->line) : json_null());
		json_set_str(j, "severity", policy_severity_name(f->severity));
		json_set_str(j, "check", f->check);
		json_set(j, "other_line",
		         f->other_line ? json_integer(f->other_line) : json_null());
		json_set_str(j, "message", f->message);
		return json_array_append_new(cs->arr, j) == 0 ? 0 : -ENOMEM;
	}
	if (f->line)
		rc |= table_cellf(cs->t, "%u", f->line);
	else
		rc |= table_cell(cs->t, "-");
	rc |= table_cell_color(cs->t, policy_severity_name(f->severity), sev_color(f->severity));
	rc |= table_cell(cs->t, f->check);
	rc |= table_cell(cs->t, f->message);
	return rc ? -ENOMEM : 0;
}

static int check_json_syntax(const struct policy_opts *o, const struct policy_error *errs,
                             size_t nerr)
{
	json_t *doc = json_object(), *arr = json_array();

	if (!doc || !arr) {
		json_decref(doc);
		json_decref(arr);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < nerr && i < MAX_ERRORS; i++) {
		json_t *e = json_object();
		json_set(e, "line", json_integer(errs[i].line));
		json_set(e, "column", json_integer(errs[i].col));
		json_set_str(e, "message", errs[i].msg);
		json_array_append_new(arr, e);
	}
	json_set_str(doc, "type", "policy-check");
	json_set_str(doc, "file", o->file);
	json_set(doc, "valid", json_false());
	json_set(doc, "rules", json_null());
	json_set(doc, "syntax_errors", arr);
	json_set(doc, "syntax_error_count", json_integer((json_int_t)nerr));
	json_set(doc, "findings", json_array());
	json_set(doc, "errors", json_integer(0));
	json_set(doc, "warnings", json_integer(0));
	json_set(doc, "info", json_integer(0));
	json_set(doc, "pass", json_false());
	json_write_line(stdout, doc);
	json_decref(doc);
	return EXIT_USAGE;
}

static int run_check(const struct policy_opts *o)
{
	struct policy_error errs[MAX_ERRORS];
	struct check_state cs = {.o = o};
	struct policy_lint_opts lo = {.progress = lint_progress};
	struct progress pg;
	struct policy p = {0};
	struct kb *kb = NULL;
	char why[256];
	size_t nerr;
	int st, rc;
	bool fail;

	st = load(o, &p, errs, &nerr);
	if (st == EXIT_USAGE && nerr) {
		print_syntax_errors(o, errs, nerr);
		if (o->json)
			check_json_syntax(o, errs, nerr);
	}
	if (st != EXIT_OK)
		goto out;
	if (o->json) {
		cs.arr = json_array();
	} else if ((cs.t = table_new())) {
		table_add_column(cs.t, "LINE", TABLE_RIGHT);
		table_add_column(cs.t, "SEVERITY", TABLE_LEFT);
		table_add_column(cs.t, "CHECK", TABLE_LEFT);
		table_add_column(cs.t, "MESSAGE", TABLE_LEFT);
	}
	if (!cs.arr && !cs.t) {
		st = EXIT_RUNTIME;
		goto out;
	}
	progress_init(&pg);
	if (has_hints(&p) && kb_load(NULL, &kb, why, sizeof(why)) < 0)
		kb = NULL; /* no services files: hints are not checked */
	lo.kb = kb;
	lo.progress_ctx = &pg;
	rc = policy_lint_with(&p, &lo, check_emit, &cs);
	progress_done(&pg);
	if (rc < 0) {
		cmd_error(CMD, "lint: %s", strerror(-rc));
		st = EXIT_RUNTIME;
		goto out;
	}
	fail = cs.count[POLICY_SEV_ERROR] || (o->strict && cs.count[POLICY_SEV_WARNING]);
	if (o->json) {
		json_t *doc = json_object();
		json_set_str(doc, "type", "policy-check");
		json_set_str(doc, "file", o->file);
		json_set(doc, "valid", json_true());
		json_set(doc, "rules", json_integer((json_int_t)p.nrules));
		json_set(doc, "syntax_errors", json_array());
		json_set(doc, "syntax_error_count", json_integer(0));
		json_set(doc, "findings", cs.arr);
		cs.arr = NULL;
		json_set(doc, "errors", json_integer(cs.count[POLICY_SEV_ERROR]));
		json_set(doc, "warnings", json_integer(cs.count[POLICY_SEV_WARNING]));
		json_set(doc, "info", json_integer(cs.count[POLICY_SEV_INFO]));
		json_set(doc, "pass", json_boolean(!fail));
		json_write_line(stdout, doc);
		json_decref(doc);
	} else {
		if (table_rows(cs.t))
			table_render(cs.t, stdout, cmd_use_color(stdout, o->no_color));
		char r[48], e[48], w[48];

		printf("%s: %s, %s, %s, %u info\n", o->file,
		       cmd_plural(p.nrules, "rule", r, sizeof(r)),
		       cmd_plural(cs.count[POLICY_SEV_ERROR], "error", e, sizeof(e)),
		       cmd_plural(cs.count[POLICY_SEV_WARNING], "warning", w, sizeof(w)),
		       cs.count[POLICY_SEV_INFO]);
	}
	st = fail ? EXIT_FINDINGS : EXIT_OK;
out:
	json_decref(cs.arr);
	table_free(cs.t);
	kb_free(kb);
	policy_free(&p);
	return st;
}

/* ---- eval ---- */

static int run_eval(const struct policy_opts *o)
{
	struct policy_addr from;
	struct policy p = {0};
	const struct policy_rule *r;
	const char *verdict;
	ssize_t idx;
	int st, rc;

	if (!o->proto)
		return cmd_usage(CMD, "eval needs --proto tcp|udp");
	if (o->port < 0)
		return cmd_usage(CMD, "eval needs --port N");
	if (o->from) {
		rc = policy_addr_parse(o->from, strlen(o->from), &from);
		if (rc < 0 || from.prefix != (from.family == AF_INET ? 32 : 128))
			return cmd_usage(CMD, "--from '%s': expected one IPv4 or IPv6 address",
			                 o->from);
	}
	st = policy_cmd_load(o, &p);
	if (st != EXIT_OK) {
		policy_free(&p);
		return st;
	}
	idx = policy_eval(&p, &(struct policy_packet){.proto = o->proto,
	                                              .port = (uint16_t)o->port,
	                                              .from = o->from ? &from : NULL});
	r = idx >= 0 ? &p.rules[idx] : NULL;
	verdict = r ? policy_action_name(r->action) : "deny";
	if (o->json) {
		json_t *doc = json_object();

		json_set_str(doc, "type", "policy-eval");
		json_set_str(doc, "verdict", verdict);
		json_set_str(doc, "proto", o->proto == POLICY_P_TCP ? "tcp" : "udp");
		json_set(doc, "port", json_integer(o->port));
		json_set_str(doc, "from", o->from);
		json_set(doc, "rule", policy_json_rule(r));
		json_set(doc, "default", json_boolean(!r));
		json_write_line(stdout, doc);
		json_decref(doc);
	} else {
		struct table *t = table_new();
		bool color = cmd_use_color(stdout, o->no_color);
		if (!t) {
			policy_free(&p);
			return EXIT_RUNTIME;
		}
		table_set_header(t, false);
		table_add_column(t, "", TABLE_LEFT);
		table_add_column(t, "", TABLE_LEFT);
		table_cell(t, "verdict");
		table_cell_color(t, verdict,
		                 r && r->action == POLICY_ALLOW ? TABLE_GREEN : TABLE_RED);
		table_cell(t, "for");
		table_cellf(t, "%ld/%s from %s", o->port, o->proto == POLICY_P_TCP ? "tcp" : "udp",
		            o->from ? o->from : "an address no FROM list names");
		table_cell(t, "rule");
		if (r)
			table_cellf(t, "line %u: %s", r->line, r->text);
		else
			table_cell(t, "none matches: the compiled chain's policy drops it");
		if (r) {
			table_cell(t, "label");
			table_cell(t, r->label ? r->label : "(none)");
		}
		table_render(t, stdout, color);
		table_free(t);
	}
	policy_free(&p);
	return EXIT_OK;
}

/* ---- compile, apply ---- */

int policy_cmd_refuse_nothing(const struct policy_opts *o, const struct policy *p, const char *verb)
{
	if (o->force || !policy_allows_nothing(p))
		return EXIT_OK;
	cmd_error(CMD,
	          "refusing to %s %s: %s, so every new connection to this machine would be "
	          "dropped (SSH included); --force does it anyway",
	          verb, o->file, p->nrules ? "it has no ALLOW rule" : "it has no rule");
	return EXIT_FINDINGS;
}

static int compile(const struct policy_opts *o, char **script, size_t *len)
{
	struct policy p = {0};
	struct policy_nft_opts no = {.source = strcmp(o->file, "-") ? o->file : "stdin",
	                             .no_ping = o->no_ping,
	                             .layout = o->maps ? POLICY_NFT_MAPS : POLICY_NFT_AUTO};
	struct policy_win_opts wo = {.source = no.source,
	                             .format = o->to == POLICY_TO_NETSH ? POLICY_WIN_NETSH
	                                                                : POLICY_WIN_POWERSHELL};
	char why[256];
	int st = policy_cmd_load(o, &p), rc;

	if (st == EXIT_OK)
		st = policy_cmd_refuse_nothing(o, &p, "compile");
	if (st == EXIT_OK && o->to != POLICY_TO_NFTABLES) {
		rc = policy_win_compile(&p, &wo, script, len, why, sizeof(why));
		if (rc == -EDOM) {
			st = cmd_usage(CMD, "compile --to %s: %s",
			               o->to == POLICY_TO_NETSH ? "netsh" : "windows", why);
		} else if (rc < 0) {
			cmd_error(CMD, "compile: %s", strerror(-rc));
			st = EXIT_RUNTIME;
		}
	} else if (st == EXIT_OK) {
		rc = policy_nft_compile(&p, &no, script, len);
		if (rc < 0) {
			cmd_error(CMD, "compile: %s", strerror(-rc));
			st = EXIT_RUNTIME;
		}
	}
	policy_free(&p);
	return st;
}

static int run_compile(const struct policy_opts *o)
{
	char *script = NULL;
	size_t len = 0;
	int st = compile(o, &script, &len);

	if (st != EXIT_OK)
		return st;
	if (fwrite(script, 1, len, stdout) != len || fflush(stdout) != 0) {
		cmd_error(CMD, "writing the ruleset: %s", strerror(errno));
		st = EXIT_RUNTIME;
	}
	free(script);
	return st;
}

/* ---- entry ---- */

static const struct cmd_spec sub_check, sub_eval, sub_compile, sub_apply, sub_import, sub_listening,
    sub_verify;

/* The options of a into o; the words: FILE, and TARGET for verify. Returns an exit status. */
static int policy_opts_from_args(const struct cmd_args *a, struct policy_opts *o)
{
	const char *sub = a->spec->name, *v;
	uint64_t n;

	*o = (struct policy_opts){.port = -1, .timing = -1, .confirm = -1};
	o->json = a->json;
	o->no_color = a->no_color;
	o->strict = cmd_has(a, OPT_STRICT);
	o->dry_run = cmd_has(a, OPT_DRY_RUN);
	o->no_ping = cmd_has(a, OPT_NO_PING);
	o->no_process = cmd_has(a, OPT_NO_PROCESS);
	o->all = cmd_has(a, OPT_ALL);
	o->maps = cmd_has(a, OPT_MAPS);
	o->force = cmd_has(a, OPT_FORCE);
	o->iif = cmd_get(a, OPT_IIF);
	if ((v = cmd_get(a, OPT_TO))) {
		if (!strcasecmp(v, "nftables") || !strcasecmp(v, "nft"))
			o->to = POLICY_TO_NFTABLES;
		else if (!strcasecmp(v, "windows") || !strcasecmp(v, "powershell"))
			o->to = POLICY_TO_WINDOWS;
		else if (!strcasecmp(v, "netsh"))
			o->to = POLICY_TO_NETSH;
		else
			return cmd_usage(CMD, "--to '%s': expected nftables, windows or netsh", v);
	}
	if (o->iif && (!*o->iif || strlen(o->iif) >= 16))
		return cmd_usage(CMD, "--iif '%s': expected an interface name", o->iif);
	if ((v = cmd_get(a, OPT_CONFIRM))) {
		if (strnum_u64(v, 0, 3600, &n) < 0)
			return cmd_usage(
			    CMD, "--confirm '%s': expected seconds 0-3600 (0: do not ask)", v);
		o->confirm = (int)n;
	}
	o->ports = cmd_get(a, 'p');
	o->from = cmd_has(a, OPT_FROM) ? cmd_get(a, OPT_FROM) : cmd_get(a, OPT_FROM_ADDRESS);
	if ((v = cmd_get(a, 'T'))) {
		if (strnum_u64(v, 0, 5, &n) < 0)
			return cmd_usage(CMD, "-T%s: expected a timing template 0-5", v);
		o->timing = (int)n;
	}
	if ((v = cmd_get(a, OPT_PROTO))) {
		if (!strcasecmp(v, "tcp"))
			o->proto = POLICY_P_TCP;
		else if (!strcasecmp(v, "udp"))
			o->proto = POLICY_P_UDP;
		else
			return cmd_usage(CMD, "--proto '%s': expected tcp or udp", v);
	}
	if ((v = cmd_get(a, OPT_PORT))) {
		if (strnum_u64(v, 1, 65535, &n) < 0)
			return cmd_usage(CMD, "--port '%s': expected a port 1-65535", v);
		o->port = (long)n;
	}
	if (a->spec == &sub_import) {
		/* an optional ruleset file (nft -j list ruleset), else the live one */
		o->file = a->nwords ? a->words[0] : NULL;
		return EXIT_OK;
	}
	if (a->nwords < 1)
		return cmd_usage(CMD, "%s needs a policy FILE (see --help)", sub);
	o->file = a->words[0];
	if (a->spec->max_words == 2) {
		if (a->nwords < 2)
			return cmd_usage(CMD, "%s needs a TARGET after FILE (see --help)", sub);
		o->target = a->words[1];
	}
	return EXIT_OK;
}

static const struct {
	const struct cmd_spec *spec;
	int (*run)(const struct policy_opts *o);
} runners[] = {
    {&sub_check, run_check},          {&sub_eval, run_eval},
    {&sub_compile, run_compile},      {&sub_apply, policy_cmd_apply},
    {&sub_import, policy_cmd_import}, {&sub_listening, policy_cmd_listening},
    {&sub_verify, policy_cmd_verify},
};

static int policy_run(const struct cmd_args *a)
{
	struct policy_opts o;
	int st = policy_opts_from_args(a, &o);

	for (size_t i = 0; st == EXIT_OK && i < ARRAY_SIZE(runners); i++)
		if (runners[i].spec == a->spec)
			return runners[i].run(&o);
	return st;
}

static const struct cmd_spec sub_check = {
    .name = "check",
    .usage = "[--strict] [--json] FILE",
    .summary = "syntax and lint: a policy that allows nothing, unreachable and\n"
               "shadowed rules, overlapping ranges, IPv4/IPv6 gaps, high-risk ports\n"
               "open to anywhere, hints naming another port's service, no default\n"
               "deny; exit 1 on a lint error (with --strict also on a warning)",
    .options = check_options,
    .max_words = 1,
    .run = policy_run,
};

static const struct cmd_spec sub_eval = {
    .name = "eval",
    .usage = "--proto tcp|udp --port N [--from ADDR] [--json] FILE",
    .summary = "the verdict for one connection and the rule that decides it",
    .options = eval_options,
    .max_words = 1,
    .run = policy_run,
};

static const struct cmd_spec sub_compile = {
    .name = "compile",
    .usage = "[--to nftables|windows|netsh] [--no-ping] [--maps] [--force] FILE",
    .summary = "the nftables ruleset (table inet " POLICY_NFT_TABLE ") on stdout; --to\n"
               "windows: a PowerShell script of Windows Firewall rules (default deny\n"
               "as the profiles' default inbound action), --to netsh: netsh lines",
    .options = compile_options,
    .max_words = 1,
    .run = policy_run,
};

static const struct cmd_spec sub_apply = {
    .name = "apply",
    .usage = "[--dry-run] [--confirm SECONDS] [--force] [--no-ping] [--maps] FILE",
    .summary = "load it atomically through libnftables (needs CAP_NET_ADMIN);\n"
               "refuses a policy that allows nothing (exit 1) or that would cut off\n"
               "the SSH connection it runs from (exit 3); --dry-run has the kernel\n"
               "check it without loading",
    .options = apply_options,
    .max_words = 1,
    .run = policy_run,
    .uses_capabilities = true,
};
static const struct cmd_spec sub_import = {
    .name = "import",
    .usage = "[--iif IFACE] [RULESET.json]",
    .summary = "the live nftables ruleset (ufw's iptables-nft tables too), or one\n"
               "saved with nft -j list ruleset, as a policy on stdout: the same verdict\n"
               "for every protocol, port and source; what the language cannot say is\n"
               "judged for one interface and commented",
    .options = import_options,
    .max_words = 1,
    .run = policy_run,
    .uses_capabilities = true, /* the live ruleset: CAP_NET_ADMIN */
};

static const struct cmd_spec sub_listening = {
    .name = "listening",
    .usage = "[--no-process] [--strict] [--json] FILE",
    .summary = "this machine's listening sockets and the rule that decides each\n"
               "for everyone; flags those the policy exposes to everyone\n"
               "(with --strict, exit 1 when there is one)",
    .options = listening_options,
    .max_words = 1,
    .run = policy_run,
};

static const struct cmd_spec sub_verify = {
    .name = "verify",
    .usage = "[-p PORTS] [-T0-5] [--from-address ADDR] [--all]\n"
             "                               [--json] FILE TARGET",
    .summary = "scan TARGET (TCP connect; UDP with a raw scan as root) and compare\n"
               "what answers with what the policy allows for the scanning\n"
               "address: a reachable port the policy denies is a violation (exit 1)",
    .options = verify_options,
    .max_words = 2,
    .run = policy_run,
    .uses_capabilities = true,
};

static const struct cmd_spec *const policy_subs[] = {
    &sub_check, &sub_eval, &sub_compile, &sub_apply, &sub_import, &sub_listening, &sub_verify, NULL,
};

const struct cmd_spec cmd_policy = {
    .name = "policy",
    .usage = "SUBCOMMAND [OPTIONS] FILE",
    .summary = "the docs' firewall language: check, eval, compile to nftables, apply, import",
    .about = "The firewall language of the docs, one rule a line, first match wins:\n"
             "  ALLOW TCP Port 80 (Web)\n"
             "  ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)\n"
             "  DENY ALL (Block everything else)\n"
             "ALLOW|DENY|REJECT, then TCP|UDP|ANY [PORT N|N-M|list [(service hint)]] or ALL\n"
             "(every protocol), [FROM ADDR|CIDR|list|ANY], an optional (label), # comments.\n"
             "FILE '-' is stdin. At most 65536 rules.\n",
    .epilog = "exit status: 0 ok, 1 lint findings (check), a policy that allows nothing,\n"
              "an apply not confirmed (rolled back), violations (verify) or exposed\n"
              "listeners (listening --strict), 2 bad usage or a syntax error, 3 runtime\n"
              "failure (permission, nftables refused the ruleset, an SSH lockout refused)\n",
    .subs = policy_subs,
};
