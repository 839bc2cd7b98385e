/* nmap's -T0 … -T5 (see timing.h). */
#include <errno.h>
#include <string.h>

#include "scan/timing.h"
#include "util/strnum.h"
#include "util/array.h"

struct scan_template {
	uint32_t min_rtt_ms, max_rtt_ms, initial_rtt_ms;
	unsigned max_retries;
	uint32_t scan_delay_ms;
	unsigned max_parallel; /* 0: the descriptor budget */
	uint64_t host_timeout_ms;
};

static const struct scan_template scan_templates[] = {
    [0] = {.min_rtt_ms = 100,
           .max_rtt_ms = 300000,
           .initial_rtt_ms = 300000,
           .max_retries = 10,
           .scan_delay_ms = 300000,
           .max_parallel = 1},
    [1] = {.min_rtt_ms = 100,
           .max_rtt_ms = 15000,
           .initial_rtt_ms = 15000,
           .max_retries = 10,
           .scan_delay_ms = 15000,
           .max_parallel = 1},
    [2] = {.min_rtt_ms = 100,
           .max_rtt_ms = 10000,
           .initial_rtt_ms = 1000,
           .max_retries = 10,
           .scan_delay_ms = 400,
           .max_parallel = 1},
    [3] = {.min_rtt_ms = 100, .max_rtt_ms = 10000, .initial_rtt_ms = 1000, .max_retries = 10},
    [4] = {.min_rtt_ms = 100, .max_rtt_ms = 1250, .initial_rtt_ms = 500, .max_retries = 6},
    [5] = {.min_rtt_ms = 50,
           .max_rtt_ms = 300,
           .initial_rtt_ms = 250,
           .max_retries = 2,
           .host_timeout_ms = 900000},
};

int scan_timing_template(unsigned level, unsigned max_window, struct cc_params *p,
                         uint64_t *host_timeout_us)
{
	const struct scan_template *t;
	double win = max_window ? max_window : 1;

	if (level >= ARRAY_SIZE(scan_templates))
		return -ERANGE;
	t = &scan_templates[level];
	if (t->max_parallel && t->max_parallel < win)
		win = t->max_parallel;
	*p = (struct cc_params){
	    .min_rtt_us = t->min_rtt_ms * 1000,
	    .max_rtt_us = t->max_rtt_ms * 1000,
	    .initial_rtt_us = t->initial_rtt_ms * 1000,
	    .max_retries = t->max_retries,
	    /* Filtered ports time out on every try: keep some parallelism regardless. */
	    .cwnd_min = win < 10 ? win : 10,
	    .cwnd_init = win < 10 ? win : 10,
	    .cwnd_max = win,
	    .ssthresh_init = win < 75 ? win : 75,
	    .scan_delay_us = t->scan_delay_ms * 1000,
	};
	/* T4/T5 start wider, as nmap's aggressive templates do. */
	if (level >= 4 && win >= 50)
		p->cwnd_init = 50;
	*host_timeout_us = t->host_timeout_ms * 1000;
	return 0;
}

int scan_timing_parse_level(const char *s)
{
	static const char *const names[] = {"paranoid", "sneaky",     "polite",
	                                    "normal",   "aggressive", "insane"};

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		if ((s[0] == '0' + i && s[1] == '\0') || strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}

int scan_timing_parse_time(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
	size_t digits;
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	digits = strspn(s, "0123456789");
	if (digits == 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + digits, units[i].unit) != 0)
			continue;
		r = strnum_u64n(s, digits, 0, 1000000000000ull / units[i].ms, &v);
		if (r < 0)
			return r;
		*ms = v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}
