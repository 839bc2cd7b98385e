/* The command layer's one option parser (cmd/cmd.h): every rule, every message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "util/array.h"

#define ARGV(...) ((char **)(const char *[]){__VA_ARGS__, NULL})

enum { OPT_MAX = CMD_OPT_OWN, OPT_NO_HISTORY, OPT_NO_HOPE, OPT_IL, OPT_PN };

static bool letters(size_t i, struct cmd_choice *c)
{
	static const struct cmd_choice v[] = {{.word = "T", .help = "tee"},
	                                      {.word = "S", .help = "ess"},
	                                      {.word = "U", .help = "you"}};

	if (i >= ARRAY_SIZE(v))
		return false;
	*c = v[i];
	return true;
}

static bool formats(size_t i, struct cmd_choice *c)
{
	static const struct cmd_choice v[] = {
	    {.word = "N", .help = "normal"},
	    {.word = "X", .help = "xml"},
	    {.word = "A", .metavar = "BASE", .help = "all"},
	};

	if (i >= ARRAY_SIZE(v))
		return false;
	*c = v[i];
	return true;
}

static const struct cmd_option demo_options[] = {
    {.letter = 'v', .help = "more detail"},
    {.letter = 'p', .arg = CMD_ARG_REQUIRED, .metavar = "PORTS", .help = "ports"},
    {.name = "max",
     .id = OPT_MAX,
     .arg = CMD_ARG_REQUIRED,
     .once = true,
     .metavar = "N",
     .section = "Limits:",
     .help = "at most N\nresults, and a second line"},
    {.name = "no-history", .id = OPT_NO_HISTORY, .help = "no history"},
    {.name = "no-hope", .id = OPT_NO_HOPE, .help = "no hope"},
    {.letter = 's', .arg = CMD_ARG_GLUED, .choices = letters},
    {.letter = 'o', .arg = CMD_ARG_KEYED, .metavar = "FILE", .choices = formats},
    CMD_OPTION_JSON("one JSON document"),
    CMD_OPTION_NO_COLOR,
    CMD_OPTION_DB("the history file"),
    {0},
};

static int demo_run(const struct cmd_args *a)
{
	(void)a;
	return EXIT_OK;
}

static const struct cmd_spec demo = {
    .name = "demo",
    .usage = "[-v] [--max N] FILE [OTHER]",
    .summary = "a demo",
    .about = "What demo does.\n",
    .epilog = "That is all.\n",
    .options = demo_options,
    .max_words = 2,
    .run = demo_run,
};

static const struct cmd_option nmap_options[] = {
    {.name = "-iL", .id = OPT_IL, .arg = CMD_ARG_REQUIRED, .metavar = "FILE", .help = "list"},
    {.name = "-Pn", .id = OPT_PN, .help = "no ping"},
    {.name = "max", .id = OPT_MAX, .arg = CMD_ARG_REQUIRED, .metavar = "N", .help = "max"},
    {.letter = '6', .help = "IPv6"},
    {.letter = 'p', .arg = CMD_ARG_REQUIRED, .metavar = "PORTS", .help = "ports"},
    {.letter = 's', .arg = CMD_ARG_GLUED, .choices = letters},
    {0},
};

static const struct cmd_spec nmapish = {
    .name = "nm",
    .usage = "[OPTIONS] TARGET...",
    .options = nmap_options,
    .style = CMD_STYLE_NMAP,
    .max_words = -1,
    .run = demo_run,
};

static const struct cmd_option one_options[] = {
    {.name = "strict", .id = OPT_MAX, .help = "strict"},
    CMD_OPTION_JSON("json"),
    {0},
};
static const struct cmd_option two_options[] = {
    {.letter = 'p', .arg = CMD_ARG_REQUIRED, .help = "ports"},
    {.name = "from", .id = OPT_NO_HOPE, .arg = CMD_ARG_REQUIRED, .once = true, .help = "from"},
    {0},
};
static const struct cmd_spec sub_one = {.name = "one",
                                        .usage = "[--strict] FILE",
                                        .summary = "the first",
                                        .options = one_options,
                                        .max_words = 1,
                                        .run = demo_run};
static const struct cmd_spec sub_two = {.name = "two",
                                        .usage = "[-p P] FILE TARGET",
                                        .summary = "the second",
                                        .options = two_options,
                                        .max_words = 2,
                                        .run = demo_run};
static const struct cmd_spec *const subs[] = {&sub_one, &sub_two, NULL};
static const struct cmd_spec family = {
    .name = "fam", .usage = "SUB ...", .summary = "subcommands", .subs = subs};

static const struct cmd_spec numbers = {.name = "num",
                                        .usage = "PORT...",
                                        .options = one_options,
                                        .max_words = -1,
                                        .dash_digits_are_words = true,
                                        .run = demo_run};

/* Parses argv (NULL-terminated) against spec; expects rc, and why to hold msg. */
static void check(const struct cmd_spec *spec, char **argv, int rc, const char *msg,
                  struct cmd_args *a)
{
	char why[256] = "x";
	int argc = 0, r;

	while (argv[argc])
		argc++;
	r = cmd_parse(spec, argc, argv, a, why, sizeof(why));
	if (r != rc || (msg && !strstr(why, msg)))
		fail_msg("%s %s: got %d '%s', want %d '%s'", argv[0], argc > 1 ? argv[1] : "", r,
		         why, rc, msg ? msg : "");
	if (rc == 0)
		assert_string_equal(why, "");
	assert_null(strchr(why, '\n'));
}

static void bad(const struct cmd_spec *spec, char **argv, const char *msg)
{
	struct cmd_args a;

	check(spec, argv, -EINVAL, msg, &a);
	cmd_args_free(&a);
}

static void test_gnu(void **state)
{
	struct cmd_args a;

	(void)state;
	check(&demo, ARGV("demo", "-v", "f", "--max=3", "-p22", "g", "--json", "--db", "h.db"), 0,
	      NULL, &a);
	assert_ptr_equal(a.spec, &demo);
	assert_true(cmd_has(&a, 'v'));
	assert_string_equal(cmd_get(&a, OPT_MAX), "3");
	assert_string_equal(cmd_get(&a, 'p'), "22");
	assert_true(a.json && !a.no_color && !a.help);
	assert_string_equal(a.db, "h.db");
	assert_int_equal(a.nwords, 2);
	assert_string_equal(a.words[0], "f");
	assert_string_equal(a.words[1], "g");
	assert_string_equal(cmd_last(&a, 'p')->flag, "-p");
	assert_string_equal(cmd_last(&a, OPT_MAX)->flag, "--max");
	/* Common options are values too, in order: -v, --max, -p, --json, --db. */
	assert_int_equal(a.nvalues, 5);
	assert_int_equal(a.values[3].id, CMD_OPT_JSON);
	cmd_args_free(&a);

	/* Clusters, an argument in the next word, "--", "-" alone, prefixes. */
	check(&demo, ARGV("demo", "-vp", "80", "--no-c", "--no-hi", "--", "-v"), 0, NULL, &a);
	assert_string_equal(cmd_get(&a, 'p'), "80");
	assert_true(a.no_color && cmd_has(&a, OPT_NO_HISTORY) && !cmd_has(&a, OPT_NO_HOPE));
	assert_int_equal(a.nwords, 1);
	assert_string_equal(a.words[0], "-v");
	cmd_args_free(&a);
	check(&demo, ARGV("demo", "-", "-p", "-v"), 0, NULL, &a);
	assert_string_equal(a.words[0], "-");
	assert_string_equal(cmd_get(&a, 'p'), "-v"); /* an argument may start with '-' */
	assert_false(cmd_has(&a, 'v'));
	cmd_args_free(&a);

	/* Glued and keyed choices. */
	check(&demo, ARGV("demo", "-sSU", "-oXa.xml", "-oN", "b", "-oA", "c"), 0, NULL, &a);
	assert_string_equal(cmd_get(&a, 's'), "SU");
	assert_string_equal(cmd_last(&a, 's')->flag, "-sSU");
	assert_int_equal(cmd_count(&a, 'o'), 3);
	assert_string_equal(a.values[1].key, "X");
	assert_string_equal(a.values[1].arg, "a.xml");
	assert_string_equal(a.values[1].flag, "-oX");
	assert_string_equal(a.values[2].key, "N");
	assert_string_equal(a.values[2].arg, "b");
	assert_string_equal(cmd_last(&a, 'o')->key, "A");
	cmd_args_free(&a);

	/* Help anywhere stops everything else. */
	check(&demo, ARGV("demo", "--frob", "-h"), -EINVAL, "--frob", &a);
	cmd_args_free(&a);
	check(&demo, ARGV("demo", "-h", "--frob", "a", "b", "c"), 0, NULL, &a);
	assert_true(a.help);
	cmd_args_free(&a);
	check(&demo, ARGV("demo", "--he"), 0, NULL, &a);
	assert_true(a.help);
	cmd_args_free(&a);
}

static void test_gnu_errors(void **state)
{
	(void)state;
	bad(&demo, ARGV("demo", "--frob"), "unknown option '--frob' (see --help)");
	bad(&demo, ARGV("demo", "-x"), "unknown option '-x' (see --help)");
	bad(&demo, ARGV("demo", "-vx"), "unknown option '-x'");
	bad(&demo, ARGV("demo", "--max"), "option '--max' needs an argument (see --help)");
	bad(&demo, ARGV("demo", "-p"), "option '-p' needs an argument");
	bad(&demo, ARGV("demo", "--json=yes"), "option '--json' takes no argument");
	bad(&demo, ARGV("demo", "--no"), "option '--no' is ambiguous");
	bad(&demo, ARGV("demo", "--max", "1", "--max=2"), "--max given twice (see --help)");
	bad(&demo, ARGV("demo", "--db="), "--db: empty path");
	bad(&demo, ARGV("demo", "-s"), "option '-s' needs one of -sT, -sS, -sU (see --help)");
	bad(&demo, ARGV("demo", "-sTQ"), "unknown option '-sTQ'");
	bad(&demo, ARGV("demo", "-oZ", "f"), "unknown option '-oZ'");
	bad(&demo, ARGV("demo", "-oX"), "option '-oX' needs an argument");
	bad(&demo, ARGV("demo", "a", "b", "c"),
	    "unexpected argument 'c' after OTHER: demo takes at most two arguments");
	bad(&sub_one, ARGV("one", "F", "G"),
	    "unexpected argument 'G' after FILE: one takes at most one argument");
	bad(&cmd_version, ARGV("version", "x"), "unexpected argument 'x' (see --help)");
}

static void test_nmap(void **state)
{
	struct cmd_args a;

	(void)state;
	check(&nmapish,
	      ARGV("nm", "-iL", "l", "-Pn", "-max", "5", "--max=6", "-p22", "-6", "t", "-sS"), 0,
	      NULL, &a);
	assert_string_equal(cmd_get(&a, OPT_IL), "l");
	assert_true(cmd_has(&a, OPT_PN) && cmd_has(&a, '6'));
	assert_int_equal(cmd_count(&a, OPT_MAX), 2);
	assert_string_equal(cmd_get(&a, OPT_MAX), "6");
	assert_string_equal(cmd_get(&a, 'p'), "22");
	assert_string_equal(cmd_get(&a, 's'), "S");
	assert_int_equal(a.nwords, 1);
	cmd_args_free(&a);
	/* No clustering, no prefixes: the word is the option. */
	bad(&nmapish, ARGV("nm", "-6p"), "unknown option '-6p'");
	bad(&nmapish, ARGV("nm", "-P"), "unknown option '-P'");
	bad(&nmapish, ARGV("nm", "-Px"), "unknown option '-Px'");
	bad(&nmapish, ARGV("nm", "--ma", "1"), "unknown option '--ma'");
	bad(&nmapish, ARGV("nm", "-iL"), "option '-iL' needs an argument");
}

static void test_subcommands(void **state)
{
	struct cmd_args a;

	(void)state;
	check(&family, ARGV("fam", "two", "-p", "1", "F", "T"), 0, NULL, &a);
	assert_ptr_equal(a.spec, &sub_two);
	assert_ptr_equal(a.parent, &family);
	assert_int_equal(a.nwords, 2);
	assert_string_equal(a.words[1], "T");
	cmd_args_free(&a);
	check(&family, ARGV("fam", "--help"), 0, NULL, &a);
	assert_true(a.help);
	assert_ptr_equal(a.spec, &family);
	cmd_args_free(&a);
	check(&family, ARGV("fam", "one", "-h"), 0, NULL, &a);
	assert_true(a.help);
	assert_ptr_equal(a.spec, &sub_one);
	cmd_args_free(&a);
	bad(&family, ARGV("fam"), "needs a subcommand: one or two (see --help)");
	bad(&family, ARGV("fam", "three"), "unknown subcommand 'three': expected one or two");
	bad(&family, ARGV("fam", "one", "-p", "1", "F"),
	    "option '-p' does not apply to 'fam one' (see --help)");
	bad(&family, ARGV("fam", "two", "--strict", "F"),
	    "option '--strict' does not apply to 'fam two'");
	bad(&family, ARGV("fam", "two", "--frob", "F"), "unknown option '--frob'");
	bad(&family, ARGV("fam", "two", "--from", "a", "--from", "b"), "--from given twice");
	bad(&family, ARGV("fam", "two", "F", "T", "x"),
	    "unexpected argument 'x' after TARGET: fam two takes at most two arguments");
}

static void test_dash_digits(void **state)
{
	struct cmd_args a;

	(void)state;
	check(&numbers, ARGV("num", "-1", "22", "--json"), 0, NULL, &a);
	assert_int_equal(a.nwords, 2);
	assert_string_equal(a.words[0], "-1");
	assert_true(a.json);
	cmd_args_free(&a);
	bad(&demo, ARGV("demo", "-1"), "unknown option '-1'");
}

/* The help, generated: usage, about, sections, aligned rows, choices, continuation lines. */
static void test_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	cmd_help(&demo, NULL, f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: portscope demo [-v] [--max N] FILE [OTHER]\n\n"
	                            "What demo does.\n\n"));
	assert_non_null(strstr(buf, "  -v            more detail\n"));
	assert_non_null(strstr(buf, "Limits:\n  --max N       at most N\n"
	                            "                results, and a second line\n"));
	assert_non_null(strstr(buf, "  -sT           tee\n"));
	assert_non_null(strstr(buf, "  -oX FILE      xml\n"));
	assert_non_null(strstr(buf, "  -oA BASE      all\n"));
	assert_non_null(strstr(buf, "  --db PATH     the history file\n"));
	assert_non_null(strstr(buf, "  -h, --help    this help\n\nThat is all.\n"));
	free(buf);

	f = open_memstream(&buf, &len);
	cmd_help(&family, NULL, f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: portscope fam one [--strict] FILE\n"
	                            "       portscope fam two [-p P] FILE TARGET\n"));
	assert_non_null(strstr(buf, "  one  the first\n  two  the second\n"));
	/* Every subcommand's options, each once. */
	assert_non_null(strstr(buf, "--strict"));
	assert_non_null(strstr(buf, "--from"));
	free(buf);

	f = open_memstream(&buf, &len);
	cmd_help(&sub_two, &family, f);
	fclose(f);
	assert_non_null(strstr(buf, "usage: portscope fam two [-p P] FILE TARGET\n\nthe second\n"));
	assert_null(strstr(buf, "--strict"));
	free(buf);
}

/* An options table is well formed: help or choices, arguments named, no -h of its own. */
static void check_options(const struct cmd_option *o)
{
	for (; o && (o->name || o->letter); o++) {
		assert_true(o->help || o->choices || o->id == CMD_OPT_NO_COLOR);
		/* GLUED and KEYED take their words from choices(), but a bare GLUED
		 * option (-d, -d2) whose glued part is free text */
		assert_true((o->arg == CMD_ARG_GLUED || o->arg == CMD_ARG_KEYED) ==
		            (o->choices != NULL || (o->bare && o->arg == CMD_ARG_GLUED)));
		assert_true(!o->bare || o->arg == CMD_ARG_GLUED);
		assert_true(o->letter != 'h');
		assert_true(!o->name || (o->name[0] != '-' || o->name[1] != '-'));
		if (o->arg == CMD_ARG_REQUIRED || o->arg == CMD_ARG_KEYED)
			assert_non_null(o->metavar);
	}
}

/* Every command of the registry: complete, names unique, options well formed. */
static void test_registry(void **state)
{
	(void)state;
	for (size_t i = 0; cmd_specs[i]; i++) {
		const struct cmd_spec *s = cmd_specs[i];

		assert_non_null(s->name);
		assert_non_null(s->usage);
		assert_non_null(s->summary);
		assert_true(s->run || s->subs);
		assert_ptr_equal(cmd_find(cmd_specs, s->name), s);
		check_options(s->options);
		for (size_t k = 0; s->subs && s->subs[k]; k++) {
			assert_non_null(s->subs[k]->run);
			assert_non_null(s->subs[k]->usage);
			assert_non_null(s->subs[k]->summary);
			assert_ptr_equal(cmd_find(s->subs, s->subs[k]->name), s->subs[k]);
			check_options(s->subs[k]->options);
		}
	}
	assert_null(cmd_find(cmd_specs, "frobnicate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gnu),         cmocka_unit_test(test_gnu_errors),
	    cmocka_unit_test(test_nmap),        cmocka_unit_test(test_subcommands),
	    cmocka_unit_test(test_dash_digits), cmocka_unit_test(test_help),
	    cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
