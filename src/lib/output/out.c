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

enum scan_state out_hidden_state(const struct scan_host *h, bool open_only)
{
	enum scan_state best = SCAN_PENDING;
	uint64_t most = 0;

	/* Open ports are what a scan is for: never folded into a count. */
	for (int s = SCAN_OPEN + 1; s < SCAN_STATE_MAX; s++) {
		if (h->counts[s] > most) {
			most = h->counts[s];
			best = (enum scan_state)s;
		}
	}
	if (!open_only && most <= 25)
		return SCAN_PENDING;
	return best;
}

bool out_port_shown(const struct scan_host *h, size_t i, enum scan_state hidden, bool open_only)
{
	enum scan_state st = scan_res_state(h->res[i]);

	if (st == SCAN_PENDING || st == hidden)
		return false;
	return !open_only || st == SCAN_OPEN;
}

const char *out_reason_counts(const struct scan_host *h, enum scan_state st, bool with_counts,
                              char *buf, size_t len)
{
	uint64_t n[SCAN_REASON_MAX] = {0};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < h->nports; i++)
		if (scan_res_state(h->res[i]) == st)
			n[scan_res_reason(h->res[i])]++;
	for (int r = 0; r < SCAN_REASON_MAX; r++) {
		int w;

		if (!n[r])
			continue;
		if (with_counts)
			w = snprintf(buf + used, len - used, "%s%llu %s", used ? ", " : "",
			             (unsigned long long)n[r],
			             scan_reason_name((enum scan_reason)r));
		else
			w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			             scan_reason_name((enum scan_reason)r));
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
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
