#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "sockets/sockexpose.h"

static void check(int family, const char *addr, int v6only, enum sockexpose want, bool want_dual)
{
	uint8_t a[16] = {0};
	bool dual = !want_dual;

	assert_int_equal(inet_pton(family, addr, a), 1);
	assert_int_equal(sockexpose_classify(family, a, v6only, &dual), want);
	assert_int_equal(dual, want_dual);
}

static void test_classify(void **state)
{
	(void)state;
	check(AF_INET, "127.0.0.1", -1, SOCKEXPOSE_LOOPBACK, false);
	check(AF_INET, "127.53.0.1", -1, SOCKEXPOSE_LOOPBACK, false);
	check(AF_INET, "0.0.0.0", -1, SOCKEXPOSE_ALL, false);
	check(AF_INET, "198.18.0.1", -1, SOCKEXPOSE_ADDRESS, false);
	check(AF_INET, "128.0.0.1", -1, SOCKEXPOSE_ADDRESS, false);
	check(AF_INET6, "::1", 1, SOCKEXPOSE_LOOPBACK, false);
	check(AF_INET6, "::1", 0, SOCKEXPOSE_LOOPBACK, false);
	check(AF_INET6, "::ffff:127.0.0.1", 0, SOCKEXPOSE_LOOPBACK, false);
	check(AF_INET6, "::ffff:0.0.0.0", 0, SOCKEXPOSE_ALL, false);
	check(AF_INET6, "::ffff:198.18.0.1", 0, SOCKEXPOSE_ADDRESS, false);
	/* The wildcard: dual-stack only when IPV6_V6ONLY is known to be off. */
	check(AF_INET6, "::", 0, SOCKEXPOSE_ALL, true);
	check(AF_INET6, "::", 1, SOCKEXPOSE_ALL, false);
	check(AF_INET6, "::", -1, SOCKEXPOSE_ALL, false);
	check(AF_INET6, "fd00:5c09::1", 0, SOCKEXPOSE_ADDRESS, false);
	check(AF_INET6, "::2", 0, SOCKEXPOSE_ADDRESS, false);
	check(AF_INET6, "fe80::1", 0, SOCKEXPOSE_ADDRESS, false);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(sockexpose_name(SOCKEXPOSE_LOOPBACK), "loopback");
	assert_string_equal(sockexpose_name(SOCKEXPOSE_ALL), "all-interfaces");
	assert_string_equal(sockexpose_name(SOCKEXPOSE_ADDRESS), "address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
