/* --help, generated from a command's table (see cmd.h), and cmd_run(). */
#include <errno.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "util/privdrop.h"

#define HELP_COLUMN_MAX 24 /* a longer option runs into its help, two spaces apart */

static const struct cmd_option help_row = {.name = "help", .letter = 'h', .help = "this help"};

/* "-S, --source-ip LIST", "-oX FILE", "--json": the left column of an option's row. */
static size_t left_text(const struct cmd_option *o, const struct cmd_choice *c, char *buf,
                        size_t len)
{
	const char *meta = c && c->metavar ? c->metavar : o->metavar;
	int n;

	if (c)
		n = snprintf(buf, len, "-%c%s", o->letter, c->word);
	else if (o->letter && o->name)
		n = snprintf(buf, len, "-%c, %s%s", o->letter, o->name[0] == '-' ? "" : "--",
		             o->name);
	else if (o->letter)
		n = snprintf(buf, len, "-%c", o->letter);
	else
		n = snprintf(buf, len, "%s%s", o->name[0] == '-' ? "" : "--", o->name);
	if (meta &&
	    (c ? o->arg == CMD_ARG_KEYED || (o->tail && c->metavar) : o->arg != CMD_ARG_NONE))
		n += snprintf(buf + n, len - (size_t)n, "%s%s", o->arg == CMD_ARG_GLUED ? "" : " ",
		              meta);
	return (size_t)n < len ? (size_t)n : len - 1;
}

/* Writes one row; the help's continuation lines line up under its first. */
static void row(FILE *f, const char *left, size_t width, const char *help)
{
	size_t l = strlen(left);
	const char *nl;

	fprintf(f, "  %s%*s", left, l < width ? (int)(width - l + 2) : 2, "");
	for (; (nl = strchr(help, '\n')); help = nl + 1)
		fprintf(f, "%.*s\n%*s", (int)(nl - help), help, (int)width + 4, "");
	fprintf(f, "%s\n", help);
}

/* Whether an earlier subcommand of parent than sub has o (listed once in the parent's help). */
static bool listed_before(const struct cmd_spec *parent, size_t sub, const struct cmd_option *o)
{
	for (size_t j = 0; j < sub; j++)
		for (const struct cmd_option *p = parent->subs[j]->options;
		     p && (p->name || p->letter); p++)
			if (p->letter == o->letter &&
			    (p->name == o->name ||
			     (p->name && o->name && !strcmp(p->name, o->name))))
				return true;
	return false;
}

/*
 * Calls fn on every row of spec's options in order (a command of subcommands:
 * theirs, each once), then on -h/--help: (o, NULL) for an option with help,
 * (o, &choice) for each of its choices. width is passed through.
 */
static void each_row(const struct cmd_spec *spec, FILE *f, size_t *width,
                     void (*fn)(FILE *f, const struct cmd_option *o, const struct cmd_choice *c,
                                size_t *width))
{
	size_t nsubs = 0;

	while (spec->subs && spec->subs[nsubs])
		nsubs++;
	for (size_t k = 0; k < (nsubs ? nsubs : 1); k++) {
		const struct cmd_option *o = nsubs ? spec->subs[k]->options : spec->options;

		for (; o && (o->name || o->letter); o++) {
			struct cmd_choice c;

			if (nsubs && listed_before(spec, k, o))
				continue;
			if (o->section && f)
				fprintf(f, "%s\n", o->section);
			for (size_t i = 0; o->choices && o->choices(i, &c); i++)
				fn(f, o, &c, width);
			if (o->help)
				fn(f, o, NULL, width);
		}
	}
	fn(f, &help_row, NULL, width);
}

/* The left column grows to the longest text that fits HELP_COLUMN_MAX. */
static void measure(FILE *f, const struct cmd_option *o, const struct cmd_choice *c, size_t *width)
{
	char left[96];
	size_t n = left_text(o, c, left, sizeof(left));

	(void)f;
	if (n > *width && n <= HELP_COLUMN_MAX)
		*width = n;
}

static void print_row(FILE *f, const struct cmd_option *o, const struct cmd_choice *c,
                      size_t *width)
{
	char left[96];

	left_text(o, c, left, sizeof(left));
	row(f, left, *width, c ? c->help : o->help);
}

void cmd_help(const struct cmd_spec *spec, const struct cmd_spec *parent, FILE *f)
{
	const char *top = parent ? parent->name : spec->name;

	if (spec->subs) {
		for (size_t i = 0; spec->subs[i]; i++)
			fprintf(f, "%s portscope %s %s %s\n", i ? "      " : "usage:", top,
			        spec->subs[i]->name, spec->subs[i]->usage);
	} else {
		fprintf(f, "usage: portscope %s%s%s %s\n", parent ? top : "", parent ? " " : "",
		        spec->name, spec->usage);
	}
	if (spec->about)
		fprintf(f, "\n%s", spec->about);
	else if (parent)
		fprintf(f, "\n%s\n", spec->summary); /* a subcommand: its line of the parent's */
	if (spec->subs) {
		size_t w = 0;

		for (size_t i = 0; spec->subs[i]; i++)
			if (strlen(spec->subs[i]->name) > w)
				w = strlen(spec->subs[i]->name);
		fputc('\n', f);
		for (size_t i = 0; spec->subs[i]; i++)
			row(f, spec->subs[i]->name, w, spec->subs[i]->summary);
	}
	fputc('\n', f);
	{
		size_t width = 10;

		each_row(spec, NULL, &width, measure);
		each_row(spec, f, &width, print_row);
	}
	if (spec->epilog)
		fprintf(f, "\n%s", spec->epilog);
}

int cmd_run(const struct cmd_spec *spec, int argc, char **argv)
{
	struct cmd_args a;
	char why[768];
	int r = cmd_parse(spec, argc, argv, &a, why, sizeof(why)), rc;

	if (r == -ENOMEM) {
		cmd_error(spec->name, "out of memory");
		rc = EXIT_RUNTIME;
	} else if (r < 0) {
		rc = cmd_usage(spec->name, "%s", why);
	} else if (a.help) {
		cmd_help(a.spec, a.parent, stdout);
		rc = EXIT_OK;
	} else if (!a.spec->uses_capabilities && privdrop_unneeded(why, sizeof(why)) < 0) {
		cmd_error(spec->name, "%s", why);
		rc = EXIT_RUNTIME;
	} else {
		rc = a.spec->run(&a);
	}
	cmd_args_free(&a);
	return rc;
}
