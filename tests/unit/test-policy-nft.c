/* Unit tests for the nftables compiler (the kernel's view is in the integration tests). */
#include <errno.h>
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
#include "policy/nft.h"

static char *compile(const char *doc, const struct policy_nft_opts *o)
{
	struct policy_error errs[2];
	struct policy p = {0};
	size_t nerr, len;
	char *out = NULL;

	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr), 0);
	assert_int_equal(policy_nft_compile(&p, o, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	policy_free(&p);
	return out;
}

static void has(const char *out, const char *line)
{
	if (!strstr(out, line))
		fail_msg("ruleset lacks '%s':\n%s", line, out);
}

static void lacks(const char *out, const char *line)
{
	if (strstr(out, line))
		fail_msg("ruleset has '%s':\n%s", line, out);
}

/* Index of the first occurrence; fails when absent. */
static size_t at(const char *out, const char *s)
{
	const char *p = strstr(out, s);

	if (!p)
		fail_msg("ruleset lacks '%s'", s);
	return (size_t)(p - out);
}

static void test_docs_example(void **state)
{
	char *out = compile("ALLOW TCP Port 80 (Web)\n"
	                    "ALLOW TCP Port 22 from 10.0.0.5 (Admin)\n"
	                    "DENY ALL (Block everything else)\n",
	                    NULL);

	(void)state;
	/* replaces only its own table, in one transaction */
	has(out, "table inet portscope {}\ndelete table inet portscope\ntable inet portscope {\n");
	lacks(out, "flush ruleset");
	has(out, "\tset from_l2_v4 {\n\t\ttype ipv4_addr; flags interval;\n"
	         "\t\telements = { 10.0.0.5 }\n\t}\n");
	lacks(out, "from_l2_v6");
	has(out, "type filter hook input priority filter; policy drop;\n");
	has(out, "\t\tct state established,related accept\n");
	has(out, "\t\tct state invalid drop\n");
	has(out, "\t\tiif \"lo\" accept\n");
	has(out, "nd-neighbor-solicit, nd-neighbor-advert");
	has(out, "nd-router-advert");
	has(out, "packet-too-big");
	has(out, "\t\ticmp type echo-request accept\n");
	has(out, "\t\ttcp dport 80 accept comment \"Web\"\n");
	has(out, "\t\tip saddr @from_l2_v4 tcp dport 22 accept comment \"Admin\"\n");
	has(out, "\t\tdrop comment \"Block everything else\"\n");
	/* order: base rules, then the policy in its order */
	assert_true(at(out, "ct state established") < at(out, "icmpv6 type"));
	assert_true(at(out, "icmpv6 type") < at(out, "tcp dport 80"));
	assert_true(at(out, "tcp dport 80") < at(out, "tcp dport 22"));
	assert_true(at(out, "tcp dport 22") < at(out, "drop comment"));
	free(out);
}

static void test_reject_and_protocols(void **state)
{
	char *out = compile("REJECT TCP PORT 23\n"
	                    "REJECT UDP PORT 69\n"
	                    "REJECT ANY PORT 5000-5010,6000\n"
	                    "ALLOW ANY PORT 53\n"
	                    "DENY UDP\n"
	                    "REJECT ALL\n",
	                    NULL);

	(void)state;
	has(out, "\t\ttcp dport 23 reject with tcp reset comment \"policy line 1\"\n");
	has(out, "\t\tudp dport 69 reject with icmpx port-unreachable comment \"policy line 2\"\n");
	has(out,
	    "\t\ttcp dport { 5000-5010, 6000 } reject with tcp reset comment \"policy line 3\"\n");
	has(out, "\t\tudp dport { 5000-5010, 6000 } reject with icmpx port-unreachable comment "
	         "\"policy line 3\"\n");
	has(out, "\t\tmeta l4proto { tcp, udp } th dport 53 accept comment \"policy line 4\"\n");
	has(out, "\t\tmeta l4proto udp drop comment \"policy line 5\"\n");
	has(out, "\t\tmeta l4proto tcp reject with tcp reset comment \"policy line 6\"\n");
	has(out, "\t\treject with icmpx port-unreachable comment \"policy line 6\"\n");
	free(out);
}

static void test_sets(void **state)
{
	/* both families, overlapping entries (an interval set refuses them), duplicates */
	char *out = compile("ALLOW TCP PORT 22,20-25 FROM 198.18.0.0/15, 198.18.4.0/24, "
	                    "fd00:5c09::/64, fd00:5c09::1, 198.18.0.0/15, 198.18.9.9 (Admin)\n",
	                    NULL);

	(void)state;
	has(out, "\tset from_l1_v4 {\n\t\ttype ipv4_addr; flags interval;\n"
	         "\t\telements = { 198.18.0.0/15 }\n\t}\n");
	has(out, "\tset from_l1_v6 {\n\t\ttype ipv6_addr; flags interval;\n"
	         "\t\telements = { fd00:5c09::/64 }\n\t}\n");
	has(out, "\t\tip saddr @from_l1_v4 tcp dport 20-25 accept comment \"Admin\"\n");
	has(out, "\t\tip6 saddr @from_l1_v6 tcp dport 20-25 accept comment \"Admin\"\n");
	free(out);
}

static void test_options(void **state)
{
	struct policy_nft_opts o = {.table = "lab_1", .source = "x.pol", .no_ping = true};
	struct policy p = {0};
	char *out = compile("DENY ALL\n", &o);
	size_t len;

	(void)state;
	has(out, "from x.pol");
	has(out, "table inet lab_1 {}\ndelete table inet lab_1\ntable inet lab_1 {\n");
	lacks(out, "echo-request");
	free(out);

	out = NULL;
	o.table = "bad name";
	assert_int_equal(policy_nft_compile(&p, &o, &out, &len), -EINVAL);
	o.table = "";
	assert_int_equal(policy_nft_compile(&p, &o, &out, &len), -EINVAL);
	o.table = "1abc";
	assert_int_equal(policy_nft_compile(&p, &o, &out, &len), -EINVAL);
	o.table = "a;flush ruleset";
	assert_int_equal(policy_nft_compile(&p, &o, &out, &len), -EINVAL);
	assert_null(out);
}

/* ---- the maps layout, run by a small interpreter of what the compiler writes ---- */

enum { V_NONE, V_ACCEPT, V_DROP, V_REJECT };

struct elem {
	struct policy_addr src; /* prefix 0 of family 0: no address in the key */
	unsigned lo, hi;
	int verdict;
};

/* One rule of the compiled chain after the preamble. */
struct crule {
	int family;    /* 0 any, AF_INET, AF_INET6 */
	int plane;     /* 0 tcp, 1 udp, 2 other, 3 every protocol */
	bool has_addr; /* vmap keyed by source address */
	bool is_map;
	int verdict; /* plain rules */
	struct elem *e;
	size_t n, cap;
};

struct chain {
	struct crule r[64];
	size_t n;
};

static int verdict_of(const char *s)
{
	if (strstr(s, "goto reject_") || strstr(s, "reject with"))
		return V_REJECT;
	if (strstr(s, "accept"))
		return V_ACCEPT;
	if (strstr(s, "drop"))
		return V_DROP;
	fail_msg("no verdict in '%s'", s);
	return V_NONE;
}

static void parse_elem(struct crule *cr, char *line)
{
	struct elem e = {0};
	char *colon = strrchr(line, ':'), *p = line, *sp;

	assert_non_null(colon);
	e.verdict = verdict_of(colon + 1);
	while (*p == '\t' || *p == ' ')
		p++;
	if (cr->has_addr) {
		sp = strchr(p, ' ');
		assert_non_null(sp);
		assert_int_equal(policy_addr_parse(p, (size_t)(sp - p), &e.src), 0);
		p = sp + 1;
		if (cr->plane != 2) {
			assert_true(!strncmp(p, ". ", 2));
			p += 2;
		}
	}
	if (cr->plane != 2) {
		e.lo = (unsigned)strtoul(p, &p, 10);
		e.hi = *p == '-' ? (unsigned)strtoul(p + 1, &p, 10) : e.lo;
	}
	if (cr->n == cr->cap) {
		cr->cap = cr->cap ? 2 * cr->cap : 16;
		cr->e = realloc(cr->e, cr->cap * sizeof(*cr->e));
		assert_non_null(cr->e);
	}
	cr->e[cr->n++] = e;
}

/* Reads the rules after the preamble of a maps-layout ruleset. */
static void chain_read(char *out, struct chain *c)
{
	char *save = NULL, *line, *start = strstr(out, "icmpv6 type echo-request accept\n");
	struct crule *cur = NULL;

	assert_non_null(start);
	c->n = 0;
	for (line = strtok_r(start + 33, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t = line;
		struct crule *cr;

		while (*t == '\t')
			t++;
		if (cur) {
			if (!strcmp(t, "}"))
				cur = NULL;
			else
				parse_elem(cur, t);
			continue;
		}
		if (*t == '#' || *t == '}')
			continue;
		assert_true(c->n < 64);
		cr = &c->r[c->n++];
		memset(cr, 0, sizeof(*cr));
		cr->plane = 3;
		if (strstr(t, "meta nfproto ipv4") || !strncmp(t, "ip saddr", 8) ||
		    strstr(t, "} ip saddr"))
			cr->family = AF_INET;
		if (strstr(t, "meta nfproto ipv6") || strstr(t, "ip6 saddr"))
			cr->family = AF_INET6;
		if (strstr(t, "tcp dport") || strstr(t, "l4proto tcp"))
			cr->plane = 0;
		else if (strstr(t, "udp dport") || strstr(t, "l4proto udp"))
			cr->plane = 1;
		else if (strstr(t, "l4proto != { tcp, udp }"))
			cr->plane = 2;
		cr->has_addr = strstr(t, "saddr") != NULL;
		if (strstr(t, "vmap {")) {
			cr->is_map = true;
			cur = cr;
		} else {
			cr->verdict = verdict_of(t);
		}
	}
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->r[i].e);
}

/* The verdict of the compiled chain for a new connection (the chain's policy: drop). */
static int chain_eval(const struct chain *c, int family, int plane, const struct policy_addr *src,
                      unsigned port)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct crule *cr = &c->r[i];

		if ((cr->family && cr->family != family) || (cr->plane != 3 && cr->plane != plane))
			continue;
		if (!cr->is_map)
			return cr->verdict;
		for (size_t k = 0; k < cr->n; k++) {
			const struct elem *e = &cr->e[k];
			if (cr->has_addr && !policy_addr_contains(&e->src, src))
				continue;
			if (plane != 2 && (port < e->lo || port > e->hi))
				continue;
			return e->verdict;
		}
	}
	return V_DROP;
}

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	return policy_rand(&rng, n);
}

static void random_policy(char *buf, size_t len)
{
	static const char *act[] = {"ALLOW", "DENY", "REJECT"};
	static const char *proto[] = {"TCP", "UDP", "ANY", "ALL"};
	static const char *src[] = {"198.18.0.0/28", "198.18.0.0/30",   "198.18.0.4/30",
	                            "198.18.0.1",    "198.18.0.5",      "198.18.0.0/27",
	                            "0.0.0.0/0",     "fd00:5c09::/124", "fd00:5c09::3",
	                            "::/0",          "fd00:5c09::/126"};
	unsigned n = 1 + rnd(16);
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned p = rnd(12) == 0 ? 3 : rnd(3), nsrc = rnd(3);

		off += (size_t)snprintf(buf + off, len - off, "%s %s", act[rnd(3)], proto[p]);
		if (p != 3 && rnd(6)) {
			unsigned lo = 1 + rnd(20), hi = lo + rnd(5);
			off += (size_t)snprintf(buf + off, len - off, " PORT %u-%u", lo, hi);
			if (rnd(3) == 0)
				off += (size_t)snprintf(buf + off, len - off, ",%u", 1 + rnd(25));
		}
		for (unsigned k = 0; k < nsrc; k++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? ", " : " FROM ",
			                        src[rnd(sizeof(src) / sizeof(src[0]))]);
		off += (size_t)snprintf(buf + off, len - off, "\n");
	}
}

static void test_maps_agree_with_eval(void **state)
{
	static const unsigned pbits[] = {POLICY_P_TCP, POLICY_P_UDP, POLICY_P_OTHER};
	static const char *addrs[] = {"198.18.0.0",   "198.18.0.1",   "198.18.0.3",   "198.18.0.5",
	                              "198.18.0.9",   "198.18.0.20",  "198.18.9.9",   "fd00:5c09::",
	                              "fd00:5c09::3", "fd00:5c09::5", "fd00:5c09::99"};
	struct policy_nft_opts o = {.layout = POLICY_NFT_MAPS};
	char doc[4096];
	size_t checked = 0;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct policy_error errs[2];
		struct policy p = {0};
		struct chain c;
		size_t nerr, len;
		char *out = NULL;

		random_policy(doc, sizeof(doc));
		assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr), 0);
		assert_int_equal(policy_nft_compile(&p, &o, &out, &len), 0);
		chain_read(out, &c);
		for (size_t ai = 0; ai < sizeof(addrs) / sizeof(addrs[0]); ai++) {
			struct policy_addr a;

			assert_int_equal(policy_addr_parse(addrs[ai], strlen(addrs[ai]), &a), 0);
			for (int pl = 0; pl < 3; pl++)
				for (unsigned port = pl == 2 ? 0 : 1; port <= (pl == 2 ? 0u : 27u);
				     port++) {
					ssize_t r = policy_eval(
					    &p, &(struct policy_packet){.proto = pbits[pl],
					                                .port = (uint16_t)port,
					                                .from = &a});
					int want = r < 0                               ? V_DROP
					           : p.rules[r].action == POLICY_ALLOW ? V_ACCEPT
					           : p.rules[r].action == POLICY_DENY  ? V_DROP
					                                               : V_REJECT;
					int got = chain_eval(&c, a.family, pl, &a, port);

					if (got != want)
						fail_msg(
						    "round %d: %s plane %d port %u: compiled %d, "
						    "eval %d (rule %zd)\n%s\n%s",
						    round, addrs[ai], pl, port, got, want, r, doc,
						    out);
					checked++;
				}
		}
		chain_free(&c);
		free(out);
		policy_free(&p);
	}
	assert_true(checked > 50000);
}

/* The maps layout keeps labels as element comments and rejects through chains. */
static void test_maps_shape(void **state)
{
	struct policy_nft_opts o = {.layout = POLICY_NFT_MAPS};
	char *out = compile("ALLOW TCP Port 80 (Web)\n"
	                    "ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)\n"
	                    "REJECT UDP PORT 161\n"
	                    "DENY ALL (Block everything else)\n"
	                    "ALLOW TCP PORT 443\n",
	                    &o);

	(void)state;
	has(out, "\tchain reject_tcp {\n\t\treject with tcp reset\n\t}\n");
	has(out, "\tchain reject_icmpx {\n\t\treject with icmpx port-unreachable\n\t}\n");
	has(out, "\t\tip saddr . tcp dport vmap {\n\t\t\t10.0.0.5 . 22 comment \"Admin\" : "
	         "accept\n\t\t}\n");
	has(out, "\t\ttcp dport vmap {\n\t\t\t80 comment \"Web\" : accept\n\t\t}\n");
	has(out, "161 comment \"policy line 3\" : goto reject_icmpx");
	has(out, "\t\tdrop comment \"Block everything else\"\n");
	has(out, "# lines 5-5 never match: line 4 decides everything");
	lacks(out, "443");
	lacks(out, "set from_");
	free(out);

	/* large policies take the maps layout by themselves */
	{
		char *doc = malloc(64 * (POLICY_NFT_RULES_MAX + 2));
		size_t off = 0;
		for (int i = 1; i <= POLICY_NFT_RULES_MAX + 1; i++)
			off += (size_t)sprintf(doc + off, "ALLOW TCP PORT %d\n", i);
		out = compile(doc, NULL);
		has(out, "tcp dport vmap {");
		free(out);
		free(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docs_example),
	    cmocka_unit_test(test_reject_and_protocols),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_maps_agree_with_eval),
	    cmocka_unit_test(test_maps_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
