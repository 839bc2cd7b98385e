/* The registry of commands (see cmd.h): adding a command is one line here. */
#include <stdio.h>

#include "cmd/commands.h"
#include "cmd/common.h"

const struct cmd_spec *const cmd_specs[] = {
    &cmd_info,    /* info.c */
    &cmd_ls,      /* ls.c */
    &cmd_audit,   /* audit.c */
    &cmd_scan,    /* scan.c, scan-opts.c */
    &cmd_policy,  /* policy.c */
    &cmd_history, /* history.c */
    &cmd_show,    /* show.c */
    &cmd_diff,    /* diff.c */
    &cmd_report,  /* report.c */
    &cmd_quiz,    /* quiz.c */
    &cmd_version, /* below */
    NULL,
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
