/* Unit tests for the policy parser, addresses and first-match evaluation. */
#include <arpa/inet.h>
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

#include "policy/policy.h"
#include "util/array.h"

/* Parses one line into a fresh policy; returns policy_parse_line's result. */
static int parse1(const char *line, struct policy *p, struct policy_error *e)
{
	memset(e, 0, sizeof(*e));
	*p = (struct policy){0};
	return policy_parse_line(p, line, strlen(line), 7, e);
}

static void test_docs_example(void **state)
{
	static const char doc[] = "ALLOW TCP Port 80 (Web)\n"
	                          "ALLOW TCP Port 22 from 10.0.0.5 (Admin)\n"
	                          "DENY ALL (Block everything else)\n";
	struct policy_error errs[4];
	struct policy p = {0};
	size_t nerr = 99;
	char buf[64];

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 4, &nerr), 0);
	assert_int_equal(nerr, 0);
	assert_int_equal(p.nrules, 3);

	assert_int_equal(p.rules[0].line, 1);
	assert_int_equal(p.rules[0].action, POLICY_ALLOW);
	assert_int_equal(p.rules[0].protos, POLICY_P_TCP);
	assert_int_equal(p.rules[0].nports, 1);
	assert_int_equal(p.rules[0].ports[0].lo, 80);
	assert_int_equal(p.rules[0].ports[0].hi, 80);
	assert_int_equal(p.rules[0].nfrom, 0);
	assert_string_equal(p.rules[0].label, "Web");
	assert_string_equal(p.rules[0].text, "ALLOW TCP Port 80 (Web)");

	assert_int_equal(p.rules[1].line, 2);
	assert_int_equal(p.rules[1].nfrom, 1);
	assert_int_equal(p.rules[1].from[0].family, AF_INET);
	assert_int_equal(p.rules[1].from[0].prefix, 32);
	policy_addr_format(&p.rules[1].from[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5");
	assert_string_equal(p.rules[1].label, "Admin");

	assert_int_equal(p.rules[2].action, POLICY_DENY);
	assert_int_equal(p.rules[2].protos, POLICY_P_ALL);
	assert_int_equal(p.rules[2].nports, 0);
	assert_string_equal(p.rules[2].label, "Block everything else");
	policy_free(&p);
	assert_null(p.rules);
}

/* The docs write a service hint after the port and the label at the end. */
static void test_docs_hint_lines(void **state)
{
	static const char doc[] = "ALLOW TCP Port 80 (HTTP)\n"
	                          "ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)\n"
	                          "DENY ALL (Block everything else)\n"
	                          "allow udp port 53 (DNS) (resolver)\n"
	                          "ALLOW TCP PORT 8000-8100,9000 ( Web ) FROM 198.18.0.0/15 # c\n"
	                          "ALLOW ANY PORT 5353 (mdns) FROM ANY\n";
	struct policy_error errs[4];
	struct policy p = {0};
	size_t nerr = 99;
	char buf[64];
	struct policy_addr a5, a6;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 4, &nerr), 0);
	assert_int_equal(nerr, 0);
	assert_int_equal(p.nrules, 6);

	/* one group after the port: the hint, and the label too */
	assert_string_equal(p.rules[0].hint, "HTTP");
	assert_string_equal(p.rules[0].label, "HTTP");
	assert_int_equal(p.rules[0].ports[0].lo, 80);

	/* the docs' second line, verbatim */
	assert_string_equal(p.rules[1].text, "ALLOW TCP Port 22 (SSH) from 10.0.0.5 (Admin)");
	assert_string_equal(p.rules[1].hint, "SSH");
	assert_string_equal(p.rules[1].label, "Admin");
	assert_int_equal(p.rules[1].protos, POLICY_P_TCP);
	assert_int_equal(p.rules[1].nports, 1);
	assert_int_equal(p.rules[1].ports[0].lo, 22);
	assert_int_equal(p.rules[1].nfrom, 1);
	policy_addr_format(&p.rules[1].from[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5");

	/* no port list: the group is a label, not a hint */
	assert_null(p.rules[2].hint);
	assert_string_equal(p.rules[2].label, "Block everything else");

	assert_string_equal(p.rules[3].hint, "DNS");
	assert_string_equal(p.rules[3].label, "resolver");
	assert_string_equal(p.rules[4].hint, "Web"); /* trimmed */
	assert_int_equal(p.rules[4].nports, 2);
	assert_int_equal(p.rules[4].nfrom, 1);
	assert_string_equal(p.rules[4].label, "Web");
	assert_string_equal(p.rules[5].hint, "mdns");
	assert_int_equal(p.rules[5].nfrom, 0);

	/* the docs' verdicts: 22/tcp from 10.0.0.5 allowed, from 10.0.0.6 denied */
	assert_int_equal(policy_addr_parse("10.0.0.5", 8, &a5), 0);
	assert_int_equal(policy_addr_parse("10.0.0.6", 8, &a6), 0);
	assert_int_equal(
	    policy_eval(&p,
	                &(struct policy_packet){.proto = POLICY_P_TCP, .port = 22, .from = &a5}),
	    1);
	assert_int_equal(
	    policy_eval(&p,
	                &(struct policy_packet){.proto = POLICY_P_TCP, .port = 22, .from = &a6}),
	    2);
	policy_free(&p);
}

static void test_good_lines(void **state)
{
	struct policy_error e;
	struct policy p;
	char buf[64];

	(void)state;
	/* blank and comment lines add nothing */
	assert_int_equal(parse1("", &p, &e), 0);
	assert_int_equal(parse1("   \t ", &p, &e), 0);
	assert_int_equal(parse1("# ALLOW TCP PORT 1", &p, &e), 0);
	assert_int_equal(p.nrules, 0);

	assert_int_equal(parse1("  allow any ports 53  # dns", &p, &e), 1);
	assert_int_equal(p.rules[0].protos, POLICY_P_ANY);
	assert_string_equal(p.rules[0].text, "allow any ports 53");
	assert_null(p.rules[0].label);
	policy_free(&p);

	assert_int_equal(parse1("Reject Udp Port 80,443 , 8000-8100 FROM 198.18.0.0/15,"
	                        "fd00:5c09::/64 ( Lab # one )",
	                        &p, &e),
	                 1);
	assert_int_equal(p.rules[0].action, POLICY_REJECT);
	assert_int_equal(p.rules[0].protos, POLICY_P_UDP);
	assert_int_equal(p.rules[0].nports, 3);
	assert_int_equal(p.rules[0].ports[2].lo, 8000);
	assert_int_equal(p.rules[0].ports[2].hi, 8100);
	assert_int_equal(p.rules[0].nfrom, 2);
	policy_addr_format(&p.rules[0].from[0], buf, sizeof(buf));
	assert_string_equal(buf, "198.18.0.0/15");
	policy_addr_format(&p.rules[0].from[1], buf, sizeof(buf));
	assert_string_equal(buf, "fd00:5c09::/64");
	assert_string_equal(p.rules[0].label, "Lab # one"); /* '#' inside a label is text */
	policy_free(&p);

	assert_int_equal(parse1("DENY UDP", &p, &e), 1); /* no PORT: every UDP port */
	assert_int_equal(p.rules[0].nports, 0);
	policy_free(&p);

	assert_int_equal(parse1("ALLOW ALL FROM ANY", &p, &e), 1);
	assert_int_equal(p.rules[0].nfrom, 0);
	policy_free(&p);

	assert_int_equal(parse1("allow tcp port 1-65535 from ::/0", &p, &e), 1);
	assert_int_equal(p.rules[0].from[0].family, AF_INET6);
	assert_int_equal(p.rules[0].from[0].prefix, 0);
	policy_free(&p);
}

struct bad_case {
	const char *line;
	unsigned col;
	const char *msg; /* a part of the message */
};

/* clang-format off */
static const struct bad_case bad[] = {
	{"PERMIT TCP PORT 80", 1, "expected ALLOW, DENY or REJECT at the start of a rule, found 'PERMIT'"},
	{"ALLOW", 6, "expected TCP, UDP, ANY or ALL after ALLOW, found end of line"},
	{"DENY ICMP", 6, "expected TCP, UDP, ANY or ALL after DENY, found 'ICMP'"},
	{"ALLOW TCP 80", 11, "expected PORT before '80'"},
	{"ALLOW TCP PORT", 15, "expected a port N or range N-M after PORT, found end of line"},
	{"ALLOW TCP PORT # x", 16, "after PORT, found end of line"},
	{"ALLOW TCP PORT 0", 16, "port out of range in '0': ports are 1-65535"},
	{"ALLOW TCP PORT 70000", 16, "port out of range in '70000'"},
	{"ALLOW TCP PORT 90-80", 16, "reversed port range '90-80': write 80-90"},
	{"ALLOW TCP PORT 80,", 19, "expected a port N or range N-M after ',', found end of line"},
	{"ALLOW TCP PORT 80,,81", 19, "after ',', found ','"},
	{"ALLOW TCP PORT http", 16, "expected a port N or range N-M (1-65535), found 'http'"},
	{"ALLOW TCP PORT 80-", 16, "found '80-'"},
	{"ALLOW TCP PORT -80", 16, "found '-80'"},
	{"ALLOW TCP PORT 80 443", 19, "expected ',' between ports, found '443'"},
	{"ALLOW TCP PORT 80 FROM", 23, "expected an address, ADDR/PREFIX or ANY after FROM, found end of line"},
	{"ALLOW TCP PORT 80 FROM 10.0.0.300", 24, "expected an IPv4 or IPv6 address or ADDR/PREFIX, found '10.0.0.300'"},
	{"ALLOW TCP PORT 80 FROM 10.0.0.5/33", 24, "bad prefix length in '10.0.0.5/33'"},
	{"ALLOW TCP PORT 80 FROM fd00::1/129", 24, "bad prefix length"},
	{"ALLOW TCP PORT 80 FROM 10.0.0.5/24", 24, "host bits set in '10.0.0.5/24' (the network is 10.0.0.0/24)"},
	{"ALLOW TCP PORT 80 FROM 1.2.3.4 5.6.7.8", 32, "expected ',' between addresses, '(' label or end of line, found '5.6.7.8'"},
	{"ALLOW TCP PORT 80 FROM ,", 24, "after FROM, found ','"},
	{"ALLOW TCP PORT 80 FROM ANY, 1.2.3.4", 29, "FROM ANY cannot be part of a list"},
	{"ALLOW TCP PORT 80 FROM 1.2.3.4 FROM 5.6.7.8", 32, "FROM given twice"},
	{"ALLOW TCP FROM 1.2.3.4 PORT 80", 24, "PORT must come before FROM"},
	{"ALLOW PORT 80", 7, "expected TCP, UDP or ANY before PORT"},
	{"ALLOW ALL PORT 80", 11, "ALL takes no PORT: write ANY PORT"},
	{"DENY ALL ALL", 10, "expected FROM, '(' label or end of line, found 'ALL'"},
	{"ALLOW TCP PORT 80 (Web", 19, "unclosed label: expected ')' before end of line"},
	{"ALLOW TCP PORT 80 (  )", 19, "empty label"},
	{"ALLOW TCP PORT 80 (Web) extra", 25, "expected FROM, '(' label or end of line after the service hint, found 'extra'"},
	{"ALLOW TCP PORT 80 (a) (b) (c)", 27, "expected end of line after the label, found '('"},
	{"ALLOW TCP PORT 22 (SSH) FROM 10.0.0.5 (Admin) x", 47, "expected end of line after the label, found 'x'"},
	{"ALLOW TCP PORT 22 (SSH) PORT 23", 25, "after the service hint, found 'PORT'"},
	{"ALLOW TCP PORT 22 (SSH) 23", 25, "after the service hint, found '23'"},
	{"ALLOW TCP PORT 22 (SSH FROM 10.0.0.5 (Admin)", 38, "a label cannot contain '('"},
	{"ALLOW TCP PORT 22 () FROM 10.0.0.5", 19, "empty label"},
	{"ALLOW TCP (SSH) FROM 10.0.0.5", 17, "expected end of line after the label, found 'FROM'"},
	{"DENY ALL (x) FROM 10.0.0.5", 14, "expected end of line after the label, found 'FROM'"},
	{"ALLOW TCP PORT 80 (say \"hi\")", 24, "a label cannot contain '\"'"},
	{"ALLOW TCP PORT 80 (a (b))", 22, "a label cannot contain '('"},
	{"ALLOW TCP PORT 80 (caf\xc3\xa9)", 23, "labels are printable ASCII, found byte 0xc3"},
	{"ALLOW TCP PORT 80 )", 19, "expected FROM, '(' label or end of line, found ')'"},
	{"ALLOW TCP PORT 80 \x01", 19, "found byte 0x01"},
	{"ALLOW TCP\x7fPORT 80", 10, "found byte 0x7f"},
	{"ALLOW UDP (x", 11, "unclosed label"},
	{"ALLOW TCP xyz", 11, "expected PORT, FROM, '(' label or end of line, found 'xyz'"},
};
/* clang-format on */

static void test_bad_lines(void **state)
{
	struct policy_error e;
	struct policy p;

	(void)state;
	assert_true(ARRAY_SIZE(bad) >= 20);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = parse1(bad[i].line, &p, &e);
		if (rc != -EINVAL || e.line != 7 || e.col != bad[i].col ||
		    !strstr(e.msg, bad[i].msg))
			fail_msg("line %zu '%s': rc %d, %u:%u: %s (want %u: %s)", i, bad[i].line,
			         rc, e.line, e.col, e.msg, bad[i].col, bad[i].msg);
		assert_int_equal(p.nrules, 0);
		assert_null(p.rules);
	}
}

static void test_limits(void **state)
{
	char line[POLICY_LINE_MAX + 64];
	struct policy_error e;
	struct policy p;
	size_t n;

	(void)state;
	/* an overlong line */
	memset(line, ' ', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "ALLOW TCP PORT 80", 17);
	assert_int_equal(parse1(line, &p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "line longer than"));

	/* the longest label nftables takes as a comment, and one more */
	n = (size_t)snprintf(line, sizeof(line), "ALLOW TCP PORT 1 (%0*d)", POLICY_LABEL_MAX, 0);
	assert_int_equal(parse1(line, &p, &e), 1);
	assert_int_equal(strlen(p.rules[0].label), POLICY_LABEL_MAX);
	policy_free(&p);
	n = (size_t)snprintf(line, sizeof(line), "ALLOW TCP PORT 1 (%0*d)", POLICY_LABEL_MAX + 1,
	                     0);
	assert_int_equal(policy_parse_line(&p, line, n, 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "label longer than 128 characters"));

	/* a NUL byte inside a line */
	p = (struct policy){0};
	assert_int_equal(policy_parse_line(&p, "ALLOW TCP\0PORT 80", 17, 1, &e), -EINVAL);
	assert_int_equal(e.col, 10);
	assert_non_null(strstr(e.msg, "byte 0x00"));

	/* too many ports in one rule */
	n = (size_t)snprintf(line, sizeof(line), "ALLOW TCP PORT 1");
	for (unsigned i = 2; i <= POLICY_ITEMS_MAX + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ",%u", i);
	p = (struct policy){0};
	assert_int_equal(policy_parse_line(&p, line, n, 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "too many ports"));
}

static void test_read_collects_errors(void **state)
{
	static const char doc[] = "ALLOW TCP PORT 80\n"
	                          "ALLOW TCP PORT x\n"
	                          "# fine\n"
	                          "DENY ALL junk\n"
	                          "DENY ALL";
	struct policy_error errs[1];
	struct policy p = {0};
	size_t nerr;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 1, &nerr), -EINVAL);
	assert_int_equal(nerr, 2);
	assert_int_equal(errs[0].line, 2); /* only the first fits */
	assert_int_equal(p.nrules, 2);     /* the good lines were kept */
	assert_int_equal(p.rules[1].line, 5);
	policy_free(&p);
}

static void test_read_file(void **state)
{
	static const char doc[] = "ALLOW UDP PORT 53\r\nDENY ALL\n";
	struct policy_error errs[2];
	struct policy p = {0};
	size_t nerr;
	FILE *f = fmemopen((void *)doc, strlen(doc), "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(policy_read(f, &p, errs, 2, &nerr), 0);
	fclose(f);
	assert_int_equal(p.nrules, 2);
	assert_string_equal(p.rules[0].text, "ALLOW UDP PORT 53"); /* CR is a blank */
	policy_free(&p);
}

static void test_addr(void **state)
{
	struct policy_addr a, b;
	char buf[64];

	(void)state;
	assert_int_equal(policy_addr_parse("198.18.0.0/15", 13, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.prefix, 15);
	assert_int_equal(policy_addr_parse("198.19.255.1", 12, &b), 0);
	assert_true(policy_addr_contains(&a, &b));
	assert_false(policy_addr_contains(&b, &a));
	assert_int_equal(policy_addr_parse("198.20.0.1", 10, &b), 0);
	assert_false(policy_addr_contains(&a, &b));
	assert_int_equal(policy_addr_parse("fd00:5c09::1", 12, &b), 0);
	assert_false(policy_addr_contains(&a, &b)); /* other family */
	assert_int_equal(policy_addr_parse("fd00:5c09::/64", 14, &a), 0);
	assert_true(policy_addr_contains(&a, &b));
	assert_int_equal(policy_addr_parse("0.0.0.0/0", 9, &a), 0);
	assert_int_equal(policy_addr_parse("10.1.2.3", 8, &b), 0);
	assert_true(policy_addr_contains(&a, &b));

	assert_int_equal(policy_addr_parse("10.0.0.5/24", 11, &a), -EDOM);
	policy_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/24");
	assert_int_equal(policy_addr_parse("fd00::1/64", 10, &a), -EDOM);
	assert_int_equal(policy_addr_parse("10.0.0.0/", 9, &a), -ERANGE);
	assert_int_equal(policy_addr_parse("10.0.0.0/-1", 11, &a), -ERANGE);
	assert_int_equal(policy_addr_parse("", 0, &a), -EINVAL);
	assert_int_equal(policy_addr_parse("/8", 2, &a), -EINVAL);
	assert_int_equal(policy_addr_parse("10.0.0", 6, &a), -EINVAL);
	assert_int_equal(policy_addr_parse("host.example", 12, &a), -EINVAL);
	/* the length bounds the parse */
	assert_int_equal(policy_addr_parse("10.0.0.1,10.0.0.2", 8, &a), 0);
	policy_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1");
}

static void test_merge(void **state)
{
	struct policy_error e;
	struct policy p;
	struct policy_range *r;
	size_t n;

	(void)state;
	assert_int_equal(parse1("ALLOW TCP PORT 8000-8100,80,8050-8200,81,8201", &p, &e), 1);
	assert_int_equal(policy_rule_ports_merged(&p.rules[0], &r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].lo, 80);
	assert_int_equal(r[0].hi, 81);
	assert_int_equal(r[1].lo, 8000);
	assert_int_equal(r[1].hi, 8201);
	free(r);
	policy_free(&p);
	assert_int_equal(parse1("DENY TCP", &p, &e), 1);
	assert_int_equal(policy_rule_ports_merged(&p.rules[0], &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].lo, 1);
	assert_int_equal(r[0].hi, 65535);
	free(r);
	policy_free(&p);
}

struct eval_case {
	unsigned proto;
	uint16_t port;
	const char *from; /* NULL: none */
	long rule_line;   /* 0: no rule matches */
};

static void test_eval(void **state)
{
	static const char doc[] = "ALLOW TCP Port 80 (Web)\n"
	                          "ALLOW TCP Port 22 from 198.18.0.5 (Admin)\n"
	                          "REJECT UDP PORT 5000-5010 FROM fd00:5c09::/64\n"
	                          "ALLOW ANY PORT 53\n"
	                          "DENY TCP PORT 1-1024\n";
	static const struct eval_case cases[] = {
	    {POLICY_P_TCP, 80, NULL, 1},
	    {POLICY_P_TCP, 80, "fd00:5c09::9", 1},
	    {POLICY_P_UDP, 80, NULL, 0},
	    {POLICY_P_TCP, 22, "198.18.0.5", 2},
	    {POLICY_P_TCP, 22, "198.18.0.6", 5},
	    {POLICY_P_TCP, 22, NULL, 5},
	    {POLICY_P_UDP, 5005, "fd00:5c09::1", 3},
	    {POLICY_P_UDP, 5005, "198.18.0.5", 0},
	    {POLICY_P_UDP, 5011, "fd00:5c09::1", 0},
	    {POLICY_P_UDP, 53, NULL, 4},
	    {POLICY_P_TCP, 53, NULL, 4},
	    {POLICY_P_TCP, 1024, NULL, 5},
	    {POLICY_P_TCP, 1025, NULL, 0},
	};
	struct policy_error errs[2];
	struct policy p = {0};
	size_t nerr;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy_addr a;
		struct policy_packet pkt = {.proto = cases[i].proto, .port = cases[i].port};
		ssize_t idx;

		if (cases[i].from) {
			assert_int_equal(
			    policy_addr_parse(cases[i].from, strlen(cases[i].from), &a), 0);
			pkt.from = &a;
		}
		idx = policy_eval(&p, &pkt);
		if (cases[i].rule_line == 0 && idx != -1)
			fail_msg("case %zu: line %u matched, want none", i, p.rules[idx].line);
		if (cases[i].rule_line &&
		    (idx < 0 || (long)p.rules[idx].line != cases[i].rule_line))
			fail_msg("case %zu: rule %zd, want line %ld", i, idx, cases[i].rule_line);
	}
	policy_free(&p);
}

static void test_allowed_before(void **state)
{
	static const char doc[] = "ALLOW TCP Port 80 (Web)\n"
	                          "ALLOW TCP Port 22 from 10.0.0.5 (Admin)\n"
	                          "ALLOW TCP Port 20-30 from fd00:5c09::/64\n"
	                          "DENY ALL (Block everything else)\n"
	                          "ALLOW TCP Port 22 from 10.0.0.6\n";
	const unsigned v4 = 1u << AF_INET, v6 = 1u << AF_INET6;
	struct policy_error errs[2];
	struct policy p = {0};
	size_t nerr, idx[4];

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr), 0);
	assert_int_equal(policy_allowed_before(&p, POLICY_P_TCP, 22, 3, v4 | v6, idx, 4), 2);
	assert_int_equal(idx[0], 1);
	assert_int_equal(idx[1], 2);
	assert_int_equal(policy_allowed_before(&p, POLICY_P_TCP, 22, 3, v4, idx, 4), 1);
	assert_int_equal(idx[0], 1);
	assert_int_equal(policy_allowed_before(&p, POLICY_P_TCP, 22, 3, v6, idx, 4), 1);
	assert_int_equal(idx[0], 2);
	assert_int_equal(policy_allowed_before(&p, POLICY_P_UDP, 22, 3, v4 | v6, idx, 4), 0);
	assert_int_equal(policy_allowed_before(&p, POLICY_P_TCP, 80, 0, v4 | v6, idx, 4), 0);
	/* upto < 0: every rule, and the count goes past max */
	assert_int_equal(policy_allowed_before(&p, POLICY_P_TCP, 22, -1, v4 | v6, idx, 1), 3);
	assert_int_equal(idx[0], 1);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docs_example),    cmocka_unit_test(test_good_lines),
	    cmocka_unit_test(test_docs_hint_lines), cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_limits),          cmocka_unit_test(test_read_collects_errors),
	    cmocka_unit_test(test_read_file),       cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_merge),           cmocka_unit_test(test_eval),
	    cmocka_unit_test(test_allowed_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
