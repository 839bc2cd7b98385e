/*
 * The command layer's one option parser, in the manner of tmux's cmd_entry and
 * args_parse(): a command declares its name, usage, help and options once, as
 * data (struct cmd_spec); cmd_parse() reads argv against it for every command,
 * with the same wording everywhere; the command's run() then reads the parsed
 * words (struct cmd_args). --help output and, later, the shell completions are
 * generated from the same tables, so a table holds no code but the choices()
 * iterators that read a registry.
 *
 * Worked example, a command `portscope demo [-v] [--max N] [--json] FILE...`:
 *
 *   enum { OPT_MAX = CMD_OPT_OWN };
 *   static const struct cmd_option demo_options[] = {
 *       {.letter = 'v', .help = "more detail"},
 *       {.name = "max", .id = OPT_MAX, .arg = CMD_ARG_REQUIRED, .metavar = "N",
 *        .help = "at most N results", .once = true},
 *       CMD_OPTION_JSON("one JSON document"),
 *       CMD_OPTION_NO_COLOR,
 *       {0},
 *   };
 *   static int demo_run(const struct cmd_args *a)
 *   {
 *       bool verbose = cmd_has(a, 'v');
 *       const char *max = cmd_get(a, OPT_MAX);     // NULL when not given
 *       ... a->json, a->no_color, a->words[0 .. a->nwords) ...
 *   }
 *   const struct cmd_spec cmd_demo = {
 *       .name = "demo", .usage = "[-v] [--max N] [--json] FILE...",
 *       .summary = "one line for portscope --help",
 *       .about = "What demo does, a paragraph.\n",
 *       .options = demo_options, .max_words = -1, .run = demo_run,
 *   };
 *
 * and one line in the registry (commands.c). Then:
 *   portscope demo -v a b --max=3   → run() with 'v', OPT_MAX "3", words {a, b}
 *   portscope demo --max 3 --max 4  → "portscope demo: --max given twice (see --help)", exit 2
 *   portscope demo --frob           → "portscope demo: unknown option '--frob' (see --help)"
 *   portscope demo --max            → "portscope demo: option '--max' needs an argument
 *                                      (see --help)"
 *   portscope demo --json=1         → "portscope demo: option '--json' takes no argument"
 *   portscope demo -h               → the help, generated, exit 0 (also `portscope help demo`)
 *
 * The rules (both styles):
 *   - options and words mix in any order; "--" ends the options; "-" alone is a word;
 *   - --name VALUE, --name=VALUE; -x VALUE, -xVALUE; a name may be abbreviated to
 *     any unambiguous prefix (--no-hist), as getopt_long() allowed;
 *   - -h or --help stops the parse where it stands: the help is printed, nothing
 *     after it is checked, nothing is run;
 *   - more words than max_words: "unexpected argument 'W' (see --help)" for a command
 *     that takes none, else "unexpected argument 'W' after LAST: CMD takes at most N
 *     arguments (USAGE)".
 * CMD_STYLE_GNU (the default): -tulnp is -t -u -l -n -p. CMD_STYLE_NMAP (scan):
 * a name may also take one dash (-iL, -exclude); no clustering: -6x is an unknown
 * option; a name written "-iL" in the table is shown with one dash in the help.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of the CLI contract (DESIGN.md). */
enum {
	EXIT_OK = 0,
	EXIT_FINDINGS = 1, /* findings at/above --fail-on, violations, differences */
	EXIT_USAGE = 2,    /* bad usage or input */
	EXIT_RUNTIME = 3,  /* permission, resource */
};

enum cmd_arg {
	CMD_ARG_NONE = 0, /* a flag: --json, -6 */
	CMD_ARG_REQUIRED, /* --db PATH, --db=PATH, -p 22, -p22 */
	CMD_ARG_GLUED,    /* the rest of the word only, never the next one: -sSU → "SU" */
	CMD_ARG_KEYED,    /* one of choices() glued on, then an argument: -oX FILE, -oXFILE */
};

enum cmd_style {
	CMD_STYLE_GNU = 0,
	CMD_STYLE_NMAP,
};

/* The ids the parser answers itself: they fill struct cmd_args, not values. */
enum {
	CMD_OPT_HELP = 1000, /* -h, --help: added to every command */
	CMD_OPT_JSON,        /* --json → a->json */
	CMD_OPT_NO_COLOR,    /* --no-color → a->no_color */
	CMD_OPT_DB,          /* --db PATH → a->db */
	CMD_OPT_OWN = 1100,  /* a command's own long-only ids start here */
};

/* One word an option's argument may be (a scan technique, an output format). */
struct cmd_choice {
	const char *word;    /* "T" of -sT, "X" of -oX */
	const char *metavar; /* the argument after it (KEYED), "FILE"; NULL: the option's */
	const char *help;    /* one line */
};

struct cmd_option {
	const char *name; /* "fail-on" for --fail-on ("-iL": one dash, NMAP); NULL: letter only */
	char letter;      /* 'p' for -p; 0: name only */
	int id;           /* what cmd_has()/cmd_get() take; 0: the letter */
	enum cmd_arg arg; /* takes an argument, and how */
	bool once;        /* given twice is an error ("-p given twice") */
	bool bare;        /* GLUED: the letter alone is allowed too (-d, -d2), its argument "" */
	const char *metavar; /* "PORTS": the argument in --help, usage errors and completions */
	const char *help;    /* one line ('\n' continues it); NULL: not listed (an alias) */
	const char *section; /* a heading printed before this option in --help ("Ports:") */
	/*
	 * How shells complete the argument: CMD_COMPLETE_FILE, _DIR, _NETNS, or
	 * words separated by '|' ("high|medium|low|info"); NULL: nothing to offer.
	 */
	const char *complete;
	/* GLUED and KEYED: the i-th word the argument may be, false past the last. */
	bool (*choices)(size_t i, struct cmd_choice *c);
	/*
	 * GLUED: one choice, then any text glued on for the command to read
	 * (-PS22,80: choice S, "22,80"), instead of choices one after another.
	 */
	bool tail;
};

#define CMD_COMPLETE_FILE  "@file"
#define CMD_COMPLETE_DIR   "@dir"
#define CMD_COMPLETE_NETNS "@netns"

/* The common options, each with the same name, meaning and wording everywhere. */
#define CMD_OPTION_JSON(what)                                                                      \
	{                                                                                          \
		.name = "json", .id = CMD_OPT_JSON, .help = (what)                                 \
	}
#define CMD_OPTION_NO_COLOR                                                                        \
	{                                                                                          \
		.name = "no-color", .id = CMD_OPT_NO_COLOR, .help = "no colour (also NO_COLOR)"    \
	}
#define CMD_OPTION_DB(what)                                                                        \
	{                                                                                          \
		.name = "db", .id = CMD_OPT_DB, .arg = CMD_ARG_REQUIRED, .metavar = "PATH",        \
		.complete = CMD_COMPLETE_FILE, .help = (what)                                      \
	}
#define CMD_DB_DEFAULT "$XDG_STATE_HOME/portscope/history.db"
/* --prometheus FILE (audit, scan): the run's metrics as a node_exporter textfile. */
#define CMD_OPTION_PROMETHEUS(id_, what)                                                           \
	{                                                                                          \
		.name = "prometheus", .id = (id_), .arg = CMD_ARG_REQUIRED, .metavar = "FILE",     \
		.complete = CMD_COMPLETE_FILE, .once = true, .help = (what)                        \
	}

#define CMD_DB_HELP                                                                                \
	"the history file (default " CMD_DB_DEFAULT "),\n"                                         \
	"or a PostgreSQL database: postgresql://USER@HOST/DB or 'host=H dbname=DB'"

struct cmd_args;

struct cmd_spec {
	const char *name;    /* "audit"; a subcommand's own name: "check" */
	const char *usage;   /* after "usage: portscope NAME ": "[OPTIONS] [TARGET...]" */
	const char *summary; /* one line in `portscope --help` (or the parent's help) */
	const char *about;   /* what --help says between the usage and the options */
	const char *epilog;  /* what --help says after the options; NULL: nothing */
	const struct cmd_option *options; /* {0}-terminated; -h/--help is implied */
	enum cmd_style style;
	int max_words;              /* words (non-options) it takes at most; -1: any number */
	bool dash_digits_are_words; /* "-1" is a (bad) word, not an option (info's ports) */
	/* A command of subcommands (policy): NULL-terminated; the first word picks one. */
	const struct cmd_spec *const *subs;
	/*
	 * Raw sockets or nftables (CAP_NET_RAW, CAP_NET_ADMIN): keeps the file
	 * capabilities of the packaged binary; any other command drops them before
	 * it runs (privdrop_unneeded()).
	 */
	bool uses_capabilities;
	/* Runs the command on what cmd_parse() read; returns an EXIT_* status. */
	int (*run)(const struct cmd_args *a);
};

/* One option as given, in command-line order. */
struct cmd_value {
	const struct cmd_option *opt;
	int id;          /* opt->id, or its letter */
	const char *arg; /* its argument (KEYED: after the key); NULL for a flag */
	const char *key; /* KEYED: the choice's word ("X" of -oX); NULL otherwise */
	char flag[32];   /* as written, without a value: "--fail-on", "-p", "-oX", "-iL" */
};

struct cmd_args {
	const struct cmd_spec *spec;   /* the command, or the subcommand chosen */
	const struct cmd_spec *parent; /* the command of subcommands; NULL: none */
	int argc;                      /* argv as given, argv[0] the command's name */
	char **argv;
	bool help;      /* -h/--help: nothing else was checked */
	bool json;      /* --json */
	bool no_color;  /* --no-color */
	const char *db; /* --db PATH; NULL: not given */
	char **words;   /* the words that are no options, in order */
	size_t nwords;
	struct cmd_value *values; /* every other option, in order */
	size_t nvalues;
};

/*
 * Reads argv (argv[0] is the command's name; for a command of subcommands
 * argv[1] names one) against spec into a, which the caller releases with
 * cmd_args_free() whatever the result. Returns 0, -EINVAL with a one-line
 * reason naming the bad word in why, or -ENOMEM. Prints nothing.
 */
int cmd_parse(const struct cmd_spec *spec, int argc, char **argv, struct cmd_args *a, char *why,
              size_t whylen);
void cmd_args_free(struct cmd_args *a);

/* Whether an option of this id was given; how many times. */
bool cmd_has(const struct cmd_args *a, int id);
size_t cmd_count(const struct cmd_args *a, int id);
/* The last value of this id, or NULL. */
const struct cmd_value *cmd_last(const struct cmd_args *a, int id);
/* The argument of the last value of this id, or NULL. */
const char *cmd_get(const struct cmd_args *a, int id);

/*
 * Parses argv against spec and runs it: prints the help (exit 0) or the usage
 * error (one line, exit 2), else returns spec's run() status.
 */
int cmd_run(const struct cmd_spec *spec, int argc, char **argv);

/* Writes spec's --help (a command of subcommands: all of them) to f. */
void cmd_help(const struct cmd_spec *spec, const struct cmd_spec *parent, FILE *f);

/* The registry of commands, NULL-terminated, in the order of `portscope --help`. */
extern const struct cmd_spec *const cmd_specs[];

/* The command called name, or NULL. */
const struct cmd_spec *cmd_find(const struct cmd_spec *const *specs, const char *name);
