/* portscope: git-style dispatch to the commands of the registry (cmd/commands.c). */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "cmd/common.h"

static void usage(FILE *f)
{
	fputs("usage: portscope [--version] [--help] COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; cmd_specs[i]; i++)
		fprintf(f, "  %-10s %s\n", cmd_specs[i]->name, cmd_specs[i]->summary);
	fputs("\n'portscope help COMMAND' (or 'portscope COMMAND --help') describes a command;\n"
	      "man portscope has the rest.\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct cmd_spec *c;

	if (argc < 2) {
		/* No command: the main job, the audit of this machine. */
		char *aargv[] = {(char *)"audit", NULL};
		return cmd_run(&cmd_audit, 1, aargv);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_print_version();
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 && argc >= 3) {
		c = cmd_find(cmd_specs, argv[2]);
		if (!c)
			return cmd_usage(NULL, "unknown command '%s' (see portscope --help)",
			                 argv[2]);
		char *hargv[] = {argv[2], (char *)"--help", NULL};
		return cmd_run(c, 2, hargv);
	}
	if (argv[1][0] == '-' && argv[1][1]) {
		/* Options without a command are the audit's: portscope --json. */
		argv[0] = (char *)"audit";
		return cmd_run(&cmd_audit, argc, argv);
	}
	c = cmd_find(cmd_specs, argv[1]);
	if (!c && strcmp(argv[1], cmd_completion.name) == 0)
		c = &cmd_completion; /* hidden: meson runs it at build time */
	if (!c)
		return cmd_usage(NULL, "unknown command '%s' (see portscope --help)", argv[1]);
	return cmd_run(c, argc - 1, argv + 1);
}
