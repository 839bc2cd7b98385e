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

#define ST(s) SOCKQUERY_STATE(s)

static void test_states(void **state)
{
	uint32_t m = 0;

	(void)state;
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

static void test_defaults(void **state)
{
	struct sockquery q;

	(void)state;
	sockquery_init(&q);
	assert_true(q.tcp && q.udp && q.inet4 && q.inet6);
	assert_int_equal(q.states, ST(TCP_LISTEN) | ST(TCP_CLOSE));
	assert_int_equal(q.states, SOCKQUERY_STATES_LISTENING);
	assert_int_equal(q.port, -1);
}

static void test_match_port(void **state)
{
	struct sockquery q;
	struct sockdiag_sock s = {.local_port = 22, .peer_port = 50000};

	(void)state;
	sockquery_init(&q);
	assert_true(sockquery_match(&q, &s));
	q.port = 22;
	assert_true(sockquery_match(&q, &s));
	q.port = 50000;
	assert_true(sockquery_match(&q, &s));
	q.port = 80;
	assert_false(sockquery_match(&q, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_match_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
