/* The scan technique registry: every entry complete, names unique, look-ups work. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "scan/technique.h"

static void test_registry_complete(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t i = 0; scan_techniques[i]; i++, n++) {
		const struct scan_technique *t = scan_techniques[i];

		assert_non_null(t->name);
		assert_non_null(t->flag);
		assert_non_null(t->xml_type);
		assert_non_null(t->help);
		/* -sX: one letter after -s; L and V are scan's -sL and -sV. */
		assert_true(strncmp(t->flag, "-s", 2) == 0 && strlen(t->flag) == 3);
		assert_true(t->flag[2] != 'L' && t->flag[2] != 'V');
		assert_true(t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP);
		if (t->run) {
			/* A raw technique runs the scan itself: no per-descriptor probes. */
			assert_true(t->needs_raw);
			assert_null(t->probe_start);
		} else {
			assert_non_null(t->probe_start);
			assert_non_null(t->probe_event);
			assert_non_null(t->probe_close);
		}
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(t->name, scan_techniques[j]->name);
			assert_string_not_equal(t->flag, scan_techniques[j]->flag);
		}
		assert_ptr_equal(scan_technique_find(t->name), t);
		assert_ptr_equal(scan_technique_find(t->flag), t);
	}
	assert_true(n >= 1);
}

static void test_find(void **state)
{
	(void)state;
	assert_ptr_equal(scan_technique_find("connect"), &scan_tech_connect);
	assert_ptr_equal(scan_technique_find("-sT"), &scan_tech_connect);
	assert_false(scan_tech_connect.needs_raw);
	assert_ptr_equal(scan_technique_find("-sS"), &scan_tech_syn);
	assert_ptr_equal(scan_technique_find("syn"), &scan_tech_syn);
	assert_true(scan_tech_syn.needs_raw);
	assert_int_equal(scan_tech_syn.proto, IPPROTO_TCP);
	assert_string_equal(scan_tech_syn.xml_type, "syn");
	assert_null(scan_technique_find("-sZ"));
	assert_null(scan_technique_find(""));
}

static void test_transient(void **state)
{
	(void)state;
	assert_true(scan_technique_transient(-EMFILE));
	assert_true(scan_technique_transient(-ENFILE));
	assert_true(scan_technique_transient(-EADDRNOTAVAIL));
	assert_true(scan_technique_transient(-ENOBUFS));
	assert_false(scan_technique_transient(-EINVAL));
	assert_false(scan_technique_transient(-EAFNOSUPPORT));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(scan_state_name(SCAN_OPEN), "open");
	assert_string_equal(scan_state_name(SCAN_OPEN_FILTERED), "open|filtered");
	assert_string_equal(scan_state_name(SCAN_STATE_MAX), "unknown");
	assert_string_equal(scan_reason_name(SCAN_REASON_SYN_ACK), "syn-ack");
	assert_string_equal(scan_reason_name(SCAN_REASON_CONN_REFUSED), "conn-refused");
	assert_string_equal(scan_reason_name(SCAN_REASON_ADMIN_PROHIBITED), "admin-prohibited");
	assert_string_equal(scan_reason_name(SCAN_REASON_PORT_UNREACH), "port-unreach");
	assert_string_equal(scan_reason_name(SCAN_REASON_UDP_RESPONSE), "udp-response");
	assert_true(SCAN_REASON_MAX <= 16); /* a reason packs in a nibble */
	for (int s = 0; s < SCAN_STATE_MAX; s++)
		for (int r = 0; r < SCAN_REASON_MAX; r++) {
			uint8_t b = scan_res_pack((enum scan_state)s, (enum scan_reason)r);

			assert_int_equal(scan_res_state(b), s);
			assert_int_equal(scan_res_reason(b), r);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_complete),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_transient),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
