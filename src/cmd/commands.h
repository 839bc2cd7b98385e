/*
 * The subcommand registry: one X() line per subcommand, in the order of
 * `portscope --help`. Each cmd/<name>.c defines its entry point.
 */
#pragma once

#define PORTSCOPE_COMMANDS(X)                                                                      \
	X(info, cmd_info_main, "what a port number means: range, services, risk")                  \
	X(ls, cmd_ls_main, "local sockets and their processes (like ss -tulnp)")                   \
	X(audit, cmd_audit_main,                                                                   \
	  "attack-surface report of this machine or of targets (the default)")                     \
	X(scan, cmd_scan_main, "scan targets: which ports are open, closed, filtered (like nmap)") \
	X(policy, cmd_policy_main,                                                                 \
	  "the docs' firewall language: check, eval, compile to nftables, apply, listening")       \
	X(history, cmd_history_main, "the scans recorded in the history")                          \
	X(show, cmd_show_main, "print a recorded scan again, in any output format")                \
	X(diff, cmd_diff_main, "what changed between two recorded scans (like ndiff)")             \
	X(report, cmd_report_main, "the history as one HTML page: findings, exposure, timeline")   \
	X(quiz, cmd_quiz_main, "questions on ports and protocols, from the knowledge base")        \
	X(version, cmd_version_main, "print the version")

int cmd_audit_main(int argc, char **argv);
int cmd_info_main(int argc, char **argv);
int cmd_ls_main(int argc, char **argv);
int cmd_policy_main(int argc, char **argv);
int cmd_scan_main(int argc, char **argv);
int cmd_history_main(int argc, char **argv);
int cmd_show_main(int argc, char **argv);
int cmd_diff_main(int argc, char **argv);
int cmd_report_main(int argc, char **argv);
int cmd_quiz_main(int argc, char **argv);
int cmd_version_main(int argc, char **argv);
