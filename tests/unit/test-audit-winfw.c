/* The Windows Firewall's verdict from profiles and rules (pure: runs on Linux too). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "audit/winfw.h"

#define ALL 0x7fffffffL
#define X   "C:\\x.exe" /* an owner no program rule names */

/* Public active, on, default inbound Block; Private off; Domain on, default Allow. */
static struct winfw_policy policy(const struct winfw_rule *rules, size_t n, long current)
{
	struct winfw_policy p = {
	    .current = current,
	    .prof = {{.enabled = true, .default_deny = false},
	             {.enabled = false, .default_deny = true},
	             {.enabled = true, .default_deny = true}},
	    .rules = rules,
	    .nrules = n,
	};
	return p;
}

static const struct winfw_rule rules[] = {
    {"Web", true, true, true, 6, "80,443", "*", WINFW_PROFILE_PUBLIC, "", "", ""},
    {"No 8080", true, true, false, 6, "8080", "*", ALL, "", "", ""},
    {"Web 8080", true, true, true, 6, "8000-8100", "*", ALL, "", "", ""},
    {"Admin SSH", true, true, true, 6, "22", "10.0.0.5", ALL, "", "", ""},
    {"DNS", true, true, true, 17, "53", "", ALL, "", "", ""},
    {"Off rule", false, true, true, 6, "25", "*", ALL, "", "", ""},
    {"Outbound", true, false, true, 6, "26", "*", ALL, "", "", ""},
    {"Any proto", true, true, true, WINFW_PROTO_ANY, "27", "*", ALL, "", "", ""},
    {"RPC", true, true, true, 6, "RPC", "*", ALL, "", "", ""},
    {"App", true, true, true, 6, "*", "*", ALL, "C:\\srv\\app.exe", "", ""},
    {"Svc", true, true, true, 6, "3389", "*", ALL, "", "TermService", ""},
    {"Partial block", true, true, false, 6, "28", "192.0.2.1", ALL, "", "", ""},
    {"Any 28", true, true, true, 6, "28", "*", ALL, "", "", ""},
    {"Iface", true, true, false, 6, "29", "*", ALL, "", "", "interface types Wireless"},
    {"Any 29", true, true, true, 6, "29", "*", ALL, "", "", ""},
};

struct row {
	int proto;
	uint16_t port;
	const char *app, *services;
	long current;
	enum winfw_result result;
	const char *by; /* a part of v.by */
	bool restricted;
};

static const struct row table[] = {
    /* allow rule in the profile; not in another profile → the default there */
    {6, 443, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"Web\"", false},
    {6, 443, NULL, NULL, WINFW_PROFILE_DOMAIN, WINFW_ACCEPTED, "default inbound action Allow",
     false},
    {6, 22, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"Admin SSH\"", true},
    {6, 21, X, "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default inbound action Block", false},
    /* block wins over allow, whatever the order */
    {6, 8080, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "rule \"No 8080\"", false},
    {6, 8081, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"Web 8080\"", false},
    /* protocol, direction, enabled */
    {17, 53, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"DNS\"", false},
    {6, 53, X, "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default", false},
    {6, 25, X, "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default", false},
    {6, 26, X, "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default", false},
    {17, 27, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"Any proto\"", false},
    /* firewall off in the profile */
    {6, 21, NULL, NULL, WINFW_PROFILE_PRIVATE, WINFW_ACCEPTED, "off (Private", false},
    /* accepted in one active profile is accepted */
    {6, 21, NULL, NULL, WINFW_PROFILE_PUBLIC | WINFW_PROFILE_PRIVATE, WINFW_ACCEPTED,
     "off (Private", false},
    /* a program rule: the owner's path decides; unknown owner → unknown */
    {6, 9000, "c:\\SRV\\app.exe", "", WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"App\"", false},
    {6, 9000, "C:\\other.exe", "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default", false},
    {6, 9000, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_UNKNOWN, "program C:\\srv\\app.exe", false},
    /* a port keyword: unknown where it could allow */
    /* (9000 with the owner known and no program rule: RPC could be it) */
    {6, 9001, "C:\\other.exe", "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED, "default", false},
    /* services */
    {6, 3389, "C:\\Windows\\system32\\svchost.exe", "termservice,Other", WINFW_PROFILE_PUBLIC,
     WINFW_ACCEPTED, "rule \"Svc\"", false},
    {6, 3389, "C:\\Windows\\system32\\svchost.exe", "", WINFW_PROFILE_PUBLIC, WINFW_BLOCKED,
     "default", false},
    {6, 3389, "C:\\Windows\\system32\\svchost.exe", NULL, WINFW_PROFILE_PUBLIC, WINFW_UNKNOWN,
     "service TermService", false},
    /* a block of some sources only does not stop the rest */
    {6, 28, NULL, NULL, WINFW_PROFILE_PUBLIC, WINFW_ACCEPTED, "rule \"Any 28\"", false},
    /* a block rule whose condition is not read, beside an allow: unknown */
    {6, 29, "C:\\x.exe", "", WINFW_PROFILE_PUBLIC, WINFW_UNKNOWN, "interface types Wireless",
     false},
};

static void test_table(void **state)
{
	struct winfw_rule rs[sizeof(rules) / sizeof(rules[0])];

	(void)state;
	memcpy(rs, rules, sizeof(rs));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *t = &table[i];
		struct winfw_policy p = policy(rs, sizeof(rs) / sizeof(rs[0]), t->current);
		struct winfw_query q = {t->proto, t->port, t->app, t->services};
		struct winfw_verdict v;

		/* the RPC rule matters only where asked: leave it out elsewhere */
		rs[8].enabled = false;
		assert_int_equal(winfw_eval(&p, &q, &v), 0);
		if (v.result != t->result || !strstr(v.by, t->by) || v.restricted != t->restricted)
			fail_msg("row %zu (port %u): got %d \"%s\" restricted %d", i, t->port,
			         v.result, v.by, v.restricted);
	}
}

static void test_keyword_ports(void **state)
{
	struct winfw_rule rs[] = {
	    {"RPC dyn", true, true, true, 6, "RPC", "*", ALL, "", "", ""},
	    {"Mixed", true, true, true, 6, "135, RPC-EPMap ,5000-5002", "*", ALL, "", "", ""},
	};
	struct winfw_policy p = policy(rs, 2, WINFW_PROFILE_PUBLIC);
	struct winfw_verdict v;

	(void)state;
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 49700, "", ""}, &v), 0);
	assert_int_equal(v.result, WINFW_UNKNOWN);
	assert_non_null(strstr(v.by, "port keyword RPC"));
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 5001, "", ""}, &v), 0);
	assert_int_equal(v.result, WINFW_ACCEPTED);
	assert_non_null(strstr(v.by, "\"Mixed\""));
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 135, "", ""}, &v), 0);
	assert_int_equal(v.result, WINFW_ACCEPTED);
	/* the default allows: a keyword allow rule changes nothing */
	p.prof[2].default_deny = false;
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 49700, "", ""}, &v), 0);
	assert_int_equal(v.result, WINFW_ACCEPTED);
	assert_non_null(strstr(v.by, "default inbound action Allow (Public"));
}

static void test_block_all_and_errors(void **state)
{
	struct winfw_policy p =
	    policy(rules, sizeof(rules) / sizeof(rules[0]), WINFW_PROFILE_PUBLIC);
	struct winfw_verdict v;
	char b[64];

	(void)state;
	p.prof[2].block_all = true;
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 443, NULL, NULL}, &v), 0);
	assert_int_equal(v.result, WINFW_BLOCKED);
	assert_non_null(strstr(v.by, "block all inbound"));
	p.current = 0;
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 443, NULL, NULL}, &v), -EINVAL);
	p.current = WINFW_PROFILE_PUBLIC;
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){1, 443, NULL, NULL}, &v), -EINVAL);
	assert_string_equal(winfw_profiles_name(5, b, sizeof(b)), "Domain,Public");
	assert_string_equal(winfw_profiles_name(0, b, sizeof(b)), "");
}

static void test_bad_port_lists(void **state)
{
	struct winfw_rule rs[] = {
	    {"Reversed", true, true, true, 6, "90-80", "*", ALL, "", "", ""},
	    {"Too big", true, true, true, 6, "70000", "*", ALL, "", "", ""},
	};
	struct winfw_policy p = policy(rs, 2, WINFW_PROFILE_PUBLIC);
	struct winfw_verdict v;

	(void)state;
	/* not a port list: taken as a keyword, unknown, never a match */
	assert_int_equal(winfw_eval(&p, &(struct winfw_query){6, 85, "", ""}, &v), 0);
	assert_int_equal(v.result, WINFW_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_keyword_ports),
	    cmocka_unit_test(test_block_all_and_errors),
	    cmocka_unit_test(test_bad_port_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
