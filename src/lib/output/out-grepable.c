/*
 * nmap's grepable output (-oG):
 *   Host: 127.0.0.1 ()	Status: Up             (Status: Down for hosts down, with -v)
 *   Host: 127.0.0.1 ()	Ports: 22/open/tcp//ssh///, 80/open/tcp//http///	Ignored State:
 * closed (65525)
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
	enum scan_state hidden = out_hidden_state(h, in->open_only);
	char addr[INET6_ADDRSTRLEN];
	const char *sep = "";
	size_t shown = 0;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (!out_host_listed(in, h))
		return 0;
	if (!h->up || !in->ports) {
		fprintf(s->f, "Host: %s ()\tStatus: %s\n", addr, h->up ? "Up" : "Down");
		fflush(s->f);
		return ferror(s->f) ? -EIO : 0;
	}
	for (size_t i = 0; i < h->nports; i++)
		shown += out_port_shown(h, i, hidden, in->open_only);
	if (in->open_only && shown == 0)
		return 0;
	if (h->timedout) {
		fprintf(s->f, "Host: %s ()\tStatus: Timeout\n", addr);
		return ferror(s->f) ? -EIO : 0;
	}
	fprintf(s->f, "Host: %s ()\tStatus: Up\n", addr);
	fprintf(s->f, "Host: %s ()\tPorts: ", addr);
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
	if (hidden != SCAN_PENDING && h->counts[hidden])
		fprintf(s->f, "\tIgnored State: %s (%llu)", scan_state_name(hidden),
		        (unsigned long long)h->counts[hidden]);
	fputc('\n', s->f);
	fflush(s->f);
	return ferror(s->f) ? -EIO : 0;
}

static int grep_end(struct out_stream *s, const struct scan_summary *sum)
{
	char line[160], when[64];

	fprintf(s->f, "# portscope done at %s -- %s\n", out_ctime(sum->end, when, sizeof(when)),
	        out_done_line(sum, line, sizeof(line)));
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
