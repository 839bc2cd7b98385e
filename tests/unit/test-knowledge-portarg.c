/* Every path of the `info` argument parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "knowledge/portarg.h"

static void port_ok(const char *in, uint16_t port, int proto)
{
	struct portarg pa;

	assert_int_equal(portarg_parse(in, &pa, NULL, 0), 0);
	assert_int_equal(pa.kind, PORTARG_PORT);
	assert_int_equal(pa.port, port);
	assert_int_equal(pa.proto, proto);
}

static void name_ok(const char *in, const char *name, int proto)
{
	struct portarg pa;

	assert_int_equal(portarg_parse(in, &pa, NULL, 0), 0);
	assert_int_equal(pa.kind, PORTARG_SERVICE);
	assert_string_equal(pa.name, name);
	assert_int_equal(pa.proto, proto);
}

/* The error code and a part of the message, which must name the bad word. */
static void bad(const char *in, int rc, const char *in_why)
{
	struct portarg pa = {.port = 99};
	char why[256] = "";

	assert_int_equal(portarg_parse(in, &pa, why, sizeof(why)), rc);
	if (!strstr(why, in_why))
		fail_msg("'%s': message '%s' lacks '%s'", in, why, in_why);
	assert_int_equal(pa.port, 99); /* untouched */
	assert_null(strchr(why, '\n'));
}

static void test_ports(void **state)
{
	(void)state;
	port_ok("0", 0, -1);
	port_ok("22", 22, -1);
	port_ok("65535", 65535, -1);
	port_ok("022", 22, -1);
	port_ok("53/udp", 53, KB_PROTO_UDP);
	port_ok("22/tcp", 22, KB_PROTO_TCP);
	port_ok("9/sctp", 9, KB_PROTO_SCTP);
	port_ok("443/TCP", 443, KB_PROTO_TCP);
}

static void test_names(void **state)
{
	(void)state;
	name_ok("ssh", "ssh", -1);
	name_ok("HTTPS", "HTTPS", -1);
	name_ok("domain/udp", "domain", KB_PROTO_UDP);
	name_ok("x11:1", "x11:1", -1);
	name_ok("3com-tsmux", "3com-tsmux", -1);       /* names may start with a digit */
	name_ok("22x", "22x", -1);                     /* not a number: looked up as a name */
	name_ok("nosuchservice", "nosuchservice", -1); /* existence is checked by the caller */
}

static void test_errors(void **state)
{
	char longname[300];

	(void)state;
	bad("", -EINVAL, "empty argument ''");
	bad("70000", -ERANGE, "port '70000' out of range 0-65535");
	bad("65536/tcp", -ERANGE, "port '65536' out of range");
	bad("99999999999999999999999", -ERANGE, "out of range 0-65535");
	bad("-1", -ERANGE, "port '-1' out of range 0-65535");
	bad("-1/udp", -ERANGE, "port '-1'");
	bad("22/sctpx", -EINVAL, "unknown protocol 'sctpx' in '22/sctpx'");
	bad("22/tcp/udp", -EINVAL, "unknown protocol 'tcp/udp'");
	bad("ssh/icmp", -EINVAL, "unknown protocol 'icmp'");
	bad("22/", -EINVAL, "missing protocol after '/' in '22/'");
	bad("/tcp", -EINVAL, "missing port or service before '/' in '/tcp'");
	bad("/", -EINVAL, "missing protocol after '/'");
	bad("a b", -EINVAL, "invalid character 0x20 in 'a b'");
	bad("ssh\t", -EINVAL, "invalid character 0x09");
	bad("caf\xc3\xa9", -EINVAL, "invalid character 0xc3");
	bad("-x", -EINVAL, "'-x' is not a port or service name");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	bad(longname, -ENAMETOOLONG, "too long");
	{
		struct portarg pa;
		assert_int_equal(portarg_parse(NULL, &pa, NULL, 0), -EINVAL);
		assert_int_equal(portarg_parse("22", NULL, NULL, 0), -EINVAL);
		assert_int_equal(portarg_parse("22/", &pa, NULL, 0), -EINVAL); /* why may be NULL */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
