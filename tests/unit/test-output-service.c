/* Unit tests for the -sV helpers of the outputs: lookup by port, names with tunnels, VERSION text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "detect/engine.h"
#include "output/out.h"
#include "output/service.h"

static void test_version_find(void **state)
{
	struct detect_result r[3] = {0};
	const struct out_version v[3] = {{21, &r[0]}, {80, &r[1]}, {4443, &r[2]}};
	struct out_info in = {.versions = v, .nversions = 3};

	(void)state;
	assert_ptr_equal(out_version_find(&in, 21), &r[0]);
	assert_ptr_equal(out_version_find(&in, 80), &r[1]);
	assert_ptr_equal(out_version_find(&in, 4443), &r[2]);
	assert_null(out_version_find(&in, 22));
	assert_null(out_version_find(&in, 65535));
	in.nversions = 0;
	assert_null(out_version_find(&in, 80));
}

static void test_version_text(void **state)
{
	struct detect_result r = {0};
	char buf[256];

	(void)state;
	assert_string_equal(out_version_name(&r, '/', buf, sizeof(buf)), "unknown");
	assert_string_equal(out_version_text(&r, buf, sizeof(buf)), "");
	strcpy(r.svc.name, "http");
	strcpy(r.svc.product, "nginx");
	assert_string_equal(out_version_text(&r, buf, sizeof(buf)), "nginx");
	strcpy(r.svc.version, "1.22.1");
	assert_string_equal(out_version_text(&r, buf, sizeof(buf)), "nginx 1.22.1");
	strcpy(r.svc.extrainfo, "Debian");
	assert_string_equal(out_version_text(&r, buf, sizeof(buf)), "nginx 1.22.1 (Debian)");
	r.svc.product[0] = r.svc.version[0] = '\0';
	assert_string_equal(out_version_text(&r, buf, sizeof(buf)), "(Debian)");
	r.tunnel = "ssl";
	assert_string_equal(out_version_name(&r, '/', buf, sizeof(buf)), "ssl/http");
	assert_string_equal(out_version_name(&r, '|', buf, sizeof(buf)), "ssl|http");
	/* bounded */
	strcpy(r.svc.product, "nginx");
	assert_string_equal(out_version_text(&r, buf, 6), "nginx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_find),
	    cmocka_unit_test(test_version_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
