/* An audit on the page: findings by severity, port ≠ service, the exposure table. */
#include <errno.h>
#include <string.h>

#include "report/report-private.h"

struct findings_ctx {
	struct report *rp;
	const struct store_run *run;
	const struct store_counts *counts;
	const char *open_sev; /* the severity of the open table; NULL: none open */
	char sev[32];
	size_t n;
};

static const char findings_head[] =
    "<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Where</th>"
    "<th scope=\"col\">Owner</th><th scope=\"col\">Finding</th><th scope=\"col\">Evidence</th>"
    "<th scope=\"col\">Fix</th><th scope=\"col\">Reference</th></tr></thead>\n<tbody>\n";

/* Closes the open severity table, if any. */
static void findings_close(struct findings_ctx *c)
{
	if (c->open_sev)
		html_raw(&c->rp->h, "</tbody></table></div>\n");
	c->open_sev = NULL;
}

/* A reference: a link when it is an http(s) address, else text. */
static void findings_reference(struct html *h, const char *citation)
{
	bool url =
	    citation &&
	    (strncmp(citation, "https://", 8) == 0 || strncmp(citation, "http://", 7) == 0) &&
	    !strpbrk(citation, " \t\n\"'<>");

	if (!url) {
		html_text_or(h, citation, "\xe2\x80\x94");
		return;
	}
	html_raw(h, "<a href=\"");
	html_text(h, citation);
	html_raw(h, "\" rel=\"noreferrer noopener\">");
	html_text(h, citation);
	html_raw(h, "</a>");
}

static int findings_row(void *ctx, const struct store_finding_row *f)
{
	struct findings_ctx *c = ctx;
	struct html *h = &c->rp->h;
	const char *sev = f->severity ? f->severity : "";
	int si = store_severity_index(sev);
	char where[160];

	if (!c->open_sev || strcmp(c->sev, sev) != 0) {
		long long id = (long long)c->run->id;

		findings_close(c);
		snprintf(c->sev, sizeof(c->sev), "%s", sev);
		c->open_sev = c->sev;
		html_rawf(h, "<h4 id=\"run-%lld-sev-%s\">", id, si >= 0 ? sev : "other");
		report_severity_badge(h, sev);
		if (si >= 0)
			html_rawf(h, " %llu finding%s", (unsigned long long)c->counts->findings[si],
			          c->counts->findings[si] == 1 ? "" : "s");
		html_rawf(h, "</h4>\n<div class=\"scroll\"><table class=\"findings sortable\" "
		             "data-severity=\"");
		html_text(h, sev);
		html_raw(h, "\"><caption>");
		html_text_or(h, sev, "Unknown");
		html_rawf(h, "-severity findings of run %lld</caption>\n%s", id, findings_head);
	}
	html_raw(h, "<tr data-check=\"");
	html_text(h, f->check);
	html_raw(h, "\" data-where=\"");
	html_text(h, report_where(f->host, f->proto, f->port, where, sizeof(where)));
	html_raw(h, "\"><td class=\"mono\">");
	html_text(h, f->check);
	html_raw(h, "</td><td class=\"mono\">");
	html_text(h, where);
	html_raw(h, "</td><td>");
	if (f->process || f->pid) {
		html_text_or(h, f->process, "?");
		if (f->pid)
			html_rawf(h, " (pid %d)", f->pid);
	} else {
		html_raw(h, "\xe2\x80\x94");
	}
	html_raw(h, "</td>");
	html_elem(h, "td", f->title);
	html_raw(h, "<td><code>");
	html_text_or(h, f->detail, "\xe2\x80\x94");
	html_raw(h, "</code></td>");
	html_elem(h, "td", f->recommendation);
	html_raw(h, "<td class=\"ref\">");
	findings_reference(h, f->citation);
	html_raw(h, "</td></tr>\n");
	c->n++;
	return h->err;
}

/* "ssh (OpenSSH 9.2p1)", or the port's name with a "?" when nothing was detected. */
static void service_text(struct html *h, const struct store_endpoint_row *e)
{
	if (!e->service) {
		html_text_or(h, e->port_default, "");
		html_raw(h, e->port_default ? "?" : "\xe2\x80\x94");
		return;
	}
	html_text(h, e->service);
	if (e->product) {
		html_raw(h, " (");
		html_text(h, e->product);
		if (e->version) {
			html_raw(h, " ");
			html_text(h, e->version);
		}
		html_raw(h, ")");
	}
	if (e->mismatch) {
		html_raw(h, " <strong class=\"flag\">\xe2\x9a\xa0 port of ");
		html_text_or(h, e->port_default, "another service");
		html_raw(h, "</strong>");
	}
}

static void owner_text(struct html *h, const struct store_endpoint_row *e)
{
	if (!e->process && !e->pid) {
		html_raw(h, "\xe2\x80\x94");
		return;
	}
	html_text_or(h, e->process, "?");
	if (e->pid)
		html_rawf(h, " (pid %d)", e->pid);
}

struct exposure_ctx {
	struct report *rp;
	bool mismatches_only;
	size_t n;
};

static int exposure_row(void *ctx, const struct store_endpoint_row *e)
{
	struct exposure_ctx *c = ctx;
	struct html *h = &c->rp->h;
	char where[160], key[64];

	if (c->mismatches_only) {
		if (!e->mismatch)
			return 0;
		if (c->n++ == 0)
			html_raw(h, "<ul class=\"changes mismatches\">\n");
		html_raw(h, "<li><code>");
		html_text(h, report_where(e->host, e->proto, e->port, where, sizeof(where)));
		html_raw(h, "</code>: ");
		service_text(h, e);
		html_raw(h, "</li>\n");
		return h->err;
	}
	html_rawf(h, "<tr data-proto=\"%s\" data-port=\"%u\" data-address=\"",
	          e->proto == 17 ? "udp" : "tcp", e->port);
	html_text(h, e->host);
	html_rawf(h, "\" data-exposure=\"");
	html_text(h, e->exposure);
	html_raw(h, e->mismatch ? "\" class=\"mismatch\">" : "\">");
	html_raw(h, "<td class=\"mono\" data-sort=\"");
	html_text(h, report_host_key(e->host, key, sizeof(key)));
	html_rawf(h, ":%05u\">", e->port);
	html_text(h, report_where(e->host, e->proto, e->port, where, sizeof(where)));
	html_raw(h, "</td><td>");
	report_exposure_badge(h, e->exposure);
	html_raw(h, "</td><td class=\"mono\">");
	html_text_or(h, e->reachable_on, "\xe2\x80\x94");
	html_raw(h, "</td><td>");
	html_text_or(h, e->decided_by, "\xe2\x80\x94");
	html_raw(h, "</td><td>");
	service_text(h, e);
	html_raw(h, "</td><td>");
	owner_text(h, e);
	html_raw(h, "</td>");
	html_elem(h, "td", e->user);
	html_raw(h, "</tr>\n");
	c->n++;
	return h->err;
}

int report_audit_details(struct report *rp, const struct store_run *r, const struct store_counts *c)
{
	struct findings_ctx fc = {.rp = rp, .run = r, .counts = c};
	struct exposure_ctx ec = {.rp = rp};
	struct html *h = &rp->h;
	long long id = (long long)r->id;
	int err;

	html_rawf(h, "<h3 id=\"run-%lld-findings\">Findings</h3>\n", id);
	err = store_findings_by_severity(rp->st, r->id, findings_row, &fc);
	findings_close(&fc);
	if (err)
		return err;
	if (!fc.n)
		html_raw(h, "<p>No findings.</p>\n");

	html_rawf(h, "<h3 id=\"run-%lld-mismatch\">Port \xe2\x89\xa0 service</h3>\n", id);
	ec.mismatches_only = true;
	err = store_endpoints(rp->st, r->id, exposure_row, &ec);
	if (err)
		return err;
	if (ec.n)
		html_raw(h, "</ul>\n");
	else
		html_raw(h, "<p>Every detected service is the one its port is known for.</p>\n");

	html_rawf(h, "<h3 id=\"run-%lld-exposure\">Exposure</h3>\n", id);
	if (!c->endpoints) {
		html_raw(h, "<p>This audit recorded no endpoints (nothing listened, or it was "
		            "recorded by an older portscope).</p>\n");
		return 0;
	}
	html_rawf(h,
	          "<div class=\"scroll\"><table class=\"exposure sortable\"><caption>Where each "
	          "%s answers, and who owns it (run %lld)</caption>\n<thead><tr>"
	          "<th scope=\"col\">Socket</th><th scope=\"col\">Exposure</th>"
	          "<th scope=\"col\">Reachable on</th><th scope=\"col\">Decided by</th>"
	          "<th scope=\"col\">Service</th><th scope=\"col\">Process</th>"
	          "<th scope=\"col\">User</th></tr></thead>\n<tbody>\n",
	          r->targets ? "open port" : "socket", id);
	ec = (struct exposure_ctx){.rp = rp};
	err = store_endpoints(rp->st, r->id, exposure_row, &ec);
	html_raw(h, "</tbody></table></div>\n");
	return err;
}
