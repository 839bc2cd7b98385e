/*
 * portscope completion bash|zsh|fish: the shell completions, written from the
 * command registry and the option tables (cmd.h), so that they follow every
 * command and option as --help does. Hidden from `portscope --help`; meson
 * runs it at build time and installs what it prints.
 *
 * What a table says and what each shell gets:
 *   {.name = "db", .arg = CMD_ARG_REQUIRED, .complete = CMD_COMPLETE_FILE}
 *       → --db offered; the next word (or --db=) completes to files
 *   {.name = "-iL", ...}   (CMD_STYLE_NMAP) → -iL, one dash, as written
 *   {.letter = 's', .arg = CMD_ARG_GLUED, .choices = ...} → -sS -sT -sU ... offered
 *   {.letter = 'o', .arg = CMD_ARG_KEYED, .choices = ...} → -oN -oX ... each taking a word
 *   .complete = "high|medium|low|info" → those words; NULL → nothing (a free PORTS, N)
 *   .help = NULL (an alias) → accepted, not offered
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/common.h"

/* One way of writing an option: "--db", "-p", "-iL", "-sS", "-oX". */
struct form {
	char flag[40];
	bool takes_arg;       /* the next word (or =VALUE) is its argument */
	const char *complete; /* how that argument completes (cmd.h), NULL: free text */
	const char *help;     /* NULL: an alias, accepted but not offered */
	const char *metavar;
};

typedef void (*form_fn)(FILE *f, const struct cmd_spec *spec, const char *path,
                        const struct form *fm);

static const struct cmd_option help_option = {.name = "help", .letter = 'h', .help = "this help"};

/* Calls fn on every form of option o. */
static void option_forms(FILE *f, const struct cmd_spec *spec, const char *path,
                         const struct cmd_option *o, form_fn fn)
{
	struct form fm;
	struct cmd_choice c;

	if (o->arg == CMD_ARG_GLUED || o->arg == CMD_ARG_KEYED) {
		if (o->bare) { /* -d alone (its levels, -d2 …, are free text) */
			fm = (struct form){.help = o->help};
			snprintf(fm.flag, sizeof(fm.flag), "-%c", o->letter);
			fn(f, spec, path, &fm);
		}
		for (size_t i = 0; o->choices && o->choices(i, &c); i++) {
			fm = (struct form){.takes_arg = o->arg == CMD_ARG_KEYED,
			                   .complete = o->complete,
			                   .help = c.help,
			                   .metavar = c.metavar ? c.metavar : o->metavar};
			snprintf(fm.flag, sizeof(fm.flag), "-%c%s", o->letter, c.word);
			fn(f, spec, path, &fm);
		}
		return;
	}
	fm = (struct form){.takes_arg = o->arg == CMD_ARG_REQUIRED,
	                   .complete = o->complete,
	                   .help = o->help,
	                   .metavar = o->metavar};
	if (o->letter) {
		snprintf(fm.flag, sizeof(fm.flag), "-%c", o->letter);
		fn(f, spec, path, &fm);
	}
	if (o->name) {
		snprintf(fm.flag, sizeof(fm.flag), "%s%s", o->name[0] == '-' ? "" : "--", o->name);
		fn(f, spec, path, &fm);
	}
}

/* Calls fn on every form of every option of spec, then on -h and --help. */
static void each_form(FILE *f, const struct cmd_spec *spec, const char *path, form_fn fn)
{
	for (const struct cmd_option *o = spec->options; o && (o->name || o->letter); o++)
		option_forms(f, spec, path, o, fn);
	option_forms(f, spec, path, &help_option, fn);
}

/* Calls fn(spec, "policy check") on every command and subcommand, parents first. */
static void each_command(FILE *f, void (*fn)(FILE *f, const struct cmd_spec *s, const char *path,
                                             const struct cmd_spec *parent))
{
	char path[64];

	for (size_t i = 0; cmd_specs[i]; i++) {
		const struct cmd_spec *s = cmd_specs[i];

		fn(f, s, s->name, NULL);
		for (size_t k = 0; s->subs && s->subs[k]; k++) {
			snprintf(path, sizeof(path), "%s %s", s->name, s->subs[k]->name);
			fn(f, s->subs[k], path, s);
		}
	}
}

/*
 * Writes the first n bytes of s on one line (a help's line breaks become
 * spaces), every ' as '\'' (inside a single-quoted shell word).
 */
static void put_quoted(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(s[i] == '\n' ? ' ' : s[i], f);
	}
}

/* Writes a '|'-separated word list with spaces between the words. */
static void put_words(FILE *f, const char *list)
{
	for (const char *p = list; *p; p++)
		fputc(*p == '|' ? ' ' : *p, f);
}

/* What one shell writes for an option's argument, by the table's .complete. */
struct arg_actions {
	const char *free;                     /* NULL: a free argument (PORTS, N) */
	const char *file;                     /* CMD_COMPLETE_FILE */
	const char *dir;                      /* CMD_COMPLETE_DIR */
	const char *netns;                    /* CMD_COMPLETE_NETNS */
	const char *words_open, *words_close; /* around "high medium low info" */
};

static void put_action(FILE *f, const struct arg_actions *a, const char *complete)
{
	if (!complete)
		fputs(a->free, f);
	else if (!strcmp(complete, CMD_COMPLETE_FILE))
		fputs(a->file, f);
	else if (!strcmp(complete, CMD_COMPLETE_DIR))
		fputs(a->dir, f);
	else if (!strcmp(complete, CMD_COMPLETE_NETNS))
		fputs(a->netns, f);
	else {
		fputs(a->words_open, f);
		put_words(f, complete);
		fputs(a->words_close, f);
	}
}

/* bash ------------------------------------------------------------------ */

static void bash_offered(FILE *f, const struct cmd_spec *spec, const char *path,
                         const struct form *fm)
{
	(void)spec, (void)path;
	if (fm->help)
		fprintf(f, " %s", fm->flag);
}

static void bash_takes_arg(FILE *f, const struct cmd_spec *spec, const char *path,
                           const struct form *fm)
{
	(void)spec, (void)path;
	if (fm->takes_arg)
		fprintf(f, " %s", fm->flag);
}

static void bash_value(FILE *f, const struct cmd_spec *spec, const char *path,
                       const struct form *fm)
{
	static const struct arg_actions bash = {
	    .file = "_filedir ;;\n",
	    .dir = "_filedir -d ;;\n",
	    .netns = "_portscope_words \"$(_portscope_netns)\" ;;\n",
	    .words_open = "_portscope_words '",
	    .words_close = "' ;;\n",
	};

	(void)spec;
	if (!fm->takes_arg || !fm->complete)
		return;
	fprintf(f, "    '%s %s') ", path, fm->flag);
	put_action(f, &bash, fm->complete);
}

static void bash_spec(FILE *f, const struct cmd_spec *s, const char *path,
                      const struct cmd_spec *parent)
{
	(void)parent;
	fprintf(f, "    '%s')\n        opts='", path);
	each_form(f, s, path, bash_offered);
	fputs("'\n        argopts='", f);
	each_form(f, s, path, bash_takes_arg);
	fputs("'\n", f);
	if (s->subs) {
		fputs("        subs='", f);
		for (size_t k = 0; s->subs[k]; k++)
			fprintf(f, " %s", s->subs[k]->name);
		fputs("'\n", f);
	}
	fputs("        ;;\n", f);
}

static void bash_values(FILE *f, const struct cmd_spec *s, const char *path,
                        const struct cmd_spec *parent)
{
	(void)parent;
	each_form(f, s, path, bash_value);
}

static void completion_bash(FILE *f)
{
	fputs("# bash completion for portscope(1), written by `portscope completion bash`\n"
	      "# from the command and option tables: regenerate, do not edit.\n"
	      "\n"
	      "# Sets opts (offered), argopts (they take the next word) and subs of the\n"
	      "# command path $1 ('' for portscope itself, 'scan', 'policy check').\n"
	      "_portscope_spec()\n"
	      "{\n"
	      "    opts= argopts= subs=\n"
	      "    case $1 in\n"
	      "    '')\n"
	      "        opts=' -h --help --version'\n"
	      "        subs='",
	      f);
	for (size_t i = 0; cmd_specs[i]; i++)
		fprintf(f, " %s", cmd_specs[i]->name);
	fputs("'\n        ;;\n", f);
	each_command(f, bash_spec);
	fputs("    esac\n"
	      "}\n"
	      "\n"
	      "_portscope_words()\n"
	      "{\n"
	      "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
	      "}\n"
	      "\n"
	      "_portscope_netns()\n"
	      "{\n"
	      "    ip netns list 2>/dev/null | cut -d' ' -f1\n"
	      "    echo all\n"
	      "}\n"
	      "\n"
	      "# The argument of option $2 of command path $1; free text (PORTS, N) gets nothing.\n"
	      "_portscope_value()\n"
	      "{\n"
	      "    case \"$1 $2\" in\n",
	      f);
	each_command(f, bash_values);
	fputs("    *) ;;\n"
	      "    esac\n"
	      "}\n"
	      "\n"
	      "_portscope()\n"
	      "{\n"
	      "    local cur prev words cword split\n"
	      "    _init_completion -s || return\n"
	      "\n"
	      "    local path= opts argopts subs i w\n"
	      "    _portscope_spec ''\n"
	      "    for ((i = 1; i < cword; i++)); do\n"
	      "        w=${words[i]}\n"
	      "        if [[ \" $argopts \" == *\" $w \"* ]]; then\n"
	      "            ((i++))\n"
	      "        elif [[ $w != -* && \" $subs \" == *\" $w \"* ]]; then\n"
	      "            path=${path:+$path }$w\n"
	      "            _portscope_spec \"$path\"\n"
	      "        fi\n"
	      "    done\n"
	      "    if $split || [[ \" $argopts \" == *\" $prev \"* ]]; then\n"
	      "        _portscope_value \"$path\" \"$prev\"\n"
	      "        return\n"
	      "    fi\n"
	      "    if [[ $cur == -* ]]; then\n"
	      "        _portscope_words \"$opts\"\n"
	      "    elif [[ -n $subs ]]; then\n"
	      "        _portscope_words \"$subs\"\n"
	      "    else\n"
	      "        _filedir\n"
	      "    fi\n"
	      "}\n"
	      "complete -F _portscope portscope\n",
	      f);
}

/* zsh ------------------------------------------------------------------- */

/* Writes a help on one line for inside a single-quoted _arguments spec's [...]. */
static void zsh_put_help(FILE *f, const char *help)
{
	size_t n = strlen(help);

	for (size_t i = 0; i < n; i++) {
		if (help[i] == '[' || help[i] == ']' || help[i] == '\\')
			fputc('\\', f);
		if (help[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(help[i] == '\n' ? ' ' : help[i], f);
	}
}

static void zsh_form(FILE *f, const struct cmd_spec *spec, const char *path, const struct form *fm)
{
	static const struct arg_actions zsh = {
	    .free = " ",
	    .file = "_files",
	    .dir = "_files -/",
	    .netns = "_portscope_netns",
	    .words_open = "(",
	    .words_close = ")",
	};
	bool gnu_long = !strncmp(fm->flag, "--", 2);

	(void)spec, (void)path;
	if (!fm->help)
		return;
	/* --db= takes --db=PATH and --db PATH; -p+ takes -pLIST and -p LIST. */
	fprintf(f, " \\\n    '%s%s[", fm->flag, fm->takes_arg ? (gnu_long ? "=" : "+") : "");
	zsh_put_help(f, fm->help);
	fputc(']', f);
	if (fm->takes_arg) {
		fprintf(f, ":%s:", fm->metavar ? fm->metavar : "value");
		put_action(f, &zsh, fm->complete);
	}
	fputc('\'', f);
}

/* The function name of a command path: "policy check" → _portscope_policy_check. */
static void zsh_fn_name(FILE *f, const char *path)
{
	fputs("_portscope_", f);
	for (const char *p = path; *p; p++)
		fputc(*p == ' ' || *p == '-' ? '_' : *p, f);
}

static void zsh_describe_subs(FILE *f, const char *what, const struct cmd_spec *const *subs)
{
	fputs("        local -a cmds\n        cmds=(\n", f);
	for (size_t k = 0; subs[k]; k++) {
		fprintf(f, "            '%s:", subs[k]->name);
		put_quoted(f, subs[k]->summary, strlen(subs[k]->summary));
		fputs("'\n", f);
	}
	fprintf(f, "        )\n        _describe -t commands '%s' cmds\n", what);
}

static void zsh_command(FILE *f, const struct cmd_spec *s, const char *path,
                        const struct cmd_spec *parent)
{
	(void)parent;
	zsh_fn_name(f, path);
	fputs("()\n{\n", f);
	if (s->subs) {
		fputs("    local curcontext=$curcontext state line\n"
		      "    _arguments -C",
		      f);
		each_form(f, s, path, zsh_form);
		fputs(" \\\n    '1: :->sub' '*:: :->args'\n"
		      "    case $state in\n"
		      "    sub)\n",
		      f);
		zsh_describe_subs(f, "subcommand", s->subs);
		fputs("        ;;\n"
		      "    args)\n"
		      "        curcontext=${curcontext%:*:*}:portscope-$words[1]:\n"
		      "        case $words[1] in\n",
		      f);
		for (size_t k = 0; s->subs[k]; k++) {
			fprintf(f, "        %s) ", s->subs[k]->name);
			zsh_fn_name(f, path);
			fprintf(f, "_%s ;;\n", s->subs[k]->name);
		}
		fputs("        esac\n"
		      "        ;;\n"
		      "    esac\n",
		      f);
	} else {
		/* -s: clustered letters (-tulnp), GNU style only; nmap's -sS is one option. */
		fprintf(f, "    _arguments %s-S", s->style == CMD_STYLE_GNU ? "-s " : "");
		each_form(f, s, path, zsh_form);
		fputs(s->max_words ? " \\\n    '*:: :_files'\n" : "\n", f);
	}
	fputs("}\n\n", f);
}

static void completion_zsh(FILE *f)
{
	fputs("#compdef portscope\n"
	      "# zsh completion for portscope(1), written by `portscope completion zsh`\n"
	      "# from the command and option tables: regenerate, do not edit.\n"
	      "\n"
	      "_portscope_netns()\n"
	      "{\n"
	      "    local -a ns\n"
	      "    ns=(${${(f)\"$(ip netns list 2>/dev/null)\"}%% *} all)\n"
	      "    _describe -t namespaces 'network namespace' ns\n"
	      "}\n"
	      "\n",
	      f);
	each_command(f, zsh_command);
	fputs("_portscope()\n"
	      "{\n"
	      "    local curcontext=$curcontext state line\n"
	      "    _arguments -C \\\n"
	      "    '(- *)'{-h,--help}'[usage of portscope]' \\\n"
	      "    '(- *)--version[the version]' \\\n"
	      "    '1: :->cmd' '*:: :->args'\n"
	      "    case $state in\n"
	      "    cmd)\n",
	      f);
	zsh_describe_subs(f, "portscope command", cmd_specs);
	fputs("        ;;\n"
	      "    args)\n"
	      "        curcontext=${curcontext%:*:*}:portscope-$words[1]:\n"
	      "        case $words[1] in\n",
	      f);
	for (size_t i = 0; cmd_specs[i]; i++) {
		fprintf(f, "        %s) ", cmd_specs[i]->name);
		zsh_fn_name(f, cmd_specs[i]->name);
		fputs(" ;;\n", f);
	}
	fputs("        esac\n"
	      "        ;;\n"
	      "    esac\n"
	      "}\n"
	      "\n"
	      "_portscope \"$@\"\n",
	      f);
}

/* fish ------------------------------------------------------------------ */

/* The condition under which the options of a command path apply. */
static void fish_condition(FILE *f, const char *path)
{
	const char *sp = strchr(path, ' ');

	if (!sp)
		fprintf(f, "__fish_seen_subcommand_from %s", path);
	else
		fprintf(f, "__fish_seen_subcommand_from %.*s; and __fish_seen_subcommand_from %s",
		        (int)(sp - path), path, sp + 1);
}

static void fish_form(FILE *f, const struct cmd_spec *spec, const char *path, const struct form *fm)
{
	static const struct arg_actions fish = {
	    .free = " -x",
	    .file = " -r -F",
	    .dir = " -x -a '(__fish_complete_directories)'",
	    .netns =
	        " -x -a '(ip netns list 2>/dev/null | string replace -r \" .*\" \"\"; echo all)'",
	    .words_open = " -x -a '",
	    .words_close = "'",
	};

	(void)spec;
	if (!fm->help)
		return;
	fputs("complete -c portscope -n '", f);
	fish_condition(f, path);
	fputc('\'', f);
	if (!strncmp(fm->flag, "--", 2))
		fprintf(f, " -l %s", fm->flag + 2);
	else if (fm->flag[2])
		fprintf(f, " -o %s", fm->flag + 1); /* -iL, -sS: fish's old-style options */
	else
		fprintf(f, " -s %s", fm->flag + 1);
	if (fm->takes_arg)
		put_action(f, &fish, fm->complete);
	fputs(" -d '", f);
	put_quoted(f, fm->help, strlen(fm->help));
	fputs("'\n", f);
}

static void fish_command(FILE *f, const struct cmd_spec *s, const char *path,
                         const struct cmd_spec *parent)
{
	(void)parent;
	if (s->subs) {
		for (size_t k = 0; s->subs[k]; k++) {
			fprintf(f,
			        "complete -c portscope -n '__fish_seen_subcommand_from %s; and not "
			        "__fish_seen_subcommand_from",
			        path);
			for (size_t j = 0; s->subs[j]; j++)
				fprintf(f, " %s", s->subs[j]->name);
			fprintf(f, "' -f -a %s -d '", s->subs[k]->name);
			put_quoted(f, s->subs[k]->summary, strlen(s->subs[k]->summary));
			fputs("'\n", f);
		}
	}
	each_form(f, s, path, fish_form);
}

static void completion_fish(FILE *f)
{
	fputs("# fish completion for portscope(1), written by `portscope completion fish`\n"
	      "# from the command and option tables: regenerate, do not edit.\n"
	      "\n"
	      "complete -c portscope -n __fish_use_subcommand -s h -l help -d 'usage of "
	      "portscope'\n"
	      "complete -c portscope -n __fish_use_subcommand -l version -d 'the version'\n",
	      f);
	for (size_t i = 0; cmd_specs[i]; i++) {
		fprintf(f, "complete -c portscope -n __fish_use_subcommand -f -a %s -d '",
		        cmd_specs[i]->name);
		put_quoted(f, cmd_specs[i]->summary, strlen(cmd_specs[i]->summary));
		fputs("'\n", f);
	}
	each_command(f, fish_command);
}

static int completion_run(const struct cmd_args *a)
{
	static const struct {
		const char *shell;
		void (*write)(FILE *f);
	} shells[] = {
	    {"bash", completion_bash},
	    {"zsh", completion_zsh},
	    {"fish", completion_fish},
	};

	for (size_t i = 0; a->nwords == 1 && i < sizeof(shells) / sizeof(shells[0]); i++) {
		if (strcmp(a->words[0], shells[i].shell))
			continue;
		shells[i].write(stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			cmd_error("completion", "cannot write the completion");
			return EXIT_RUNTIME;
		}
		return EXIT_OK;
	}
	if (!a->nwords)
		return cmd_usage("completion", "which shell? bash, zsh or fish");
	return cmd_usage("completion", "'%s' is not bash, zsh or fish", a->words[0]);
}

const struct cmd_spec cmd_completion = {
    .name = "completion",
    .usage = "bash|zsh|fish",
    .summary = "shell completions from the command and option tables",
    .about = "Prints the completion script of a shell, generated from the commands'\n"
             "option tables (meson installs them at build time).\n",
    .max_words = 1,
    .run = completion_run,
};
