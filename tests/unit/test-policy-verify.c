/* Unit tests for policy verify's judgement: every verdict against every port state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/verify.h"
#include "util/array.h"

struct judge_case {
	enum policy_action verdict;
	enum scan_state state;
	bool local;
	enum policy_verify_result want;
};

static void test_judge(void **state)
{
	/* clang-format off */
	static const struct judge_case cases[] = {
		{POLICY_ALLOW,  SCAN_OPEN,          false, POLICY_VERIFY_OK},
		{POLICY_ALLOW,  SCAN_OPEN,          true,  POLICY_VERIFY_OK},
		{POLICY_ALLOW,  SCAN_CLOSED,        false, POLICY_VERIFY_CLOSED},
		{POLICY_ALLOW,  SCAN_FILTERED,      false, POLICY_VERIFY_BLOCKED},
		/* UDP: silence may be a service ignoring an empty datagram. */
		{POLICY_ALLOW,  SCAN_OPEN_FILTERED, false, POLICY_VERIFY_OK},
		{POLICY_ALLOW,  SCAN_CLOSED_FILTERED, false, POLICY_VERIFY_BLOCKED},
		{POLICY_DENY,   SCAN_OPEN_FILTERED, false, POLICY_VERIFY_OK},
		{POLICY_DENY,   SCAN_OPEN,          false, POLICY_VERIFY_VIOLATION},
		{POLICY_DENY,   SCAN_OPEN,          true,  POLICY_VERIFY_DENIED_LOCAL},
		{POLICY_DENY,   SCAN_CLOSED,        false, POLICY_VERIFY_ANSWERED},
		{POLICY_DENY,   SCAN_CLOSED,        true,  POLICY_VERIFY_OK},
		{POLICY_DENY,   SCAN_FILTERED,      false, POLICY_VERIFY_OK},
		{POLICY_REJECT, SCAN_OPEN,          false, POLICY_VERIFY_VIOLATION},
		{POLICY_REJECT, SCAN_OPEN,          true,  POLICY_VERIFY_DENIED_LOCAL},
		{POLICY_REJECT, SCAN_CLOSED,        false, POLICY_VERIFY_OK},
		{POLICY_REJECT, SCAN_FILTERED,      false, POLICY_VERIFY_OK},
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum policy_verify_result got =
		    policy_verify_judge(cases[i].verdict, cases[i].state, cases[i].local);
		if (got != cases[i].want)
			fail_msg("case %zu: %s, want %s", i, policy_verify_result_name(got),
			         policy_verify_result_name(cases[i].want));
	}
}

static void test_names(void **state)
{
	(void)state;
	for (int r = 0; r < POLICY_VERIFY_RESULT_MAX; r++) {
		const char *n = policy_verify_result_name((enum policy_verify_result)r);
		assert_non_null(n);
		assert_string_not_equal(n, "?");
		for (int k = 0; k < r; k++)
			assert_string_not_equal(
			    n, policy_verify_result_name((enum policy_verify_result)k));
	}
	assert_string_equal(policy_verify_result_name(POLICY_VERIFY_VIOLATION), "violation");
	assert_string_equal(policy_verify_result_name(POLICY_VERIFY_RESULT_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
