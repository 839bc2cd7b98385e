/*
 * Reports from the history: one self-contained HTML page (inline CSS and SVG,
 * a few lines of inline script, no fetch of anything) and a Prometheus
 * textfile (prom.h).
 *
 * The page is written as the history is read, section by section, so a
 * fleet of thousands of hosts costs no more memory than one row:
 *
 *   fleet       (when the history's runs of the page's kind cover several hosts)
 *               one row per host: its newest run, open, reachable, findings
 *   per run     audit: summary cards, timeline of the runs of the same targets
 *               and machine (open ports and findings per run), the changes since
 *               the previous one (new and fixed findings, opened and closed
 *               endpoints), findings by severity (evidence, owner, fix,
 *               reference), port ≠ service, the exposure table (socket,
 *               exposure, reachable on, the rule that decided, service, owner)
 *               scan: cards, timeline, changes, hosts, ports (sortable)
 *
 * Everything the page shows comes from the store's row structs (store.h:
 * store_run, store_counts, store_finding_row, store_endpoint_row,
 * store_port_row, store_fleet_host, the changes of diff.h): a field added
 * there is one column in the store's SELECT and one cell here. All text from
 * the history is escaped (html.h); the page's Content-Security-Policy allows
 * only its own style and script.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

struct kb;

#define REPORT_HISTORY_DEFAULT 100 /* runs in a timeline */

struct report_request {
	const int64_t *runs;   /* the runs to show, in this order */
	size_t nruns;          /* 0: report_default_run() */
	size_t history;        /* runs in each timeline; 0: REPORT_HISTORY_DEFAULT */
	bool no_fleet;         /* leave the fleet section out */
	const char *title;     /* NULL: made from the first run */
	const char *source;    /* the history file, named in the header; may be NULL */
	const char *generator; /* "portscope 0.1.0", in the header and footer */
	double now;            /* when the page is made, seconds since the epoch */
	const struct kb *kb;   /* port names for the scans' port ≠ service; may be NULL */
};

/*
 * The run a report shows by default: the newest complete audit, else the
 * newest complete scan. Returns 0 with *id, -ENOENT (no complete run), or a
 * negative errno.
 */
int report_default_run(struct store *st, int64_t *id);

/*
 * Writes the page to out. Returns 0, or a negative errno with a reason in why:
 * -ENOENT (a run that does not exist, or no run at all), -EBADMSG (a malformed
 * stored record), -EIO (out could not be written), -ENOMEM.
 */
int report_html(struct store *st, const struct report_request *rq, FILE *out, char *why,
                size_t whylen);
