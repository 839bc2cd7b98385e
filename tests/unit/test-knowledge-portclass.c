/* IANA port classes and the port sysctls of the machine. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "knowledge/portclass.h"
#include "knowledge/sysctl.h"
#include "util/array.h"

static void test_port_class(void **state)
{
	static const struct {
		uint16_t port;
		enum kb_portclass cls;
	} cases[] = {
	    {0, KB_PORT_WELL_KNOWN},    {1, KB_PORT_WELL_KNOWN},     {1023, KB_PORT_WELL_KNOWN},
	    {1024, KB_PORT_REGISTERED}, {49151, KB_PORT_REGISTERED}, {49152, KB_PORT_DYNAMIC},
	    {65535, KB_PORT_DYNAMIC},
	};
	uint16_t lo, hi;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(kb_port_class(cases[i].port), cases[i].cls);
	assert_string_equal(kb_portclass_name(KB_PORT_WELL_KNOWN), "well-known");
	assert_string_equal(kb_portclass_name(KB_PORT_REGISTERED), "registered");
	assert_string_equal(kb_portclass_name(KB_PORT_DYNAMIC), "dynamic");
	assert_null(kb_portclass_name(3));
	assert_null(kb_portclass_name(-1));
	assert_int_equal(kb_portclass_range(KB_PORT_REGISTERED, &lo, &hi), 0);
	assert_int_equal(lo, 1024);
	assert_int_equal(hi, 49151);
	assert_int_equal(kb_portclass_range(KB_PORT_DYNAMIC, &lo, &hi), 0);
	assert_int_equal(lo, 49152);
	assert_int_equal(hi, 65535);
	assert_int_equal(kb_portclass_range(7, &lo, &hi), -EINVAL);
	assert_int_equal(kb_portclass_range(KB_PORT_DYNAMIC, NULL, &hi), -EINVAL);
}

static void range_ok(const char *text, uint16_t want_lo, uint16_t want_hi)
{
	uint16_t lo = 1, hi = 1;

	assert_int_equal(kb_sysctl_parse_range(text, strlen(text), &lo, &hi, NULL, 0), 0);
	assert_int_equal(lo, want_lo);
	assert_int_equal(hi, want_hi);
}

static void range_bad(const char *text, int rc, const char *in_why)
{
	uint16_t lo = 7, hi = 7;
	char why[128] = "";

	assert_int_equal(kb_sysctl_parse_range(text, strlen(text), &lo, &hi, why, sizeof(why)), rc);
	assert_int_equal(lo, 7); /* untouched on error */
	assert_int_equal(hi, 7);
	assert_non_null(strstr(why, in_why));
}

static void test_parse_range(void **state)
{
	(void)state;
	range_ok("32768\t60999\n", 32768, 60999);
	range_ok("1024 65535", 1024, 65535);
	range_ok("  0   0  \n", 0, 0);
	range_bad("", -EINVAL, "found 0");
	range_bad("\n", -EINVAL, "found 0");
	range_bad("32768\n", -EINVAL, "found 1");
	range_bad("32768 60999 7\n", -EINVAL, "unexpected '7'");
	range_bad("60999 32768\n", -ERANGE, "low end 60999 above high end 32768");
	range_bad("32768 70000\n", -ERANGE, "'70000'");
	range_bad("32768 x\n", -EINVAL, "not a number: 'x'");
	range_bad("-1 60999\n", -EINVAL, "'-1'");
	range_bad("32768,60999\n", -EINVAL, "32768,60999");
}

static void test_parse_port(void **state)
{
	uint16_t v = 5;
	char why[128];

	(void)state;
	assert_int_equal(kb_sysctl_parse_port("1024\n", 5, &v, NULL, 0), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(kb_sysctl_parse_port("0", 1, &v, NULL, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kb_sysctl_parse_port("65536\n", 6, &v, why, sizeof(why)), -ERANGE);
	assert_int_equal(kb_sysctl_parse_port("", 0, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(kb_sysctl_parse_port("1 2\n", 4, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(kb_sysctl_parse_port("abc\n", 4, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(kb_sysctl_parse_port(NULL, 0, &v, why, sizeof(why)), -EINVAL);
	assert_int_equal(v, 0);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test-sysctl-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_read_files(void **state)
{
	char *good = write_tmp("40000\t50000\n"), *bad = write_tmp("40000\n");
	char *start = write_tmp("80\n"), *huge = NULL;
	char why[256];
	uint16_t lo, hi, s;

	(void)state;
	assert_int_equal(kb_sysctl_port_range(good, &lo, &hi, why, sizeof(why)), 0);
	assert_int_equal(lo, 40000);
	assert_int_equal(hi, 50000);
	assert_int_equal(kb_sysctl_port_range(bad, &lo, &hi, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, bad)); /* the reason names the file */
	assert_int_equal(kb_sysctl_unpriv_start(start, &s, why, sizeof(why)), 0);
	assert_int_equal(s, 80);
	assert_int_equal(kb_sysctl_unpriv_start(good, &s, why, sizeof(why)), -EINVAL);
	assert_int_equal(kb_sysctl_port_range("/nonexistent/range", &lo, &hi, why, sizeof(why)),
	                 -ENOENT);
	assert_non_null(strstr(why, "/nonexistent/range"));
	/* A file far longer than a sysctl value is malformed, not truncated. */
	{
		char text[400];
		memset(text, '1', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		huge = write_tmp(text);
		assert_int_equal(kb_sysctl_port_range(huge, &lo, &hi, why, sizeof(why)), -EINVAL);
	}
	/* The defaults of this machine parse (Linux has both files). */
	if (access(KB_SYSCTL_PORT_RANGE, R_OK) == 0) {
		assert_int_equal(kb_sysctl_port_range(NULL, &lo, &hi, why, sizeof(why)), 0);
		assert_true(lo <= hi);
	}
	if (access(KB_SYSCTL_UNPRIV_START, R_OK) == 0)
		assert_int_equal(kb_sysctl_unpriv_start(NULL, &s, why, sizeof(why)), 0);
	unlink(good);
	unlink(bad);
	unlink(start);
	unlink(huge);
	free(good);
	free(bad);
	free(start);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_class),
	    cmocka_unit_test(test_parse_range),
	    cmocka_unit_test(test_parse_port),
	    cmocka_unit_test(test_read_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
