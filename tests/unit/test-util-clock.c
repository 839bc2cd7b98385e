/* util/clock.h, util/seed.h, util/rlimit.h: the process's clocks, seeds and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <cmocka.h>

#include "util/clock.h"
#include "util/rlimit.h"
#include "util/seed.h"

static void test_mono(void **state)
{
	uint64_t us0 = clock_mono_us(), ms0 = clock_mono_ms();
	double s0 = clock_mono();
	struct timespec nap = {.tv_nsec = 20 * 1000 * 1000};

	(void)state;
	nanosleep(&nap, NULL);
	assert_true(clock_mono_us() - us0 >= 20000);
	assert_true(clock_mono_ms() - ms0 >= 19); /* ms0 was truncated */
	assert_true(clock_mono() - s0 >= 0.02);
	assert_true(clock_mono() - s0 < 10.0);
	/* The three are one clock. */
	assert_true(clock_mono_us() / 1000 - clock_mono_ms() <= 1);
}

static void test_wall(void **state)
{
	double w = clock_wall();
	time_t t = time(NULL);

	(void)state;
	assert_true(w > 1.6e9); /* after 2020 */
	assert_true(w - (double)t < 2.0 && (double)t - w < 2.0);
}

static void test_after(void **state)
{
	struct timespec now, at;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &now);
	at = clock_mono_after_ms(1750);
	assert_true(at.tv_nsec >= 0 && at.tv_nsec < 1000000000L);
	{
		double d =
		    (double)(at.tv_sec - now.tv_sec) + (double)(at.tv_nsec - now.tv_nsec) / 1e9;

		assert_true(d >= 1.75 && d < 1.85);
	}
}

static void test_seed(void **state)
{
	uint64_t a = seed_random(), b = seed_random(), c = seed_random();

	(void)state;
	/* 64 random bits: three equal draws would be a broken source. */
	assert_false(a == b && b == c);
}

static void test_raise_nofile(void **state)
{
	struct rlimit saved, low, now;
	int r;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max < 64) {
		skip();
		return;
	}
	low = saved;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = rlimit_raise_nofile();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_true(now.rlim_cur == saved.rlim_max);
	assert_int_equal((rlim_t)r, now.rlim_cur);
	/* Already at the hard limit: nothing to do, the same answer. */
	assert_int_equal(rlimit_raise_nofile(), r);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mono),         cmocka_unit_test(test_wall),
	    cmocka_unit_test(test_after),        cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_raise_nofile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
