/* The HTML report: run selection, the page, each run's header and cards (see report.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report-private.h"
#include "util/array.h"
#include "util/why.h"

/* t (local time) as a date, with the time when with_time, into buf; "?" when it cannot be shown. */
static const char *report_strftime(double t, bool with_time, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	size_t n = 0;

	if (t > 0 && localtime_r(&s, &tm))
		n = with_time ? strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm)
		              : strftime(buf, len, "%Y-%m-%d", &tm);
	if (!n)
		snprintf(buf, len, "?");
	return buf;
}

const char *report_time(double t, char *buf, size_t len)
{
	return report_strftime(t, true, buf, len);
}

const char *report_date(double t, char *buf, size_t len)
{
	return report_strftime(t, false, buf, len);
}

const char *report_where(const char *host, int proto, uint16_t port, char *buf, size_t len)
{
	bool v6 = host && strchr(host, ':');

	if (!proto)
		snprintf(buf, len, "%s", host && *host ? host : "\xe2\x80\x94");
	else if (host && *host)
		snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
		         proto == 17 ? "udp" : "tcp");
	else
		snprintf(buf, len, "%u/%s", port, proto == 17 ? "udp" : "tcp");
	return buf;
}

const char *report_host_key(const char *host, char *buf, size_t len)
{
	struct in_addr a;

	if (host && inet_pton(AF_INET, host, &a) == 1) {
		const unsigned char *b = (const unsigned char *)&a;

		snprintf(buf, len, "%03u.%03u.%03u.%03u", b[0], b[1], b[2], b[3]);
	} else {
		snprintf(buf, len, "%s", host ? host : "");
	}
	return buf;
}

void report_severity_badge(struct html *h, const char *severity)
{
	int i = store_severity_index(severity);

	html_rawf(h, "<span class=\"sev %s\">", i >= 0 ? severity : "other");
	html_text_or(h, severity, "unknown");
	html_raw(h, "</span>");
}

void report_exposure_badge(struct html *h, const char *exposure)
{
	static const char *const known[] = {"reachable", "blocked", "loopback-only"};
	const char *cls = "other";

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (exposure && strcmp(exposure, known[i]) == 0)
			cls = known[i];
	html_rawf(h, "<span class=\"exp %s\">", cls);
	html_text_or(h, exposure, "unknown");
	html_raw(h, "</span>");
}

void report_card(struct html *h, const char *cls, uint64_t n, const char *label, bool have_prev,
                 uint64_t prev)
{
	html_rawf(h, "<li class=\"card%s%s\"><span class=\"n\">%llu</span> %s", cls ? " " : "",
	          cls ? cls : "", (unsigned long long)n, label);
	if (have_prev && n != prev)
		html_rawf(h, "<span class=\"d\">%s%lld since the previous run</span>",
		          n > prev ? "+" : "\xe2\x88\x92",
		          (long long)(n > prev ? n - prev : prev - n));
	else if (have_prev)
		html_raw(h, "<span class=\"d\">unchanged</span>");
	html_raw(h, "</li>\n");
}

const char *report_run_title(const struct store_run *r, char *buf, size_t len)
{
	bool audit = r->kind && strcmp(r->kind, "audit") == 0;

	if (audit && !r->targets)
		snprintf(buf, len, "Audit of %s",
		         r->hostname && *r->hostname ? r->hostname : "this machine");
	else
		snprintf(buf, len, "%s of %s", audit ? "Audit" : "Scan",
		         r->targets && *r->targets ? r->targets : "(no targets recorded)");
	return buf;
}

static int report_first_run(void *ctx, const struct store_run *r)
{
	*(int64_t *)ctx = r->id;
	return 1;
}

int report_default_run(struct store *st, int64_t *id)
{
	static const char *const kinds[] = {"audit", "scan"};
	int r = 0;

	*id = 0;
	for (size_t i = 0; i < 2 && !*id && r >= 0; i++)
		r = store_runs(
		    st, &(struct store_query){.kind = kinds[i], .limit = 1, .complete = true},
		    report_first_run, id);
	if (r < 0)
		return r;
	return *id ? 0 : -ENOENT;
}

/* Replaces b[from, to) with "***" (b has room for 2 more bytes a mask). */
static char *report_mask(char *b, size_t from, size_t to)
{
	memmove(b + from + 3, b + to, strlen(b + to) + 1);
	memcpy(b + from, "***", 3);
	return b + from + 3;
}

/*
 * Writes a run's command line with the passwords of PostgreSQL URIs
 * (postgresql://user:PASSWORD@host/db) and conninfo strings (password=X)
 * shown as ***: a page is mailed and published.
 */
static void report_command(struct html *h, const char *args)
{
	size_t len = strlen(args), n = 0;
	char *b, *p;

	for (p = (char *)args; (p = strstr(p, "password=")); p++)
		n++;
	for (p = (char *)args; (p = strstr(p, "://")); p++)
		n++;
	b = malloc(len + 3 * n + 1);
	if (!b) {
		html_text(h, "(command line hidden: out of memory)");
		return;
	}
	memcpy(b, args, len + 1);
	for (p = b; (p = strstr(p, "://"));) {
		char *user = p + 3, *end = user + strcspn(user, " \t'\"/?#");
		char *at = memchr(user, '@', (size_t)(end - user));
		char *colon = at ? memchr(user, ':', (size_t)(at - user)) : NULL;

		p = colon && at > colon + 1
		        ? report_mask(b, (size_t)(colon + 1 - b), (size_t)(at - b))
		        : user;
	}
	for (p = b; (p = strstr(p, "password="));) {
		char *v = p + strlen("password="), *e;

		if (*v == '\'' || *v == '"') {
			e = strchr(v + 1, *v);
			e = e ? e + 1 : v + strlen(v);
		} else {
			e = v + strcspn(v, " \t'\"");
		}
		p = e > v ? report_mask(b, (size_t)(v - b), (size_t)(e - b)) : v;
	}
	html_text(h, b);
	free(b);
}

/* The run's heading, what ran and when. */
static void report_run_header(struct report *rp, const struct store_run *r)
{
	struct html *h = &rp->h;
	char title[512], when[64];

	html_rawf(h, "<section id=\"run-%lld\" class=\"run\" data-run=\"%lld\" data-kind=\"",
	          (long long)r->id, (long long)r->id);
	html_text(h, r->kind);
	html_rawf(h, "\" aria-labelledby=\"run-%lld-h\">\n<h2 id=\"run-%lld-h\">", (long long)r->id,
	          (long long)r->id);
	html_text(h, report_run_title(r, title, sizeof(title)));
	html_rawf(h, " <span class=\"meta\">run %lld</span></h2>\n<p class=\"meta\">Started ",
	          (long long)r->id);
	html_text(h, report_time(r->start, when, sizeof(when)));
	if (r->end > r->start)
		html_rawf(h, ", took %.1f s", r->end - r->start);
	html_raw(h, "; ");
	html_text(h, store_status_name(r->status));
	if (r->targets && r->hostname && *r->hostname) {
		html_raw(h, "; from ");
		html_text(h, r->hostname);
	}
	if (r->args) {
		html_raw(h, ".<br>Command: <code>");
		report_command(h, r->args);
		html_raw(h, "</code>");
	}
	html_raw(h, "</p>\n");
}

/* The cards of an audit: endpoints by exposure, findings by severity. */
static void report_audit_cards(struct report *rp, const struct store_run *r,
                               const struct store_counts *c, const struct store_counts *p)
{
	static const char *const sev_label[STORE_SEVERITIES] = {"info", "low", "medium", "high"};
	struct html *h = &rp->h;
	bool have = p != NULL;
	uint64_t open = c->endpoints ? c->endpoints : c->open_tcp + c->open_udp;
	uint64_t popen = p ? (p->endpoints ? p->endpoints : p->open_tcp + p->open_udp) : 0;

	html_raw(h, "<ul class=\"cards\" aria-label=\"Summary\">\n");
	report_card(h, NULL, open, r->targets ? "open ports" : "listening sockets", have, popen);
	report_card(h, "reach", c->reachable, "reachable from outside", have, p ? p->reachable : 0);
	report_card(h, NULL, c->loopback, "loopback-only", have, p ? p->loopback : 0);
	report_card(h, NULL, c->blocked, "blocked", have, p ? p->blocked : 0);
	for (int s = STORE_SEVERITIES - 1; s >= 0; s--) {
		char label[64];

		snprintf(label, sizeof(label), "%s finding%s", sev_label[s],
		         c->findings[s] == 1 ? "" : "s");
		report_card(h, sev_label[s], c->findings[s], label, have, p ? p->findings[s] : 0);
	}
	html_raw(h, "</ul>\n");
}

/* The cards of a scan: hosts, open ports by protocol, probes. */
static void report_scan_cards(struct report *rp, const struct store_run *r,
                              const struct store_counts *c, const struct store_counts *p)
{
	struct html *h = &rp->h;
	bool have = p != NULL;

	html_raw(h, "<ul class=\"cards\" aria-label=\"Summary\">\n");
	report_card(h, NULL, r->hosts_up, "hosts up", have, p ? p->hosts_up : 0);
	report_card(h, NULL, r->hosts_total, "hosts scanned", false, 0);
	report_card(h, "reach", c->open_tcp, "open TCP ports", have, p ? p->open_tcp : 0);
	report_card(h, "reach", c->open_udp, "open UDP ports", have, p ? p->open_udp : 0);
	report_card(h, NULL, r->probes_sent, "probes sent", false, 0);
	html_raw(h, "</ul>\n");
}

/* One run: header, cards, timeline, changes, details. */
static int report_run(struct report *rp, int64_t id)
{
	struct store_run r;
	struct store_counts c, pc;
	struct report_point *pts = NULL;
	size_t npts = 0;
	int64_t prev = 0;
	bool audit;
	const char **f[] = {&r.kind,  &r.version,   &r.args,    &r.targets,
	                    &r.ports, &r.scan_type, &r.hostname};
	char *strs[ARRAY_SIZE(f)];
	int err;

	err = store_run_get(rp->st, id, &r);
	if (err < 0)
		return err;
	/* The run's strings live in the store until the next store_run_get() (the diff's): copies.
	 */
	{
		for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
			strs[i] = *f[i] ? strdup(*f[i]) : NULL;
			if (*f[i] && !strs[i])
				err = -ENOMEM;
			*f[i] = strs[i];
		}
	}
	audit = r.kind && strcmp(r.kind, "audit") == 0;
	if (!err)
		err = store_run_counts(rp->st, id, &c);
	if (!err)
		err = report_timeline_points(
		    rp, &r, rp->rq->history ? rp->rq->history : REPORT_HISTORY_DEFAULT, &pts,
		    &npts);
	if (!err && npts >= 2 && pts[npts - 1].id == id) {
		prev = pts[npts - 2].id;
		err = store_run_counts(rp->st, prev, &pc);
	}
	if (!err) {
		report_run_header(rp, &r);
		if (audit)
			report_audit_cards(rp, &r, &c, prev ? &pc : NULL);
		else
			report_scan_cards(rp, &r, &c, prev ? &pc : NULL);
		report_timeline(rp, &r, pts, npts, audit);
		err = report_changes(rp, &r, prev, audit);
	}
	if (!err)
		err = audit ? report_audit_details(rp, &r, &c) : report_scan_details(rp, &r);
	html_raw(&rp->h, "</section>\n");
	free(pts);
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(strs[i]);
	return err;
}

/* The page's title: the request's, else made from the first run. */
static int report_title(struct report *rp, int64_t first, char *buf, size_t len)
{
	struct store_run r;
	char t[448];
	int err;

	if (rp->rq->title) {
		snprintf(buf, len, "%s", rp->rq->title);
		return 0;
	}
	err = store_run_get(rp->st, first, &r);
	if (err < 0)
		return err;
	snprintf(buf, len, "portscope report: %s", report_run_title(&r, t, sizeof(t)));
	return 0;
}

/* The header: title, when and from what, and the section links. */
static int report_header(struct report *rp, const int64_t *runs, size_t n, const char *title,
                         bool fleet)
{
	struct html *h = &rp->h;
	char when[64];

	html_raw(h, "<a class=\"skip\" href=\"#main\">Skip to the report</a>\n<header>\n<h1>");
	html_text(h, title);
	html_raw(h, "</h1>\n<p class=\"meta\">Made ");
	html_text(h, report_time(rp->rq->now, when, sizeof(when)));
	html_raw(h, " by ");
	html_text(h, rp->rq->generator);
	if (rp->rq->source) {
		html_raw(h, " from <code>");
		html_text(h, rp->rq->source);
		html_raw(h, "</code>");
	}
	html_raw(h, ".</p>\n<nav aria-label=\"Sections\"><ul>\n");
	if (fleet)
		html_raw(h, "<li><a href=\"#fleet\">Fleet</a></li>\n");
	for (size_t i = 0; i < n; i++) {
		struct store_run r;
		char t[512];
		int err = store_run_get(rp->st, runs[i], &r);

		if (err < 0)
			return err;
		html_rawf(h, "<li><a href=\"#run-%lld\">", (long long)runs[i]);
		html_text(h, report_run_title(&r, t, sizeof(t)));
		html_rawf(h, " (run %lld)</a></li>\n", (long long)runs[i]);
	}
	html_raw(h, "</ul></nav>\n</header>\n");
	return 0;
}

int report_html(struct store *st, const struct report_request *rq, FILE *out, char *why,
                size_t whylen)
{
	struct report rp = {.st = st, .rq = rq, .h = {.f = out}};
	const int64_t *runs = rq->runs;
	size_t nruns = rq->nruns;
	int64_t def = 0;
	char title[512];
	bool fleet = false;
	uint64_t hosts = 0;
	struct store_run first;
	int err;

	if (!nruns) {
		err = report_default_run(st, &def);
		if (err == -ENOENT)
			return why_err(why, whylen, err,
			               "the history holds no complete scan or audit");
		if (err < 0)
			return why_err(why, whylen, err, "cannot read the history: %s",
			               store_errmsg(st));
		runs = &def;
		nruns = 1;
	}
	for (size_t i = 0; i < nruns; i++) {
		err = store_run_get(st, runs[i], &first);
		if (err == -ENOENT)
			return why_err(why, whylen, err, "no run %lld in the history",
			               (long long)runs[i]);
		if (err < 0)
			return why_err(why, whylen, err, "cannot read run %lld: %s",
			               (long long)runs[i], store_errmsg(st));
	}
	err = store_run_get(st, runs[0], &first);
	if (!err && !rq->no_fleet)
		err = store_fleet_count(st, first.kind ? first.kind : "scan", 2, &hosts);
	fleet = hosts >= 2;
	if (!err)
		err = report_title(&rp, runs[0], title, sizeof(title));
	if (!err)
		err = report_head(&rp.h, title, rq->generator);
	if (!err)
		err = report_header(&rp, runs, nruns, title, fleet);
	if (!err) {
		html_raw(&rp.h, "<main id=\"main\">\n");
		if (fleet) {
			err = store_run_get(st, runs[0], &first);
			if (!err)
				err = report_fleet(
				    &rp, strcmp(first.kind, "audit") == 0 ? "audit" : "scan",
				    &fleet);
		}
	}
	for (size_t i = 0; i < nruns && !err; i++)
		err = report_run(&rp, runs[i]);
	if (!err) {
		html_raw(&rp.h, "</main>\n<footer><p>Made by ");
		html_text(&rp.h, rq->generator);
		html_raw(&rp.h, ". Everything on this page comes from the history file; the page "
		                "loads nothing else.</p></footer>\n");
		report_tail(&rp.h);
	}
	if (!err && fflush(out) != 0)
		err = -EIO;
	if (!err && rp.h.err)
		err = rp.h.err;
	if (err == -EIO)
		return why_err(why, whylen, err, "cannot write the page");
	if (err == -EBADMSG)
		return why_err(why, whylen, err, "a malformed record in the history");
	if (err < 0)
		return why_err(why, whylen, err, "cannot read the history: %s", store_errmsg(st));
	return 0;
}
