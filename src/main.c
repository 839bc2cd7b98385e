/* portscope: git-style dispatch to the subcommands in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "util/array.h"

static const struct cmd commands[] = {
#define X(name, fn, summary) {#name, fn, summary},
    PORTSCOPE_COMMANDS(X)
#undef X
};

static void usage(FILE *f)
{
	fputs("usage: portscope [--version] [--help] COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'portscope COMMAND --help' describes a command; man portscope has the rest.\n", f);
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		/* No command: the main job, the audit of this machine. */
		char *aargv[] = {(char *)"audit", NULL};
		return cmd_audit_main(1, aargv);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_print_version();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 && argc >= 3) {
		c = find(argv[2]);
		if (!c)
			return cmd_usage(NULL, "unknown command '%s' (see portscope --help)",
			                 argv[2]);
		char *hargv[] = {argv[2], (char *)"--help", NULL};
		return c->run(2, hargv);
	}
	if (argv[1][0] == '-' && argv[1][1]) {
		/* Options without a command are the audit's: portscope --json. */
		argv[0] = (char *)"audit";
		return cmd_audit_main(argc, argv);
	}
	c = find(argv[1]);
	if (!c)
		return cmd_usage(NULL, "unknown command '%s' (see portscope --help)", argv[1]);
	return c->run(argc - 1, argv + 1);
}
