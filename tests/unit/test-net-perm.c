#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/perm.h"
#include "util/array.h"

/* Every value of [0, n) comes out exactly once, and nothing outside. */
static void check_bijection(uint64_t n, uint64_t seed)
{
	struct perm p;
	uint8_t *seen = calloc(n ? n : 1, 1);

	assert_non_null(seen);
	perm_init(&p, n, seed);
	assert_int_equal(p.n, n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = perm_at(&p, i);

		assert_true(v < n);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
	}
	for (uint64_t v = 0; v < n; v++)
		assert_int_equal(seen[v], 1);
	free(seen);
}

static void test_perm_bijection(void **state)
{
	static const uint64_t sizes[] = {
	    0, 1, 2, 3, 4, 5, 7, 16, 17, 1000, 65535, 65536, 65536 * 3 + 7};
	static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		for (size_t j = 0; j < ARRAY_SIZE(seeds); j++)
			check_bijection(sizes[i], seeds[j]);
}

static void test_perm_small(void **state)
{
	struct perm p;

	(void)state;
	perm_init(&p, 1, 7);
	assert_int_equal(perm_at(&p, 0), 0);
	perm_init(&p, 0, 7);
	assert_int_equal(p.n, 0);
}

/* How many of the first k positions differ between two seeds. */
static uint64_t differences(uint64_t n, uint64_t s1, uint64_t s2, uint64_t k)
{
	struct perm a, b;
	uint64_t d = 0;

	perm_init(&a, n, s1);
	perm_init(&b, n, s2);
	for (uint64_t i = 0; i < k; i++)
		d += perm_at(&a, i) != perm_at(&b, i);
	return d;
}

static void test_perm_seeds(void **state)
{
	static const uint64_t sizes[] = {1000, 65535, 65536 * 3 + 7, UINT64_C(1) << 40};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t n = sizes[i];

		/* Same seed, same order; different seeds, (almost) all positions differ. */
		assert_int_equal(differences(n, 5, 5, 1000), 0);
		assert_true(differences(n, 5, 6, 1000) > 900);
		assert_true(differences(n, 0, 1, 1000) > 900);
	}
}

/* The order is shuffled: not the identity and not a rotation of it. */
static void test_perm_not_identity(void **state)
{
	struct perm p;
	uint64_t fixed = 0, ascending = 0, prev;

	(void)state;
	perm_init(&p, 65536, 99);
	prev = perm_at(&p, 0);
	for (uint64_t i = 0; i < 65536; i++) {
		uint64_t v = perm_at(&p, i);

		fixed += v == i;
		if (i > 0)
			ascending += v == prev + 1;
		prev = v;
	}
	assert_true(fixed < 100);
	assert_true(ascending < 100);
}

/* Large domains: values stay inside and the first ones are distinct. */
static void test_perm_large(void **state)
{
	struct perm p;
	uint64_t n = (UINT64_C(1) << 62) - 3, v[64];

	(void)state;
	perm_init(&p, n, 3);
	for (int i = 0; i < 64; i++) {
		v[i] = perm_at(&p, n - 1 - (uint64_t)i);
		assert_true(v[i] < n);
		for (int j = 0; j < i; j++)
			assert_true(v[i] != v[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_perm_bijection), cmocka_unit_test(test_perm_small),
	    cmocka_unit_test(test_perm_seeds),     cmocka_unit_test(test_perm_not_identity),
	    cmocka_unit_test(test_perm_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
