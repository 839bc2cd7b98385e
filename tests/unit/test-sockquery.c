#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sockets/sockquery.h"
#include "util/array.h"

#define ST(s)   SOCKQUERY_STATE(s)
#define MAXARGS 12

/* Parses a NULL-terminated argument list after "ls". */
static int parse(struct sockquery *q, char *why, size_t whylen, ...)
{
	char *argv[MAXARGS + 2] = {(char *)"ls"};
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, whylen);
	while ((a = va_arg(ap, char *)) && argc <= MAXARGS)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return sockquery_parse_args(q, argc, argv, why, whylen);
}

/* Expects failure and a reason containing every given word. */
static void bad(const char *w1, const char *w2, ...)
{
	struct sockquery q;
	char why[256];
	char *argv[MAXARGS + 2] = {(char *)"ls"};
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, w2);
	while ((a = va_arg(ap, char *)) && argc <= MAXARGS)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(sockquery_parse_args(&q, argc, argv, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, w1));
	if (w2)
		assert_non_null(strstr(why, w2));
	assert_null(strchr(why, '\n'));
}

static void test_defaults(void **state)
{
	struct sockquery q;
	char why[128];

	(void)state;
	assert_int_equal(parse(&q, why, sizeof(why), NULL), 0);
	assert_true(q.tcp && q.udp && q.inet4 && q.inet6 && q.processes);
	assert_false(q.numeric || q.json || q.no_color || q.help);
	assert_int_equal(q.states, ST(TCP_LISTEN) | ST(TCP_CLOSE));
	assert_int_equal(q.port, -1);
	assert_null(q.netns);
}

static void test_flags(void **state)
{
	struct sockquery q;
	char why[128];

	(void)state;
	assert_int_equal(
	    parse(&q, why, sizeof(why), "-t", "-4", "-n", "--json", "--no-color", NULL), 0);
	assert_true(q.tcp && !q.udp && q.inet4 && !q.inet6 && q.numeric && q.json && q.no_color);
	assert_int_equal(parse(&q, why, sizeof(why), "-u6", NULL), 0);
	assert_true(!q.tcp && q.udp && !q.inet4 && q.inet6);
	assert_int_equal(parse(&q, why, sizeof(why), "-tulnp", NULL), 0);
	assert_true(q.tcp && q.udp && q.numeric && q.processes);
	assert_int_equal(parse(&q, why, sizeof(why), "--no-process", NULL), 0);
	assert_false(q.processes);
	assert_int_equal(parse(&q, why, sizeof(why), "-a", NULL), 0);
	assert_int_equal(q.states & ST(TCP_TIME_WAIT), ST(TCP_TIME_WAIT));
	assert_int_equal(q.states & ST(TCP_LISTEN), ST(TCP_LISTEN));
	/* The last of -a/-l wins, as in ss. */
	assert_int_equal(parse(&q, why, sizeof(why), "-a", "-l", NULL), 0);
	assert_int_equal(q.states, ST(TCP_LISTEN) | ST(TCP_CLOSE));
	assert_int_equal(parse(&q, why, sizeof(why), "--port", "22", "--netns", "all", NULL), 0);
	assert_int_equal(q.port, 22);
	assert_string_equal(q.netns, "all");
	assert_int_equal(parse(&q, why, sizeof(why), "--port=65535", "--netns=ps-a", NULL), 0);
	assert_int_equal(q.port, 65535);
	assert_string_equal(q.netns, "ps-a");
	/* --help stops there: later garbage is not looked at. */
	assert_int_equal(parse(&q, why, sizeof(why), "-h", "--port", "0", NULL), 0);
	assert_true(q.help);
}

static void test_states(void **state)
{
	struct sockquery q;
	char why[128];
	uint32_t m = 0;

	(void)state;
	assert_int_equal(parse(&q, why, sizeof(why), "--state", "established", "--state",
	                       "TIME-WAIT", "-a", NULL),
	                 0);
	assert_int_equal(q.states, ST(TCP_ESTABLISHED) | ST(TCP_TIME_WAIT));
	assert_int_equal(parse(&q, why, sizeof(why), "--state", "connected", NULL), 0);
	assert_int_equal(q.states & (ST(TCP_LISTEN) | ST(TCP_CLOSE)), 0);
	assert_true(q.states & ST(TCP_SYN_SENT));
	assert_true(q.states & ST(TCP_TIME_WAIT));

	static const struct {
		const char *name;
		uint32_t mask;
	} one[] = {
	    {"established", ST(TCP_ESTABLISHED)},
	    {"syn-sent", ST(TCP_SYN_SENT)},
	    {"syn-recv", ST(TCP_SYN_RECV)},
	    {"fin-wait-1", ST(TCP_FIN_WAIT1)},
	    {"fin-wait-2", ST(TCP_FIN_WAIT2)},
	    {"time-wait", ST(TCP_TIME_WAIT)},
	    {"close", ST(TCP_CLOSE)},
	    {"closed", ST(TCP_CLOSE)},
	    {"close-wait", ST(TCP_CLOSE_WAIT)},
	    {"last-ack", ST(TCP_LAST_ACK)},
	    {"listen", ST(TCP_LISTEN)},
	    {"listening", ST(TCP_LISTEN)},
	    {"closing", ST(TCP_CLOSING)},
	    {"unconn", ST(TCP_CLOSE)},
	};
	for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
		m = 0;
		assert_int_equal(sockquery_parse_state(one[i].name, &m), 0);
		assert_int_equal(m, one[i].mask);
	}
	m = 0;
	assert_int_equal(sockquery_parse_state("all", &m), 0);
	assert_int_equal(m, 0xffeu); /* TCP_ESTABLISHED (1) .. TCP_CLOSING (11) */
	m = 0;
	assert_int_equal(sockquery_parse_state("synchronized", &m), 0);
	assert_int_equal(m & (ST(TCP_SYN_SENT) | ST(TCP_LISTEN)), 0);
	assert_int_equal(sockquery_parse_state("bogus", &m), -EINVAL);
	assert_int_equal(sockquery_parse_state("", &m), -EINVAL);
	assert_int_equal(sockquery_parse_state("listen ", &m), -EINVAL);
}

static void test_errors(void **state)
{
	(void)state;
	bad("--port", "70000", "--port", "70000", NULL);
	bad("--port", "0", "--port", "0", NULL);
	bad("--port", "abc", "--port", "abc", NULL);
	bad("--port", "-1", "--port", "-1", NULL);
	bad("--port", "22,80", "--port", "22,80", NULL);
	bad("--port", NULL, "--port", NULL);
	bad("--state", "bogus", "--state", "bogus", NULL);
	bad("--state", NULL, "-t", "--state", NULL);
	bad("--netns", "a/b", "--netns", "a/b", NULL);
	bad("--netns", "..", "--netns", "..", NULL);
	bad("--netns", NULL, "--netns=", NULL);
	bad("--frobnicate", NULL, "--frobnicate", NULL);
	bad("-x", NULL, "-x", NULL);
	bad("-x", NULL, "-tx", NULL);
	bad("stray", NULL, "-t", "stray", NULL);
	bad("--json", NULL, "--json=yes", NULL);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(sockquery_state_name(TCP_LISTEN, IPPROTO_TCP), "listen");
	assert_string_equal(sockquery_state_name(TCP_ESTABLISHED, IPPROTO_TCP), "established");
	assert_string_equal(sockquery_state_name(TCP_ESTABLISHED, IPPROTO_UDP), "established");
	assert_string_equal(sockquery_state_name(TCP_CLOSE, IPPROTO_TCP), "close");
	assert_string_equal(sockquery_state_name(TCP_CLOSE, IPPROTO_UDP), "unconn");
	assert_string_equal(sockquery_state_name(TCP_TIME_WAIT, IPPROTO_TCP), "time-wait");
	assert_string_equal(sockquery_state_name(TCP_CLOSING, IPPROTO_TCP), "closing");
	assert_string_equal(sockquery_state_name(0, IPPROTO_TCP), "unknown");
	assert_string_equal(sockquery_state_name(12, IPPROTO_TCP), "unknown");
	assert_string_equal(sockquery_state_name(255, IPPROTO_TCP), "unknown");
	/* Every name printed is one --state accepts. */
	for (uint8_t st = TCP_ESTABLISHED; st <= TCP_CLOSING; st++) {
		uint32_t m = 0;

		assert_int_equal(sockquery_parse_state(sockquery_state_name(st, IPPROTO_TCP), &m),
		                 0);
		assert_int_equal(m, ST(st));
	}
}

static void test_match_port(void **state)
{
	struct sockquery q;
	struct sockdiag_sock s = {.local_port = 22, .peer_port = 50000};
	char why[128];

	(void)state;
	assert_int_equal(parse(&q, why, sizeof(why), NULL), 0);
	assert_true(sockquery_match(&q, &s));
	assert_int_equal(parse(&q, why, sizeof(why), "--port", "22", NULL), 0);
	assert_true(sockquery_match(&q, &s));
	assert_int_equal(parse(&q, why, sizeof(why), "--port", "50000", NULL), 0);
	assert_true(sockquery_match(&q, &s));
	assert_int_equal(parse(&q, why, sizeof(why), "--port", "80", NULL), 0);
	assert_false(sockquery_match(&q, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_states),      cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_state_names), cmocka_unit_test(test_match_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
