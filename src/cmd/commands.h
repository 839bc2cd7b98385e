/*
 * The commands (one src/cmd/<name>.c each defines its spec, see cmd.h); the
 * registry cmd_specs[] in commands.c lists them in the order of `portscope --help`.
 */
#pragma once

#include "cmd/cmd.h"

extern const struct cmd_spec cmd_info, cmd_ls, cmd_audit, cmd_scan, cmd_policy, cmd_history,
    cmd_show, cmd_diff, cmd_report, cmd_quiz, cmd_version;
/* portscope completion bash|zsh|fish (completion.c): not in the registry nor in --help. */
extern const struct cmd_spec cmd_completion;
