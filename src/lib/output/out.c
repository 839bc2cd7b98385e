/* The registry of scan output formats and what they share (see out.h). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/out.h"

/* One line per format: adding one is its file out-<name>.c and its line here. */
const struct out_format *const out_formats[] = {
    &out_normal,   /* out-normal.c */
    &out_jsonl,    /* out-jsonl.c */
    &out_xml,      /* out-xml.c */
    &out_grepable, /* out-grepable.c */
    NULL,
};

const struct out_format *out_format_find(const char *name_or_flag)
{
	for (size_t i = 0; out_formats[i]; i++)
		if (strcmp(out_formats[i]->name, name_or_flag) == 0 ||
		    strcmp(out_formats[i]->flag, name_or_flag) == 0)
			return out_formats[i];
	return NULL;
}

unsigned out_hidden_states(const struct scan_host *h, bool open_only)
{
	unsigned set = 0;

	/* Open ports are what a scan is for: never folded into a count. */
	for (int s = SCAN_OPEN + 1; s < SCAN_STATE_MAX; s++)
		if (h->counts[s] > 25 || (open_only && h->counts[s]))
			set |= 1u << s;
	return set;
}

enum scan_state out_hidden_state(const struct scan_host *h, bool open_only)
{
	unsigned set = out_hidden_states(h, open_only);
	enum scan_state best = SCAN_PENDING;

	for (int s = SCAN_OPEN + 1; s < SCAN_STATE_MAX; s++)
		if ((set & 1u << s) && (best == SCAN_PENDING || h->counts[s] > h->counts[best]))
			best = (enum scan_state)s;
	return best;
}

bool out_port_shown(const struct scan_host *h, size_t i, unsigned hidden, bool open_only)
{
	enum scan_state st = scan_res_state(h->res[i]);

	if (st == SCAN_PENDING || (hidden & 1u << st))
		return false;
	return !open_only || st == SCAN_OPEN;
}

size_t out_reasons(const struct scan_host *h, enum scan_state st,
                   struct out_reason_count rc[SCAN_REASON_MAX])
{
	uint64_t n[SCAN_REASON_MAX] = {0};
	size_t k = 0;

	for (size_t i = 0; i < h->nports; i++)
		if (scan_res_state(h->res[i]) == st)
			n[scan_res_reason(h->res[i])]++;
	for (int r = 0; r < SCAN_REASON_MAX; r++) {
		size_t j;

		if (!n[r])
			continue;
		/* insertion: most common first, ties in reason order */
		for (j = k++; j > 0 && rc[j - 1].count < n[r]; j--)
			rc[j] = rc[j - 1];
		rc[j] = (struct out_reason_count){.reason = (enum scan_reason)r, .count = n[r]};
	}
	return k;
}

char *out_ports_where(const struct scan_host *h, enum scan_state st, enum scan_reason r)
{
	struct portlist pl = {0};
	uint16_t *ports = malloc((h->nports ? h->nports : 1) * sizeof(*ports));
	char *s;

	if (!ports)
		return NULL;
	for (size_t i = 0; i < h->nports; i++)
		if (scan_res_state(h->res[i]) == st && scan_res_reason(h->res[i]) == r)
			ports[pl.n++] = h->ports[i];
	pl.ports = ports;
	s = out_port_ranges(&pl);
	free(ports);
	return s;
}

char *out_port_ranges(const struct portlist *pl)
{
	size_t cap = (pl ? pl->n : 0) * 12 + 1, used = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	if (!pl)
		return s;
	for (size_t i = 0; i < pl->n;) {
		size_t j = i;

		while (j + 1 < pl->n && pl->ports[j + 1] == pl->ports[j] + 1)
			j++;
		if (j == i)
			used += (size_t)snprintf(s + used, cap - used, "%s%u", used ? "," : "",
			                         pl->ports[i]);
		else
			used += (size_t)snprintf(s + used, cap - used, "%s%u-%u", used ? "," : "",
			                         pl->ports[i], pl->ports[j]);
		i = j + 1;
	}
	return s;
}

const char *out_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_SCTP ? "sctp" : "tcp";
}

const char *out_ctime(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)tt);
	return buf;
}

const char *out_hostname(const struct out_info *in, const struct scan_host *h)
{
	if (h->name)
		return h->name;
	return in->hostname ? in->hostname(in->hostname_ctx, &h->addr) : NULL;
}

uint8_t out_port_ttl(const struct scan_host *h, size_t i)
{
	return h->ttl ? h->ttl[i] : 0;
}

const char *out_status_name(const struct out_info *in)
{
	return in->status ? in->status : "complete";
}

const char *out_host_reason(const struct scan_host *h)
{
	if (h->reason == SCAN_REASON_NONE)
		return h->up ? "user-set" : "no-response";
	return scan_reason_name(h->reason);
}

bool out_host_listed(const struct out_info *in, const struct scan_host *h)
{
	return h->up || in->verbose > 0;
}

const char *out_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02X:%02X:%02X:%02X:%02X:%02X", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
	return buf;
}

const char *out_done_line(const struct scan_summary *sum, char *buf, size_t len)
{
	snprintf(buf, len, "%llu IP address%s (%llu host%s up) scanned in %.2f seconds",
	         (unsigned long long)sum->hosts_total, sum->hosts_total == 1 ? "" : "es",
	         (unsigned long long)sum->hosts_up, sum->hosts_up == 1 ? "" : "s", sum->elapsed);
	return buf;
}
