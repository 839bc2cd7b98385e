/*
 * Unit tests for policy import (src/lib/policy/import.c): rulesets that nft
 * itself wrote (tests/unit/fixtures/fw, issue 14's fixtures) translated into
 * the docs' language; the text must parse, and for 10,000 random (protocol,
 * port, source) tuples per ruleset `policy eval` on the import must give the
 * verdict the firewall evaluator gives on the ruleset.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy-rand.h"
#include "policy/import.h"
#include "policy/policy.h"

#define TUPLES 10000

static uint64_t rng = 0x2545f4914f6cdd1dull;

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

/* The lab host of the fixtures: lo, veth0 198.18.0.2/24 + fd00:5c09::2, eth1 198.18.1.2. */
static struct fw_iface ifaces[] = {
    {.name = "lo", .index = 1, .up = true, .loopback = true},
    {.name = "veth0", .index = 2, .up = true},
    {.name = "eth1", .index = 3, .up = true},
};
static struct fw_addr addrs[4];
static struct fw_route routes[3];
static struct fw_env env = {
    .ifaces = ifaces, .nifaces = 3, .addrs = addrs, .naddrs = 4, .routes = routes, .nroutes = 3};

static void addr(struct fw_addr *a, const char *s, const char *ifname)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(s, ':') ? 6 : 4;
	inet_pton(a->family == 6 ? AF_INET6 : AF_INET, s, a->addr);
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
}

static void route(struct fw_route *r, const char *s, int plen, const char *ifname)
{
	memset(r, 0, sizeof(*r));
	r->family = strchr(s, ':') ? 6 : 4;
	r->type = RTN_UNICAST;
	r->plen = (uint8_t)plen;
	inet_pton(r->family == 6 ? AF_INET6 : AF_INET, s, r->addr);
	snprintf(r->oifname, sizeof(r->oifname), "%s", ifname);
}

static int setup_env(void **state)
{
	(void)state;
	addr(&addrs[0], "127.0.0.1", "lo");
	addr(&addrs[1], "198.18.0.2", "veth0");
	addr(&addrs[2], "198.18.1.2", "eth1");
	addr(&addrs[3], "fd00:5c09::2", "veth0");
	route(&routes[0], "198.18.0.0", 24, "veth0");
	route(&routes[1], "198.18.1.0", 24, "eth1");
	route(&routes[2], "fd00:5c09::", 64, "veth0");
	return 0;
}

struct imported {
	struct fw_ruleset *rs;
	struct policy p;
	char *text;
	struct policy_import_stats st;
};

static void import(const char *fixture, struct imported *im)
{
	struct policy_import_opts o = {.origin = fixture};
	struct policy_error errs[4];
	char why[256] = "", *json;
	size_t len, nerr;
	int rc;

	memset(im, 0, sizeof(*im));
	json = slurp(fixture, &len);
	assert_int_equal(fw_ruleset_parse(json, len, &im->rs, why, sizeof(why)), 0);
	free(json);
	rc = policy_import(im->rs, &env, &o, &im->text, &len, &im->st, why, sizeof(why));
	if (rc < 0)
		fail_msg("%s: %s", fixture, why);
	assert_int_equal(strlen(im->text), len);
	rc = policy_read_buf(im->text, len, &im->p, errs, 4, &nerr);
	if (rc < 0)
		fail_msg("%s: import does not parse: %u:%u %s\n%s", fixture, errs[0].line,
		         errs[0].col, errs[0].msg, im->text);
}

static void release(struct imported *im)
{
	policy_free(&im->p);
	fw_ruleset_free(im->rs);
	free(im->text);
}

static const char *policy_word(ssize_t r, const struct policy *p)
{
	if (r < 0)
		return "dropped";
	switch (p->rules[r].action) {
	case POLICY_ALLOW:
		return "accepted";
	case POLICY_DENY:
		return "dropped";
	case POLICY_REJECT:
		return "rejected";
	}
	return "?";
}

/* A random source: mostly near the lab's addresses and the ruleset's, sometimes anywhere. */
static void random_source(int family, uint8_t *a)
{
	static const char *near4[] = {"198.18.0.0", "198.18.3.0", "198.18.9.0", "198.18.7.0",
	                              "10.0.0.0"};
	unsigned pick = policy_rand(&rng, 4);

	memset(a, 0, 16);
	if (family == 4) {
		if (pick == 0) {
			for (int i = 0; i < 4; i++)
				a[i] = (uint8_t)policy_rand(&rng, 256);
		} else {
			inet_pton(AF_INET, near4[policy_rand(&rng, 5)], a);
			a[3] = (uint8_t)policy_rand(&rng, 256);
		}
		if (a[0] == 127 ||
		    (a[0] == 198 && a[1] == 18 && (a[2] == 0 || a[2] == 1) && a[3] == 2))
			a[3] ^= 0x40; /* not the loopback nor the host's own */
		return;
	}
	inet_pton(AF_INET6, pick ? "fd00:5c09::" : "2001:db8::", a);
	a[15] = (uint8_t)policy_rand(&rng, 256);
	if (a[15] == 2 || a[15] == 1)
		a[15] = 3;
}

/* A random port: mostly the ruleset's own and their neighbours, sometimes anywhere. */
static uint16_t random_port(const uint16_t *named, size_t n)
{
	if (n && policy_rand(&rng, 3)) {
		int p = named[policy_rand(&rng, (unsigned)n)] + (int)policy_rand(&rng, 3) - 1;
		return (uint16_t)(p < 1 ? 1 : p > 65535 ? 65535 : p);
	}
	return (uint16_t)(1 + policy_rand(&rng, 65535));
}

static size_t ports_of(const struct policy *p, uint16_t *v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nrules; i++)
		for (size_t k = 0; k < p->rules[i].nports && n + 2 <= max; k++) {
			v[n++] = p->rules[i].ports[k].lo;
			v[n++] = p->rules[i].ports[k].hi;
		}
	return n;
}

static void round_trip(const char *fixture, const char *iif)
{
	struct imported im;
	struct fw_outcome out[FW_MAX_OUTCOMES];
	uint16_t named[512];
	size_t nnamed, agreed = 0, unknown = 0;

	import(fixture, &im);
	nnamed = ports_of(&im.p, named, 512);
	for (int t = 0; t < TUPLES; t++) {
		int family = policy_rand(&rng, 4) ? 4 : 6;
		struct fw_query q = {.family = (uint8_t)family,
		                     .proto = policy_rand(&rng, 2) ? IPPROTO_TCP : IPPROTO_UDP,
		                     .dport = random_port(named, nnamed),
		                     .iifname = iif,
		                     .have_saddr = true};
		struct policy_addr src = {.family = family == 4 ? AF_INET : AF_INET6,
		                          .prefix = family == 4 ? 32 : 128};
		const char *live, *mine;
		ssize_t r;
		int n;

		inet_pton(family == 4 ? AF_INET : AF_INET6,
		          family == 4 ? "198.18.0.2" : "fd00:5c09::2", q.daddr);
		random_source(family, q.saddr);
		memcpy(src.bytes, q.saddr, 16);
		n = fw_eval(im.rs, &env, &q, out, FW_MAX_OUTCOMES);
		assert_true(n >= 1);
		if (out[0].result == FW_UNKNOWN) {
			unknown++;
			continue;
		}
		live = fw_result_name(out[0].result);
		r = policy_eval(&im.p, &(struct policy_packet){.proto = q.proto == IPPROTO_TCP
		                                                            ? POLICY_P_TCP
		                                                            : POLICY_P_UDP,
		                                               .port = q.dport,
		                                               .from = &src});
		mine = policy_word(r, &im.p);
		if (strcmp(live, mine)) {
			char s[64];
			inet_ntop(family == 4 ? AF_INET : AF_INET6, q.saddr, s, sizeof(s));
			fail_msg("%s: %s %u from %s: live %s, imported %s (line %zd)\n%s", fixture,
			         q.proto == IPPROTO_TCP ? "tcp" : "udp", q.dport, s, live, mine,
			         r < 0 ? -1 : (ssize_t)im.p.rules[r].line, im.text);
		}
		agreed++;
	}
	/* unknown verdicts (rate limits, ...) are few: most tuples were compared */
	assert_true(agreed > TUPLES * 9 / 10);
	(void)unknown;
	release(&im);
}

static void test_round_trip_basic(void **state)
{
	(void)state;
	round_trip("basic.json", "veth0");
}

static void test_round_trip_multi(void **state)
{
	(void)state;
	round_trip("multi.json", "veth0");
}

static void test_round_trip_nat(void **state)
{
	(void)state;
	round_trip("nat.json", "veth0");
}

static void test_round_trip_weird(void **state)
{
	(void)state;
	round_trip("weird.json", "veth0");
}

/* What the import of basic.json says, line by line. */
static void test_basic_text(void **state)
{
	struct imported im;

	(void)state;
	import("basic.json", &im);
	/* the admins on 22, from the named set, labelled with the live rule */
	if (!strstr(im.text,
	            "ALLOW TCP PORT 22 FROM 198.18.0.5, 198.18.7.0/24 (inet filter input #"))
		fail_msg("no admins rule:\n%s", im.text);
	if (!strstr(im.text, "REJECT TCP PORT 25 ("))
		fail_msg("no reject of 25:\n%s", im.text);
	if (!strstr(im.text, "DENY ALL (default)\n"))
		fail_msg("no default:\n%s", im.text);
	/* the interface match and the rate limit are commented, with why */
	if (!strstr(im.text, "# not expressed: inet filter input handle ") ||
	    !strstr(im.text, "matches the arrival interface"))
		fail_msg("the iifname rule is not commented:\n%s", im.text);
	assert_true(im.st.not_expressed >= 2);
	assert_true(im.st.rules >= 5);
	/* the loopback rule needs no comment: the compiled policy accepts lo itself */
	assert_null(strstr(im.text, "iif \"lo\" accept\n#"));
	release(&im);
}

static void test_no_interface(void **state)
{
	struct fw_env none = {.ifaces = ifaces, .nifaces = 1, .addrs = addrs, .naddrs = 1};
	struct policy_import_opts o = {.iifname = NULL};
	struct fw_ruleset *rs;
	char why[256], *json, *text = NULL;
	size_t len;

	(void)state;
	json = slurp("basic.json", &len);
	assert_int_equal(fw_ruleset_parse(json, len, &rs, why, sizeof(why)), 0);
	free(json);
	assert_int_equal(policy_import(rs, &none, &o, &text, &len, NULL, why, sizeof(why)),
	                 -ENOENT);
	assert_non_null(strstr(why, "no interface"));
	o.iifname = "eth9";
	assert_int_equal(policy_import(rs, &none, &o, &text, &len, NULL, why, sizeof(why)),
	                 -ENOENT);
	assert_null(text);
	fw_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_text),       cmocka_unit_test(test_round_trip_basic),
	    cmocka_unit_test(test_round_trip_multi), cmocka_unit_test(test_round_trip_nat),
	    cmocka_unit_test(test_round_trip_weird), cmocka_unit_test(test_no_interface),
	};
	return cmocka_run_group_tests(tests, setup_env, NULL);
}
