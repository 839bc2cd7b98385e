/*
 * The subcommand registry: one X() line per subcommand, in the order of
 * `portscope --help`. Each cmd/<name>.c defines its entry point.
 */
#pragma once

#define PORTSCOPE_COMMANDS(X) \
	X(ls, cmd_ls_main, "local sockets and their processes (like ss -tulnp)") \
	X(version, cmd_version_main, "print the version")

int cmd_ls_main(int argc, char **argv);
int cmd_version_main(int argc, char **argv);
