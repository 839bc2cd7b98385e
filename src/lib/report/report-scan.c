/* A scan on the page: its hosts and its ports, as sortable tables. */
#include <errno.h>
#include <string.h>

#include "audit/svcname.h"
#include "knowledge/services.h"
#include "report/report-private.h"

struct scan_ctx {
	struct report *rp;
	size_t n;
};

static int scan_host_row(void *ctx, const struct scan_host *sh)
{
	struct scan_ctx *c = ctx;
	struct html *h = &c->rp->h;
	char addr[64], key[64];
	uint64_t other = 0;

	target_addr_str(&sh->addr, addr, sizeof(addr));
	for (int s = 0; s < SCAN_STATE_MAX; s++)
		if (s != SCAN_OPEN && s != SCAN_CLOSED && s != SCAN_FILTERED)
			other += sh->counts[s];
	html_raw(h, "<tr><td class=\"mono\" data-sort=\"");
	html_text(h, report_host_key(addr, key, sizeof(key)));
	html_raw(h, "\">");
	html_text(h, addr);
	html_rawf(h, "</td><td>%s</td><td>%s</td>", sh->up ? "up" : "down",
	          sh->proto == 17 ? "udp" : "tcp");
	html_num_cell(h, sh->counts[SCAN_OPEN]);
	html_num_cell(h, sh->counts[SCAN_CLOSED]);
	html_num_cell(h, sh->counts[SCAN_FILTERED]);
	html_num_cell(h, other);
	html_raw(h, "</tr>\n");
	c->n++;
	return h->err;
}

static int scan_port_row(void *ctx, const struct store_port_row *p)
{
	struct scan_ctx *c = ctx;
	struct html *h = &c->rp->h;
	const char *def = NULL;
	bool mismatch = false;
	char key[64];

	if (c->rp->rq->kb)
		def = kb_service_name(c->rp->rq->kb, p->port,
		                      p->proto == 17 ? KB_PROTO_UDP : KB_PROTO_TCP);
	mismatch = p->service && def && audit_service_mismatch(p->service, def);
	html_rawf(h,
	          "<tr data-proto=\"%s\" data-port=\"%u\" data-state=\"%s\"%s><td class=\"mono\" "
	          "data-sort=\"",
	          p->proto == 17 ? "udp" : "tcp", p->port, scan_state_name(p->state),
	          mismatch ? " class=\"mismatch\"" : "");
	html_text(h, report_host_key(p->host, key, sizeof(key)));
	html_raw(h, "\">");
	html_text(h, p->host);
	html_rawf(h, "</td><td class=\"num\">%u</td><td>%s</td><td>%s</td><td>%s</td><td>", p->port,
	          p->proto == 17 ? "udp" : "tcp", scan_state_name(p->state),
	          scan_reason_name(p->reason));
	if (p->service) {
		html_text(h, p->service);
		if (mismatch) {
			html_raw(h, " <strong class=\"flag\">\xe2\x9a\xa0 port of ");
			html_text(h, def);
			html_raw(h, "</strong>");
		}
	} else {
		html_text_or(h, def, "\xe2\x80\x94");
		if (def)
			html_raw(h, "?");
	}
	html_raw(h, "</td><td>");
	if (p->product || p->version) {
		html_text(h, p->product);
		html_raw(h, p->product && p->version ? " " : "");
		html_text(h, p->version);
	} else {
		html_raw(h, "\xe2\x80\x94");
	}
	html_raw(h, "</td></tr>\n");
	c->n++;
	return h->err;
}

int report_scan_details(struct report *rp, const struct store_run *r)
{
	struct scan_ctx c = {.rp = rp};
	struct html *h = &rp->h;
	long long id = (long long)r->id;
	int err;

	html_rawf(h,
	          "<h3 id=\"run-%lld-hosts\">Hosts</h3>\n<div class=\"scroll\"><table "
	          "class=\"hosts sortable\"><caption>Hosts of run %lld</caption>\n<thead><tr>"
	          "<th scope=\"col\">Host</th><th scope=\"col\">Status</th>"
	          "<th scope=\"col\">Protocol</th><th scope=\"col\" class=\"num\">Open</th>"
	          "<th scope=\"col\" class=\"num\">Closed</th><th scope=\"col\" class=\"num\">"
	          "Filtered</th><th scope=\"col\" class=\"num\">Other</th></tr></thead>\n<tbody>\n",
	          id, id);
	err = store_hosts(rp->st, r->id, scan_host_row, &c);
	html_raw(h, "</tbody></table></div>\n");
	if (err)
		return err;
	html_rawf(h,
	          "<h3 id=\"run-%lld-ports\">Ports</h3>\n<p class=\"meta\">Every open port, and "
	          "the ports not in their host's most common state; a service the port is not "
	          "known for is marked.</p>\n<div class=\"scroll\"><table class=\"ports sortable\">"
	          "<caption>Ports of run %lld</caption>\n<thead><tr><th scope=\"col\">Host</th>"
	          "<th scope=\"col\" class=\"num\">Port</th><th scope=\"col\">Protocol</th>"
	          "<th scope=\"col\">State</th><th scope=\"col\">Reason</th>"
	          "<th scope=\"col\">Service</th><th scope=\"col\">Version</th></tr></thead>\n"
	          "<tbody>\n",
	          id, id);
	c.n = 0;
	err = store_ports(rp->st, r->id, scan_port_row, &c);
	html_raw(h, "</tbody></table></div>\n");
	return err;
}
