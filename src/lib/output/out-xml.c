/*
 * nmap XML (-oX), valid against nmap.dtd and read by ndiff, nmap.xsl,
 * python-libnmap and python-nmap, written with xmlw (output/xmlw.h) and
 * streamed: each <host> is written and flushed when the host is done. The
 * layout is nmap's, line for line (scripts grep it): one element a line,
 * but <host> with its <status>, <port> with everything in it, and <runstats>
 * with <finished> and <hosts>:
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <!DOCTYPE nmaprun>
 *   <?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>
 *   <!-- portscope 0.1.0 scan initiated … as: portscope scan … -->
 *   <nmaprun scanner="nmap" args="…" start="…" …>
 *   <scaninfo type="syn" protocol="tcp" numservices="2" services="22-23"/>
 *   <verbose level="0"/>
 *   <debugging level="0"/>
 *   <host starttime="…" endtime="…"><status state="up" reason="user-set" reason_ttl="0"/>
 *   <address addr="127.0.0.1" addrtype="ipv4"/>
 *   <hostnames>
 *   <hostname name="localhost" type="user"/>
 *   </hostnames>
 *   <ports><extraports state="closed" count="998">
 *   <extrareasons reason="reset" count="998" proto="tcp" ports="1-21,23-79,81-1000"/>
 *   </extraports>
 *   <port protocol="tcp" portid="22"><state …/><service …><cpe>…</cpe></service></port>
 *   </ports>
 *   <times srtt="61" rttvar="3766" to="100000"/>
 *   </host>
 *   <runstats><finished …/><hosts up="1" down="0" total="1"/>
 *   </runstats>
 *   </nmaprun>
 *
 * The DTD fixes scanner="nmap"; profile_name says portscope. A run stopped
 * by a signal still ends the document: <finished exit="error" errormsg=…>.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine.h"
#include "output/json.h"
#include "output/out.h"
#include "output/service.h"
#include "output/xmlw.h"
#include "util/array.h"

static int xml_attr(struct xmlw *w, const char *name, const char *value)
{
	return xmlw_attr(w, name, value) ? -EIO : 0;
}

__attribute__((format(printf, 3, 4))) static int xml_attrf(struct xmlw *w, const char *name,
                                                           const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = xmlw_vattrf(w, name, fmt, ap);
	va_end(ap);
	return r < 0 ? -EIO : 0;
}

static int xml_start(struct xmlw *w, const char *name)
{
	return xmlw_start(w, name) ? -EIO : 0;
}

static int xml_endel(struct xmlw *w)
{
	return xmlw_end(w) ? -EIO : 0;
}

/* A line break between elements, where nmap puts one. */
static int xml_nl(struct xmlw *w)
{
	return xmlw_text(w, "\n") ? -EIO : 0;
}

/* An empty element ending the line: <name a="v" …/> then a line break. */
static int xml_endln(struct xmlw *w)
{
	return xml_endel(w) || xml_nl(w) ? -EIO : 0;
}

static int xml_flush(struct out_stream *s, struct xmlw *w)
{
	(void)s;
	return xmlw_flush(w) ? -EIO : 0;
}

/*
 * "<!-- portscope 0.1.0 scan initiated … as: ARGS -->", with "--" written
 * "-&#45;" as nmap does (a comment cannot hold "--").
 */
static int xml_comment(struct xmlw *w, const struct out_info *in)
{
	char when[64], *text;
	size_t len = 96 + strlen(in->version) + 8 * strlen(in->args), used;
	int r;

	text = malloc(len);
	if (!text)
		return -ENOMEM;
	used = (size_t)snprintf(text, len, " portscope %s scan initiated %s as: ", in->version,
	                        out_ctime(in->start, when, sizeof(when)));
	for (const char *p = in->args; *p && used + 8 < len; p++) {
		if (p[0] == '-' && p[1] == '-') {
			memcpy(text + used, "-&#45;", 6);
			used += 6;
			p++;
		} else {
			text[used++] = *p;
		}
	}
	text[used++] = ' ';
	text[used] = '\0';
	r = xmlw_comment(w, text) ? -EIO : 0;
	free(text);
	return r;
}

/*
 * <?xml-stylesheet href="HREF" type="text/xsl"?>: a browser renders the file
 * with it. HREF is written as given, but for '"', '<', '>', '&', controls and
 * bytes above 126, percent-encoded (a processing instruction has no escapes).
 */
static int xml_stylesheet(struct xmlw *w, const char *href)
{
	size_t len = strlen(href);
	char *pi = malloc(len * 3 + 32), *p;
	int r;

	if (!pi)
		return -ENOMEM;
	p = pi + sprintf(pi, "href=\"");
	for (const unsigned char *c = (const unsigned char *)href; *c; c++)
		if (*c <= ' ' || *c > '~' || strchr("\"<>&", *c))
			p += sprintf(p, "%%%02X", *c);
		else
			*p++ = (char)*c;
	strcpy(p, "\" type=\"text/xsl\"");
	r = xmlw_pi(w, "xml-stylesheet", pi) || xml_nl(w) ? -EIO : 0;
	free(pi);
	return r;
}

/* <?xml …?>, <!DOCTYPE nmaprun>, the stylesheet, the comment, <nmaprun …>. */
static int xml_prologue(struct xmlw *w, const struct out_info *in)
{
	char when[64];

	if (xmlw_raw(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"))
		return -EIO;
	if (in->stylesheet && xml_stylesheet(w, in->stylesheet))
		return -EIO;
	if (xml_comment(w, in) || xml_nl(w))
		return -EIO;
	if (xml_start(w, "nmaprun") || xml_attr(w, "scanner", "nmap") ||
	    xml_attr(w, "args", in->args) || xml_attrf(w, "start", "%lld", (long long)in->start) ||
	    xml_attr(w, "startstr", out_ctime(in->start, when, sizeof(when))) ||
	    xml_attr(w, "version", in->version) || xml_attr(w, "profile_name", "portscope") ||
	    xml_attr(w, "xmloutputversion", "1.05") || xml_nl(w))
		return -EIO;
	return 0;
}

static int xml_begin(struct out_stream *s)
{
	const struct out_info *in = s->info;
	struct xmlw *w = malloc(sizeof(*w));
	char *services;
	int r;

	if (!w)
		return -ENOMEM;
	xmlw_init(w, s->f);
	s->state = w;
	services = out_port_ranges(in->ports);
	if (!services)
		return -ENOMEM;
	r = xml_prologue(w, in);
	/* No scaninfo for a list scan or discovery alone (-sn), as nmap. */
	if (!r && !in->list_only && in->ports &&
	    (xml_start(w, "scaninfo") || xml_attr(w, "type", in->scan_type) ||
	     xml_attr(w, "protocol", out_proto_name(in->proto)) ||
	     xml_attrf(w, "numservices", "%zu", in->ports->n) ||
	     xml_attr(w, "services", services) || xml_endln(w)))
		r = -EIO;
	if (!r && (xml_start(w, "verbose") || xml_attrf(w, "level", "%u", in->verbose) ||
	           xml_endln(w) || xml_start(w, "debugging") ||
	           xml_attrf(w, "level", "%u", in->debugging) || xml_endln(w)))
		r = -EIO;
	if (!r)
		r = xml_flush(s, w);
	free(services);
	return r;
}

/* <extraports state= count=> with one <extrareasons … ports=> per reason, a line each. */
static int xml_extraports(struct xmlw *w, const struct scan_host *h, enum scan_state st)
{
	struct out_reason_count rc[SCAN_REASON_MAX];
	size_t n = out_reasons(h, st, rc);

	if (xml_start(w, "extraports") || xml_attr(w, "state", scan_state_name(st)) ||
	    xml_attrf(w, "count", "%llu", (unsigned long long)h->counts[st]) || xml_nl(w))
		return -EIO;
	for (size_t k = 0; k < n; k++) {
		char *ports = out_ports_where(h, st, rc[k].reason);
		int r;

		if (!ports)
			return -ENOMEM;
		r = xml_start(w, "extrareasons") ||
		    xml_attr(w, "reason", scan_reason_name(rc[k].reason)) ||
		    xml_attrf(w, "count", "%llu", (unsigned long long)rc[k].count) ||
		    xml_attr(w, "proto", out_proto_name(h->proto)) || xml_attr(w, "ports", ports) ||
		    xml_endln(w);
		free(ports);
		if (r)
			return -EIO;
	}
	return xml_endln(w);
}

/*
 * nmap's <service name= product= version= extrainfo= tunnel= method="probed"
 * conf=><cpe>…</cpe></service>, one CPE per part as nmap keeps them.
 */
static int xml_detected(struct xmlw *w, const struct detect_result *r)
{
	const struct detect_service *d = &r->svc;
	const struct {
		const char *attr, *value;
	} attrs[] = {
	    {"product", d->product},     {"version", d->version}, {"extrainfo", d->extrainfo},
	    {"hostname", d->hostname},   {"ostype", d->ostype},   {"devicetype", d->devicetype},
	    {"tunnel", r->tunnel ?: ""},
	};
	char buf[sizeof(d->cpe)];
	const char *cpe[3];
	size_t ncpe = out_cpe_parts(d->cpe, buf, sizeof(buf), cpe);

	if (xml_start(w, "service") || xml_attr(w, "name", d->name[0] ? d->name : "unknown"))
		return -EIO;
	for (size_t a = 0; a < ARRAY_SIZE(attrs); a++)
		if (attrs[a].value[0] && xml_attr(w, attrs[a].attr, attrs[a].value))
			return -EIO;
	if (xml_attr(w, "method", "probed") || xml_attrf(w, "conf", "%u", r->confidence))
		return -EIO;
	for (size_t i = 0; i < ncpe; i++)
		if (xmlw_element(w, "cpe", cpe[i]))
			return -EIO;
	return xml_endel(w);
}

/* <port …><state …/><service …/></port> on one line. */
static int xml_port(struct xmlw *w, const struct out_info *in, const struct scan_host *h, size_t i)
{
	const char *name = out_service_name(in->kb, h->ports[i], h->proto);
	const struct detect_result *r = out_version_find(in, h->ports[i]);

	if (xml_start(w, "port") || xml_attr(w, "protocol", out_proto_name(h->proto)) ||
	    xml_attrf(w, "portid", "%u", h->ports[i]) || xml_start(w, "state") ||
	    xml_attr(w, "state", scan_state_name(scan_res_state(h->res[i]))) ||
	    xml_attr(w, "reason", scan_reason_name(scan_res_reason(h->res[i]))) ||
	    xml_attrf(w, "reason_ttl", "%u", out_port_ttl(h, i)) || xml_endel(w))
		return -EIO;
	if (r)
		return xml_detected(w, r) ? -EIO : xml_endln(w);
	if (name && (xml_start(w, "service") || xml_attr(w, "name", name) ||
	             xml_attr(w, "method", "table") || xml_attr(w, "conf", "3") || xml_endel(w)))
		return -EIO;
	return xml_endln(w);
}

/* <hostnames> with the name the target was given by (type "user"), a line each. */
static int xml_hostnames(struct xmlw *w, const struct out_info *in, const struct scan_host *h)
{
	const char *name = out_hostname(in, h);

	if (xml_start(w, "hostnames") || xml_nl(w))
		return -EIO;
	if (name && (xml_start(w, "hostname") || xml_attr(w, "name", name) ||
	             xml_attr(w, "type", "user") || xml_endln(w)))
		return -EIO;
	return xml_endln(w);
}

/* -sL: <host><status state="unknown" …/>, the address, the name if one; nothing sent. */
static int xml_listed(struct out_stream *s, struct xmlw *w, const struct scan_host *h,
                      const char *addr)
{
	if (xml_start(w, "host") || xml_start(w, "status") || xml_attr(w, "state", "unknown") ||
	    xml_attr(w, "reason", "user-set") || xml_attr(w, "reason_ttl", "0") || xml_endln(w) ||
	    xml_start(w, "address") || xml_attr(w, "addr", addr) ||
	    xml_attr(w, "addrtype", json_family(h->addr.family)) || xml_endln(w) ||
	    (out_hostname(s->info, h) && xml_hostnames(w, s->info, h)) || xml_endln(w))
		return -EIO;
	return xml_flush(s, w);
}

static int xml_ports(struct xmlw *w, const struct out_info *in, const struct scan_host *h,
                     unsigned hidden)
{
	if (xml_start(w, "ports"))
		return -EIO;
	for (int st = SCAN_OPEN + 1; st < SCAN_STATE_MAX; st++)
		if ((hidden & 1u << st) && h->counts[st] &&
		    xml_extraports(w, h, (enum scan_state)st))
			return -EIO;
	for (size_t i = 0; i < h->nports; i++)
		if (out_port_shown(h, i, hidden, in->open_only) && xml_port(w, in, h, i))
			return -EIO;
	return xml_endln(w);
}

/* <address> of h, and of its link layer (an on-link host's MAC), a line each. */
static int xml_addresses(struct xmlw *w, const struct scan_host *h, const char *addr)
{
	char mac[24];

	if (xml_start(w, "address") || xml_attr(w, "addr", addr) ||
	    xml_attr(w, "addrtype", json_family(h->addr.family)) || xml_endln(w))
		return -EIO;
	if (h->has_mac &&
	    (xml_start(w, "address") || xml_attr(w, "addr", out_mac(h->mac, mac, sizeof(mac))) ||
	     xml_attr(w, "addrtype", "mac") || xml_endln(w)))
		return -EIO;
	return 0;
}

static int xml_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	struct xmlw *w = s->state;
	unsigned hidden = out_hidden_states(h, in->open_only);
	char addr[INET6_ADDRSTRLEN];
	size_t shown = 0;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (in->list_only)
		return xml_listed(s, w, h, addr);
	if (!out_host_listed(in, h))
		return 0;
	for (size_t i = 0; i < h->nports; i++)
		shown += out_port_shown(h, i, hidden, in->open_only);
	if (in->open_only && shown == 0)
		return 0;
	if (xml_start(w, "host") ||
	    (h->up && xml_attrf(w, "starttime", "%lld", (long long)h->start)) ||
	    (h->up && xml_attrf(w, "endtime", "%lld", (long long)h->end)) ||
	    (h->timedout && xml_attr(w, "timedout", "true")) || xml_start(w, "status") ||
	    xml_attr(w, "state", h->up ? "up" : "down") ||
	    xml_attr(w, "reason", out_host_reason(h)) ||
	    xml_attrf(w, "reason_ttl", "%u", h->reason_ttl) || xml_endln(w) ||
	    xml_addresses(w, h, addr))
		return -EIO;
	if (!h->up) /* nmap: status and addresses only */
		return xml_endln(w) ? -EIO : xml_flush(s, w);
	if (xml_hostnames(w, in, h))
		return -EIO;
	if (!h->timedout && in->ports && xml_ports(w, in, h, hidden))
		return -EIO;
	if (xml_start(w, "times") || xml_attrf(w, "srtt", "%u", h->srtt_us) ||
	    xml_attrf(w, "rttvar", "%u", h->rttvar_us) || xml_attrf(w, "to", "%u", h->rto_us) ||
	    xml_endln(w) || xml_endln(w))
		return -EIO;
	return xml_flush(s, w);
}

/*
 * <runstats><finished …/><hosts …/> and the end of the document, also after a
 * signal (exit="error", errormsg names it): the file stays well-formed.
 */
static int xml_end(struct out_stream *s, const struct scan_summary *sum)
{
	const struct out_info *in = s->info;
	struct xmlw *w = s->state;
	char when[64], line[160], summary[256], msg[96];
	int r = -EIO;

	if (!w)
		return -EIO;
	out_ctime(sum->end, when, sizeof(when));
	snprintf(summary, sizeof(summary), "portscope done at %s; %s", when,
	         out_done_line(sum, line, sizeof(line)));
	if (in->signal)
		snprintf(msg, sizeof(msg), "Interrupted by %s: the hosts above were finished",
		         in->signal);
	if (xml_start(w, "runstats") || xml_start(w, "finished") ||
	    xml_attrf(w, "time", "%lld", (long long)sum->end) || xml_attr(w, "timestr", when) ||
	    xml_attr(w, "summary", summary) || xml_attrf(w, "elapsed", "%.2f", sum->elapsed) ||
	    xml_attr(w, "exit", in->signal ? "error" : "success") ||
	    (in->signal && xml_attr(w, "errormsg", msg)) || xml_endel(w) || xml_start(w, "hosts") ||
	    xml_attrf(w, "up", "%llu", (unsigned long long)sum->hosts_up) ||
	    xml_attrf(w, "down", "%llu", (unsigned long long)(sum->hosts_total - sum->hosts_up)) ||
	    xml_attrf(w, "total", "%llu", (unsigned long long)sum->hosts_total) || xml_endln(w) ||
	    xml_endln(w) || xmlw_finish(w))
		goto out;
	r = xml_flush(s, w);
out:
	free(w);
	s->state = NULL;
	return r;
}

const struct out_format out_xml = {
    .name = "xml",
    .flag = "-oX",
    .ext = ".xml",
    .help = "nmap XML",
    .begin = xml_begin,
    .host = xml_host,
    .end = xml_end,
};
