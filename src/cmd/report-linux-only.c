/*
 * portscope report where the report library is not built (Windows: it needs
 * OpenSSL for the page's hashes and fork() for the file keeper): it says so.
 */
#include "cmd/common.h"
#include "cmd/commands.h"

static int report_linux_only(const struct cmd_args *a)
{
	(void)a;
	return cmd_usage("report", "report is Linux-only for now: run it on a Linux machine "
	                           "with a copy of the history");
}

static const struct cmd_option report_options[] = {{0}};

const struct cmd_spec cmd_report = {
    .name = "report",
    .usage = "[OPTIONS] [RUN...] -o FILE.html",
    .summary = "the history as one HTML page (Linux-only)",
    .options = report_options,
    .max_words = -1,
    .run = report_linux_only,
};
