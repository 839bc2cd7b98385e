/* Unit tests for the nftables compiler (the kernel's view is in the integration tests). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docs_example),
	    cmocka_unit_test(test_reject_and_protocols),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
