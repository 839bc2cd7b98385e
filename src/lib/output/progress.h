/*
 * The progress line of a scan on a terminal (stderr), redrawn in place with
 * '\r' at most four times a second and cleared at the end:
 *   "  42.1%  12345 probes/s  3 open  ETA 0:12"
 * The ETA extrapolates the time per decided probe unless the engine gives its
 * own (scan_progress.has_eta).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "scan/result.h"

struct out_progress {
	FILE *f;
	double last;  /* elapsed seconds at the last redraw */
	size_t width; /* characters drawn, to clear */
};

/* Redraws the line when at least 0.25 s have passed since the last one. */
void out_progress_update(struct out_progress *p, const struct scan_progress *sp);

/* Erases the line (before other output, and at the end). */
void out_progress_clear(struct out_progress *p);
