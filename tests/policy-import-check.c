/*
 * Round trip of `policy import` for the integration tests: the verdict of the
 * live ruleset of this namespace (the firewall evaluator) beside the verdict
 * of a policy file (policy_eval) for random (protocol, port, source) tuples.
 *
 *   policy-import-check --iif IFACE --daddr ADDR [--daddr ADDR6] --sources CIDR,...
 *                       [--tuples N] [--seed S] [--sample K] POLICY
 *
 * Sources are drawn from the CIDR list (host addresses inside them); ports from
 * the policy's own port boundaries and their neighbours, or anywhere. Prints
 * one JSON object: {"compared":N,"agree":A,"unknown":U,"disagree":[...]} with
 * the first 20 disagreements, and with --sample K first K lines
 * {"proto":"tcp","port":P,"from":"ADDR","verdict":"accepted"} for tuples whose
 * source is one of the CIDR list's host addresses (/32, /128), to be checked
 * with packets. Exit status: 0 done, 2 bad arguments, 3 a read failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall/firewall.h"
#include "policy/policy.h"
#include "util/strnum.h"

#define SOURCES_MAX 64

static uint64_t rng = 1;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static int usage(const char *why)
{
	fprintf(stderr, "policy-import-check: %s\n", why);
	return 2;
}

static const char *policy_word(ssize_t r, const struct policy *p)
{
	if (r < 0 || p->rules[r].action == POLICY_DENY)
		return "dropped";
	return p->rules[r].action == POLICY_ALLOW ? "accepted" : "rejected";
}

int main(int argc, char **argv)
{
	struct policy_addr src[SOURCES_MAX];
	size_t nsrc = 0, tuples = 10000, sample = 0, compared = 0, agree = 0, unknown = 0,
	       shown = 0;
	const char *iif = NULL, *file = NULL;
	uint8_t daddr[2][16];
	bool have[2] = {false, false};
	struct policy_error errs[4];
	struct policy p = {0};
	struct fw_ruleset *rs;
	struct fw_env env = {0};
	struct fw_outcome out[FW_MAX_OUTCOMES];
	uint16_t ports[2048];
	size_t nports = 0, nerr;
	char why[512];
	uint64_t v;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--iif") && val) {
			iif = val;
		} else if (!strcmp(a, "--daddr") && val) {
			int fi = strchr(val, ':') ? 1 : 0;
			if (inet_pton(fi ? AF_INET6 : AF_INET, val, daddr[fi]) != 1)
				return usage("bad --daddr");
			have[fi] = true;
		} else if (!strcmp(a, "--sources") && val) {
			char *copy = strdup(val), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t && nsrc < SOURCES_MAX;
			     t = strtok_r(NULL, ",", &save))
				if (policy_addr_parse(t, strlen(t), &src[nsrc++]) < 0)
					return usage("bad --sources");
			free(copy);
		} else if (!strcmp(a, "--tuples") && val && strnum_u64(val, 1, 1000000, &v) == 0) {
			tuples = v;
		} else if (!strcmp(a, "--seed") && val && strnum_u64(val, 1, UINT64_MAX, &v) == 0) {
			rng = v;
		} else if (!strcmp(a, "--sample") && val && strnum_u64(val, 0, 10000, &v) == 0) {
			sample = v;
		} else if (a[0] != '-' && !file) {
			file = a;
			continue;
		} else {
			return usage("bad arguments");
		}
		i++;
	}
	if (!iif || !file || !nsrc || (!have[0] && !have[1]))
		return usage("needs --iif, --daddr, --sources and a POLICY");
	f = fopen(file, "re");
	if (!f || policy_read(f, &p, errs, 4, &nerr) < 0) {
		fprintf(stderr, "policy-import-check: %s: %s\n", file,
		        f ? errs[0].msg : "cannot open");
		return 3;
	}
	fclose(f);
	if (fw_ruleset_read(-1, &rs, why, sizeof(why)) < 0 ||
	    fw_env_read(-1, &env, why, sizeof(why)) < 0) {
		fprintf(stderr, "policy-import-check: %s\n", why);
		return 3;
	}
	for (size_t i = 0; i < p.nrules; i++)
		for (size_t k = 0; k < p.rules[i].nports && nports + 2 <= 2048; k++) {
			ports[nports++] = p.rules[i].ports[k].lo;
			ports[nports++] = p.rules[i].ports[k].hi;
		}

	/* the sample first: tuples from host sources, for packets */
	for (size_t t = 0; t < tuples + sample; t++) {
		bool for_sample = t < sample;
		const struct policy_addr *base;
		struct policy_addr from;
		struct fw_query q = {.iifname = iif, .have_saddr = true};
		unsigned bits, fi;
		const char *live, *mine;
		ssize_t r;
		int n;

		base = &src[rnd((unsigned)nsrc)];
		bits = base->family == AF_INET ? 32 : 128;
		if (for_sample && base->prefix != bits) {
			t--; /* only host sources can send a packet */
			continue;
		}
		fi = base->family == AF_INET6;
		if (!have[fi])
			continue;
		from = *base;
		from.prefix = (uint8_t)bits;
		for (unsigned b = base->prefix; b < bits; b++)
			if (rnd(2))
				from.bytes[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		q.family = fi ? 6 : 4;
		q.proto = rnd(2) ? IPPROTO_TCP : IPPROTO_UDP;
		if (nports && rnd(4)) {
			int pt = ports[rnd((unsigned)nports)] + (int)rnd(3) - 1;
			q.dport = (uint16_t)(pt < 1 ? 1 : pt > 65535 ? 65535 : pt);
		} else {
			q.dport = (uint16_t)(1 + rnd(65535));
		}
		memcpy(q.daddr, daddr[fi], 16);
		memcpy(q.saddr, from.bytes, 16);
		n = fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES);
		if (n < 1)
			return 3;
		r = policy_eval(&p, &(struct policy_packet){.proto = q.proto == IPPROTO_TCP
		                                                         ? POLICY_P_TCP
		                                                         : POLICY_P_UDP,
		                                            .port = q.dport,
		                                            .from = &from});
		mine = policy_word(r, &p);
		if (for_sample) {
			char s[INET6_ADDRSTRLEN];
			inet_ntop(fi ? AF_INET6 : AF_INET, from.bytes, s, sizeof(s));
			printf(
			    "{\"proto\":\"%s\",\"port\":%u,\"from\":\"%s\",\"verdict\":\"%s\"}\n",
			    q.proto == IPPROTO_TCP ? "tcp" : "udp", q.dport, s, mine);
			continue;
		}
		if (out[0].result == FW_UNKNOWN) {
			unknown++;
			continue;
		}
		compared++;
		live = fw_result_name(out[0].result);
		if (!strcmp(live, mine)) {
			agree++;
			continue;
		}
		if (shown++ < 20) {
			char s[INET6_ADDRSTRLEN];
			inet_ntop(fi ? AF_INET6 : AF_INET, from.bytes, s, sizeof(s));
			fprintf(stderr, "disagree: %s %u from %s: live %s, policy %s (line %d)\n",
			        q.proto == IPPROTO_TCP ? "tcp" : "udp", q.dport, s, live, mine,
			        r < 0 ? -1 : (int)p.rules[r].line);
		}
	}
	printf("{\"compared\":%zu,\"agree\":%zu,\"unknown\":%zu,\"disagree\":%zu}\n", compared,
	       agree, unknown, compared - agree);
	policy_free(&p);
	fw_ruleset_free(rs);
	fw_env_free(&env);
	return 0;
}
