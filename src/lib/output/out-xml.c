/*
 * nmap XML (-oX), valid against nmap.dtd and readable by ndiff, written with
 * libxml2's xmlTextWriter and streamed: each <host> is written and flushed
 * when the host is done. The DTD fixes scanner="nmap"; profile_name says
 * portscope.
 */
#include <errno.h>
#include <stdarg.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine.h"
#include "output/out.h"
#include "output/service.h"
#include "util/array.h"

struct xml_state {
	xmlTextWriterPtr w;
};

#define XS(s) ((const xmlChar *)(s))

static int xml_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	return xmlTextWriterWriteAttribute(w, XS(name), XS(value)) < 0 ? -EIO : 0;
}

__attribute__((format(printf, 3, 4))) static int xml_attrf(xmlTextWriterPtr w, const char *name,
                                                           const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = xmlTextWriterWriteVFormatAttribute(w, XS(name), fmt, ap);
	va_end(ap);
	return r < 0 ? -EIO : 0;
}

static int xml_start(xmlTextWriterPtr w, const char *name)
{
	return xmlTextWriterStartElement(w, XS(name)) < 0 ? -EIO : 0;
}

static int xml_endel(xmlTextWriterPtr w)
{
	return xmlTextWriterEndElement(w) < 0 ? -EIO : 0;
}

static int xml_flush(struct out_stream *s, xmlTextWriterPtr w)
{
	if (xmlTextWriterFlush(w) < 0)
		return -EIO;
	return fflush(s->f) != 0 || ferror(s->f) ? -EIO : 0;
}

static int xml_begin(struct out_stream *s)
{
	const struct out_info *in = s->info;
	struct xml_state *st = calloc(1, sizeof(*st));
	xmlOutputBufferPtr buf;
	char when[64], *services = NULL;
	xmlTextWriterPtr w;
	int r = -ENOMEM;

	if (!st)
		return -ENOMEM;
	buf = xmlOutputBufferCreateFile(s->f, NULL);
	if (!buf)
		goto fail;
	w = st->w = xmlNewTextWriter(buf); /* owns buf from here */
	if (!w) {
		xmlOutputBufferClose(buf);
		goto fail;
	}
	s->state = st;
	xmlTextWriterSetIndent(w, 0);
	services = out_port_ranges(in->ports);
	if (!services)
		return -ENOMEM;
	r = -EIO;
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterWriteDTD(w, XS("nmaprun"), NULL, NULL, NULL) < 0 ||
	    xmlTextWriterWriteString(w, XS("\n")) < 0 || xml_start(w, "nmaprun") ||
	    xml_attr(w, "scanner", "nmap") || xml_attr(w, "args", in->args) ||
	    xml_attrf(w, "start", "%lld", (long long)in->start) ||
	    xml_attr(w, "startstr", out_ctime(in->start, when, sizeof(when))) ||
	    xml_attr(w, "version", in->version) || xml_attr(w, "profile_name", "portscope") ||
	    xml_attr(w, "xmloutputversion", "1.05"))
		goto out;
	/* No scaninfo for discovery alone (-sn), as nmap. */
	if (in->ports && (xml_start(w, "scaninfo") || xml_attr(w, "type", in->scan_type) ||
	                  xml_attr(w, "protocol", out_proto_name(in->proto)) ||
	                  xml_attrf(w, "numservices", "%zu", in->ports->n) ||
	                  xml_attr(w, "services", services) || xml_endel(w)))
		goto out;
	if (xml_start(w, "verbose") || xml_attrf(w, "level", "%u", in->verbose) || xml_endel(w) ||
	    xml_start(w, "debugging") || xml_attr(w, "level", "0") || xml_endel(w))
		goto out;
	r = xml_flush(s, w);
out:
	free(services);
	return r;
fail:
	free(st);
	return r;
}

static int xml_extraports(xmlTextWriterPtr w, const struct scan_host *h, enum scan_state hidden)
{
	uint64_t n[SCAN_REASON_MAX] = {0};

	if (xml_start(w, "extraports") || xml_attr(w, "state", scan_state_name(hidden)) ||
	    xml_attrf(w, "count", "%llu", (unsigned long long)h->counts[hidden]))
		return -EIO;
	for (size_t i = 0; i < h->nports; i++)
		if (scan_res_state(h->res[i]) == hidden)
			n[scan_res_reason(h->res[i])]++;
	for (int r = 0; r < SCAN_REASON_MAX; r++)
		if (n[r] && (xml_start(w, "extrareasons") ||
		             xml_attr(w, "reason", scan_reason_name((enum scan_reason)r)) ||
		             xml_attrf(w, "count", "%llu", (unsigned long long)n[r]) ||
		             xml_attr(w, "proto", out_proto_name(h->proto)) || xml_endel(w)))
			return -EIO;
	return xml_endel(w);
}

/* nmap's <service name= product= version= extrainfo= tunnel= method="probed" conf=><cpe>… */
static int xml_detected(xmlTextWriterPtr w, const struct detect_result *r)
{
	const struct detect_service *d = &r->svc;
	const struct {
		const char *attr, *value;
	} attrs[] = {
	    {"product", d->product},     {"version", d->version}, {"extrainfo", d->extrainfo},
	    {"hostname", d->hostname},   {"ostype", d->ostype},   {"devicetype", d->devicetype},
	    {"tunnel", r->tunnel ?: ""},
	};
	char cpe[sizeof(d->cpe)], *tok, *save = NULL;

	if (xml_start(w, "service") || xml_attr(w, "name", d->name[0] ? d->name : "unknown"))
		return -EIO;
	for (size_t a = 0; a < ARRAY_SIZE(attrs); a++)
		if (attrs[a].value[0] && xml_attr(w, attrs[a].attr, attrs[a].value))
			return -EIO;
	if (xml_attr(w, "method", "probed") || xml_attrf(w, "conf", "%u", r->confidence))
		return -EIO;
	snprintf(cpe, sizeof(cpe), "%s", d->cpe);
	for (tok = strtok_r(cpe, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (xmlTextWriterWriteElement(w, BAD_CAST "cpe", BAD_CAST tok) < 0)
			return -EIO;
	return xml_endel(w);
}

static int xml_port(xmlTextWriterPtr w, const struct out_info *in, const struct scan_host *h,
                    size_t i)
{
	const char *name = out_service_name(in->kb, h->ports[i], h->proto);
	const struct detect_result *r = out_version_find(in, h->ports[i]);

	if (xml_start(w, "port") || xml_attr(w, "protocol", out_proto_name(h->proto)) ||
	    xml_attrf(w, "portid", "%u", h->ports[i]) || xml_start(w, "state") ||
	    xml_attr(w, "state", scan_state_name(scan_res_state(h->res[i]))) ||
	    xml_attr(w, "reason", scan_reason_name(scan_res_reason(h->res[i]))) ||
	    xml_attr(w, "reason_ttl", "0") || xml_endel(w))
		return -EIO;
	if (r)
		return xml_detected(w, r) ? -EIO : xml_endel(w);
	if (name && (xml_start(w, "service") || xml_attr(w, "name", name) ||
	             xml_attr(w, "method", "table") || xml_attr(w, "conf", "3") || xml_endel(w)))
		return -EIO;
	return xml_endel(w);
}

static int xml_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	xmlTextWriterPtr w = ((struct xml_state *)s->state)->w;
	enum scan_state hidden = out_hidden_state(h, in->open_only);
	char addr[INET6_ADDRSTRLEN];
	size_t shown = 0;

	target_addr_str(&h->addr, addr, sizeof(addr));
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
	    xml_attrf(w, "reason_ttl", "%u", h->reason_ttl) || xml_endel(w) ||
	    xml_start(w, "address") || xml_attr(w, "addr", addr) ||
	    xml_attr(w, "addrtype", h->addr.family == AF_INET6 ? "ipv6" : "ipv4") || xml_endel(w))
		return -EIO;
	if (h->has_mac) {
		char mac[24];

		if (xml_start(w, "address") ||
		    xml_attr(w, "addr", out_mac(h->mac, mac, sizeof(mac))) ||
		    xml_attr(w, "addrtype", "mac") || xml_endel(w))
			return -EIO;
	}
	if (!h->up) { /* nmap: status and address only */
		if (xml_endel(w) || xmlTextWriterWriteString(w, XS("\n")) < 0)
			return -EIO;
		return xml_flush(s, w);
	}
	if (xml_start(w, "hostnames") || xml_endel(w))
		return -EIO;
	if (!h->timedout && in->ports) {
		if (xml_start(w, "ports"))
			return -EIO;
		if (hidden != SCAN_PENDING && h->counts[hidden] && xml_extraports(w, h, hidden))
			return -EIO;
		for (size_t i = 0; i < h->nports; i++)
			if (out_port_shown(h, i, hidden, in->open_only) && xml_port(w, in, h, i))
				return -EIO;
		if (xml_endel(w))
			return -EIO;
	}
	if (xml_start(w, "times") || xml_attrf(w, "srtt", "%u", h->srtt_us) ||
	    xml_attrf(w, "rttvar", "%u", h->rttvar_us) || xml_attrf(w, "to", "%u", h->rto_us) ||
	    xml_endel(w) || xml_endel(w) || xmlTextWriterWriteString(w, XS("\n")) < 0)
		return -EIO;
	return xml_flush(s, w);
}

static int xml_end(struct out_stream *s, const struct scan_summary *sum)
{
	struct xml_state *st = s->state;
	xmlTextWriterPtr w;
	char when[64], line[160];
	int r = -EIO;

	if (!st)
		return -EIO;
	w = st->w;
	if (xml_start(w, "runstats") || xml_start(w, "finished") ||
	    xml_attrf(w, "time", "%lld", (long long)sum->end) ||
	    xml_attr(w, "timestr", out_ctime(sum->end, when, sizeof(when))) ||
	    xml_attrf(w, "elapsed", "%.2f", sum->elapsed) ||
	    xml_attr(w, "summary", out_done_line(sum, line, sizeof(line))) ||
	    xml_attr(w, "exit", "success") || xml_endel(w) || xml_start(w, "hosts") ||
	    xml_attrf(w, "up", "%llu", (unsigned long long)sum->hosts_up) ||
	    xml_attrf(w, "down", "%llu", (unsigned long long)(sum->hosts_total - sum->hosts_up)) ||
	    xml_attrf(w, "total", "%llu", (unsigned long long)sum->hosts_total) || xml_endel(w) ||
	    xml_endel(w) || xmlTextWriterEndDocument(w) < 0)
		goto out;
	r = xml_flush(s, w);
out:
	xmlFreeTextWriter(w);
	free(st);
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
