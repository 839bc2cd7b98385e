/*
 * JSON Lines (-oJ, --json): per host a {"type":"host"} record followed by its
 * listed ports (the same ports as the normal output), then one
 * {"type":"summary"} record last. Port record:
 *   {"type":"port","host":"127.0.0.1","proto":"tcp","port":22,"state":"open",
 *    "reason":"syn-ack","service":{"name":"ssh","method":"table","port_default":"ssh"}}
 */
#include <errno.h>

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

static json_t *jsonl_port(const struct kb *kb, const struct scan_host *h, const char *addr,
			  size_t i)
{
	const char *name = out_service_name(kb, h->ports[i], h->proto);
	json_t *service =
	    json_pack("{s:s?, s:s, s:s?}", "name", name, "method", "table", "port_default", name);

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
	if (hidden != SCAN_PENDING && h->counts[hidden])
		not_shown = json_pack("{s:s, s:I, s:s}", "state", scan_state_name(hidden), "count",
		                      (json_int_t)h->counts[hidden], "reasons",
		                      out_reason_counts(h, hidden, true, reasons, sizeof(reasons)));
	rec = json_pack("{s:s, s:s, s:s, s:s, s:b, s:f, s:I, s:o*, s:o*}", "type", "host", "host",
	                addr, "family", h->addr.family == AF_INET6 ? "ipv6" : "ipv4", "status",
	                "up", "timedout", h->timedout, "latency_ms", h->srtt_us / 1e3,
	                "ports_scanned", (json_int_t)h->nports, "counts", jsonl_counts(h->counts),
	                "not_shown", not_shown);
	r = jsonl_emit(s, rec);
	for (size_t i = 0; r == 0 && !h->timedout && i < h->nports; i++)
		if (out_port_shown(h, i, hidden, in->open_only))
			r = jsonl_emit(s, jsonl_port(s->info->kb, h, addr, i));
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
    .begin = jsonl_begin,
    .host = jsonl_host,
    .end = jsonl_end,
};
