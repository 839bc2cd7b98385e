/* A run's history on the page: the timeline chart and the changes since the previous run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report-private.h"
#include "store/diff.h"

struct points_ctx {
	int64_t upto; /* the run the timeline ends with */
	size_t max;
	struct report_point *pts; /* newest first */
	size_t n;
};

static int points_collect(void *ctx, const struct store_run *r)
{
	struct points_ctx *p = ctx;

	if (r->id >= p->upto)
		return 0;
	p->pts[p->n++] = (struct report_point){.id = r->id, .start = r->start};
	return p->n + 1 >= p->max ? 1 : 0;
}

int report_timeline_points(struct report *rp, const struct store_run *r, size_t max,
                           struct report_point **pts, size_t *n)
{
	struct points_ctx p = {.upto = r->id, .max = max ? max : 1};
	bool audit = r->kind && strcmp(r->kind, "audit") == 0;
	int err = 0;

	*pts = NULL;
	*n = 0;
	p.pts = calloc(p.max, sizeof(*p.pts));
	if (!p.pts)
		return -ENOMEM;
	/* The complete runs before this one, newest first, then this one. */
	if (p.max > 1)
		err = store_runs(rp->st, &(struct store_query){.like = r->id, .complete = true},
		                 points_collect, &p);
	for (size_t i = 0; i < p.n / 2; i++) {
		struct report_point t = p.pts[i];

		p.pts[i] = p.pts[p.n - 1 - i];
		p.pts[p.n - 1 - i] = t;
	}
	p.pts[p.n++] = (struct report_point){.id = r->id, .start = r->start};
	for (size_t i = 0; i < p.n && !err; i++) {
		struct report_point *pt = &p.pts[i];
		struct store_counts c;

		err = store_run_counts(rp->st, pt->id, &c);
		if (err)
			break;
		pt->open = audit && c.endpoints ? c.endpoints : c.open_tcp + c.open_udp;
		pt->reachable = audit ? c.reachable : c.open_tcp + c.open_udp;
		memcpy(pt->sev, c.findings, sizeof(pt->sev));
		for (int s = 0; s < STORE_SEVERITIES; s++)
			pt->findings += c.findings[s];
		pt->findings += c.findings_other;
	}
	if (err) {
		free(p.pts);
		return err;
	}
	*pts = p.pts;
	*n = p.n;
	return 0;
}

/* Chart geometry (SVG user units). */
enum {
	CH_W = 760,
	CH_H = 240,
	CH_L = 48, /* left margin: the y labels */
	CH_R = 16,
	CH_T = 14,
	CH_B = 44, /* bottom margin: the x labels */
};

static double chart_x(size_t i, size_t n)
{
	double w = CH_W - CH_L - CH_R;

	return n <= 1 ? CH_L + w / 2 : CH_L + w * (double)i / (double)(n - 1);
}

static double chart_y(uint64_t v, uint64_t top)
{
	double h = CH_H - CH_T - CH_B;

	return CH_T + h - h * (double)v / (double)top;
}

/* A "nice" top for the y axis: 4, 8, 10, 20, 40, 50, 100… at or above max. */
static uint64_t chart_top(uint64_t max)
{
	static const uint64_t steps[] = {1, 2, 5};
	uint64_t scale = 1;

	if (max < 4)
		return 4;
	for (;;) {
		for (size_t i = 0; i < 3; i++)
			if (steps[i] * scale * 4 >= max)
				return steps[i] * scale * 4;
		scale *= 10;
	}
}

/* One series: its line and one point per run, each with a tooltip. */
static void chart_series(struct html *h, const struct report_point *pts, size_t n, uint64_t top,
                         bool findings)
{
	char when[64];

	html_rawf(h, "<polyline class=\"%s\" points=\"", findings ? "s-find" : "s-open");
	for (size_t i = 0; i < n; i++)
		html_rawf(h, "%s%.1f,%.1f", i ? " " : "", chart_x(i, n),
		          chart_y(findings ? pts[i].findings : pts[i].open, top));
	html_raw(h, "\"/>\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t v = findings ? pts[i].findings : pts[i].open;

		html_rawf(
		    h,
		    "<circle class=\"pt %s\" data-run=\"%lld\" data-value=\"%llu\" cx=\"%.1f\" "
		    "cy=\"%.1f\" r=\"3.5\"><title>run %lld, ",
		    findings ? "pt-findings" : "pt-open", (long long)pts[i].id,
		    (unsigned long long)v, chart_x(i, n), chart_y(v, top), (long long)pts[i].id);
		html_text(h, report_time(pts[i].start, when, sizeof(when)));
		html_rawf(h, ": %llu %s</title></circle>\n", (unsigned long long)v,
		          findings ? "findings" : "open ports");
	}
}

void report_timeline(struct report *rp, const struct store_run *r, const struct report_point *pts,
                     size_t n, bool findings)
{
	struct html *h = &rp->h;
	uint64_t max = 0, top;
	long long id = (long long)r->id;
	char when[64];

	for (size_t i = 0; i < n; i++) {
		max = pts[i].open > max ? pts[i].open : max;
		if (findings)
			max = pts[i].findings > max ? pts[i].findings : max;
	}
	top = chart_top(max);
	html_rawf(h, "<h3 id=\"run-%lld-timeline\">Timeline</h3>\n<figure class=\"timeline\">\n",
	          id);
	html_rawf(h,
	          "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
	          "aria-labelledby=\"run-%lld-ct run-%lld-cd\">\n<title id=\"run-%lld-ct\">"
	          "Open ports%s per run, %zu run%s</title>\n<desc id=\"run-%lld-cd\">",
	          CH_W, CH_H, id, id, id, findings ? " and findings" : "", n, n == 1 ? "" : "s",
	          id);
	html_rawf(h, "From run %lld to run %lld; the table below the chart has the numbers.",
	          n ? (long long)pts[0].id : id, n ? (long long)pts[n - 1].id : id);
	html_raw(h, "</desc>\n");
	for (int g = 0; g <= 4; g++) {
		uint64_t v = top * (uint64_t)g / 4;
		double y = chart_y(v, top);

		html_rawf(h,
		          "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
		          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%llu</text>\n",
		          CH_L, CH_W - CH_R, y, y, CH_L - 6, y + 4, (unsigned long long)v);
	}
	/* x labels: the first, the last and a few between, never crowded. */
	for (size_t i = 0, step = n > 6 ? (n + 5) / 6 : 1; i < n; i++) {
		if (i % step && i != n - 1)
			continue;
		if (i != n - 1 && n > 1 && n - 1 - i < step / 2 + 1 && i)
			continue;
		const char *anchor = n < 2        ? "middle"
		                     : i == 0     ? "start"
		                     : i == n - 1 ? "end"
		                                  : "middle";

		html_rawf(h, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">run %lld</text>",
		          chart_x(i, n), CH_H - CH_B + 16, anchor, (long long)pts[i].id);
		html_rawf(h, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">", chart_x(i, n),
		          CH_H - CH_B + 30, anchor);
		html_text(h, report_date(pts[i].start, when, sizeof(when)));
		html_raw(h, "</text>\n");
	}
	chart_series(h, pts, n, top, false);
	if (findings)
		chart_series(h, pts, n, top, true);
	html_raw(h, "</svg>\n<figcaption class=\"legend\"><span class=\"k-open\">\xe2\x80\x94 "
	            "open ports</span>");
	if (findings)
		html_raw(h, " &nbsp; <span class=\"k-find\">- - findings</span>");
	html_raw(h,
	         "</figcaption>\n</figure>\n<details><summary>The timeline as a table</summary>\n");
	html_rawf(h,
	          "<table class=\"timeline sortable\"><caption>Runs of the same targets, oldest "
	          "first</caption>\n<thead><tr><th scope=\"col\">Run</th><th scope=\"col\">Started"
	          "</th><th scope=\"col\" class=\"num\">Open ports</th><th scope=\"col\" "
	          "class=\"num\">Reachable</th>%s</tr></thead>\n<tbody>\n",
	          findings ? "<th scope=\"col\" class=\"num\">Findings</th>" : "");
	for (size_t i = 0; i < n; i++) {
		html_rawf(h, "<tr><td class=\"num\">%lld</td><td data-sort=\"%.0f\">",
		          (long long)pts[i].id, pts[i].start);
		html_text(h, report_time(pts[i].start, when, sizeof(when)));
		html_raw(h, "</td>");
		html_num_cell(h, pts[i].open);
		html_num_cell(h, pts[i].reachable);
		if (findings)
			html_num_cell(h, pts[i].findings);
		html_raw(h, "</tr>\n");
	}
	html_raw(h, "</tbody></table>\n</details>\n");
}

/* The changes counted in the summary line, by their data-change name. */
enum change_class { CH_NEW, CH_FIXED, CH_OPENED, CH_CLOSED, CH_OTHER, CH_CLASSES };

static const char *const change_class_names[CH_CLASSES] = {
    [CH_NEW] = "finding-new", [CH_FIXED] = "finding-fixed",
    [CH_OPENED] = "opened",   [CH_CLOSED] = "closed",
    [CH_OTHER] = NULL,
};

static const char *const change_class_labels[CH_CLASSES][2] = {
    [CH_NEW] = {"new finding", "new findings"},
    [CH_FIXED] = {"fixed finding", "fixed findings"},
    [CH_OPENED] = {"port opened", "ports opened"},
    [CH_CLOSED] = {"port closed", "ports closed"},
    [CH_OTHER] = {"other change", "other changes"},
};

#define CHANGES_OPEN_MAX 50 /* a longer list starts folded */

struct changes_ctx {
	struct report *rp;
	bool audit;
	bool counting; /* the first pass: count, write nothing */
	uint64_t count[CH_CLASSES];
	size_t n;
};

/* Counts a change of kind in the first pass; returns whether to write it (second pass). */
static bool change_count(struct changes_ctx *c, const char *kind)
{
	enum change_class k = CH_OTHER;

	if (!c->counting)
		return true;
	for (int i = 0; i < CH_OTHER; i++)
		if (strcmp(kind, change_class_names[i]) == 0)
			k = (enum change_class)i;
	c->count[k]++;
	return false;
}

static void change_open(struct changes_ctx *c, const char *kind, const char *label)
{
	if (c->n++ == 0)
		html_raw(&c->rp->h, "<ul class=\"changes\">\n");
	html_rawf(&c->rp->h, "<li data-change=\"%s\"><span class=\"flag\">%s</span> ", kind, label);
}

static int change_endpoint(void *ctx, const struct store_endpoint_change *e)
{
	static const char *const kinds[] = {
	    [STORE_EP_OPENED] = "opened",
	    [STORE_EP_CLOSED] = "closed",
	    [STORE_EP_EXPOSURE] = "exposure",
	};
	static const char *const labels[] = {
	    [STORE_EP_OPENED] = "Opened",
	    [STORE_EP_CLOSED] = "Closed",
	    [STORE_EP_EXPOSURE] = "Exposure changed",
	};
	struct changes_ctx *c = ctx;
	struct html *h = &c->rp->h;
	char where[128];

	if (!change_count(c, kinds[e->kind]))
		return 0;
	change_open(c, kinds[e->kind], labels[e->kind]);
	html_raw(h, "<code>");
	html_text(h, report_where(e->host, e->proto, e->port, where, sizeof(where)));
	html_raw(h, "</code>");
	if (e->service) {
		html_raw(h, " (");
		html_text(h, e->service);
		html_raw(h, ")");
	}
	html_raw(h, ": ");
	if (e->kind == STORE_EP_EXPOSURE) {
		report_exposure_badge(h, e->old_exposure);
		html_raw(h, " \xe2\x86\x92 "); /* → */
	}
	report_exposure_badge(h, e->kind == STORE_EP_CLOSED ? e->old_exposure : e->new_exposure);
	html_raw(h, "</li>\n");
	return h->err;
}

/* "closed" → "open", a service text, for a port change. */
static void change_port_text(struct html *h, const struct store_change *sc)
{
	if (sc->kind == STORE_CH_SERVICE) {
		html_text_or(h, sc->old_service, "no service");
		html_raw(h, " \xe2\x86\x92 ");
		html_text_or(h, sc->new_service, "no service");
		return;
	}
	html_text(h, scan_state_name(sc->old_state));
	html_raw(h, " \xe2\x86\x92 ");
	html_text(h, scan_state_name(sc->new_state));
}

static int change_store(void *ctx, const struct store_change *sc)
{
	struct changes_ctx *c = ctx;
	struct html *h = &c->rp->h;
	const char *kind = store_change_kind_name(sc->kind);
	char where[128];

	if (c->audit && sc->kind != STORE_CH_FINDING_NEW && sc->kind != STORE_CH_FINDING_FIXED)
		return 0; /* an audit's ports are its endpoints, compared apart */
	if (!change_count(c, sc->kind == STORE_CH_PORT && sc->new_state == SCAN_OPEN   ? "opened"
	                     : sc->kind == STORE_CH_PORT && sc->old_state == SCAN_OPEN ? "closed"
	                                                                               : kind))
		return 0;
	switch (sc->kind) {
	case STORE_CH_FINDING_NEW:
	case STORE_CH_FINDING_FIXED:
		change_open(c, kind, sc->kind == STORE_CH_FINDING_NEW ? "New finding" : "Fixed");
		report_severity_badge(h, sc->severity);
		html_raw(h, " <code>");
		html_text(h, sc->check);
		html_raw(h, "</code> on <code>");
		html_text(h, report_where(sc->host, sc->proto, sc->port, where, sizeof(where)));
		html_raw(h, "</code>");
		if (sc->title) {
			html_raw(h, ": ");
			html_text(h, sc->title);
		}
		break;
	case STORE_CH_PORT:
		change_open(c,
		            sc->new_state == SCAN_OPEN   ? "opened"
		            : sc->old_state == SCAN_OPEN ? "closed"
		                                         : kind,
		            sc->new_state == SCAN_OPEN   ? "Opened"
		            : sc->old_state == SCAN_OPEN ? "Closed"
		                                         : "Port");
		html_raw(h, "<code>");
		html_text(h, report_where(sc->host, sc->proto, sc->port, where, sizeof(where)));
		html_raw(h, "</code>: ");
		change_port_text(h, sc);
		break;
	case STORE_CH_SERVICE:
		change_open(c, kind, "Service");
		html_raw(h, "<code>");
		html_text(h, report_where(sc->host, sc->proto, sc->port, where, sizeof(where)));
		html_raw(h, "</code>: ");
		change_port_text(h, sc);
		break;
	default:
		change_open(c, kind,
		            sc->kind == STORE_CH_HOST_NEW    ? "New host"
		            : sc->kind == STORE_CH_HOST_GONE ? "Host gone"
		            : sc->kind == STORE_CH_HOST_UP   ? "Host up"
		                                             : "Host down");
		html_raw(h, "<code>");
		html_text_or(h, sc->host, "?");
		html_raw(h, "</code>");
		break;
	}
	html_raw(h, "</li>\n");
	return h->err;
}

int report_changes(struct report *rp, const struct store_run *b, int64_t a, bool audit)
{
	struct changes_ctx c = {.rp = rp, .audit = audit};
	struct html *h = &rp->h;
	int64_t r = 0;

	html_rawf(h, "<h3 id=\"run-%lld-changes\">Changes", (long long)b->id);
	if (!a) {
		html_raw(h, "</h3>\n<p>No earlier complete run of the same targets to compare "
		            "with.</p>\n");
		return 0;
	}
	html_rawf(h, " since run %lld</h3>\n", (long long)a);
	if (audit) {
		/* An audit of schema 1 has no endpoints: its scan's ports stand in. */
		struct store_counts ca, cb;

		r = store_run_counts(rp->st, a, &ca);
		if (!r)
			r = store_run_counts(rp->st, b->id, &cb);
		c.audit = !r && ca.endpoints && cb.endpoints;
	}
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		c.counting = pass == 0;
		if (pass == 1) {
			uint64_t total = 0;

			for (int k = 0; k < CH_CLASSES; k++)
				total += c.count[k];
			if (!total)
				break;
			html_raw(h, "<p class=\"summary\">");
			for (int k = 0, first = 1; k < CH_CLASSES; k++) {
				if (!c.count[k] && k != CH_NEW && k != CH_FIXED)
					continue;
				html_rawf(h, "%s%llu %s", first ? "" : ", ",
				          (unsigned long long)c.count[k],
				          change_class_labels[k][c.count[k] != 1]);
				first = 0;
			}
			html_rawf(h, ".</p>\n<details%s><summary>The %llu change%s</summary>\n",
			          total <= CHANGES_OPEN_MAX ? " open" : "",
			          (unsigned long long)total, total == 1 ? "" : "s");
		}
		r = store_diff(rp->st, a, b->id, change_store, &c);
		if (r >= 0 && c.audit)
			r = store_endpoint_diff(rp->st, a, b->id, change_endpoint, &c);
	}
	if (r < 0)
		return (int)r;
	if (c.n)
		html_raw(h, "</ul>\n</details>\n");
	else
		html_raw(h, "<p>No changes.</p>\n");
	return 0;
}
