/* The send rate of raw scans (see ratectl.h). */
#include <math.h>

#include "scan/ratectl.h"

#define RATECTL_START   10000.0   /* probes per second */
#define RATECTL_CEILING 2000000.0 /* without --max-rate */
#define RATECTL_FLOOR   50.0      /* without --min-rate */
#define RATECTL_FAST    1000000.0 /* below this the rate doubles while nothing is lost */
#define RATECTL_BURST   64        /* tokens a bucket holds at least (a batch) */

void ratectl_init(struct ratectl *rt, const struct cc_params *p, uint64_t now_us)
{
	*rt = (struct ratectl){.floor = RATECTL_FLOOR, .ceiling = RATECTL_CEILING};
	if (p->max_rate > 0)
		rt->ceiling = p->max_rate;
	if (p->scan_delay_us)
		rt->ceiling = fmin(rt->ceiling, 1e6 / p->scan_delay_us);
	if (p->min_rate > 0)
		rt->floor = fmin(p->min_rate, rt->ceiling);
	rt->floor = fmin(rt->floor, rt->ceiling);
	rt->rate = fmax(fmin(RATECTL_START, rt->ceiling), rt->floor);
	rt->last_tick = now_us;
}

double ratectl_tick(struct ratectl *rt, const struct ratectl_counts *c, uint64_t now_us,
                    bool first_pass, unsigned pass)
{
	double dsent = (double)(c->sent - rt->at.sent),
	       drep = (double)(c->replies - rt->at.replies);
	double span = (double)(now_us - rt->last_tick) / 1e6;
	bool late_now = c->late > rt->at.late;
	double cut = 1;

	if (span <= 0)
		return rt->rate;
	if (c->drops > rt->at.drops || c->nobufs > rt->at.nobufs)
		cut = 0.5;
	else if ((late_now && rt->cut_pass != pass + 1) ||
	         (first_pass && dsent >= 256 && rt->ratio > 0 && drep / dsent < 0.5 * rt->ratio))
		cut = 0.75;
	if (cut < 1) {
		double answered = drep / span; /* replies per second: what got through */

		rt->rate *= cut;
		if (drep >= 16 && rt->rate > 1.1 * answered)
			rt->rate = 1.1 * answered;
		rt->lost = true;
		if (late_now)
			rt->cut_pass = pass + 1;
	} else if (!late_now && dsent >= 0.5 * rt->rate * span) {
		/* Only when the rate is what limits us. */
		rt->rate *= !rt->lost && rt->rate < RATECTL_FAST ? 2 : 1.25;
	}
	rt->rate = fmax(fmin(rt->rate, rt->ceiling), rt->floor);
	if (first_pass && dsent >= 256)
		rt->ratio = rt->ratio > 0 ? 0.8 * rt->ratio + 0.2 * drep / dsent : drep / dsent;
	rt->at = *c;
	rt->last_tick = now_us;
	return rt->rate;
}

uint64_t ratectl_take(struct ratectl_bucket *b, double rate, uint64_t now_us)
{
	double burst = fmax(RATECTL_BURST, rate * 0.002);

	b->tokens = fmin(b->tokens + (double)(now_us - b->last_refill) * rate / 1e6, burst);
	b->last_refill = now_us;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (uint64_t)((1 - b->tokens) * 1e6 / rate) + 1;
}
