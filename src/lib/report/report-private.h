/* What the report's files share: the page being written and its section writers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/html.h"
#include "report/report.h"
#include "store/store.h"

struct report {
	struct store *st;
	const struct report_request *rq;
	struct html h;
	int err; /* first store error of a section */
};

/* One run of a timeline. */
struct report_point {
	int64_t id;
	double start;
	uint64_t open, reachable, findings;
	uint64_t sev[STORE_SEVERITIES];
};

/* assets.c: the document head (with its CSP) up to <body>, and the closing script. */
int report_head(struct html *h, const char *title, const char *generator);
void report_tail(struct html *h);

/* "2026-11-24 10:47 UTC" (local time) into buf. */
const char *report_time(double t, char *buf, size_t len);

/* "2026-11-24" (local time) into buf. */
const char *report_date(double t, char *buf, size_t len);

/* "198.18.0.2:22/tcp", "[fd00::1]:53/udp", "22/tcp" (no host), "—" (no port) into buf. */
const char *report_where(const char *host, int proto, uint16_t port, char *buf, size_t len);

/* A sort key for a host cell: IPv4 addresses zero-padded ("198.018.000.002"), else the text. */
const char *report_host_key(const char *host, char *buf, size_t len);

/* <span class="sev high">high</span>; an unknown severity is shown as it is, escaped. */
void report_severity_badge(struct html *h, const char *severity);

/* <span class="exp reachable">reachable</span>. */
void report_exposure_badge(struct html *h, const char *exposure);

/* One summary card: a number, its label (trusted), and an optional delta line. */
void report_card(struct html *h, const char *cls, uint64_t n, const char *label, bool have_prev,
                 uint64_t prev);

/* A run's title ("Audit of web-1", "Scan of 198.18.0.0/24") into buf; text, not escaped. */
const char *report_run_title(const struct store_run *r, char *buf, size_t len);

/* report-history.c: the runs of r's timeline (oldest first), at most max; *n gets the count. */
int report_timeline_points(struct report *rp, const struct store_run *r, size_t max,
                           struct report_point **pts, size_t *n);

/* The timeline chart and its table. */
void report_timeline(struct report *rp, const struct store_run *r, const struct report_point *pts,
                     size_t n, bool findings);

/* The changes between run a (older) and b: audits by endpoint and finding, scans by port. */
int report_changes(struct report *rp, const struct store_run *b, int64_t a, bool audit);

/* report-audit.c: the findings, port ≠ service and exposure sections of an audit. */
int report_audit_details(struct report *rp, const struct store_run *r,
                         const struct store_counts *c);

/* report-scan.c: the hosts and ports of a scan. */
int report_scan_details(struct report *rp, const struct store_run *r);

/* report-fleet.c: the fleet section when kind's runs cover several hosts. Returns 0 or errno. */
int report_fleet(struct report *rp, const char *kind, bool *written);
