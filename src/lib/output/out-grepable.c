/*
 * nmap's grepable output (-oG), fields separated by tabs:
 *   Host: 127.0.0.1 (localhost) <TAB> Status: Up   (Status: Down for hosts down, with -v)
 *   Host: 127.0.0.1 (localhost) <TAB> Ports: 22/open/tcp//ssh///, 80/open/tcp//http///
 *       <TAB> Ignored State: closed (65525)
 * "Ignored State" is written, as nmap does, only when one state is hidden.
 * A list scan (-sL) gives "Status: Unknown" per address.
 */
#include <errno.h>

#include "detect/engine.h"
#include "output/out.h"
#include "output/service.h"

static int grep_begin(struct out_stream *s)
{
	char when[64];

	fprintf(s->f, "# portscope %s scan initiated %s as: %s\n", s->info->version,
	        out_ctime(s->info->start, when, sizeof(when)), s->info->args);
	return ferror(s->f) ? -EIO : 0;
}

static int grep_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	unsigned hidden = out_hidden_states(h, in->open_only);
	enum scan_state one = out_hidden_state(h, in->open_only);
	const char *hname = out_hostname(in, h);
	char addr[INET6_ADDRSTRLEN];
	const char *sep = "";
	size_t shown = 0;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (!hname)
		hname = "";
	if (in->list_only) {
		fprintf(s->f, "Host: %s (%s)\tStatus: Unknown\n", addr, hname);
		return ferror(s->f) ? -EIO : 0;
	}
	if (!out_host_listed(in, h))
		return 0;
	if (!h->up || !in->ports) {
		fprintf(s->f, "Host: %s (%s)\tStatus: %s\n", addr, hname, h->up ? "Up" : "Down");
		fflush(s->f);
		return ferror(s->f) ? -EIO : 0;
	}
	for (size_t i = 0; i < h->nports; i++)
		shown += out_port_shown(h, i, hidden, in->open_only);
	if (in->open_only && shown == 0)
		return 0;
	if (h->timedout) {
		fprintf(s->f, "Host: %s (%s)\tStatus: Timeout\n", addr, hname);
		return ferror(s->f) ? -EIO : 0;
	}
	fprintf(s->f, "Host: %s (%s)\tStatus: Up\n", addr, hname);
	fprintf(s->f, "Host: %s (%s)\tPorts: ", addr, hname);
	for (size_t i = 0; i < h->nports; i++) {
		if (!out_port_shown(h, i, hidden, in->open_only))
			continue;
		const struct detect_result *v = out_version_find(in, h->ports[i]);
		char name[128], version[512];

		/* nmap's field: port/state/proto/owner/service/rpc/version/ ('/' in text becomes
		 * '|') */
		if (v) {
			out_version_text(v, version, sizeof(version));
			for (char *c = version; *c; c++)
				if (*c == '/')
					*c = '|';
		}
		fprintf(s->f, "%s%u/%s/%s//%s//%s/", sep, h->ports[i],
		        scan_state_name(scan_res_state(h->res[i])), out_proto_name(h->proto),
		        v ? out_version_name(v, '|', name, sizeof(name))
		          : out_service_name(in->kb, h->ports[i], h->proto) ?: "",
		        v ? version : "");
		sep = ", ";
	}
	if (one != SCAN_PENDING && hidden == 1u << one)
		fprintf(s->f, "\tIgnored State: %s (%llu)", scan_state_name(one),
		        (unsigned long long)h->counts[one]);
	fputc('\n', s->f);
	fflush(s->f);
	return ferror(s->f) ? -EIO : 0;
}

static int grep_end(struct out_stream *s, const struct scan_summary *sum)
{
	char line[160], when[64];

	out_done_line(sum, line, sizeof(line));
	out_ctime(sum->end, when, sizeof(when));
	if (s->info->signal)
		fprintf(s->f, "# portscope interrupted at %s by %s -- %s\n", when, s->info->signal,
		        line);
	else
		fprintf(s->f, "# portscope done at %s -- %s\n", when, line);
	return fflush(s->f) != 0 || ferror(s->f) ? -EIO : 0;
}

const struct out_format out_grepable = {
    .name = "grepable",
    .flag = "-oG",
    .ext = ".gnmap",
    .help = "grepable",
    .begin = grep_begin,
    .host = grep_host,
    .end = grep_end,
};
