/* The raw scans' send rate: growth while nothing is lost, cuts on each kind of loss, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/ratectl.h"

#define TICK RATECTL_TICK_US

/* The example of ratectl.h: doubling, then a halving capped by what got through. */
static void test_example(void **state)
{
	struct cc_params p = {0};
	struct ratectl rt;
	struct ratectl_counts c = {0};

	(void)state;
	ratectl_init(&rt, &p, 0);
	assert_true(rt.rate == 10000);
	c.sent = c.replies = 500;
	assert_true(ratectl_tick(&rt, &c, TICK, false, 0) == 20000);
	c.sent += 1000;
	c.replies += 400;
	c.drops = 3;
	assert_true(ratectl_tick(&rt, &c, 2 * TICK, false, 0) == 8800);
	assert_true(rt.lost);
	/* After a loss the rate grows by quarters. */
	c.sent += 440;
	c.replies += 440;
	assert_true(ratectl_tick(&rt, &c, 3 * TICK, false, 0) == 11000);
}

/* Late replies cut a quarter once per pass; a full device queue halves. */
static void test_late_and_nobufs(void **state)
{
	struct cc_params p = {0};
	struct ratectl rt;
	struct ratectl_counts c = {0};

	(void)state;
	ratectl_init(&rt, &p, 0);
	c.late = 1;
	assert_true(ratectl_tick(&rt, &c, TICK, false, 1) == 7500);
	c.late = 2; /* the same pass: no second cut, and no growth while late ones come */
	assert_true(ratectl_tick(&rt, &c, 2 * TICK, false, 1) == 7500);
	c.late = 3; /* the next pass may cut again */
	assert_true(ratectl_tick(&rt, &c, 3 * TICK, false, 2) == 5625);
	c.nobufs = 1;
	assert_true(ratectl_tick(&rt, &c, 4 * TICK, false, 2) == 2812.5);
}

/* The first pass watches the reply ratio; a falling one is loss. */
static void test_ratio(void **state)
{
	struct cc_params p = {0};
	struct ratectl rt;
	struct ratectl_counts c = {0};

	(void)state;
	ratectl_init(&rt, &p, 0);
	c.sent = c.replies = 400;
	ratectl_tick(&rt, &c, TICK, true, 0); /* ratio 1: 20,000 */
	c.sent += 1000;
	c.replies += 100; /* 0.1 of the probes answered */
	assert_true(ratectl_tick(&rt, &c, 2 * TICK, true, 0) == 2200);
	/* The same counters outside a first pass are no loss. */
	ratectl_init(&rt, &p, 0);
	c = (struct ratectl_counts){.sent = 400, .replies = 400};
	ratectl_tick(&rt, &c, TICK, false, 0);
	c.sent += 1000;
	c.replies += 100;
	assert_true(ratectl_tick(&rt, &c, 2 * TICK, false, 0) == 40000);
}

/* --min-rate, --max-rate and the scan delay bound the rate. */
static void test_bounds(void **state)
{
	struct cc_params p = {.min_rate = 300, .max_rate = 12000};
	struct ratectl rt;
	struct ratectl_counts c = {0};

	(void)state;
	ratectl_init(&rt, &p, 0);
	c.sent = c.replies = 1000;
	assert_true(ratectl_tick(&rt, &c, TICK, false, 0) == 12000);
	for (int i = 2; i < 20; i++) {
		c.drops++;
		ratectl_tick(&rt, &c, (uint64_t)i * TICK, false, 0);
	}
	assert_true(rt.rate == 300);
	p = (struct cc_params){.scan_delay_us = 400000};
	ratectl_init(&rt, &p, 0);
	assert_true(rt.rate == 2.5); /* one probe per 0.4 s, under the usual floor */
	/* A tick of no time changes nothing. */
	assert_true(ratectl_tick(&rt, &c, 0, false, 0) == 2.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example),
	    cmocka_unit_test(test_late_and_nobufs),
	    cmocka_unit_test(test_ratio),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
