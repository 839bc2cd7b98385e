#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/portspec.h"
#include "util/array.h"

static void expect_list(const struct portlist *pl, const uint16_t *want, size_t n)
{
	assert_int_equal(pl->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pl->ports[i], want[i]);
}

static void test_portspec_header_example(void **state)
{
	static const uint16_t tcp[] = {20, 21, 22, 80}, udp[] = {22, 53, 80};
	struct portspec ps;
	char why[256] = "";

	(void)state;
	assert_int_equal(portspec_parse("80,22,T:20-22,U:53", &ps, why, sizeof(why)), 0);
	expect_list(&ps.tcp, tcp, 4);
	expect_list(&ps.udp, udp, 3);
	portspec_free(&ps);
	assert_null(ps.tcp.ports);
	assert_int_equal(ps.tcp.n, 0);
}

/* Valid specs: how many TCP and UDP ports, first and last of each. */
struct valid_case {
	const char *spec;
	size_t ntcp, nudp;
	unsigned tcp_first, tcp_last;
};

static void test_portspec_valid(void **state)
{
	/* clang-format off */
	static const struct valid_case cases[] = {
		{ "22", 1, 1, 22, 22 },
		{ "22,80,1000-2000", 1003, 1003, 22, 2000 },
		{ "-", 65535, 65535, 1, 65535 },
		{ "1-65535", 65535, 65535, 1, 65535 },
		{ "-100", 100, 100, 1, 100 },
		{ "60000-", 5536, 5536, 60000, 65535 },
		{ "0", 1, 1, 0, 0 },
		{ "0-", 65536, 65536, 0, 65535 },
		{ "65535", 1, 1, 65535, 65535 },
		{ "T:80", 1, 0, 80, 80 },
		{ "U:53,161", 0, 2, 0, 0 },
		{ "U:53,T:80,443", 2, 1, 80, 443 },
		{ "t:80,u:53", 1, 1, 80, 80 },
		{ "80,80,80", 1, 1, 80, 80 },
		{ "1-10,5-15", 15, 15, 1, 15 },
		{ "T:-", 65535, 0, 1, 65535 },
		{ "7-7", 1, 1, 7, 7 },
		{ "007", 1, 1, 7, 7 },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct valid_case *c = &cases[i];
		struct portspec ps;
		char why[256] = "";
		int r = portspec_parse(c->spec, &ps, why, sizeof(why));

		if (r != 0)
			fail_msg("'%s': %d %s", c->spec, r, why);
		assert_int_equal(ps.tcp.n, c->ntcp);
		assert_int_equal(ps.udp.n, c->nudp);
		if (c->ntcp) {
			assert_int_equal(ps.tcp.ports[0], c->tcp_first);
			assert_int_equal(ps.tcp.ports[c->ntcp - 1], c->tcp_last);
		}
		for (size_t j = 1; j < ps.tcp.n; j++)
			assert_true(ps.tcp.ports[j - 1] < ps.tcp.ports[j]);
		for (size_t j = 1; j < ps.udp.n; j++)
			assert_true(ps.udp.ports[j - 1] < ps.udp.ports[j]);
		portspec_free(&ps);
	}
}

/* Malformed specs: the error code and a part of the message naming the bad part. */
struct bad_case {
	const char *spec;
	int rc;
	const char *names;
};

static void test_portspec_malformed(void **state)
{
	/* clang-format off */
	static const struct bad_case cases[] = {
		{ "70000", -ERANGE, "port 70000 out of range 0-65535" },
		{ "22,70000", -ERANGE, "port 70000 out of range 0-65535 in '22,70000'" },
		{ "99999999999", -ERANGE, "port 99999999999 out of range" },
		{ "1-70000", -ERANGE, "port 70000" },
		{ "1-2-3", -EINVAL, "'1-2-3' is not a port" },
		{ "--", -EINVAL, "'--' is not a port" },
		{ "22--", -EINVAL, "'22--'" },
		{ "a", -EINVAL, "'a' is not a port" },
		{ "http", -EINVAL, "'http' is not a port" },
		{ "22,,80", -EINVAL, "empty item in port list '22,,80'" },
		{ ",", -EINVAL, "empty item in port list ','" },
		{ "22,", -EINVAL, "empty item in port list '22,'" },
		{ ",22", -EINVAL, "empty item" },
		{ "", -EINVAL, "empty port list" },
		{ "T:", -EINVAL, "'T:' has no ports after it" },
		{ "22,U:", -EINVAL, "'U:' has no ports after it in '22,U:'" },
		{ "T:U:", -EINVAL, "two protocol prefixes in 'T:U:'" },
		{ "T:U:22", -EINVAL, "two protocol prefixes in 'T:U:22'" },
		{ "X:22", -EINVAL, "unknown protocol prefix 'X:'" },
		{ "S:22", -EINVAL, "SCTP ports ('S:')" },
		{ "P:6", -EINVAL, "IP protocol numbers ('P:')" },
		{ ":22", -EINVAL, "unknown protocol prefix in ':22'" },
		{ "TCP:22", -EINVAL, "unknown protocol prefix in 'TCP:22'" },
		{ "80-22", -EINVAL, "reversed range '80-22'" },
		{ "T:80-22", -EINVAL, "reversed range '80-22' in 'T:80-22'" },
		{ "22 80", -EINVAL, "'22 80' is not a port" },
		{ " 22", -EINVAL, "' 22' is not a port" },
		{ "0x16", -EINVAL, "'0x16' is not a port" },
		{ "1e3", -EINVAL, "'1e3' is not a port" },
		{ "+22", -EINVAL, "'+22' is not a port" },
		{ "22.5", -EINVAL, "'22.5' is not a port" },
		{ "22-a", -EINVAL, "'22-a' is not a port" },
		{ "[22]", -EINVAL, "'[22]' is not a port" },
		{ "22;80", -EINVAL, "'22;80'" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct portspec ps;
		char why[256] = "";
		int r = portspec_parse(c->spec, &ps, why, sizeof(why));

		if (r != c->rc || !strstr(why, c->names))
			fail_msg("'%s': got %d '%s', want %d '%s'", c->spec, r, why, c->rc,
			         c->names);
		assert_null(ps.tcp.ports);
		assert_null(ps.udp.ports);
		assert_null(strchr(why, '\n'));
	}
	assert_true(ARRAY_SIZE(cases) >= 25);
}

static void test_portspec_null_why(void **state)
{
	struct portspec ps;

	(void)state;
	assert_int_equal(portspec_parse("x", &ps, NULL, 0), -EINVAL);
	assert_int_equal(portspec_parse(NULL, &ps, NULL, 0), -EINVAL);
}

static void test_portlist_add_range(void **state)
{
	static const uint16_t want1[] = {5, 6, 7, 8, 9, 10};
	static const uint16_t want2[] = {1, 2, 5, 6, 7, 8, 9, 10, 20, 65535};
	struct portlist pl = {0};

	(void)state;
	assert_int_equal(portlist_add_range(&pl, 5, 10), 0);
	expect_list(&pl, want1, 6);
	assert_int_equal(portlist_add_range(&pl, 6, 8), 0); /* already there */
	expect_list(&pl, want1, 6);
	assert_int_equal(portlist_add_range(&pl, 20, 20), 0);
	assert_int_equal(portlist_add_range(&pl, 1, 2), 0);
	assert_int_equal(portlist_add_range(&pl, 65535, 65535), 0);
	expect_list(&pl, want2, 10);
	assert_int_equal(portlist_add_range(&pl, 3, 2), -EINVAL);
	assert_true(portlist_contains(&pl, 1));
	assert_true(portlist_contains(&pl, 65535));
	assert_true(portlist_contains(&pl, 7));
	assert_false(portlist_contains(&pl, 0));
	assert_false(portlist_contains(&pl, 3));
	assert_false(portlist_contains(&pl, 21));
	assert_int_equal(portlist_add_range(&pl, 0, 65535), 0);
	assert_int_equal(pl.n, 65536);
	for (size_t i = 0; i < pl.n; i++)
		assert_int_equal(pl.ports[i], i);
	portlist_free(&pl);
	assert_false(portlist_contains(&pl, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_portspec_header_example),
	    cmocka_unit_test(test_portspec_valid),
	    cmocka_unit_test(test_portspec_malformed),
	    cmocka_unit_test(test_portspec_null_why),
	    cmocka_unit_test(test_portlist_add_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
