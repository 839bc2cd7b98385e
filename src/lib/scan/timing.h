/*
 * nmap's timing templates -T0 … -T5 as congestion parameters.
 *
 *   T0 paranoid   one probe at a time, 5 min apart     (scan_delay 300 s)
 *   T1 sneaky     one probe at a time, 15 s apart
 *   T2 polite     0.4 s between probes
 *   T3 normal     the default: rtt timeout 100 ms … 10 s, 10 retries
 *   T4 aggressive rtt timeout 100 ms … 1.25 s (initial 0.5 s), 6 retries
 *   T5 insane     rtt timeout 50 ms … 0.3 s (initial 0.25 s), 2 retries,
 *                 host timeout 15 min
 *
 * Example: scan_timing_template(4, 1000, &p, &ht) gives p.max_rtt_us 1250000,
 * p.max_retries 6, ht 0 (no host timeout).
 */
#pragma once

#include <stdint.h>

#include "scan/congestion.h"

/*
 * Fills p for template level (0-5) with at most max_window probes in flight
 * (the descriptor budget), and *host_timeout_us (0 = none).
 * Returns 0 or -ERANGE for a level above 5.
 */
int scan_timing_template(unsigned level, unsigned max_window, struct cc_params *p,
                         uint64_t *host_timeout_us);

/*
 * Parses a timing template: "0" … "5" or its name ("paranoid", "sneaky",
 * "polite", "normal", "aggressive", "insane"). Returns the level or -EINVAL.
 */
int scan_timing_parse_level(const char *s);

/*
 * Parses an nmap time: a whole number with an optional unit ms, s, m or h
 * (seconds when none): "500ms", "30s", "15m", "2h", "90". Stores milliseconds.
 * Returns 0, -EINVAL (malformed) or -ERANGE (over 10^12 ms).
 * Example: "15m" gives 900000.
 */
int scan_timing_parse_time(const char *s, uint64_t *ms);
