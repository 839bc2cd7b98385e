#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/targetspec.h"
#include "util/array.h"

static const char *addr_at(const struct targetset *ts, uint64_t i, char *buf, size_t len)
{
	struct target_addr a;

	assert_int_equal(targetset_get(ts, i, &a), 0);
	return target_addr_str(&a, buf, len);
}

/* The worked example of targetspec.h. */
static void test_targetset_header_example(void **state)
{
	struct targetset *ts = targetset_new(0);
	struct target_addr a;
	char why[256] = "", buf[INET6_ADDRSTRLEN];

	(void)state;
	assert_non_null(ts);
	assert_int_equal(targetset_add(ts, "198.18.0.0/30", why, sizeof(why)), 0);
	assert_int_equal(targetset_exclude(ts, "198.18.0.1", why, sizeof(why)), 0);
	assert_int_equal(targetset_count(ts), 0); /* not sealed yet */
	assert_int_equal(targetset_seal(ts), 0);
	assert_int_equal(targetset_count(ts), 3);
	assert_string_equal(addr_at(ts, 0, buf, sizeof(buf)), "198.18.0.0");
	assert_string_equal(addr_at(ts, 1, buf, sizeof(buf)), "198.18.0.2");
	assert_string_equal(addr_at(ts, 2, buf, sizeof(buf)), "198.18.0.3");
	assert_int_equal(targetset_get(ts, 3, &a), -ERANGE);
	/* No adds after sealing. */
	assert_int_equal(targetset_add(ts, "198.18.0.9", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "sealed"));
	targetset_free(ts);
}

/* Valid specs (added together with flags): count, first and last address. */
struct valid_case {
	unsigned flags;
	const char *specs[4];
	const char *excludes[3];
	uint64_t count;
	const char *first, *last;
};

static void test_targetset_valid(void **state)
{
	/* clang-format off */
	static const struct valid_case cases[] = {
		{ 0, { "198.18.0.2" }, { NULL }, 1, "198.18.0.2", "198.18.0.2" },
		{ 0, { "198.18.0.0/24" }, { NULL }, 256, "198.18.0.0", "198.18.0.255" },
		{ 0, { "198.18.0.77/24" }, { NULL }, 256, "198.18.0.0", "198.18.0.255" },
		{ 0, { "198.18.0.1-20" }, { NULL }, 20, "198.18.0.1", "198.18.0.20" },
		{ 0, { "198.18.0-3.*" }, { NULL }, 1024, "198.18.0.0", "198.18.3.255" },
		{ 0, { "198.18.0-1.7" }, { NULL }, 2, "198.18.0.7", "198.18.1.7" },
		{ 0, { "198.18.1,3.1-5" }, { NULL }, 10, "198.18.1.1", "198.18.3.5" },
		{ 0, { "198.18.0.-3" }, { NULL }, 4, "198.18.0.0", "198.18.0.3" },
		{ 0, { "198.18.0.250-" }, { NULL }, 6, "198.18.0.250", "198.18.0.255" },
		{ 0, { "198.18.*.1" }, { NULL }, 256, "198.18.0.1", "198.18.255.1" },
		{ 0, { "198.0.0.0/8" }, { NULL }, 1 << 24, "198.0.0.0", "198.255.255.255" },
		{ 0, { "0.0.0.0/0" }, { NULL }, UINT64_C(1) << 32, "0.0.0.0", "255.255.255.255" },
		{ 0, { "*.*.*.*" }, { NULL }, UINT64_C(1) << 32, "0.0.0.0", "255.255.255.255" },
		{ 0, { "198.18.0.5", "198.18.0.1", "198.18.0.5" }, { NULL }, 2,
		  "198.18.0.1", "198.18.0.5" },
		{ 0, { "198.18.0.0/24", "198.18.0.128/25" }, { NULL }, 256,
		  "198.18.0.0", "198.18.0.255" },
		{ 0, { "198.18.0.0/24" }, { "198.18.0.0", "198.18.0.255" }, 254,
		  "198.18.0.1", "198.18.0.254" },
		{ 0, { "198.18.0.0/24" }, { "198.18.0.0/24" }, 0, NULL, NULL },
		{ 0, { "198.18.0.0/24", "198.18.2.0/24" }, { "198.18.0.128-255", "198.18.1-2.0-9" },
		  128 + 246, "198.18.0.0", "198.18.2.255" },
		{ 0, { "198.18.0.1" }, { "198.19.0.0/16" }, 1, "198.18.0.1", "198.18.0.1" },
		{ TARGETSET_IPV6, { "fd00:5c09::1" }, { NULL }, 1, "fd00:5c09::1", "fd00:5c09::1" },
		{ TARGETSET_IPV6, { "fd00:5c09::/120" }, { NULL }, 256, "fd00:5c09::",
		  "fd00:5c09::ff" },
		{ TARGETSET_IPV6, { "fd00:5c09::/96" }, { "fd00:5c09::/97" }, UINT64_C(1) << 31,
		  "fd00:5c09::8000:0", "fd00:5c09::ffff:ffff" },
		{ TARGETSET_IPV6, { "fd00:5c09::/96", "fd00:5c09::1:0:0/96" }, { NULL },
		  UINT64_C(1) << 33, "fd00:5c09::", "fd00:5c09::1:ffff:ffff" },
		{ TARGETSET_NO_DNS, { "198.18.0.1/32" }, { NULL }, 1, "198.18.0.1", "198.18.0.1" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct valid_case *c = &cases[i];
		struct targetset *ts = targetset_new(c->flags);
		char why[256] = "", buf[INET6_ADDRSTRLEN];

		assert_non_null(ts);
		for (int j = 0; j < 4 && c->specs[j]; j++)
			if (targetset_add(ts, c->specs[j], why, sizeof(why)) != 0)
				fail_msg("case %zu '%s': %s", i, c->specs[j], why);
		for (int j = 0; j < 3 && c->excludes[j]; j++)
			if (targetset_exclude(ts, c->excludes[j], why, sizeof(why)) != 0)
				fail_msg("case %zu exclude '%s': %s", i, c->excludes[j], why);
		assert_int_equal(targetset_seal(ts), 0);
		if (targetset_count(ts) != c->count)
			fail_msg("case %zu '%s': count %llu, want %llu", i, c->specs[0],
			         (unsigned long long)targetset_count(ts),
			         (unsigned long long)c->count);
		if (c->count) {
			assert_string_equal(addr_at(ts, 0, buf, sizeof(buf)), c->first);
			assert_string_equal(addr_at(ts, c->count - 1, buf, sizeof(buf)), c->last);
		}
		targetset_free(ts);
	}
}

/* Every address of a set with holes, in ascending order, each once. */
static void test_targetset_walk(void **state)
{
	struct targetset *ts = targetset_new(0);
	char why[256];
	uint32_t prev = 0;

	(void)state;
	assert_int_equal(targetset_add(ts, "198.18.0-3.1-200", why, sizeof(why)), 0);
	assert_int_equal(targetset_add(ts, "198.18.2.0/24", why, sizeof(why)), 0);
	assert_int_equal(targetset_exclude(ts, "198.18.0-3.100-109", why, sizeof(why)), 0);
	assert_int_equal(targetset_exclude(ts, "198.18.1.0/24", why, sizeof(why)), 0);
	assert_int_equal(targetset_seal(ts), 0);
	/* 0.x and 3.x: 190 each; 2.x: 256 - 10; 1.x: none. */
	assert_int_equal(targetset_count(ts), 190 + 190 + 246);
	for (uint64_t i = 0; i < targetset_count(ts); i++) {
		struct target_addr a;
		uint32_t v, o3, o4;

		assert_int_equal(targetset_get(ts, i, &a), 0);
		assert_int_equal(a.family, AF_INET);
		v = ntohl(a.v4.s_addr);
		o3 = (v >> 8) & 0xff;
		o4 = v & 0xff;
		assert_int_equal(v >> 16, (198u << 8) | 18);
		assert_true(i == 0 || v > prev);
		assert_true(o3 != 1);
		assert_false(o4 >= 100 && o4 <= 109);
		if (o3 != 2)
			assert_true(o4 >= 1 && o4 <= 200);
		prev = v;
	}
	targetset_free(ts);
}

struct bad_case {
	unsigned flags;
	const char *spec;
	int rc;
	const char *names;
};

static void test_targetset_malformed(void **state)
{
	/* clang-format off */
	static const struct bad_case cases[] = {
		{ 0, "198.18.0.0/33", -ERANGE, "prefix /33 out of range 0-32 in '198.18.0.0/33'" },
		{ 0, "198.18.0.256", -ERANGE, "octet '256' out of range 0-255 in '198.18.0.256'" },
		{ 0, "198.18.0.1-300", -ERANGE, "octet '1-300' out of range" },
		{ 0, "198.18.0.5-2", -EINVAL, "reversed octet range '5-2' in '198.18.0.5-2'" },
		{ 0, "1.2.3", -EINVAL, "'1.2.3' is not an IPv4 address or range: 3" },
		{ 0, "198.18.*.*.*", -EINVAL, "'198.18.*.*.*' is not an IPv4 address or range: 5" },
		{ 0, "198.18.0.0/", -EINVAL, "missing prefix length after '/' in '198.18.0.0/'" },
		{ 0, "/24", -EINVAL, "missing address before '/24'" },
		{ 0, "", -EINVAL, "empty target" },
		{ 0, "-", -EINVAL, "'-' is not an IPv4 address" },
		{ 0, "bad name!", -EINVAL, "'bad name!' is not an IP address, range or host name" },
		{ 0, "fd00:5c09::1", -EAFNOSUPPORT, "'fd00:5c09::1' is an IPv6 target in an IPv4" },
		{ TARGETSET_IPV6, "198.18.0.1", -EAFNOSUPPORT, "'198.18.0.1' is an IPv4 target" },
		{ TARGETSET_IPV6, "fd00:5c09::/129", -ERANGE, "prefix /129 out of range 0-128" },
		{ TARGETSET_IPV6, "fd00:5c09::/64", -ERANGE, "'fd00:5c09::/64' is too large: 2^64" },
		{ TARGETSET_IPV6, "fd00:5c09::/95", -ERANGE, "too large: 2^33" },
		{ TARGETSET_IPV6, "::g", -EINVAL, "'::g' is not a valid IPv6 address" },
		{ TARGETSET_IPV6, "fd00::1::2", -EINVAL, "'fd00::1::2' is not a valid IPv6" },
		{ TARGETSET_IPV6, "fd00::1-20", -EINVAL, "'fd00::1-20' is not a valid IPv6" },
		{ TARGETSET_IPV6, "fd00::1/abc", -EINVAL, "'abc' is not a prefix length" },
		{ 0, "198.18.0.0/2x", -EINVAL, "'2x' is not a prefix length in '198.18.0.0/2x'" },
		{ 0, "198.18.0.0/-1", -EINVAL, "'-1' is not a prefix length" },
		{ 0, "198.18..1", -EINVAL, "empty octet in '198.18..1'" },
		{ 0, "198.18.0.1,", -EINVAL, "empty octet in '198.18.0.1,'" },
		{ 0, "198.18.0.1-2-3", -EINVAL, "'1-2-3' is not an octet" },
		{ 0, "198.18.0-3.*/24", -EINVAL, "a /prefix needs one address, not a range" },
		{ 0, "1-255.1-255.1-255.1-255", -ERANGE, "expands to too many address ranges" },
		{ 0, "12345", -EINVAL, "'12345' is not an IPv4 address or range: 1 dot-separated part" },
		{ 0, "-host", -EINVAL, "'-host' is not an IP address, range or host name" },
		{ 0, "a..b", -EINVAL, "'a..b' is not an IP address" },
		{ TARGETSET_NO_DNS, "lab.example", -EINVAL, "'lab.example' is a host name" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct targetset *ts;
		char why[256] = "";
		int r;

		ts = targetset_new(c->flags);
		assert_non_null(ts);
		r = targetset_add(ts, c->spec, why, sizeof(why));
		if (r != c->rc || !strstr(why, c->names) || why[0] == '\0')
			fail_msg("'%s': got %d '%s', want %d '%s'", c->spec, r, why, c->rc,
			         c->names);
		assert_null(strchr(why, '\n'));
		/* The same errors for exclusions. */
		why[0] = '\0';
		assert_int_equal(targetset_exclude(ts, c->spec, why, sizeof(why)), c->rc);
		assert_non_null(strstr(why, c->names));
		assert_int_equal(targetset_seal(ts), 0);
		assert_int_equal(targetset_count(ts), 0);
		targetset_free(ts);
	}
	assert_true(ARRAY_SIZE(cases) >= 25);
}

static void test_targetset_too_long(void **state)
{
	struct targetset *ts = targetset_new(0);
	char spec[400], why[256];

	(void)state;
	memset(spec, 'a', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	assert_int_equal(targetset_add(ts, spec, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "too long"));
	assert_int_equal(targetset_add(ts, NULL, NULL, 0), -EINVAL);
	targetset_free(ts);
}

/* "localhost" comes from /etc/hosts (no DNS on the lab machines). */
static void test_targetset_localhost(void **state)
{
	struct targetset *ts = targetset_new(0);
	char why[256] = "", buf[INET6_ADDRSTRLEN];

	(void)state;
	if (targetset_add(ts, "localhost", why, sizeof(why)) != 0) {
		targetset_free(ts);
		skip();
	}
	assert_int_equal(targetset_seal(ts), 0);
	assert_true(targetset_count(ts) >= 1);
	assert_string_equal(addr_at(ts, 0, buf, sizeof(buf)), "127.0.0.1");
	targetset_free(ts);
}

/* Writes text to a new temporary file; returns its path (static buffer). */
static const char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test-targetspec-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_targetset_file(void **state)
{
	struct targetset *ts = targetset_new(0);
	char why[512] = "", buf[INET6_ADDRSTRLEN];
	const char *path;

	(void)state;
	path = write_tmp("# lab hosts\n"
	                 "198.18.0.1   198.18.0.2\t198.18.0.3 # three on a line\n"
	                 "\n"
	                 "   # only a comment\n"
	                 "198.18.1.0/30\r\n"
	                 "198.18.2.1");
	assert_int_equal(targetset_add_file(ts, path, false, why, sizeof(why)), 0);
	unlink(path);
	path = write_tmp("198.18.0.2\n#198.18.0.3\n198.18.1.0,3 # octet list\n");
	assert_int_equal(targetset_add_file(ts, path, true, why, sizeof(why)), 0);
	unlink(path);
	assert_int_equal(targetset_seal(ts), 0);
	assert_int_equal(targetset_count(ts), 5);
	assert_string_equal(addr_at(ts, 0, buf, sizeof(buf)), "198.18.0.1");
	assert_string_equal(addr_at(ts, 1, buf, sizeof(buf)), "198.18.0.3");
	assert_string_equal(addr_at(ts, 2, buf, sizeof(buf)), "198.18.1.1");
	assert_string_equal(addr_at(ts, 3, buf, sizeof(buf)), "198.18.1.2");
	assert_string_equal(addr_at(ts, 4, buf, sizeof(buf)), "198.18.2.1");
	targetset_free(ts);
}

static void test_targetset_file_errors(void **state)
{
	struct targetset *ts = targetset_new(0);
	char why[512] = "", want[128];
	const char *path;
	char *lng;

	(void)state;
	path = write_tmp("198.18.0.1\n# comment\n198.18.0.2 198.18.0.300\n198.18.0.4\n");
	assert_int_equal(targetset_add_file(ts, path, false, why, sizeof(why)), -ERANGE);
	snprintf(want, sizeof(want), "%s:3: octet '300' out of range 0-255 in '198.18.0.300'",
	         path);
	assert_string_equal(why, want);
	assert_int_equal(targetset_add_file(ts, path, true, why, sizeof(why)), -ERANGE);
	assert_string_equal(why, want);
	unlink(path);

	path = write_tmp("fd00:5c09::1\n");
	assert_int_equal(targetset_add_file(ts, path, false, why, sizeof(why)), -EAFNOSUPPORT);
	snprintf(want, sizeof(want), "%s:1: 'fd00:5c09::1' is an IPv6 target", path);
	assert_non_null(strstr(why, want));
	unlink(path);

	lng = malloc(10000);
	assert_non_null(lng);
	memset(lng, ' ', 9998);
	lng[9998] = '\n';
	lng[9999] = '\0';
	path = write_tmp(lng);
	free(lng);
	assert_int_equal(targetset_add_file(ts, path, false, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: line too long", path);
	assert_non_null(strstr(why, want));
	unlink(path);

	assert_int_equal(
	    targetset_add_file(ts, "/nonexistent/targets.txt", false, why, sizeof(why)), -ENOENT);
	assert_string_equal(why,
	                    "cannot open '/nonexistent/targets.txt': No such file or directory");
	targetset_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targetset_header_example),
	    cmocka_unit_test(test_targetset_valid),
	    cmocka_unit_test(test_targetset_walk),
	    cmocka_unit_test(test_targetset_malformed),
	    cmocka_unit_test(test_targetset_too_long),
	    cmocka_unit_test(test_targetset_localhost),
	    cmocka_unit_test(test_targetset_file),
	    cmocka_unit_test(test_targetset_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
