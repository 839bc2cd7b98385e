/*
 * nmap's normal output (-oN, and the default on stdout):
 *
 *   portscope scan report for 127.0.0.1
 *   Host is up (0.000050s latency).           ("Host is up, received syn-ack (…)." with --reason)
 *   Not shown: 65525 closed tcp ports (conn-refused)
 *   PORT   STATE SERVICE
 *   22/tcp open  ssh
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "detect/engine.h"
#include "output/out.h"
#include "output/service.h"
#include "output/table.h"

static const char *normal_state_color(enum scan_state st)
{
	switch (st) {
	case SCAN_OPEN:
		return TABLE_GREEN;
	case SCAN_CLOSED:
		return TABLE_RED;
	default:
		return TABLE_YELLOW;
	}
}

static int normal_begin(struct out_stream *s)
{
	const struct out_info *in = s->info;
	char when[64];

	if (in->interactive) {
		time_t t = (time_t)in->start;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", localtime_r(&t, &tm));
		fprintf(s->f, "Starting portscope %s at %s\n", in->version, when);
	} else {
		fprintf(s->f, "# portscope %s scan initiated %s as: %s\n", in->version,
		        out_ctime(in->start, when, sizeof(when)), in->args);
	}
	return ferror(s->f) ? -EIO : 0;
}

static int normal_table(struct out_stream *s, const struct scan_host *h, enum scan_state hidden)
{
	const struct out_info *in = s->info;
	struct table *t = table_new();
	const char *proto = out_proto_name(h->proto);
	int r = -ENOMEM;

	if (!t)
		return -ENOMEM;
	if (table_add_column(t, "PORT", TABLE_LEFT) < 0 ||
	    table_add_column(t, "STATE", TABLE_LEFT) < 0 ||
	    table_add_column(t, "SERVICE", TABLE_LEFT) < 0 ||
	    (in->reason && table_add_column(t, "REASON", TABLE_LEFT) < 0) ||
	    (in->version_scan && table_add_column(t, "VERSION", TABLE_LEFT) < 0))
		goto out;
	for (size_t i = 0; i < h->nports; i++) {
		enum scan_state st = scan_res_state(h->res[i]);
		const struct detect_result *v = out_version_find(in, h->ports[i]);
		char name[128], version[512];

		if (!out_port_shown(h, i, hidden, in->open_only))
			continue;
		if (table_cellf(t, "%u/%s", h->ports[i], proto) < 0 ||
		    table_cell_color(t, scan_state_name(st), normal_state_color(st)) < 0 ||
		    table_cell(t, v ? out_version_name(v, '/', name, sizeof(name))
		                    : out_service_name(in->kb, h->ports[i], h->proto) ?: "unknown") <
		        0 ||
		    (in->reason && table_cell(t, scan_reason_name(scan_res_reason(h->res[i]))) < 0) ||
		    (in->version_scan &&
		     table_cell(t, v ? out_version_text(v, version, sizeof(version)) : "") < 0))
			goto out;
	}
	r = table_rows(t) ? table_render(t, s->f, in->color) : 0;
out:
	table_free(t);
	return r;
}

/* "Host is up, received echo-reply ttl 63 (0.000210s latency)." (the reason with --reason). */
static void normal_up_line(FILE *f, const struct out_info *in, const struct scan_host *h)
{
	fputs("Host is up", f);
	if (in->reason) {
		fprintf(f, ", received %s", out_host_reason(h));
		if (h->reason_ttl)
			fprintf(f, " ttl %u", h->reason_ttl);
	}
	if (h->srtt_us)
		fprintf(f, " (%.6fs latency)", h->srtt_us / 1e6);
	fputs(".\n", f);
}

static void normal_mac_line(FILE *f, const struct scan_host *h)
{
	char mac[24];

	if (h->has_mac)
		fprintf(f, "MAC Address: %s (Unknown)\n", out_mac(h->mac, mac, sizeof(mac)));
}

static int normal_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	const char *proto = out_proto_name(h->proto);
	enum scan_state hidden = out_hidden_state(h, in->open_only);
	char addr[INET6_ADDRSTRLEN], reasons[256];
	size_t shown = 0;
	int r;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (!h->up) {
		if (!out_host_listed(in, h))
			return 0;
		if (in->reason)
			fprintf(s->f, "portscope scan report for %s [host down, received %s]\n",
			        addr, out_host_reason(h));
		else
			fprintf(s->f, "portscope scan report for %s [host down]\n", addr);
		return ferror(s->f) ? -EIO : 0;
	}
	if (!in->ports) { /* -sn */
		fprintf(s->f, "portscope scan report for %s\n", addr);
		normal_up_line(s->f, in, h);
		normal_mac_line(s->f, h);
		fflush(s->f);
		return ferror(s->f) ? -EIO : 0;
	}
	if (h->timedout) {
		fprintf(s->f, "Skipping host %s due to host timeout\n", addr);
		return ferror(s->f) ? -EIO : 0;
	}
	for (size_t i = 0; i < h->nports; i++)
		shown += out_port_shown(h, i, hidden, in->open_only);
	if (in->open_only && shown == 0)
		return 0; /* nmap --open leaves out hosts without open ports */
	fprintf(s->f, "portscope scan report for %s\n", addr);
	normal_up_line(s->f, in, h);
	if (hidden != SCAN_PENDING && h->counts[hidden]) {
		if (shown == 0)
			fprintf(s->f, "All %zu scanned ports on %s are in ignored states.\n",
			        h->nports, addr);
		fprintf(s->f, "Not shown: %llu %s %s port%s (%s)\n",
		        (unsigned long long)h->counts[hidden], scan_state_name(hidden), proto,
		        h->counts[hidden] == 1 ? "" : "s",
		        out_reason_counts(h, hidden, false, reasons, sizeof(reasons)));
	}
	r = shown ? normal_table(s, h, hidden) : 0;
	if (r < 0)
		return r;
	normal_mac_line(s->f, h);
	fputc('\n', s->f);
	fflush(s->f);
	return ferror(s->f) ? -EIO : 0;
}

static int normal_end(struct out_stream *s, const struct scan_summary *sum)
{
	char line[160], when[64];

	out_done_line(sum, line, sizeof(line));
	if (s->info->discovery && sum->hosts_total && !sum->hosts_up)
		fputs(
		    "Note: Host seems down. If it is really up, but blocking our ping probes, try "
		    "-Pn\n",
		    s->f);
	if (s->info->interactive)
		fprintf(s->f, "portscope done: %s\n", line);
	else
		fprintf(s->f, "# portscope done at %s -- %s\n",
		        out_ctime(sum->end, when, sizeof(when)), line);
	return fflush(s->f) != 0 || ferror(s->f) ? -EIO : 0;
}

const struct out_format out_normal = {
    .name = "normal",
    .flag = "-oN",
    .ext = ".nmap",
    .help = "normal output (the default on stdout)",
    .begin = normal_begin,
    .host = normal_host,
    .end = normal_end,
};
