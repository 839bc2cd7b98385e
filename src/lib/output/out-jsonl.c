/*
 * JSON Lines (-oJ, --json): per host a {"type":"host"} record followed by its
 * listed ports (the same ports as the normal output), then one
 * {"type":"summary"} record last. A host record says "status" (up, or down
 * with -v), "reason" (arp-response, echo-reply, user-set …), "reason_ttl" and,
 * for on-link hosts, "mac". Port record:
 *   {"type":"port","host":"127.0.0.1","proto":"tcp","port":22,"state":"open",
 *    "reason":"syn-ack","service":{"name":"ssh","method":"table","port_default":"ssh"}}
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "detect/engine.h"
#include "output/json.h"
#include "output/out.h"
#include "output/service.h"

static int jsonl_emit(struct out_stream *s, json_t *rec)
{
	int r;

	if (!rec)
		return -ENOMEM;
	r = json_write_line(s->f, rec);
	json_decref(rec);
	return r;
}

static json_t *jsonl_counts(const uint64_t *counts)
{
	json_t *o = json_object();

	for (int st = SCAN_OPEN; o && st < SCAN_STATE_MAX; st++)
		if (counts[st] && json_set(o, scan_state_name((enum scan_state)st),
		                           json_integer((json_int_t)counts[st])) < 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static int jsonl_begin(struct out_stream *s)
{
	return 0;
}

/* Sets key to s when s is not empty. Returns 0 or -ENOMEM. */
static int jsonl_set_text(json_t *o, const char *key, const char *s)
{
	return s && s[0] ? json_set_str(o, key, s) : 0;
}

/* The -sV service object: what answered, with what the port table says beside it. */
static json_t *jsonl_detected(const struct detect_result *r, const char *port_default)
{
	const struct detect_service *d = &r->svc;
	const char *name = d->name[0] ? d->name : "unknown";
	json_t *o = json_object(), *cpe = json_array();
	char buf[sizeof(d->cpe)], *tok, *save = NULL;
	int e = !o || !cpe;

	e |= json_set_str(o, "name", name) < 0;
	e |= jsonl_set_text(o, "product", d->product) < 0;
	e |= jsonl_set_text(o, "version", d->version) < 0;
	e |= jsonl_set_text(o, "extrainfo", d->extrainfo) < 0;
	e |= jsonl_set_text(o, "hostname", d->hostname) < 0;
	e |= jsonl_set_text(o, "ostype", d->ostype) < 0;
	e |= jsonl_set_text(o, "devicetype", d->devicetype) < 0;
	e |= jsonl_set_text(o, "title", d->title) < 0;
	e |= jsonl_set_text(o, "tunnel", r->tunnel) < 0;
	snprintf(buf, sizeof(buf), "%s", d->cpe);
	for (tok = strtok_r(buf, " ", &save); tok && cpe; tok = strtok_r(NULL, " ", &save))
		e |= json_array_append_new(cpe, json_string(tok)) < 0;
	if (cpe && json_array_size(cpe))
		e |= json_set(o, "cpe", json_incref(cpe)) < 0;
	json_decref(cpe);
	e |= json_set_str(o, "method", "probed") < 0;
	e |= json_set(o, "confidence", json_integer(r->confidence)) < 0;
	e |= json_set_str(o, "reason", r->reason) < 0;
	e |= json_set_str(o, "port_default", port_default) < 0;
	e |= json_set(o, "mismatch", json_boolean(detect_mismatch(d->name, port_default))) < 0;
	if (r->tls.handshake) {
		json_t *t = json_object();

		e |= !t;
		e |= jsonl_set_text(t, "version", r->tls.version) < 0;
		e |= jsonl_set_text(t, "cipher", r->tls.cipher) < 0;
		e |= jsonl_set_text(t, "subject", r->tls.subject) < 0;
		e |= jsonl_set_text(t, "issuer", r->tls.issuer) < 0;
		e |= jsonl_set_text(t, "sans", r->tls.sans) < 0;
		e |= jsonl_set_text(t, "not_after", r->tls.not_after) < 0;
		e |= jsonl_set_text(t, "alpn", r->tls.alpn) < 0;
		e |= json_set(o, "tls", t) < 0;
	}
	if (e) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *jsonl_port(const struct out_info *in, const struct scan_host *h, const char *addr,
                          size_t i)
{
	const char *name = out_service_name(in->kb, h->ports[i], h->proto);
	const struct detect_result *r = out_version_find(in, h->ports[i]);
	json_t *service = r ? jsonl_detected(r, name)
	                    : json_pack("{s:s?, s:s, s:s?}", "name", name, "method", "table",
	                                "port_default", name);

	if (!service)
		return NULL;

	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o*}", "type", "port", "host", addr,
	                 "proto", out_proto_name(h->proto), "port", (int)h->ports[i], "state",
	                 scan_state_name(scan_res_state(h->res[i])), "reason",
	                 scan_reason_name(scan_res_reason(h->res[i])), "service", service);
}

static int jsonl_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	enum scan_state hidden = out_hidden_state(h, in->open_only);
	char addr[INET6_ADDRSTRLEN], reasons[256];
	json_t *rec, *not_shown = json_null();
	int r;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (!out_host_listed(in, h))
		return 0;
	if (hidden != SCAN_PENDING && h->counts[hidden])
		not_shown = json_pack("{s:s, s:I, s:s}", "state", scan_state_name(hidden), "count",
		                      (json_int_t)h->counts[hidden], "reasons",
		                      out_reason_counts(h, hidden, true, reasons, sizeof(reasons)));
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:f, s:I, s:o*, s:o*}", "type", "host",
	                "host", addr, "family", h->addr.family == AF_INET6 ? "ipv6" : "ipv4",
	                "status", h->up ? "up" : "down", "reason", out_host_reason(h), "reason_ttl",
	                (int)h->reason_ttl, "timedout", h->timedout, "latency_ms", h->srtt_us / 1e3,
	                "ports_scanned", (json_int_t)h->nports, "counts", jsonl_counts(h->counts),
	                "not_shown", not_shown);
	if (rec && h->has_mac) {
		char mac[24];

		if (json_set_str(rec, "mac", out_mac(h->mac, mac, sizeof(mac))) < 0) {
			json_decref(rec);
			rec = NULL;
		}
	}
	r = jsonl_emit(s, rec);
	for (size_t i = 0; r == 0 && !h->timedout && i < h->nports; i++)
		if (out_port_shown(h, i, hidden, in->open_only))
			r = jsonl_emit(s, jsonl_port(s->info, h, addr, i));
	fflush(s->f);
	return r;
}

static int jsonl_end(struct out_stream *s, const struct scan_summary *sum)
{
	int r = jsonl_emit(
	    s, json_pack("{s:s, s:{s:I, s:I, s:I}, s:o*, s:I, s:I, s:f, s:f, s:f}", "type",
	                 "summary", "hosts", "total", (json_int_t)sum->hosts_total, "up",
	                 (json_int_t)sum->hosts_up, "timedout", (json_int_t)sum->hosts_timedout,
	                 "ports", jsonl_counts(sum->counts), "probes_sent",
	                 (json_int_t)sum->probes_sent, "retries", (json_int_t)sum->retries, "start",
	                 sum->start, "end", sum->end, "duration_s", sum->elapsed));

	if (fflush(s->f) != 0)
		r = -EIO;
	return r;
}

const struct out_format out_jsonl = {
    .name = "json-lines",
    .flag = "-oJ",
    .ext = ".jsonl",
    .help = "JSON Lines",
    .begin = jsonl_begin,
    .host = jsonl_host,
    .end = jsonl_end,
};
