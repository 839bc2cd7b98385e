/* The fleet on the page: one row per host the history's runs cover, with its newest run. */
#include <errno.h>
#include <string.h>

#include "report/report-private.h"

struct fleet_ctx {
	struct report *rp;
	bool audit;
	/* First pass: the totals of the cards. */
	uint64_t hosts, with_high, open, reachable, sev[STORE_SEVERITIES];
};

static int fleet_total(void *ctx, const struct store_fleet_host *fh)
{
	struct fleet_ctx *c = ctx;

	c->hosts++;
	c->with_high += fh->findings[3] > 0;
	c->open += fh->open;
	c->reachable += fh->reachable;
	for (int s = 0; s < STORE_SEVERITIES; s++)
		c->sev[s] += fh->findings[s];
	return 0;
}

static int fleet_row(void *ctx, const struct store_fleet_host *fh)
{
	struct fleet_ctx *c = ctx;
	struct html *h = &c->rp->h;
	char when[64], key[64];

	html_raw(h, "<tr data-host=\"");
	html_text(h, fh->host);
	html_raw(h, "\"><td class=\"mono\" data-sort=\"");
	html_text(h, report_host_key(fh->host, key, sizeof(key)));
	html_raw(h, "\">");
	html_text_or(h, fh->host, "this machine (no name recorded)");
	if (fh->local)
		html_raw(h, " <span class=\"meta\">(own audit)</span>");
	else if (!fh->up)
		html_raw(h, " <span class=\"meta\">(down)</span>");
	html_rawf(h, "</td><td class=\"num\">%lld</td><td data-sort=\"%.0f\">", (long long)fh->run,
	          fh->start);
	html_text(h, report_time(fh->start, when, sizeof(when)));
	html_raw(h, "</td>");
	html_num_cell(h, fh->runs);
	html_num_cell(h, fh->open);
	if (c->audit) {
		html_num_cell(h, fh->reachable);
		for (int s = STORE_SEVERITIES - 1; s >= 0; s--)
			html_num_cell(h, fh->findings[s]);
	}
	html_raw(h, "</tr>\n");
	return h->err;
}

int report_fleet(struct report *rp, const char *kind, bool *written)
{
	struct fleet_ctx c = {.rp = rp, .audit = strcmp(kind, "audit") == 0};
	struct html *h = &rp->h;
	int err;

	*written = false;
	err = store_fleet(rp->st, kind, fleet_total, &c);
	if (err || c.hosts < 2)
		return err;
	*written = true;
	html_rawf(h,
	          "<section id=\"fleet\" aria-labelledby=\"fleet-h\">\n<h2 id=\"fleet-h\">Fleet: "
	          "%llu hosts</h2>\n<p class=\"meta\">Each host with the newest complete %s that "
	          "covered it.</p>\n<ul class=\"cards\" aria-label=\"Fleet summary\">\n",
	          (unsigned long long)c.hosts, c.audit ? "audit" : "scan");
	report_card(h, NULL, c.hosts, "hosts", false, 0);
	report_card(h, NULL, c.open, c.audit ? "open ports and sockets" : "open ports", false, 0);
	if (c.audit) {
		report_card(h, "reach", c.reachable, "reachable from outside", false, 0);
		report_card(h, "high", c.with_high, "hosts with high findings", false, 0);
		report_card(h, "high", c.sev[3], "high findings", false, 0);
		report_card(h, "medium", c.sev[2], "medium findings", false, 0);
		report_card(h, "low", c.sev[1], "low findings", false, 0);
		report_card(h, "info", c.sev[0], "info findings", false, 0);
	}
	html_rawf(h,
	          "</ul>\n<div class=\"scroll\"><table class=\"fleet sortable\"><caption>Hosts, "
	          "with their newest %s</caption>\n<thead><tr><th scope=\"col\">Host</th>"
	          "<th scope=\"col\" class=\"num\">Run</th><th scope=\"col\">Seen</th>"
	          "<th scope=\"col\" class=\"num\">Runs</th><th scope=\"col\" class=\"num\">Open"
	          "</th>%s</tr></thead>\n<tbody>\n",
	          c.audit ? "audit" : "scan",
	          c.audit ? "<th scope=\"col\" class=\"num\">Reachable</th><th scope=\"col\" "
	                    "class=\"num\">High</th><th scope=\"col\" class=\"num\">Medium</th>"
	                    "<th scope=\"col\" class=\"num\">Low</th><th scope=\"col\" "
	                    "class=\"num\">Info</th>"
	                  : "");
	err = store_fleet(rp->st, kind, fleet_row, &c);
	html_raw(h, "</tbody></table></div>\n</section>\n");
	return err;
}
