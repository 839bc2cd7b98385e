/*
 * nmap's normal output (-oN, and the default on stdout). Every line is
 * nmap's, word for word, but for the program's name at the start of a line
 * ("portscope scan report for" where nmap says "Nmap scan report for"):
 *
 *   portscope scan report for localhost (127.0.0.1)
 *   Host is up (0.000050s latency).           ("Host is up, received syn-ack (…)." with --reason)
 *   Not shown: 65523 closed tcp ports (conn-refused), 2 filtered tcp ports (no-response)
 *   PORT   STATE SERVICE
 *   22/tcp open  ssh
 *
 * Colour and the "Starting portscope" header are for the screen only: a file
 * (-oN, -oA) gets nmap's '#' comment lines and no escapes.
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

	if (s->interactive) {
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

/* The REASON cell of port entry i: "syn-ack ttl 64", as nmap (no TTL: the reason alone). */
static int normal_reason_cell(struct table *t, const struct scan_host *h, size_t i)
{
	const char *why = scan_reason_name(scan_res_reason(h->res[i]));
	uint8_t ttl = out_port_ttl(h, i);

	return ttl ? table_cellf(t, "%s ttl %u", why, ttl) : table_cell(t, why);
}

static int normal_table(struct out_stream *s, const struct scan_host *h, unsigned hidden)
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
		    (in->reason && normal_reason_cell(t, h, i) < 0) ||
		    (in->version_scan &&
		     table_cell(t, v ? out_version_text(v, version, sizeof(version)) : "") < 0))
			goto out;
	}
	r = table_rows(t) ? table_render(t, s->f, s->color) : 0;
out:
	table_free(t);
	return r;
}

/* "Not shown: 98 closed tcp ports (reset), 2 filtered tcp ports (no-response)". */
static void normal_not_shown(FILE *f, const struct scan_host *h, unsigned hidden)
{
	const char *proto = out_proto_name(h->proto);
	const char *sep = "Not shown: ";

	for (int st = SCAN_OPEN + 1; st < SCAN_STATE_MAX; st++) {
		struct out_reason_count rc[SCAN_REASON_MAX];
		size_t n;

		if (!(hidden & 1u << st) || !h->counts[st])
			continue;
		n = out_reasons(h, (enum scan_state)st, rc);
		for (size_t k = 0; k < n; k++) {
			fprintf(f, "%s%llu %s %s port%s (%s)", sep, (unsigned long long)rc[k].count,
			        scan_state_name((enum scan_state)st), proto,
			        rc[k].count == 1 ? "" : "s", scan_reason_name(rc[k].reason));
			sep = ", ";
		}
	}
	if (sep[0] == ',')
		fputc('\n', f);
}

/* "portscope scan report for localhost (127.0.0.1)", or for the address alone; suffix after. */
static void normal_report_line(FILE *f, const struct out_info *in, const struct scan_host *h,
                               const char *addr, const char *suffix)
{
	const char *name = out_hostname(in, h);

	if (name)
		fprintf(f, "portscope scan report for %s (%s)%s\n", name, addr, suffix);
	else
		fprintf(f, "portscope scan report for %s%s\n", addr, suffix);
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
	unsigned hidden = out_hidden_states(h, in->open_only);
	char addr[INET6_ADDRSTRLEN];
	size_t shown = 0, nhidden = 0;
	int r;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (in->list_only) {
		normal_report_line(s->f, in, h, addr, "");
		return ferror(s->f) ? -EIO : 0;
	}
	if (!h->up) {
		char why[64];

		if (!out_host_listed(in, h))
			return 0;
		snprintf(why, sizeof(why), " [host down%s%s]", in->reason ? ", received " : "",
		         in->reason ? out_host_reason(h) : "");
		normal_report_line(s->f, in, h, addr, why);
		return ferror(s->f) ? -EIO : 0;
	}
	if (!in->ports) { /* -sn */
		normal_report_line(s->f, in, h, addr, "");
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
	for (int st = SCAN_OPEN + 1; st < SCAN_STATE_MAX; st++)
		if (hidden & 1u << st)
			nhidden += h->counts[st];
	if (in->open_only && shown == 0)
		return 0; /* nmap --open leaves out hosts without open ports */
	normal_report_line(s->f, in, h, addr, "");
	normal_up_line(s->f, in, h);
	if (h->unfinished) {
		uint64_t decided = 0;

		for (int st = SCAN_OPEN; st < SCAN_STATE_MAX; st++)
			decided += h->counts[st];
		fprintf(s->f, "Unfinished: the run stopped with %llu of %zu ports decided.\n",
		        (unsigned long long)decided, h->nports);
	} else if (nhidden && shown == 0) {
		fprintf(s->f, "All %zu scanned ports on %s are in ignored states.\n", h->nports,
		        addr);
	}
	normal_not_shown(s->f, h, hidden);
	r = shown ? normal_table(s, h, hidden) : 0;
	if (r < 0)
		return r;
	normal_mac_line(s->f, h);
	fputc('\n', s->f);
	fflush(s->f);
	return ferror(s->f) ? -EIO : 0;
}

/* "# portscope done at … -- N IP addresses …", or "interrupted … by SIGINT" after a signal. */
static int normal_end(struct out_stream *s, const struct scan_summary *sum)
{
	const struct out_info *in = s->info;
	char line[160], when[64];

	out_done_line(sum, line, sizeof(line));
	out_ctime(sum->end, when, sizeof(when));
	if (in->discovery && sum->hosts_total && !sum->hosts_up)
		fputs(
		    "Note: Host seems down. If it is really up, but blocking our ping probes, try "
		    "-Pn\n",
		    s->f);
	if (s->interactive && in->signal)
		fprintf(s->f, "portscope interrupted by %s: %s\n", in->signal, line);
	else if (s->interactive)
		fprintf(s->f, "portscope done: %s\n", line);
	else if (in->signal)
		fprintf(s->f, "# portscope interrupted at %s by %s -- %s\n", when, in->signal,
		        line);
	else
		fprintf(s->f, "# portscope done at %s -- %s\n", when, line);
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
