/* Exposure of a listening socket from its bind address and the scan of the own addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "audit/exposure.h"
#include "audit/svcname.h"
#include "knowledge/risk.h"

static void pton(int family, const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family, s, out), 1);
}

static void test_exposure_of(void **state)
{
	enum scan_state open_filtered[] = {SCAN_FILTERED, SCAN_OPEN};
	enum scan_state filtered[] = {SCAN_FILTERED, SCAN_FILTERED};
	enum scan_state refused[] = {SCAN_CLOSED};
	enum scan_state pending[] = {SCAN_PENDING};

	(void)state;
	assert_int_equal(audit_exposure_of(true, open_filtered, 2), AUDIT_EXP_LOOPBACK);
	assert_int_equal(audit_exposure_of(false, open_filtered, 2), AUDIT_EXP_REACHABLE);
	assert_int_equal(audit_exposure_of(false, filtered, 2), AUDIT_EXP_BLOCKED);
	assert_int_equal(audit_exposure_of(false, refused, 1), AUDIT_EXP_BLOCKED);
	assert_int_equal(audit_exposure_of(false, NULL, 0), AUDIT_EXP_NO_ADDRESS);
	assert_int_equal(audit_exposure_of(false, pending, 1), AUDIT_EXP_UNVERIFIED);
	assert_string_equal(audit_exposure_name(AUDIT_EXP_LOOPBACK), "loopback-only");
	assert_string_equal(audit_exposure_name(AUDIT_EXP_BLOCKED), "blocked");
	assert_string_equal(audit_exposure_name((enum audit_exposure)99), "unknown");
}

static void test_accepts(void **state)
{
	uint8_t any4[16], any6[16], a[16], b[16], a6[16], mapped[16], lo[16];

	(void)state;
	pton(AF_INET, "0.0.0.0", any4);
	pton(AF_INET6, "::", any6);
	pton(AF_INET, "198.18.0.2", a);
	pton(AF_INET, "198.18.0.3", b);
	pton(AF_INET6, "fd00:5c09::2", a6);
	pton(AF_INET6, "::ffff:198.18.0.2", mapped);
	pton(AF_INET, "127.0.0.1", lo);
	assert_true(audit_accepts(AF_INET, any4, false, AF_INET, a));
	assert_true(audit_accepts(AF_INET, a, false, AF_INET, a));
	assert_false(audit_accepts(AF_INET, b, false, AF_INET, a));
	assert_false(audit_accepts(AF_INET, any4, false, AF_INET6, a6));
	assert_true(audit_accepts(AF_INET6, any6, false, AF_INET6, a6));
	assert_false(audit_accepts(AF_INET6, any6, false, AF_INET, a)); /* v6only */
	assert_true(audit_accepts(AF_INET6, any6, true, AF_INET, a));   /* dual stack */
	assert_true(audit_accepts(AF_INET6, mapped, false, AF_INET, a));
	assert_false(audit_accepts(AF_INET6, mapped, false, AF_INET, b));
	assert_true(audit_is_loopback(AF_INET, lo));
	assert_false(audit_is_loopback(AF_INET, a));
	pton(AF_INET6, "::1", lo);
	assert_true(audit_is_loopback(AF_INET6, lo));
	pton(AF_INET6, "::ffff:127.0.0.9", lo);
	assert_true(audit_is_loopback(AF_INET6, lo));
	assert_false(audit_is_loopback(AF_INET6, mapped));
	assert_false(audit_is_loopback(AF_INET6, any6));
}

static void test_severity_parse(void **state)
{
	(void)state;
	assert_int_equal(audit_severity_parse("high"), KB_SEV_HIGH);
	assert_int_equal(audit_severity_parse("Medium"), KB_SEV_MEDIUM);
	assert_int_equal(audit_severity_parse("low"), KB_SEV_LOW);
	assert_int_equal(audit_severity_parse("info"), KB_SEV_INFO);
	assert_int_equal(audit_severity_parse("critical"), -EINVAL);
	assert_int_equal(audit_severity_parse(""), -EINVAL);
}

static void test_service_mismatch(void **state)
{
	(void)state;
	assert_true(audit_service_mismatch("ssh", "http"));
	assert_true(audit_service_mismatch("redis", "telnet"));
	assert_false(audit_service_mismatch("memcached", "memcache"));
	assert_false(audit_service_mismatch("postgresql", "postgres"));
	assert_false(audit_service_mismatch("http", "http-alt"));
	assert_false(audit_service_mismatch("ssh", "ssh"));
	assert_false(audit_service_mismatch("vnc", "rfb"));
	assert_true(audit_service_mismatch("memcached", "http"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exposure_of),
	    cmocka_unit_test(test_accepts),
	    cmocka_unit_test(test_severity_parse),
	    cmocka_unit_test(test_service_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
