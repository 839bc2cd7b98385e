/* `portscope ls`'s options: cmd_parse() on its table, then ls_opts_from_args(). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/commands.h"
#include "cmd/ls.h"

#define ST(s)   SOCKQUERY_STATE(s)
#define MAXARGS 12

/* Parses a NULL-terminated argument list after "ls" (the words after why, whylen). */
static int vparse(struct ls_opts *o, bool *help, char *why, size_t whylen, va_list ap)
{
	char *argv[MAXARGS + 2] = {(char *)"ls"};
	struct cmd_args a;
	int argc = 1, r;
	char *w;

	while ((w = va_arg(ap, char *)) && argc <= MAXARGS)
		argv[argc++] = w;
	argv[argc] = NULL;
	r = cmd_parse(&cmd_ls, argc, argv, &a, why, whylen);
	*help = a.help;
	if (r == 0 && !a.help)
		r = ls_opts_from_args(&a, o, why, whylen);
	cmd_args_free(&a);
	return r;
}

static int parse(struct ls_opts *o, ...)
{
	char why[256];
	bool help;
	va_list ap;
	int r;

	va_start(ap, o);
	r = vparse(o, &help, why, sizeof(why), ap);
	va_end(ap);
	if (r < 0)
		fail_msg("unexpected failure: %s", why);
	return help;
}

/* Expects failure and a reason naming w1 (and w2), one line. */
static void bad(const char *w1, const char *w2, ...)
{
	struct ls_opts o;
	char why[256];
	bool help;
	va_list ap;
	int r;

	va_start(ap, w2);
	r = vparse(&o, &help, why, sizeof(why), ap);
	va_end(ap);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(why, w1));
	if (w2)
		assert_non_null(strstr(why, w2));
	assert_null(strchr(why, '\n'));
}

static void test_defaults(void **state)
{
	struct ls_opts o;

	(void)state;
	assert_false(parse(&o, NULL));
	assert_true(o.q.tcp && o.q.udp && o.q.inet4 && o.q.inet6 && o.processes);
	assert_false(o.numeric || o.json || o.no_color);
	assert_int_equal(o.q.states, ST(TCP_LISTEN) | ST(TCP_CLOSE));
	assert_int_equal(o.q.port, -1);
	assert_null(o.netns);
}

static void test_flags(void **state)
{
	struct ls_opts o;

	(void)state;
	parse(&o, "-t", "-4", "-n", "--json", "--no-color", NULL);
	assert_true(o.q.tcp && !o.q.udp && o.q.inet4 && !o.q.inet6 && o.numeric && o.json &&
	            o.no_color);
	parse(&o, "-u6", NULL);
	assert_true(!o.q.tcp && o.q.udp && !o.q.inet4 && o.q.inet6);
	parse(&o, "-tulnp", NULL);
	assert_true(o.q.tcp && o.q.udp && o.numeric && o.processes);
	parse(&o, "--no-process", NULL);
	assert_false(o.processes);
	parse(&o, "--no-process", "-p", NULL);
	assert_true(o.processes);
	parse(&o, "--no-colour", "--tcp", "--ipv6", NULL);
	assert_true(o.no_color && o.q.tcp && !o.q.udp && o.q.inet6 && !o.q.inet4);
	/* Unique prefixes of long names, as getopt_long() took them. */
	parse(&o, "--no-proc", "--num", NULL);
	assert_true(!o.processes && o.numeric);
	parse(&o, "-a", NULL);
	assert_int_equal(o.q.states & ST(TCP_TIME_WAIT), ST(TCP_TIME_WAIT));
	assert_int_equal(o.q.states & ST(TCP_LISTEN), ST(TCP_LISTEN));
	/* The last of -a/-l wins, as in ss. */
	parse(&o, "-a", "-l", NULL);
	assert_int_equal(o.q.states, ST(TCP_LISTEN) | ST(TCP_CLOSE));
	parse(&o, "--port", "22", "--netns", "all", NULL);
	assert_int_equal(o.q.port, 22);
	assert_string_equal(o.netns, "all");
	parse(&o, "--port=65535", "--netns=ps-a", NULL);
	assert_int_equal(o.q.port, 65535);
	assert_string_equal(o.netns, "ps-a");
	/* --help stops there: later garbage is not looked at. */
	assert_true(parse(&o, "-h", "--port", "0", NULL));
}

static void test_states(void **state)
{
	struct ls_opts o;

	(void)state;
	parse(&o, "--state", "established", "--state", "TIME-WAIT", "-a", NULL);
	assert_int_equal(o.q.states, ST(TCP_ESTABLISHED) | ST(TCP_TIME_WAIT));
	parse(&o, "--state", "connected", NULL);
	assert_int_equal(o.q.states & (ST(TCP_LISTEN) | ST(TCP_CLOSE)), 0);
	assert_true(o.q.states & ST(TCP_SYN_SENT));
	assert_true(o.q.states & ST(TCP_TIME_WAIT));
}

static void test_errors(void **state)
{
	(void)state;
	bad("--port", "70000", "--port", "70000", NULL);
	bad("--port", "0", "--port", "0", NULL);
	bad("--port", "abc", "--port", "abc", NULL);
	bad("--port", "-1", "--port", "-1", NULL);
	bad("--port", "22,80", "--port", "22,80", NULL);
	bad("option '--port' needs an argument", NULL, "--port", NULL);
	bad("--state", "bogus", "--state", "bogus", NULL);
	bad("--state", NULL, "-t", "--state", NULL);
	bad("--netns", "a/b", "--netns", "a/b", NULL);
	bad("--netns", "..", "--netns", "..", NULL);
	bad("--netns", NULL, "--netns=", NULL);
	bad("unknown option '--frobnicate'", NULL, "--frobnicate", NULL);
	bad("unknown option '-x'", NULL, "-x", NULL);
	bad("unknown option '-x'", NULL, "-tx", NULL);
	bad("unexpected argument 'stray'", NULL, "-t", "stray", NULL);
	bad("option '--json' takes no argument", NULL, "--json=yes", NULL);
	bad("option '--no' is ambiguous", NULL, "--no", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
