/* Window, timeout and retry accounting of a scan (see congestion.h). */
#include <math.h>

#include "scan/congestion.h"

static uint32_t cc_clamp_rto(const struct cc_params *p, int64_t rto)
{
	if (rto < (int64_t)p->min_rtt_us)
		return p->min_rtt_us;
	if (rto > (int64_t)p->max_rtt_us)
		return p->max_rtt_us;
	return (uint32_t)rto;
}

void cc_init(struct cc_state *cc, const struct cc_params *p, uint64_t now_us)
{
	*cc = (struct cc_state){
	    .p = *p,
	    .cwnd = p->cwnd_init,
	    .ssthresh = p->ssthresh_init,
	    .limit = p->cwnd_max,
	    .rto_us = cc_clamp_rto(p, p->initial_rtt_us),
	    .start_us = now_us,
	    .last_send_us = 0,
	    .tokens = 1,
	};
	if (cc->cwnd < p->cwnd_min)
		cc->cwnd = p->cwnd_min;
	if (cc->cwnd > p->cwnd_max)
		cc->cwnd = p->cwnd_max;
}

static void cc_update_rtt(struct cc_state *cc, int64_t rtt)
{
	if (!cc->have_rtt) {
		cc->srtt_us = rtt;
		cc->rttvar_us = rtt / 2;
		cc->have_rtt = true;
	} else {
		int64_t delta = cc->srtt_us - rtt;

		if (delta < 0)
			delta = -delta;
		cc->rttvar_us = (3 * cc->rttvar_us + delta) / 4;
		cc->srtt_us = (7 * cc->srtt_us + rtt) / 8;
	}
	cc->rto_us = cc_clamp_rto(&cc->p, cc->srtt_us + 4 * cc->rttvar_us);
}

/*
 * Cuts the window to factor times itself (and ssthresh too when loss is
 * certain), once per round trip: only probes sent after the last cut count.
 */
static void cc_cut(struct cc_state *cc, uint64_t sent_us, uint64_t now_us, double factor, bool loss)
{
	if (cc->last_cut_us && sent_us < cc->last_cut_us)
		return;
	cc->cwnd = fmax(cc->cwnd * factor, cc->p.cwnd_min);
	if (loss)
		cc->ssthresh = fmax(cc->cwnd, cc->p.cwnd_min);
	cc->last_cut_us = now_us ? now_us : 1;
}

/* One more probe in flight: slow start below ssthresh, then 1/cwnd per answer. */
static void cc_grow(struct cc_state *cc)
{
	if (cc->cwnd < cc->ssthresh)
		cc->cwnd += 1;
	else
		cc->cwnd += 1 / cc->cwnd;
	if (cc->cwnd > cc->limit)
		cc->cwnd = cc->limit;
}

void cc_on_reply(struct cc_state *cc, uint64_t sent_us, uint64_t now_us, unsigned tryno)
{
	cc->replies++;
	if (tryno > cc->max_ok_try)
		cc->max_ok_try = tryno;
	if (tryno > 0) {
		/* A resend answered: the first one was lost. Karn: no RTT sample. */
		cc->drops++;
		cc_cut(cc, sent_us, now_us, 0.5, true);
		return;
	}
	cc_update_rtt(cc, now_us > sent_us ? (int64_t)(now_us - sent_us) : 0);
	/* A descriptor limit hit earlier is probed again, slowly. */
	if (cc->limit < cc->p.cwnd_max)
		cc->limit = fmin(cc->p.cwnd_max, cc->limit + 1 / cc->limit);
	cc_grow(cc);
}

void cc_on_timeout(struct cc_state *cc, uint64_t sent_us, uint64_t now_us)
{
	cc->timeouts++;
	/*
	 * Until a resend has been answered, nothing says the network loses
	 * probes: silence is a firewall dropping them (a filtered port), and
	 * the window may grow as on a reply. Cutting here would crawl through a
	 * filtered host at cwnd_min probes per timeout.
	 */
	if (cc->drops == 0) {
		cc_grow(cc);
		return;
	}
	cc_cut(cc, sent_us, now_us, 0.75, false);
}

void cc_on_emfile(struct cc_state *cc, unsigned inflight)
{
	double lim = inflight > 1 ? (double)inflight : 1;

	if (lim < cc->limit)
		cc->limit = lim;
	if (cc->cwnd > cc->limit)
		cc->cwnd = cc->limit;
	if (cc->ssthresh > cc->limit)
		cc->ssthresh = cc->limit;
}

void cc_on_send(struct cc_state *cc, uint64_t now_us)
{
	if (cc->p.max_rate > 0) {
		if (cc->sent > 0 && now_us > cc->last_send_us) {
			double cap = fmax(1, cc->p.max_rate / 100);

			cc->tokens += (double)(now_us - cc->last_send_us) * cc->p.max_rate / 1e6;
			if (cc->tokens > cap)
				cc->tokens = cap;
		}
		cc->tokens -= 1;
	}
	cc->sent++;
	cc->last_send_us = now_us;
}

uint64_t cc_next_send_us(const struct cc_state *cc, uint64_t now_us)
{
	uint64_t t = now_us;

	if (cc->sent == 0)
		return now_us;
	if (cc->p.scan_delay_us && cc->last_send_us + cc->p.scan_delay_us > t)
		t = cc->last_send_us + cc->p.scan_delay_us;
	if (cc->p.max_rate > 0) {
		double have = cc->tokens;

		if (now_us > cc->last_send_us)
			have += (double)(now_us - cc->last_send_us) * cc->p.max_rate / 1e6;
		if (have < 1) {
			uint64_t at = now_us + (uint64_t)ceil((1 - have) * 1e6 / cc->p.max_rate);

			if (at > t)
				t = at;
		}
	}
	return t;
}

unsigned cc_send_budget(struct cc_state *cc, unsigned inflight, uint64_t now_us)
{
	double win = fmin(cc->cwnd, cc->limit);
	double budget = win > inflight ? floor(win - inflight) : 0;

	if (cc->p.min_rate > 0 && now_us > cc->start_us) {
		double due = (double)(now_us - cc->start_us) * cc->p.min_rate / 1e6;
		double behind = due - (double)cc->sent;

		/* Behind the minimum rate: send past the window, not past the fd limit. */
		if (behind > budget)
			budget = fmin(behind, cc->limit > inflight ? cc->limit - inflight : 0);
	}
	if (cc_next_send_us(cc, now_us) > now_us)
		return 0;
	if (cc->p.scan_delay_us && budget > 1)
		budget = 1;
	if (cc->p.max_rate > 0) {
		double have = cc->tokens, cap = fmax(1, cc->p.max_rate / 100);

		if (cc->sent > 0 && now_us > cc->last_send_us)
			have += (double)(now_us - cc->last_send_us) * cc->p.max_rate / 1e6;
		if (have > cap)
			have = cap;
		if (budget > floor(have))
			budget = floor(have);
	}
	return budget > 0 ? (unsigned)budget : 0;
}

unsigned cc_retries_allowed(const struct cc_state *cc)
{
	unsigned n = cc->max_ok_try + 1;

	return n < cc->p.max_retries ? n : cc->p.max_retries;
}
