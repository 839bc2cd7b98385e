/* util/array.h: ARRAY_SIZE and the checked grow-array helper. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "util/array.h"

/* Under ASan a huge realloc() is to fail, as it does without it, not to abort. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void test_array_size(void **state)
{
	static const char *const names[] = {"a", "b", "c"};
	struct {
		int v[7];
	} s;

	(void)state;
	assert_int_equal(ARRAY_SIZE(names), 3);
	assert_int_equal(ARRAY_SIZE(s.v), 7);
	assert_int_equal(ARRAY_SIZE((uint16_t[5]){0}), 5);
}

static void test_grow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	(void)state;
	/* First allocation: 4 KiB worth at least. */
	assert_int_equal(GREEDY_REALLOC(v, cap, 1), 0);
	assert_non_null(v);
	assert_int_equal(cap, 4096 / sizeof(*v));
	for (size_t i = 0; i < cap; i++)
		v[i] = i;
	/* Enough room: nothing changes. */
	{
		uint64_t *was = v;

		assert_int_equal(GREEDY_REALLOC(v, cap, 100), 0);
		assert_ptr_equal(v, was);
		assert_int_equal(cap, 512);
	}
	/* One more: doubled, contents kept. */
	assert_int_equal(GREEDY_REALLOC(v, cap, 513), 0);
	assert_int_equal(cap, 1024);
	assert_int_equal(v[511], 511);
	/* A big jump: exactly what is needed when more than double. */
	assert_int_equal(GREEDY_REALLOC(v, cap, 5000), 0);
	assert_int_equal(cap, 5000);
	assert_int_equal(v[100], 100);
	free(v);
}

static void test_grow_overflow(void **state)
{
	uint64_t *v = NULL, *was;
	size_t cap = 0;
	char *big = NULL;
	size_t bigcap = 0;

	(void)state;
	assert_int_equal(GREEDY_REALLOC(v, cap, 10), 0);
	was = v;
	/* need * size does not fit: refused, v and cap untouched. */
	assert_int_equal(GREEDY_REALLOC(v, cap, SIZE_MAX / 4), -ENOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 512);
	assert_int_equal(GREEDY_REALLOC(v, cap, SIZE_MAX), -ENOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, 512);
	/* Fits a size_t but not memory: realloc fails, nothing lost. */
	assert_int_equal(GREEDY_REALLOC(big, bigcap, SIZE_MAX / 2), -ENOMEM);
	assert_null(big);
	assert_int_equal(bigcap, 0);
	/* Elements of size 0 make no sense: refused. */
	assert_int_equal(grow_array((void **)&big, &bigcap, 1, 0), -ENOMEM);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_array_size),
	    cmocka_unit_test(test_grow),
	    cmocka_unit_test(test_grow_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
