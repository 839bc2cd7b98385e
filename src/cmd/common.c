#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cmd/commands.h"
#include "cmd/common.h"
#include "knowledge/risk.h"
#include "output/json.h"
#include "output/table.h"

__attribute__((format(printf, 2, 0))) static void verror(const char *cmd, const char *fmt,
                                                         va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "portscope%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cmd_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
}

int cmd_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

bool cmd_is_smart_terminal(FILE *f)
{
	const char *term = getenv("TERM");

	return isatty(fileno(f)) && term && *term && strcmp(term, "dumb") != 0;
}

bool cmd_use_color(FILE *f, bool no_color_flag)
{
	const char *nc = getenv("NO_COLOR");

	if (no_color_flag || (nc && *nc))
		return false;
	return cmd_is_smart_terminal(f);
}

const char *cmd_severity_color(int sev)
{
	switch (sev) {
	case KB_SEV_HIGH:
		return TABLE_RED;
	case KB_SEV_MEDIUM:
		return TABLE_YELLOW;
	case KB_SEV_LOW:
		return TABLE_CYAN;
	}
	return TABLE_DIM;
}

void cmd_put_indented(FILE *f, const char *text, const char *indent)
{
	for (const char *p = text; *p; p++) {
		fputc(*p, f);
		if (*p == '\n' && p[1])
			fputs(indent, f);
	}
}

const char *cmd_plural(unsigned long long n, const char *word, char *buf, size_t len)
{
	snprintf(buf, len, "%llu %s%s", n, word, n == 1 ? "" : "s");
	return buf;
}

int cmd_print_version(void)
{
	printf("portscope %s\n", PORTSCOPE_VERSION);
	return EXIT_OK;
}

char *cmd_join(const char *first, int argc, char **argv)
{
	size_t len = (first ? strlen(first) : 0) + 1, used = 0;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	if (first)
		used = (size_t)snprintf(s, len, "%s", first);
	for (int i = 0; i < argc; i++)
		used += (size_t)snprintf(s + used, len - used, "%s%s", used ? " " : "", argv[i]);
	return s;
}

char *cmd_argv_json(int argc, char **argv)
{
	json_t *a = json_array();
	char *s;

	for (int i = 0; a && i < argc; i++)
		if (json_array_append_new(a, json_string(argv[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}
