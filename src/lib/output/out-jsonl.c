/*
 * JSON Lines (-oJ, --json; schema/scan-*.json): per host a {"type":"host"}
 * record followed by its listed ports (the same ports as the normal output),
 * then one {"type":"summary"} record last. A host record says "status" (up, or
 * down with -v), "reason" (arp-response, echo-reply, user-set …), "reason_ttl"
 * and, for on-link hosts, "mac". Port record:
 *   {"type":"port","address":"127.0.0.1","hostname":null,"proto":"tcp","port":22,
 *    "state":"open","reason":"syn-ack","reason_ttl":0,
 *    "service":{"name":"ssh","method":"table","confidence":3,"port_default":"ssh",
 *               "mismatch":false}}
 * A list scan (-sL) writes one {"type":"target"} record per address instead.
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

/* {"open":3,"closed":98}: the states with ports. */
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
	(void)s;
	return 0;
}

/* The service object of port entry i: -sV's answer, else the port table's name. */
static json_t *jsonl_service(const struct out_info *in, const struct scan_host *h, size_t i)
{
	const char *name = out_service_name(in->kb, h->ports[i], h->proto);
	const struct detect_result *r = out_version_find(in, h->ports[i]);

	if (r)
		return out_json_service(&(struct out_service){
		    .name = r->svc.name,
		    .probed = true,
		    .confidence = r->confidence,
		    .r = r,
		    .port_default = name,
		});
	return out_json_service(&(struct out_service){.name = name, .port_default = name});
}

static json_t *jsonl_port(const struct out_info *in, const struct scan_host *h, const char *addr,
                          size_t i)
{
	json_t *service = jsonl_service(in, h, i);

	if (!service)
		return NULL;
	return json_pack("{s:s, s:s, s:s?, s:s, s:i, s:s, s:s, s:i, s:o}", "type", "port",
	                 "address", addr, "hostname", out_hostname(in, h), "proto",
	                 out_proto_name(h->proto), "port", (int)h->ports[i], "state",
	                 scan_state_name(scan_res_state(h->res[i])), "reason",
	                 scan_reason_name(scan_res_reason(h->res[i])), "reason_ttl",
	                 (int)out_port_ttl(h, i), "service", service);
}

/* [{"state":"closed","count":98,"reasons":{"reset":98}}, …]: the hidden states. */
static json_t *jsonl_not_shown(const struct scan_host *h, unsigned hidden)
{
	json_t *arr = json_array();

	for (int st = SCAN_OPEN + 1; arr && st < SCAN_STATE_MAX; st++) {
		struct out_reason_count rc[SCAN_REASON_MAX];
		size_t n;
		json_t *reasons, *o;

		if (!(hidden & 1u << st) || !h->counts[st])
			continue;
		n = out_reasons(h, (enum scan_state)st, rc);
		reasons = json_object();
		for (size_t k = 0; reasons && k < n; k++)
			if (json_set(reasons, scan_reason_name(rc[k].reason),
			             json_integer((json_int_t)rc[k].count)) < 0) {
				json_decref(reasons);
				reasons = NULL;
			}
		o = reasons ? json_pack("{s:s, s:I, s:o}", "state",
		                        scan_state_name((enum scan_state)st), "count",
		                        (json_int_t)h->counts[st], "reasons", reasons)
		            : NULL;
		if (!o || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *jsonl_host_record(const struct out_info *in, const struct scan_host *h,
                                 const char *addr, unsigned hidden)
{
	json_t *counts = jsonl_counts(h->counts), *not_shown = jsonl_not_shown(h, hidden);
	char mac[24];

	if (!counts || !not_shown) {
		json_decref(counts);
		json_decref(not_shown);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:i, s:s?, s:b, s:b, s:o, s:I, s:o, s:o, "
	                 "s:o, s:o}",
	                 "type", "host", "address", addr, "hostname", out_hostname(in, h), "family",
	                 json_family(h->addr.family), "status", h->up ? "up" : "down", "reason",
	                 out_host_reason(h), "reason_ttl", (int)h->reason_ttl, "mac",
	                 h->has_mac ? out_mac(h->mac, mac, sizeof(mac)) : NULL, "timedout",
	                 h->timedout, "unfinished", h->unfinished, "latency_ms",
	                 json_millis(h->srtt_us / 1e3), "ports_scanned", (json_int_t)h->nports,
	                 "counts", counts, "not_shown", not_shown, "start", json_time(h->start),
	                 "end", json_time(h->end));
}

/* -sL: {"type":"target","address":…,"hostname":…,"family":…}. */
static int jsonl_target(struct out_stream *s, const struct scan_host *h, const char *addr)
{
	return jsonl_emit(s, json_pack("{s:s, s:s, s:s?, s:s}", "type", "target", "address", addr,
	                               "hostname", out_hostname(s->info, h), "family",
	                               json_family(h->addr.family)));
}

static int jsonl_host(struct out_stream *s, const struct scan_host *h)
{
	const struct out_info *in = s->info;
	unsigned hidden = out_hidden_states(h, in->open_only);
	char addr[INET6_ADDRSTRLEN];
	size_t shown = 0;
	int r;

	target_addr_str(&h->addr, addr, sizeof(addr));
	if (in->list_only)
		return jsonl_target(s, h, addr);
	if (!out_host_listed(in, h))
		return 0;
	for (size_t i = 0; i < h->nports; i++)
		shown += out_port_shown(h, i, hidden, in->open_only);
	if (in->open_only && shown == 0)
		return 0; /* as the other formats: --open leaves out hosts without open ports */
	r = jsonl_emit(s, jsonl_host_record(in, h, addr, hidden));
	for (size_t i = 0; r == 0 && !h->timedout && i < h->nports; i++)
		if (out_port_shown(h, i, hidden, in->open_only))
			r = jsonl_emit(s, jsonl_port(s->info, h, addr, i));
	if (fflush(s->f) != 0)
		r = r ? r : -EIO;
	return r;
}

static int jsonl_end(struct out_stream *s, const struct scan_summary *sum)
{
	json_t *ports = jsonl_counts(sum->counts);
	int r = jsonl_emit(
	    s, ports ? json_pack("{s:s, s:s, s:s?, s:{s:I, s:I, s:I, s:I}, s:o, s:I, s:I, s:o, "
	                         "s:o, s:o}",
	                         "type", "summary", "status", out_status_name(s->info), "signal",
	                         s->info->signal, "hosts", "total", (json_int_t)sum->hosts_total,
	                         "up", (json_int_t)sum->hosts_up, "down",
	                         (json_int_t)(sum->hosts_total - sum->hosts_up), "timedout",
	                         (json_int_t)sum->hosts_timedout, "ports", ports, "probes_sent",
	                         (json_int_t)sum->probes_sent, "retries", (json_int_t)sum->retries,
	                         "start", json_time(sum->start), "end", json_time(sum->end),
	                         "duration_s", json_seconds(sum->elapsed))
	             : NULL);

	if (fflush(s->f) != 0)
		r = r ? r : -EIO;
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
