#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/strnum.h"

static void check(const char *in, uint64_t min, uint64_t max, int rc, uint64_t want)
{
	uint64_t v = 12345;

	assert_int_equal(strnum_u64(in, min, max, &v), rc);
	if (rc == 0)
		assert_int_equal(v, want);
	else
		assert_int_equal(v, 12345); /* untouched on error */
}

static void test_strnum(void **state)
{
	(void)state;
	check("0", 0, 65535, 0, 0);
	check("443", 1, 65535, 0, 443);
	check("65535", 0, 65535, 0, 65535);
	check("65536", 0, 65535, -ERANGE, 0);
	check("0", 1, 65535, -ERANGE, 0);
	check("", 0, 10, -EINVAL, 0);
	check(NULL, 0, 10, -EINVAL, 0);
	check("-1", 0, 10, -EINVAL, 0);
	check("+1", 0, 10, -EINVAL, 0);
	check(" 1", 0, 10, -EINVAL, 0);
	check("1 ", 0, 10, -EINVAL, 0);
	check("22x", 0, 100, -EINVAL, 0);
	check("0x10", 0, 100, -EINVAL, 0);
	check("18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX);
	check("18446744073709551616", 0, UINT64_MAX, -ERANGE, 0);
	check("99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0);
}

static void test_strnum_n(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(strnum_u64n("8080-9090", 4, 1, 65535, &v), 0);
	assert_int_equal(v, 8080);
	assert_int_equal(strnum_u64n("8080", 0, 1, 65535, &v), -EINVAL);
	assert_true(strnum_is_digits("123"));
	assert_false(strnum_is_digits(""));
	assert_false(strnum_is_digits("12a"));
	assert_false(strnum_is_digits(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strnum),
	    cmocka_unit_test(test_strnum_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
