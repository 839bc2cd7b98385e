/* The risk catalogue: every entry complete, sorted, and the required ones present. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "util/array.h"

static bool nonempty(const char *s)
{
	return s && *s;
}

static void test_table_walk(void **state)
{
	size_t n;
	const struct kb_risk *t = kb_risk_table(&n);

	(void)state;
	assert_true(n >= 25);
	for (size_t i = 0; i < n; i++) {
		const struct kb_risk *r = &t[i];
		if (!nonempty(r->service) || !nonempty(r->note) || !nonempty(r->citation) ||
		    !nonempty(r->recommendation) || !kb_severity_name(r->severity) ||
		    !kb_proto_name(r->proto))
			fail_msg("risk entry %zu (port %u) lacks a field", i, r->port);
		/* A citation names something checkable: a CVE, advisory, RFC, CWE or document. */
		if (!strstr(r->citation, "CVE-") && !strstr(r->citation, "RFC ") &&
		    !strstr(r->citation, "CWE-") && !strstr(r->citation, "MS") &&
		    !strstr(r->citation, "TA1") && !strstr(r->citation, "CERT") &&
		    !strstr(r->citation, "docs") && !strstr(r->citation, "(5)") &&
		    !strstr(r->citation, "(8)") && !strstr(r->citation, "Checklist"))
			fail_msg("risk entry %zu (port %u): citation '%s' names no source", i,
			         r->port, r->citation);
		if (i > 0) {
			const struct kb_risk *p = &t[i - 1];
			if (p->port > r->port || (p->port == r->port && p->proto >= r->proto))
				fail_msg("risk table not sorted at entry %zu (port %u)", i,
				         r->port);
		}
	}
}

static const struct kb_risk *find(uint16_t port, int proto)
{
	const struct kb_risk *r[4];
	size_t n = kb_risks_for(port, proto, r, 4);

	if (n == 0)
		fail_msg("no risk entry for port %u", port);
	return r[0];
}

static void test_required_entries(void **state)
{
	static const struct {
		uint16_t port;
		int proto;
	} required[] = {
	    {21, KB_PROTO_TCP},    {23, KB_PROTO_TCP},    {25, KB_PROTO_TCP},
	    {69, KB_PROTO_UDP},    {111, KB_PROTO_TCP},   {137, KB_PROTO_UDP},
	    {138, KB_PROTO_UDP},   {139, KB_PROTO_TCP},   {161, KB_PROTO_UDP},
	    {389, KB_PROTO_TCP},   {445, KB_PROTO_TCP},   {873, KB_PROTO_TCP},
	    {1433, KB_PROTO_TCP},  {2049, KB_PROTO_TCP},  {2375, KB_PROTO_TCP},
	    {3306, KB_PROTO_TCP},  {3389, KB_PROTO_TCP},  {5432, KB_PROTO_TCP},
	    {5900, KB_PROTO_TCP},  {6379, KB_PROTO_TCP},  {9200, KB_PROTO_TCP},
	    {11211, KB_PROTO_UDP}, {27017, KB_PROTO_TCP},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		(void)find(required[i].port, required[i].proto);
	assert_non_null(strstr(find(445, KB_PROTO_TCP)->citation, "MS17-010"));
	assert_non_null(strstr(find(3389, KB_PROTO_TCP)->citation, "CVE-2019-0708"));
	assert_non_null(strstr(find(11211, KB_PROTO_UDP)->citation, "CVE-2018-1000115"));
	assert_non_null(strstr(find(23, KB_PROTO_TCP)->note, "cleartext"));
	assert_non_null(strstr(find(21, KB_PROTO_TCP)->note, "anonymous"));
	assert_non_null(strstr(find(161, KB_PROTO_UDP)->note, "community"));
	assert_non_null(strstr(find(25, KB_PROTO_TCP)->note, "open relay"));
	assert_int_equal(find(445, KB_PROTO_TCP)->severity, KB_SEV_HIGH);
}

static void test_lookup(void **state)
{
	const struct kb_risk *r[8];

	(void)state;
	assert_int_equal(kb_risks_for(111, -1, r, 8), 2); /* tcp and udp */
	assert_int_equal(r[0]->proto, KB_PROTO_TCP);
	assert_int_equal(r[1]->proto, KB_PROTO_UDP);
	assert_int_equal(kb_risks_for(111, KB_PROTO_UDP, r, 8), 1);
	assert_int_equal(kb_risks_for(111, KB_PROTO_SCTP, r, 8), 0);
	assert_int_equal(kb_risks_for(111, -1, r, 1), 2); /* total beyond max */
	assert_int_equal(kb_risks_for(111, -1, NULL, 0), 2);
	assert_int_equal(kb_risks_for(12345, -1, r, 8), 0);
	assert_string_equal(kb_severity_name(KB_SEV_INFO), "info");
	assert_string_equal(kb_severity_name(KB_SEV_LOW), "low");
	assert_string_equal(kb_severity_name(KB_SEV_MEDIUM), "medium");
	assert_string_equal(kb_severity_name(KB_SEV_HIGH), "high");
	assert_null(kb_severity_name(9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_walk),
	    cmocka_unit_test(test_required_entries),
	    cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
