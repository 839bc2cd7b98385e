/* The registry of commands (see cmd.h): adding a command is one line here. */
#include <stdio.h>

#include "cmd/commands.h"
#include "cmd/common.h"

const struct cmd_spec *const cmd_specs[] = {
    &cmd_info, &cmd_ls,   &cmd_audit,  &cmd_scan, &cmd_policy,  &cmd_history,
    &cmd_show, &cmd_diff, &cmd_report, &cmd_quiz, &cmd_version, NULL,
};

static int version_run(const struct cmd_args *a)
{
	(void)a;
	return cmd_print_version();
}

const struct cmd_spec cmd_version = {
    .name = "version",
    .usage = "",
    .summary = "print the version",
    .run = version_run,
};
