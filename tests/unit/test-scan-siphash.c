/* SipHash-2-4 against the reference vectors of the paper (key 00..0f, message 00..len-1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/siphash.h"
#include "util/array.h"

static void test_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
	    {0, 0x726fdb47dd0e0e31ull},
	    {8, 0x93f5f5799a932462ull},
	    {15, 0xa129ca6149be45e5ull},
	};
	uint8_t key[16], msg[64];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		assert_int_equal(siphash24(key, msg, v[i].len), v[i].want);
}

static void test_key_and_data_matter(void **state)
{
	uint8_t k1[16] = {1}, k2[16] = {2},
	        d[12] = {198, 18, 0, 2, 198, 18, 0, 1, 0, 80, 0xee, 0x48};
	uint64_t a = siphash24(k1, d, sizeof(d));

	(void)state;
	assert_int_not_equal(a, siphash24(k2, d, sizeof(d)));
	d[11] ^= 1;
	assert_int_not_equal(a, siphash24(k1, d, sizeof(d)));
	d[11] ^= 1;
	assert_int_equal(a, siphash24(k1, d, sizeof(d)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_key_and_data_matter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
