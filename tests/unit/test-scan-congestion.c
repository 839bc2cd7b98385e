/* Congestion control of the scan engine: window, timeout, retries, rates, templates. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scan/congestion.h"
#include "scan/timing.h"

static const struct cc_params base = {
    .min_rtt_us = 100000,
    .max_rtt_us = 10000000,
    .initial_rtt_us = 1000000,
    .max_retries = 10,
    .cwnd_init = 10,
    .cwnd_min = 1,
    .cwnd_max = 300,
    .ssthresh_init = 50,
};

static void test_initial_state(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 1000);
	assert_true(cc.cwnd == 10);
	assert_int_equal(cc_rto_us(&cc), 1000000);
	assert_int_equal(cc_send_budget(&cc, 0, 1000), 10);
	assert_int_equal(cc_send_budget(&cc, 4, 1000), 6);
	assert_int_equal(cc_send_budget(&cc, 10, 1000), 0);
	assert_int_equal(cc_send_budget(&cc, 50, 1000), 0);
	/* No reply yet: one retry is allowed (nmap's max_successful_tryno + 1). */
	assert_int_equal(cc_retries_allowed(&cc), 1);
}

static void test_slow_start_then_avoidance(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	for (int i = 0; i < 40; i++)
		cc_on_reply(&cc, 1000, 2000, 0);
	assert_true(cc.cwnd == 50); /* +1 per reply up to ssthresh */
	cc_on_reply(&cc, 1000, 2000, 0);
	assert_true(cc.cwnd > 50 && cc.cwnd < 50.1); /* +1/cwnd above it */
	for (int i = 0; i < 50; i++)
		cc_on_reply(&cc, 1000, 2000, 0);
	assert_true(cc.cwnd > 50.9 && cc.cwnd < 51.1); /* about one per window */
}

static void test_window_capped(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;

	(void)state;
	p.cwnd_max = 20;
	cc_init(&cc, &p, 0);
	for (int i = 0; i < 100; i++)
		cc_on_reply(&cc, 1000, 2000, 0);
	assert_true(cc.cwnd == 20);
	assert_int_equal(cc_send_budget(&cc, 0, 3000), 20);
}

static void test_timeout_shrinks_once_per_rtt(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	for (int i = 0; i < 40; i++)
		cc_on_reply(&cc, 1000, 2000, 0);
	assert_true(cc.cwnd == 50);
	/* A resend answered at 2500 proves loss: halve (cut time 2500). */
	cc_on_reply(&cc, 1500, 2500, 1);
	assert_true(cc.cwnd == 25);
	assert_true(cc.ssthresh == 25);
	cc_on_timeout(&cc, 3000, 200000);
	assert_true(cc.cwnd == 18.75);
	assert_true(cc.ssthresh == 25); /* a timeout may be a filtered port: ssthresh stays */
	/* Probes sent before the cut do not cut again. */
	cc_on_timeout(&cc, 4000, 210000);
	cc_on_timeout(&cc, 199999, 220000);
	assert_true(cc.cwnd == 18.75);
	/* One sent after it does. */
	cc_on_timeout(&cc, 200001, 400000);
	assert_true(cc.cwnd == 18.75 * 0.75);
	assert_int_equal(cc.timeouts, 4);
}

static void test_timeout_without_proven_loss_grows(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	/* A filtered host: nothing ever answers, no resend ever answered. */
	for (int i = 0; i < 40; i++)
		cc_on_timeout(&cc, 1000 + (uint64_t)i, 300000 + (uint64_t)i);
	assert_true(cc.cwnd == 50);
	assert_int_equal(cc.timeouts, 40);
	cc_on_timeout(&cc, 2000, 400000);
	assert_true(cc.cwnd > 50 && cc.cwnd < 50.1); /* congestion avoidance above ssthresh */
}

static void test_never_below_min(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;

	(void)state;
	p.cwnd_min = 4;
	cc_init(&cc, &p, 0);
	cc_on_reply(&cc, 100, 200, 1); /* loss proven: timeouts cut from now on */
	for (uint64_t t = 1; t < 100; t++)
		cc_on_timeout(&cc, t * 1000000, t * 1000000 + 1);
	assert_true(cc.cwnd == 4);
	assert_int_equal(cc_send_budget(&cc, 0, 200000000), 4);
}

static void test_drop_halves_window_and_threshold(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	for (int i = 0; i < 40; i++)
		cc_on_reply(&cc, 1000, 2000, 0);
	/* A reply to the second try: the first was lost. */
	cc_on_reply(&cc, 5000, 9000, 1);
	assert_true(cc.cwnd == 25);
	assert_true(cc.ssthresh == 25);
	assert_int_equal(cc.drops, 1);
	/* Karn: no RTT sample from a resent probe. */
	assert_int_equal(cc.srtt_us, 1000);
}

static void test_rto_from_rtt(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	/* First sample R: srtt = R, rttvar = R/2, rto = 3R. */
	cc_on_reply(&cc, 0, 200000, 0);
	assert_int_equal(cc.srtt_us, 200000);
	assert_int_equal(cc.rttvar_us, 100000);
	assert_int_equal(cc_rto_us(&cc), 600000);
	/* Second sample 100000: rttvar = (3*100000 + 100000)/4, srtt = (7*200000 + 100000)/8. */
	cc_on_reply(&cc, 0, 100000, 0);
	assert_int_equal(cc.rttvar_us, 100000);
	assert_int_equal(cc.srtt_us, 187500);
	assert_int_equal(cc_rto_us(&cc), 587500);
}

static void test_rto_clamped(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	for (int i = 0; i < 20; i++)
		cc_on_reply(&cc, 0, 50, 0); /* loopback: 50 us */
	assert_int_equal(cc_rto_us(&cc), base.min_rtt_us);
	cc_init(&cc, &base, 0);
	cc_on_reply(&cc, 0, 8000000, 0); /* 8 s: 3R = 24 s */
	assert_int_equal(cc_rto_us(&cc), base.max_rtt_us);
}

static void test_retry_accounting(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;

	(void)state;
	p.max_retries = 3;
	cc_init(&cc, &p, 0);
	assert_int_equal(cc_retries_allowed(&cc), 1);
	cc_on_reply(&cc, 0, 100, 0);
	assert_int_equal(cc_retries_allowed(&cc), 1);
	cc_on_reply(&cc, 0, 100, 1); /* a second try was needed once */
	assert_int_equal(cc_retries_allowed(&cc), 2);
	cc_on_reply(&cc, 0, 100, 3);
	assert_int_equal(cc_retries_allowed(&cc), 3); /* capped at max_retries */
	p.max_retries = 0;
	cc_init(&cc, &p, 0);
	cc_on_reply(&cc, 0, 100, 2);
	assert_int_equal(cc_retries_allowed(&cc), 0);
}

static void test_emfile_caps_window(void **state)
{
	struct cc_state cc;

	(void)state;
	cc_init(&cc, &base, 0);
	for (int i = 0; i < 100; i++)
		cc_on_reply(&cc, 0, 1000, 0);
	assert_true(cc.cwnd > 50);
	cc_on_emfile(&cc, 30);
	assert_true(cc.cwnd == 30);
	assert_int_equal(cc_send_budget(&cc, 30, 2000), 0);
	assert_int_equal(cc_send_budget(&cc, 10, 2000), 20);
	/* Nothing in flight: still one at a time, never zero. */
	cc_on_emfile(&cc, 0);
	assert_int_equal(cc_send_budget(&cc, 0, 2000), 1);
	/* The limit is probed again slowly as replies come. */
	for (int i = 0; i < 200; i++)
		cc_on_reply(&cc, 0, 1000, 0);
	assert_true(cc.limit > 10 && cc.limit < 30);
}

static void test_max_rate(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;
	uint64_t t = 1000000, sent = 0;

	(void)state;
	p.max_rate = 1000; /* one per ms, bursts of 10 */
	p.cwnd_max = p.cwnd_init = 1000;
	cc_init(&cc, &p, t);
	/* One simulated second in 100 us steps, window never the limit. */
	for (uint64_t end = t + 1000000; t < end; t += 100) {
		unsigned b = cc_send_budget(&cc, 0, t);

		assert_true(b <= 10);
		for (unsigned i = 0; i < b; i++, sent++)
			cc_on_send(&cc, t);
	}
	assert_true(sent >= 990 && sent <= 1011);
	/* Just after a send the next one is due in about a millisecond. */
	assert_true(cc_next_send_us(&cc, t) >= t && cc_next_send_us(&cc, t) <= t + 1000);
}

static void test_min_rate(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;

	(void)state;
	p.min_rate = 10000;
	cc_init(&cc, &p, 0);
	/* After 10 ms at 10000/s, 100 are due: past the window of 10, not past the fd limit. */
	assert_int_equal(cc_send_budget(&cc, 10, 10000), 100);
	cc_on_emfile(&cc, 50);
	assert_int_equal(cc_send_budget(&cc, 10, 10000), 40);
}

static void test_scan_delay(void **state)
{
	struct cc_params p = base;
	struct cc_state cc;

	(void)state;
	p.scan_delay_us = 400000;
	cc_init(&cc, &p, 0);
	assert_int_equal(cc_send_budget(&cc, 0, 0), 1);
	cc_on_send(&cc, 0);
	assert_int_equal(cc_send_budget(&cc, 0, 1000), 0);
	assert_int_equal(cc_next_send_us(&cc, 1000), 400000);
	assert_int_equal(cc_send_budget(&cc, 0, 400000), 1);
}

static void test_templates(void **state)
{
	struct cc_params p;
	uint64_t ht = 1;

	(void)state;
	for (unsigned t = 0; t <= 5; t++) {
		assert_int_equal(scan_timing_template(t, 1000, &p, &ht), 0);
		assert_true(p.min_rtt_us > 0 && p.min_rtt_us <= p.initial_rtt_us);
		assert_true(p.initial_rtt_us <= p.max_rtt_us);
		assert_true(p.cwnd_min >= 1 && p.cwnd_min <= p.cwnd_init);
		assert_true(p.cwnd_init <= p.cwnd_max && p.cwnd_max <= 1000);
	}
	assert_int_equal(scan_timing_template(6, 1000, &p, &ht), -ERANGE);
	scan_timing_template(0, 1000, &p, &ht);
	assert_true(p.cwnd_max == 1);
	assert_int_equal(p.scan_delay_us, 300000000u);
	scan_timing_template(3, 1000, &p, &ht);
	assert_int_equal(p.max_retries, 10);
	assert_int_equal(p.max_rtt_us, 10000000);
	assert_int_equal(ht, 0);
	scan_timing_template(4, 1000, &p, &ht);
	assert_int_equal(p.max_rtt_us, 1250000);
	assert_int_equal(p.max_retries, 6);
	scan_timing_template(5, 1000, &p, &ht);
	assert_int_equal(p.max_rtt_us, 300000);
	assert_int_equal(p.max_retries, 2);
	assert_int_equal(ht, 900000000ull);
	/* A tiny descriptor budget bounds every window. */
	scan_timing_template(4, 3, &p, &ht);
	assert_true(p.cwnd_max == 3 && p.cwnd_init == 3 && p.cwnd_min == 3);
}

static void test_parse(void **state)
{
	uint64_t ms = 7;

	(void)state;
	assert_int_equal(scan_timing_parse_level("0"), 0);
	assert_int_equal(scan_timing_parse_level("5"), 5);
	assert_int_equal(scan_timing_parse_level("aggressive"), 4);
	assert_int_equal(scan_timing_parse_level("paranoid"), 0);
	assert_int_equal(scan_timing_parse_level("6"), -EINVAL);
	assert_int_equal(scan_timing_parse_level("44"), -EINVAL);
	assert_int_equal(scan_timing_parse_level(""), -EINVAL);
	assert_int_equal(scan_timing_parse_level("Aggressive"), -EINVAL);
	assert_int_equal(scan_timing_parse_time("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(scan_timing_parse_time("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(scan_timing_parse_time("15m", &ms), 0);
	assert_int_equal(ms, 900000);
	assert_int_equal(scan_timing_parse_time("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(scan_timing_parse_time("90", &ms), 0);
	assert_int_equal(ms, 90000);
	ms = 7;
	assert_int_equal(scan_timing_parse_time("", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("s", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("5x", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("-5s", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("1.5s", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("5 s", &ms), -EINVAL);
	assert_int_equal(scan_timing_parse_time("1000000000h", &ms), -ERANGE);
	assert_int_equal(scan_timing_parse_time("99999999999999999999999", &ms), -ERANGE);
	assert_int_equal(ms, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_state),
	    cmocka_unit_test(test_slow_start_then_avoidance),
	    cmocka_unit_test(test_window_capped),
	    cmocka_unit_test(test_timeout_shrinks_once_per_rtt),
	    cmocka_unit_test(test_timeout_without_proven_loss_grows),
	    cmocka_unit_test(test_never_below_min),
	    cmocka_unit_test(test_drop_halves_window_and_threshold),
	    cmocka_unit_test(test_rto_from_rtt),
	    cmocka_unit_test(test_rto_clamped),
	    cmocka_unit_test(test_retry_accounting),
	    cmocka_unit_test(test_emfile_caps_window),
	    cmocka_unit_test(test_max_rate),
	    cmocka_unit_test(test_min_rate),
	    cmocka_unit_test(test_scan_delay),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
