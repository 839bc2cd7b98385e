/* Unit tests for src/lib/firewall: nft JSON rulesets (fixtures made by a real nft) → verdicts. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/rtnetlink.h>

#include "firewall/firewall.h"
#include "firewall/fw-private.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/fixtures/fw/%s", TEST_SRCDIR, name);
	f = fopen(path, "re");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct fw_ruleset *load(const char *name)
{
	struct fw_ruleset *rs = NULL;
	char why[256] = "";
	size_t len;
	char *json = slurp(name, &len);
	int rc = fw_ruleset_parse(json, len, &rs, why, sizeof(why));

	if (rc != 0)
		fprintf(stderr, "%s: %s\n", name, why);
	assert_int_equal(rc, 0);
	free(json);
	return rs;
}

/* The lab host: lo, veth0 198.18.0.2/24 + fd00:5c09::2, eth1 198.18.1.2, routes, forwarding on. */
static struct fw_iface ifaces[] = {
    {.name = "lo", .index = 1, .up = true, .loopback = true},
    {.name = "veth0", .index = 2, .up = true, .route_localnet = true},
    {.name = "eth1", .index = 3, .up = true},
    {.name = "br-lab", .index = 4, .up = true},
};
static struct fw_addr addrs[5];
static struct fw_route routes[5];
static struct fw_env env = {.ifaces = ifaces,
                            .nifaces = 4,
                            .addrs = addrs,
                            .naddrs = 5,
                            .routes = routes,
                            .nroutes = 5,
                            .forward4 = true};

static void addr4(struct fw_addr *a, const char *s, const char *ifname)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	inet_pton(AF_INET, s, a->addr);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
}

static void route4(struct fw_route *r, const char *s, int plen, const char *ifname)
{
	memset(r, 0, sizeof(*r));
	r->family = 4;
	r->type = RTN_UNICAST;
	r->plen = (uint8_t)plen;
	inet_pton(AF_INET, s, r->addr);
	snprintf(r->oifname, sizeof(r->oifname), "%s", ifname);
}

static int setup_env(void **state)
{
	(void)state;
	addr4(&addrs[0], "127.0.0.1", "lo");
	addr4(&addrs[1], "198.18.0.2", "veth0");
	addr4(&addrs[2], "198.18.1.2", "eth1");
	addr4(&addrs[3], "198.18.50.1", "br-lab");
	memset(&addrs[4], 0, sizeof(addrs[4]));
	addrs[4].family = 6;
	inet_pton(AF_INET6, "fd00:5c09::2", addrs[4].addr);
	snprintf(addrs[4].ifname, sizeof(addrs[4].ifname), "veth0");
	route4(&routes[0], "198.18.0.0", 24, "veth0");
	route4(&routes[1], "198.18.1.0", 24, "eth1");
	route4(&routes[2], "198.18.50.0", 24, "br-lab");
	route4(&routes[3], "198.18.60.0", 24, "eth1");
	memset(&routes[4], 0, sizeof(routes[4]));
	routes[4].family = 6;
	routes[4].type = RTN_UNICAST;
	routes[4].plen = 64;
	inet_pton(AF_INET6, "fd00:5c09::", routes[4].addr);
	snprintf(routes[4].oifname, sizeof(routes[4].oifname), "veth0");
	return 0;
}

struct qcase {
	const char *fixture;
	const char *proto; /* "tcp" "udp" */
	const char *daddr;
	unsigned dport;
	const char *iif;
	const char *saddr; /* NULL: every source */
	enum fw_result want;
	long handle;       /* the deciding rule's handle, 0: a policy, -1: not checked */
	const char *chain; /* the deciding chain, NULL: not checked */
	const char *to;    /* after nat: "addr:port", NULL: no nat */
};

static void query(const struct qcase *c, struct fw_query *q)
{
	memset(q, 0, sizeof(*q));
	q->family = strchr(c->daddr, ':') ? 6 : 4;
	q->proto = strcmp(c->proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	inet_pton(q->family == 6 ? AF_INET6 : AF_INET, c->daddr, q->daddr);
	q->dport = (uint16_t)c->dport;
	q->iifname = c->iif;
	if (c->saddr) {
		q->have_saddr = true;
		inet_pton(q->family == 6 ? AF_INET6 : AF_INET, c->saddr, q->saddr);
	}
}

static void check_case(const struct qcase *c)
{
	struct fw_ruleset *rs = load(c->fixture);
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct fw_query q;
	char ref[512];
	int n;

	query(c, &q);
	n = fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES);
	fw_ref_format(&out[0].by, ref, sizeof(ref));
	if (n != 1 || out[0].result != c->want ||
	    (c->handle > 0 && (!out[0].by.rule || out[0].by.rule->handle != (uint64_t)c->handle)) ||
	    (c->handle == 0 && out[0].by.rule))
		fprintf(stderr, "case %s %s %s:%u iif %s: n=%d %s by %s (%s)\n", c->fixture,
		        c->proto, c->daddr, c->dport, c->iif, n, fw_result_name(out[0].result), ref,
		        out[0].why);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].result, c->want);
	if (c->handle > 0) {
		assert_non_null(out[0].by.rule);
		assert_int_equal(out[0].by.rule->handle, c->handle);
	} else if (c->handle == 0) {
		assert_null(out[0].by.rule);
	}
	if (c->chain) {
		assert_non_null(out[0].by.chain);
		assert_string_equal(out[0].by.chain->name, c->chain);
	}
	if (c->to) {
		char a[INET6_ADDRSTRLEN], got[80];

		assert_true(out[0].natted);
		inet_ntop(out[0].dfamily == 6 ? AF_INET6 : AF_INET, out[0].daddr, a, sizeof(a));
		snprintf(got, sizeof(got), "%s:%u", a, out[0].dport);
		assert_string_equal(got, c->to);
	} else {
		assert_false(out[0].natted);
	}
	fw_ruleset_free(rs);
}

/* Handles come from the fixtures' JSON (nft numbers rules after sets and chains). */
static const struct qcase cases[] = {
    /* basic.json: default drop, lo first, per-port rules */
    {"basic.json", "tcp", "198.18.0.2", 3306, "veth0", NULL, FW_DROPPED, 10, "input", NULL},
    {"basic.json", "tcp", "198.18.0.2", 4000, "veth0", NULL, FW_DROPPED, 0, "input", NULL},
    {"basic.json", "tcp", "198.18.0.2", 4000, "lo", NULL, FW_ACCEPTED, 7, "input", NULL},
    {"basic.json", "tcp", "198.18.0.2", 22, "veth0", "198.18.0.5", FW_ACCEPTED, 11, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 22, "veth0", "198.18.7.77", FW_ACCEPTED, 11, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 22, "veth0", "198.18.0.6", FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 2222, "veth0", NULL, FW_ACCEPTED, 12, NULL, NULL},
    {"basic.json", "tcp", "198.18.1.2", 2222, "eth1", NULL, FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 443, "eth1", NULL, FW_ACCEPTED, 13, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 25, "veth0", NULL, FW_REJECTED, 14, NULL, NULL},
    {"basic.json", "udp", "198.18.0.2", 25, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "udp", "198.18.0.2", 53, "veth0", NULL, FW_ACCEPTED, 15, NULL, NULL},
    {"basic.json", "udp", "198.18.0.2", 161, "veth0", NULL, FW_REJECTED, 16, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 8443, "veth0", "198.18.0.9", FW_ACCEPTED, 6, "sub", NULL},
    {"basic.json", "tcp", "198.18.0.2", 8443, "veth0", "198.18.0.66", FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 9005, "veth0", NULL, FW_ACCEPTED, 18, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 9011, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "tcp", "fd00:5c09::2", 6000, "veth0", "fd00:5c09::9", FW_ACCEPTED, 19, NULL,
     NULL},
    {"basic.json", "tcp", "198.18.0.2", 6000, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"basic.json", "tcp", "fd00:5c09::2", 22, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    /* limit: both ways end alike? accept vs drop by policy: unknown, naming the rule */
    {"basic.json", "tcp", "198.18.0.2", 7000, "veth0", NULL, FW_UNKNOWN, 20, NULL, NULL},
    {"basic.json", "tcp", "198.18.0.2", 7001, "veth0", NULL, FW_ACCEPTED, 21, NULL, NULL},
    /* multi.json: two tables, priorities, vmaps, goto, concatenations */
    {"multi.json", "tcp", "198.18.0.2", 4444, "veth0", NULL, FW_DROPPED, 3, "pre", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5555, "veth0", NULL, FW_DROPPED, 4, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5556, "veth0", NULL, FW_DROPPED, 7, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5557, "veth0", NULL, FW_ACCEPTED, 8, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5558, "veth0", NULL, FW_DROPPED, 8, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5559, "veth0", NULL, FW_DROPPED, 0, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5560, "veth0", "198.18.0.7", FW_ACCEPTED, 9, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5560, "veth0", "198.18.9.9", FW_DROPPED, 9, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5560, "veth0", "198.18.8.1", FW_DROPPED, 0, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5561, "veth0", NULL, FW_ACCEPTED, 5, "audit", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5562, "veth0", NULL, FW_DROPPED, 0, "in", NULL},
    {"multi.json", "tcp", "198.18.0.2", 5563, "veth0", "198.18.0.1", FW_ACCEPTED, 13, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5563, "veth0", "198.18.3.1", FW_DROPPED, 0, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5564, "veth0", "198.18.3.1", FW_ACCEPTED, 13, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5565, "veth0", NULL, FW_ACCEPTED, 15, NULL, NULL},
    {"multi.json", "udp", "198.18.0.2", 5566, "veth0", NULL, FW_ACCEPTED, 15, NULL, NULL},
    {"multi.json", "udp", "198.18.0.2", 5565, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5567, "veth0", NULL, FW_ACCEPTED, 16, NULL, NULL},
    {"multi.json", "tcp", "198.18.1.2", 5568, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5568, "veth0", NULL, FW_ACCEPTED, 17, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5569, "veth0", NULL, FW_ACCEPTED, 18, NULL, NULL},
    {"multi.json", "udp", "198.18.0.2", 5569, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5570, "veth0", NULL, FW_ACCEPTED, 19, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 5571, "veth0", NULL, FW_ACCEPTED, 20, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 60001, "veth0", NULL, FW_ACCEPTED, 21, NULL, NULL},
    {"multi.json", "tcp", "198.18.0.2", 60000, "veth0", NULL, FW_DROPPED, 0, NULL, NULL},
    /* an ip table does not see IPv6 */
    {"multi.json", "tcp", "fd00:5c09::2", 5555, "veth0", NULL, FW_DROPPED, 0, "in", NULL},
    /* nat.json: dnat, redirect, route_localnet, maps, forward */
    {"nat.json", "tcp", "198.18.0.2", 8080, "veth0", NULL, FW_ACCEPTED, 5, "forward",
     "198.18.50.2:80"},
    {"nat.json", "tcp", "198.18.0.2", 8081, "veth0", NULL, FW_ACCEPTED, 4, "input",
     "198.18.0.2:22"},
    {"nat.json", "tcp", "198.18.1.2", 8081, "eth1", NULL, FW_ACCEPTED, 4, "input", "198.18.1.2:22"},
    {"nat.json", "tcp", "198.18.0.2", 8083, "veth0", NULL, FW_DROPPED, 0, "input",
     "127.0.0.1:6379"},
    {"nat.json", "tcp", "198.18.0.2", 8082, "veth0", NULL, FW_ACCEPTED, 5, NULL, "198.18.50.2:80"},
    {"nat.json", "tcp", "198.18.1.2", 8082, "eth1", NULL, FW_DROPPED, 0, "input", NULL},
    {"nat.json", "tcp", "198.18.0.2", 8084, "veth0", NULL, FW_DROPPED, 0, "forward",
     "198.18.60.2:8084"},
    {"nat.json", "tcp", "198.18.0.2", 22, "veth0", NULL, FW_ACCEPTED, 4, "input", NULL},
    /* weird.json: expressions the model does not read */
    {"weird.json", "tcp", "198.18.0.2", 1, "veth0", NULL, FW_UNKNOWN, 2, NULL, NULL},
    {"weird.json", "tcp", "198.18.0.2", 2, "veth0", NULL, FW_UNKNOWN, 3, NULL, NULL},
    {"weird.json", "tcp", "198.18.0.2", 4, "veth0", NULL, FW_UNKNOWN, 4, NULL, NULL},
    /* limit then drop, policy drop: both ways drop → dropped */
    {"weird.json", "tcp", "198.18.0.2", 5, "veth0", NULL, FW_DROPPED, -1, NULL, NULL},
    {"weird.json", "tcp", "198.18.0.2", 6, "veth0", NULL, FW_ACCEPTED, 6, NULL, NULL},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* Without a source given, a source-restricted accept splits the outcomes. */
static void test_source_split(void **state)
{
	struct fw_ruleset *rs = load("basic.json");
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct fw_query q;
	struct qcase c = {"basic.json", "tcp", "198.18.0.2", 22, "veth0", NULL, 0, 0, NULL, NULL};
	int n, acc = -1, drop = -1;

	(void)state;
	query(&c, &q);
	n = fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		if (out[i].result == FW_ACCEPTED)
			acc = i;
		if (out[i].result == FW_DROPPED)
			drop = i;
	}
	assert_true(acc >= 0 && drop >= 0);
	assert_false(out[acc].src_all);
	assert_int_equal(out[acc].nsrc, 2);
	assert_true(out[acc].src_lo[0] == out[acc].src_hi[0]); /* 198.18.0.5 */
	assert_true(out[acc].src_lo[0] == ((fw_u128)0xc6120005));
	assert_true(out[acc].src_lo[1] == ((fw_u128)0xc6120700));
	assert_true(out[acc].src_hi[1] == ((fw_u128)0xc61207ff));
	assert_false(out[drop].src_all);
	fw_ruleset_free(rs);
}

/* IPv4 sources: all but 127/8 and the lab host's 3 others (setup_env) */
#define SOURCES4 (((fw_u128)1 << 32) - ((fw_u128)1 << 24) - 3)

/* Two outcomes say the same of a packet (its sources aside). */
static bool same_verdict(const struct fw_outcome *a, const struct fw_outcome *b)
{
	return a->result == b->result && a->by.rule == b->by.rule && a->by.chain == b->by.chain;
}

/*
 * Without a source given, the outcomes' sources and the ones left out (the
 * loopback, the host's own) make up every address, each in one outcome: the
 * one the same query with that source gives.
 */
static void check_split(struct fw_ruleset *rs, unsigned port, const char *const *srcs)
{
	struct qcase c = {"", "tcp", "198.18.0.2", port, "veth0", NULL, 0, 0, NULL, NULL};
	struct fw_outcome all[FW_MAX_OUTCOMES];
	struct fw_query q;
	fw_u128 total = 0;
	int n;

	query(&c, &q);
	n = fw_eval(rs, &env, &q, all, FW_MAX_OUTCOMES);
	assert_true(n >= 1);
	for (int i = 0; i < n; i++) {
		assert_false(all[i].src_more);
		if (all[i].src_all)
			total = SOURCES4;
		for (size_t k = 0; k < all[i].nsrc && !all[i].src_all; k++)
			total += all[i].src_hi[k] - all[i].src_lo[k] + 1;
	}
	if (total != SOURCES4)
		fprintf(stderr, "port %u: the outcomes hold %llu sources\n", port,
		        (unsigned long long)total);
	assert_true(total == SOURCES4);
	for (; *srcs; srcs++) {
		struct fw_outcome one[FW_MAX_OUTCOMES];
		fw_u128 v;
		int at = -1;

		c.saddr = *srcs;
		query(&c, &q);
		assert_int_equal(fw_eval(rs, &env, &q, one, FW_MAX_OUTCOMES), 1);
		v = fw_addr_to_u128(4, q.saddr);
		for (int i = 0; i < n; i++)
			for (size_t k = 0; k < all[i].nsrc; k++)
				if (all[i].src_all ||
				    (all[i].src_lo[k] <= v && v <= all[i].src_hi[k])) {
					assert_true(at == -1 || at == i);
					at = i;
				}
		if (at < 0 || !same_verdict(&all[at], &one[0]))
			fprintf(stderr, "port %u from %s: %s alone, %s in the split\n", port, *srcs,
			        fw_result_name(one[0].result),
			        at < 0 ? "in no outcome" : fw_result_name(all[at].result));
		assert_true(at >= 0);
		assert_true(same_verdict(&all[at], &one[0]));
	}
}

/* Concatenations of source and port whose elements nest by source (concat.nft). */
static void test_concat_source_split(void **state)
{
	struct fw_ruleset *rs = load("concat.json");
	static const char *const srcs[] = {
	    "10.1.2.3",     "198.18.40.7",  "198.18.40.8",  "198.18.40.11", "198.18.40.12",
	    "198.18.40.13", "198.18.40.15", "198.18.40.16", "203.0.113.9",  NULL};
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct qcase c = {"", "tcp", "198.18.0.2", 2001, "veth0", "198.18.40.9", 0, 0, NULL, NULL};
	struct fw_query q;

	(void)state;
	for (unsigned port = 2000; port <= 2004; port++)
		check_split(rs, port, srcs);
	/* judged per source, as the rules read */
	query(&c, &q);
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_int_equal(out[0].result, FW_DROPPED);
	c.dport = 2000;
	query(&c, &q);
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_int_equal(out[0].result, FW_ACCEPTED);
	fw_ruleset_free(rs);
}

/* Outcomes whose branches meet again (basic.json: the admins' rule is for port 22 only). */
static void test_split_rejoins(void **state)
{
	struct fw_ruleset *rs = load("basic.json");
	static const char *const srcs[] = {"10.1.2.3",    "198.18.0.1", "198.18.0.5",  "198.18.0.6",
	                                   "198.18.7.77", "198.18.8.1", "203.0.113.9", NULL};

	(void)state;
	check_split(rs, 1, srcs);
	check_split(rs, 22, srcs);
	fw_ruleset_free(rs);
}

/* route_localnet off: a dnat to 127.0.0.1 from outside is a martian. */
static void test_localnet(void **state)
{
	struct fw_ruleset *rs = load("nat.json");
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct fw_query q;
	struct qcase c = {"nat.json", "tcp", "198.18.1.2", 8083, "eth1", NULL, 0, 0, NULL, NULL};
	int n;

	(void)state;
	query(&c, &q);
	n = fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].result, FW_DROPPED);
	assert_true(out[0].by_route);
	assert_non_null(strstr(out[0].why, "route_localnet"));
	fw_ruleset_free(rs);
}

/* Forwarding off: a dnat to another host goes nowhere. */
static void test_no_forwarding(void **state)
{
	struct fw_ruleset *rs = load("nat.json");
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct fw_query q;
	struct qcase c = {"nat.json", "tcp", "198.18.0.2", 8080, "veth0", NULL, 0, 0, NULL, NULL};
	int n;

	(void)state;
	env.forward4 = false;
	query(&c, &q);
	n = fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES);
	env.forward4 = true;
	assert_int_equal(n, 1);
	assert_int_equal(out[0].result, FW_DROPPED);
	assert_true(out[0].by_route);
	assert_true(out[0].natted);
	assert_non_null(out[0].nat_by.rule);
	assert_int_equal(out[0].nat_by.rule->handle, 3);
	fw_ruleset_free(rs);
}

/* An empty ruleset accepts everything; a bare "{}" or junk is refused with a reason. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *json;
		int rc;
		const char *why;
	} t[] = {
	    {"{\"nftables\": []}", 0, NULL},
	    {"", -EINVAL, "not JSON"},
	    {"{}", -EINVAL, "nftables"},
	    {"[1,2]", -EINVAL, "nftables"},
	    {"{\"nftables\": [3]}", -EINVAL, "no object"},
	    {"{\"nftables\": [{\"chain\": {\"family\": \"ip\", \"table\": \"x\", \"name\": "
	     "\"c\"}}]}",
	     -EINVAL, "outside a listed table"},
	    {"{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"x\"}}, {\"rule\": "
	     "{\"family\": \"ip\", \"table\": \"x\", \"chain\": \"c\", \"expr\": []}}]}",
	     -EINVAL, "unlisted chain"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fw_ruleset *rs = NULL;
		char why[200] = "";
		int rc = fw_ruleset_parse(t[i].json, strlen(t[i].json), &rs, why, sizeof(why));

		assert_int_equal(rc, t[i].rc);
		if (t[i].why)
			assert_non_null(strstr(why, t[i].why));
		if (rc == 0) {
			struct fw_outcome out[4];
			struct fw_query q = {
			    .family = 4, .proto = IPPROTO_TCP, .dport = 1, .iifname = "veth0"};

			inet_pton(AF_INET, "198.18.0.2", q.daddr);
			assert_int_equal(fw_eval(rs, &env, &q, out, 4), 1);
			assert_int_equal(out[0].result, FW_ACCEPTED);
			assert_null(out[0].by.table);
		}
		fw_ruleset_free(rs);
	}
}

/* Bad queries are refused. */
static void test_bad_query(void **state)
{
	struct fw_ruleset *rs = load("basic.json");
	struct fw_outcome out[4];
	struct fw_query q = {.family = 5, .proto = IPPROTO_TCP, .iifname = "veth0"};

	(void)state;
	assert_int_equal(fw_eval(rs, &env, &q, out, 4), -EINVAL);
	q.family = 4;
	q.iifname = NULL;
	assert_int_equal(fw_eval(rs, &env, &q, out, 4), -EINVAL);
	q.iifname = "an-interface-name-too-long";
	assert_int_equal(fw_eval(rs, &env, &q, out, 4), -EINVAL);
	fw_ruleset_free(rs);
}

/* The model as `policy import` walks it (the header's worked example). */
static void test_walk(void **state)
{
	struct fw_ruleset *rs = load("basic.json");
	const struct fw_table *t = &rs->tables[0];
	const struct fw_chain *in = NULL;
	const struct fw_rule *r;

	(void)state;
	assert_int_equal(rs->ntables, 1);
	assert_int_equal(t->family, FW_FAM_INET);
	assert_string_equal(t->name, "filter");
	for (size_t i = 0; i < t->nchains; i++)
		if (strcmp(t->chains[i].name, "input") == 0)
			in = &t->chains[i];
	assert_non_null(in);
	assert_true(in->base);
	assert_int_equal(in->hook, FW_HOOK_INPUT);
	assert_int_equal(in->policy, FW_VERDICT_DROP);
	r = &in->rules[4]; /* ip saddr @admins tcp dport 22 accept */
	assert_int_equal(r->handle, 11);
	assert_string_equal(r->text, "ip saddr @admins tcp dport 22 accept");
	/* implied nfproto, saddr, implied l4proto, dport, verdict */
	assert_int_equal(r->nitems, 5);
	assert_int_equal(r->items[1].kind, FW_ITEM_MATCH);
	assert_int_equal(r->items[1].match.comp[0].field, FW_F_SADDR);
	assert_string_equal(r->items[1].match.set->name, "admins");
	assert_int_equal(r->items[3].match.comp[0].field, FW_F_DPORT);
	assert_int_equal(r->items[3].match.comp[0].l4, IPPROTO_TCP);
	assert_int_equal(r->items[4].kind, FW_ITEM_VERDICT);
	assert_int_equal(r->items[4].verdict, FW_VERDICT_ACCEPT);
	assert_string_equal(in->rules[5].text, "iifname \"veth*\" tcp dport 2222 accept");
	fw_ruleset_free(rs);
}

/* Decoders of iptables-nft's blobs. */
static void test_xt(void **state)
{
	struct fw_item items[8];
	size_t n;
	struct xt_conntrack_mtinfo3 ct = {.match_flags = XT_CONNTRACK_STATE,
	                                  .state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
	                                                XT_CONNTRACK_STATE_BIT(IP_CT_RELATED)};
	struct xt_multiport_v1 mp = {.flags = XT_MULTIPORT_DESTINATION,
	                             .count = 3,
	                             .ports = {80, 1000, 2000},
	                             .pflags = {0, 1, 0}};
	struct ipt_reject_info rej = {.with = IPT_TCP_RESET};
	struct nf_nat_range2 dn = {.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED};
	struct fw_xt x;

	(void)state;
	x = (struct fw_xt){.name = "conntrack", .rev = 3, .info = (void *)&ct, .len = sizeof(ct)};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].match.op, FW_OP_IN);
	assert_int_equal(items[0].match.set->elems[0].lo[3], 6);
	fw_item_release(&items[0]);

	x = (struct fw_xt){.name = "multiport", .rev = 1, .info = (void *)&mp, .len = sizeof(mp)};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), 0);
	assert_int_equal(items[0].match.comp[0].field, FW_F_DPORT);
	assert_int_equal(items[0].match.set->nelems, 2);
	assert_int_equal(
	    items[0].match.set->elems[1].hi[0] << 8 | items[0].match.set->elems[1].hi[1], 2000);
	fw_item_release(&items[0]);

	x = (struct fw_xt){
	    .target = true, .name = "REJECT", .info = (void *)&rej, .len = sizeof(rej)};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), 0);
	assert_int_equal(items[0].reject, FW_REJECT_TCP_RST);

	inet_pton(AF_INET, "198.18.50.2", &dn.min_addr.ip);
	dn.min_proto.all = htons(80);
	x = (struct fw_xt){
	    .target = true, .name = "DNAT", .rev = 2, .info = (void *)&dn, .len = sizeof(dn)};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), 0);
	assert_int_equal(items[0].kind, FW_ITEM_NAT);
	assert_int_equal(items[0].nat.port, 80);
	assert_int_equal(items[0].nat.addr[3], 2);

	/* unknown or short blobs are refused, never read past */
	x = (struct fw_xt){.name = "recent", .info = (void *)&ct, .len = sizeof(ct)};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), -ENOTSUP);
	x = (struct fw_xt){.name = "conntrack", .rev = 3, .info = (void *)&ct, .len = 4};
	assert_int_equal(fw_xt_decode(&x, 4, items, 8, &n), -ENOTSUP);
}

/* Runs argv (a fixed list: no shell), in the calling thread's namespace. Returns its exit status.
 */
static int run_cmd(const char *const argv[])
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint64_t ns_inode(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

/*
 * The live reader in a namespace of the test's own (never the machine's):
 * native nft rules, iptables-nft rules whose xt blobs get decoded, read from
 * another namespace through setns, then legacy xtables detected.
 */
static void test_live(void **state)
{
	static const char ruleset[] =
	    "table inet lab { chain input { type filter hook input priority 10; policy drop;\n"
	    "  iif lo accept\n  tcp dport 22 accept\n }\n}\n";
	const char *ipt_mp[] = {"iptables",  "-w",       "-A",     "INPUT", "-p",   "tcp", "-m",
	                        "multiport", "--dports", "80,443", "-j",    "DROP", NULL};
	const char *ipt_ct[] = {"iptables", "-w",        "-I",        "INPUT",
	                        "-m",       "conntrack", "--ctstate", "RELATED,ESTABLISHED",
	                        "-j",       "ACCEPT",    NULL};
	const char *ipt_rej[] = {"iptables",      "-w",        "-A", "INPUT", "-p",
	                         "tcp",           "--dport",   "25", "-j",    "REJECT",
	                         "--reject-with", "tcp-reset", NULL};
	const char *ipt_dnat[] = {
	    "iptables", "-w",      "-t",   "nat", "-A",   "PREROUTING",       "-p",
	    "tcp",      "--dport", "8080", "-j",  "DNAT", "--to-destination", "198.18.50.2:80",
	    NULL};
	const char *ipt_addr[] = {"iptables",
	                          "-w",
	                          "-t",
	                          "nat",
	                          "-I",
	                          "PREROUTING",
	                          "-m",
	                          "addrtype",
	                          "--dst-type",
	                          "LOCAL",
	                          "-p",
	                          "tcp",
	                          "--dport",
	                          "8081",
	                          "-j",
	                          "DNAT",
	                          "--to-destination",
	                          "198.18.50.3:81",
	                          NULL};
	const char *legacy[] = {"iptables-legacy", "-w", "-A", "INPUT", "-p", "tcp",
	                        "--dport",         "9",  "-j", "DROP",  NULL};
	struct fw_ruleset *rs = NULL;
	struct fw_outcome out[FW_MAX_OUTCOMES];
	struct qcase c = {"live", "tcp", "198.18.0.2", 80, "veth0", NULL, 0, 0, NULL, NULL};
	struct fw_query q;
	struct nft_ctx *ctx;
	char why[256] = "";
	int home, other;
	uint64_t home_ino;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		skip();
		return;
	}
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	home_ino = ns_inode();
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	other = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(home >= 0 && other >= 0);
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	assert_non_null(ctx);
	assert_int_equal(nft_run_cmd_from_buffer(ctx, ruleset), 0);
	nft_ctx_free(ctx);
	if (run_cmd(ipt_mp) != 0 || run_cmd(ipt_ct) != 0 || run_cmd(ipt_rej) != 0 ||
	    run_cmd(ipt_dnat) != 0 || run_cmd(ipt_addr) != 0) {
		fprintf(stderr, "iptables (nft) not usable here: live xt test skipped\n");
		skip();
		return;
	}
	/* back home; read the other namespace from here */
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	assert_int_equal(fw_ruleset_read(other, &rs, why, sizeof(why)), 0);
	assert_int_equal(ns_inode(), home_ino);
	assert_null(rs->legacy);
	/* every xt blob decoded: no unknown item is left */
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++)
			for (size_t k = 0; k < rs->tables[i].chains[j].nrules; k++) {
				const struct fw_rule *r = &rs->tables[i].chains[j].rules[k];

				for (size_t m = 0; m < r->nitems; m++) {
					if (r->items[m].kind == FW_ITEM_UNKNOWN_COND ||
					    r->items[m].kind == FW_ITEM_UNKNOWN_STMT)
						fprintf(stderr, "left unknown: %s (%s)\n", r->text,
						        r->items[m].why);
					assert_int_not_equal(r->items[m].kind,
					                     FW_ITEM_UNKNOWN_COND);
					assert_int_not_equal(r->items[m].kind,
					                     FW_ITEM_UNKNOWN_STMT);
				}
			}
	query(&c, &q);
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_int_equal(out[0].result, FW_DROPPED); /* iptables' multiport drop */
	assert_string_equal(out[0].by.table->name, "filter");
	assert_non_null(
	    strstr(out[0].by.rule->text, "meta l4proto tcp th dport { 80, 443 } counter drop"));
	q.dport = 25;
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_int_equal(out[0].result, FW_REJECTED);
	assert_int_equal(out[0].reject, FW_REJECT_TCP_RST);
	q.dport = 22; /* accepted by ip filter (policy), then by inet lab's rule */
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_int_equal(out[0].result, FW_ACCEPTED);
	q.dport = 8080; /* DNAT'd, then forwarded: the forward chains accept by policy */
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_true(out[0].natted);
	assert_int_equal(out[0].result, FW_ACCEPTED);
	assert_false(out[0].local);
	assert_int_equal(out[0].dport, 80);
	q.dport = 8081; /* addrtype --dst-type LOCAL: 198.18.0.2 is local in the env */
	assert_int_equal(fw_eval(rs, &env, &q, out, FW_MAX_OUTCOMES), 1);
	assert_true(out[0].natted);
	assert_int_equal(out[0].dport, 81);
	fw_ruleset_free(rs);

	/* legacy xtables with a rule: said, not evaluated */
	assert_int_equal(setns(other, CLONE_NEWNET), 0);
	if (run_cmd(legacy) == 0) {
		assert_int_equal(fw_ruleset_read(-1, &rs, why, sizeof(why)), 0);
		assert_non_null(rs->legacy);
		assert_non_null(strstr(rs->legacy, "iptables-legacy table filter"));
		fw_ruleset_free(rs);
	} else {
		fprintf(stderr, "iptables-legacy not usable here: legacy check skipped\n");
	}
	close(home);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_source_split),
	    cmocka_unit_test(test_concat_source_split),
	    cmocka_unit_test(test_split_rejoins),
	    cmocka_unit_test(test_localnet),
	    cmocka_unit_test(test_no_forwarding),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_bad_query),
	    cmocka_unit_test(test_walk),
	    cmocka_unit_test(test_xt),
	    cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, setup_env, NULL);
}
