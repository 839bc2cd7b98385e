/* What the subcommands share: exit codes, error reporting, colour choice. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "cmd/cmd.h"

/* Prints "portscope CMD: message" on stderr, one line. */
void cmd_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, then returns EXIT_USAGE, for "return cmd_usage(...)". */
int cmd_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Whether to colour output on f: a terminal that understands escapes (TERM
 * set and not "dumb"), no --no-color, no NO_COLOR in the environment.
 */
bool cmd_use_color(FILE *f, bool no_color_flag);

/* Whether f is a terminal that redraws a line ("\r" and "\033[K"): a progress line. */
bool cmd_is_smart_terminal(FILE *f);

/*
 * The words joined by spaces after first (NULL: none) into a new string, NULL
 * without memory: ("portscope", {"scan", "-p", "22"}) → "portscope scan -p 22".
 */
char *cmd_join(const char *first, int argc, char **argv);

/* argv as a JSON array ["scan", "-p", "22"] in a new string (free()), NULL without memory. */
char *cmd_argv_json(int argc, char **argv);

/* The table colour of a risk severity (enum kb_severity): high red, medium yellow, ... */
const char *cmd_severity_color(int sev);

/*
 * Writes text to f with every line break followed by indent, so that a
 * multi-line value stays inside its block: "a\nb" → "a\n      b".
 */
void cmd_put_indented(FILE *f, const char *text, const char *indent);

/* "1 open port", "2 open ports": n and word, with an s unless n is 1. */
const char *cmd_plural(unsigned long long n, const char *word, char *buf, size_t len);

/* Prints "portscope VERSION" on stdout; returns EXIT_OK. */
int cmd_print_version(void);
