/*
 * Congestion control of a scan, pure logic (no clock, no sockets: the caller
 * passes the time in microseconds), in the spirit of TCP and nmap's ultra_scan:
 *
 *   window   cwnd probes may be in flight. It starts at cwnd_init, grows by one
 *            per reply while below ssthresh (slow start, doubling per round
 *            trip), then by 1/cwnd per reply (congestion avoidance). A reply
 *            that needed a retry (a drop: loss for sure) halves cwnd and
 *            ssthresh; once such a loss is proven, a timeout (a drop, or just
 *            a filtered port) takes a quarter of cwnd; before it, a timeout is
 *            a firewall's silence and grows cwnd like a reply. A cut happens at
 *            most once per round trip (only probes sent after the last cut can
 *            cut again), never below cwnd_min.
 *   timeout  rto = srtt + 4*rttvar (RFC 6298 smoothing), clamped to
 *            [min_rtt_us, max_rtt_us]; initial_rtt_us until the first sample.
 *   retries  a silent probe is resent up to min(max_retries, max(1, highest
 *            retry that ever got a reply + 1)) times, as nmap does, so a lossless
 *            target does not pay max_retries on every filtered port.
 *   rate     max_rate caps probes per second (token bucket of 10 ms worth),
 *            min_rate sends past the window when behind; scan_delay spaces
 *            probes (T0-T2).
 *   fds      cc_on_emfile() caps the window at what is in flight.
 *
 * Example: cwnd_init 10, ssthresh 50: 40 first-try replies give cwnd 50; a
 * drop gives cwnd 25, ssthresh 25; a timeout one round trip later gives cwnd
 * 18.75 (ssthresh stays 25). Without the drop the timeout gives cwnd 50.02.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cc_params {
	uint32_t min_rtt_us, max_rtt_us, initial_rtt_us;
	unsigned max_retries;
	double cwnd_init, cwnd_min, cwnd_max; /* probes in flight */
	double ssthresh_init;
	uint32_t scan_delay_us;    /* gap between two probes, 0 none */
	double min_rate, max_rate; /* probes per second, 0 none */
};

struct cc_state {
	struct cc_params p;
	double cwnd, ssthresh;
	double limit; /* hard cap from resources (cc_on_emfile), <= cwnd_max */
	int64_t srtt_us, rttvar_us;
	bool have_rtt;
	uint32_t rto_us;
	unsigned max_ok_try;  /* highest try number that got a reply (0 = first) */
	uint64_t last_cut_us; /* when the window was last cut */
	uint64_t start_us, last_send_us;
	double tokens; /* max_rate bucket */
	uint64_t sent, replies, timeouts, drops;
};

/* Starts the state at time now_us. */
void cc_init(struct cc_state *cc, const struct cc_params *p, uint64_t now_us);

/* A reply to a probe sent at sent_us, now now_us, on try tryno (0 = first send). */
void cc_on_reply(struct cc_state *cc, uint64_t sent_us, uint64_t now_us, unsigned tryno);

/* A probe sent at sent_us got no reply within the timeout; now is now_us. */
void cc_on_timeout(struct cc_state *cc, uint64_t sent_us, uint64_t now_us);

/* Out of descriptors (EMFILE, ENFILE) with inflight probes in flight. */
void cc_on_emfile(struct cc_state *cc, unsigned inflight);

/* A probe is sent at now_us. */
void cc_on_send(struct cc_state *cc, uint64_t now_us);

/* How many more probes may be sent at now_us with inflight in flight. */
unsigned cc_send_budget(struct cc_state *cc, unsigned inflight, uint64_t now_us);

/* When a rate or delay limit next allows a probe (<= now_us when it does now). */
uint64_t cc_next_send_us(const struct cc_state *cc, uint64_t now_us);

/* The probe timeout now. */
static inline uint32_t cc_rto_us(const struct cc_state *cc)
{
	return cc->rto_us;
}

/* How many times a silent probe is resent before it counts as no-response. */
unsigned cc_retries_allowed(const struct cc_state *cc);
