#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/scan.h"
#include "output/out.h"
#include "scan/technique.h"
#include "util/array.h"

/* The parser never writes argv: literals are safe behind the cast. */
#define ARGV(...) ((char **)(const char *[]){"scan", __VA_ARGS__, NULL})

static int parse(char **argv, struct scan_opts *o, char *why, size_t whylen)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return scan_opts_parse(argc, argv, o, why, whylen);
}

static void test_scanopts_list(void **state)
{
	struct scan_opts o;
	char why[512] = "";

	(void)state;
	assert_int_equal(parse(ARGV("-sL", "198.18.0.0/30", "--exclude", "198.18.0.1,198.18.0.2",
	                            "-p22,80", "--seed=7", "-n"),
	                       &o, why, sizeof(why)),
	                 0);
	assert_true(o.list_only);
	assert_true(o.no_dns);
	assert_false(o.ipv6);
	assert_true(o.seed_given);
	assert_true(o.randomize_hosts);
	assert_int_equal(o.seed, 7);
	assert_true(o.ports_given);
	assert_int_equal(o.ports.tcp.n, 2);
	assert_int_equal(o.ports.udp.n, 2);
	assert_int_equal(targetset_count(o.targets), 2);
	scan_opts_free(&o);
}

static void test_scanopts_forms(void **state)
{
	struct scan_opts o;
	char why[512] = "";

	(void)state;
	/* -p with the list in the next word, -p-, options after targets, single-dash longs. */
	assert_int_equal(parse(ARGV("198.18.0.1", "-p", "T:22,U:53", "-sSU", "-exclude",
	                            "198.18.0.9", "--top-ports=0"),
	                       &o, why, sizeof(why)),
	                 -EINVAL);
	assert_non_null(strstr(why, "--top-ports: '0' is not a number"));
	scan_opts_free(&o);

	assert_int_equal(parse(ARGV("198.18.0.1", "-p", "T:22,U:53", "-sSU"), &o, why, sizeof(why)),
	                 0);
	/* Techniques from the registry, in the order given (the engine runs one). */
	assert_int_equal(o.ntechs, 2);
	assert_ptr_equal(o.techs[0], &scan_tech_syn);
	assert_ptr_equal(o.techs[1], &scan_tech_udp);
	assert_false(o.list_only);
	assert_int_equal(o.ports.tcp.n, 1);
	assert_int_equal(o.ports.udp.n, 1);
	scan_opts_free(&o);

	assert_int_equal(parse(ARGV("-p-", "-sT", "--", "198.18.0.1"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.ports.tcp.n, 65535);
	assert_true(o.ntechs == 1 && o.techs[0] == &scan_tech_connect);
	scan_opts_free(&o);

	assert_int_equal(
	    parse(ARGV("-6", "fd00:5c09::/126", "--randomize-hosts", "-F", "--json", "--no-color"),
	          &o, why, sizeof(why)),
	    0);
	assert_true(o.ipv6 && o.randomize_hosts && !o.seed_given && o.fast && o.json && o.no_color);
	assert_false(o.ports_given);
	assert_int_equal(targetset_count(o.targets), 4);
	scan_opts_free(&o);

	assert_int_equal(parse(ARGV("--top-ports", "100", "198.18.0.1"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.top_ports, 100);
	scan_opts_free(&o);

	/* Outputs: the registry's formats in the order given, -oA apart, --json apart. */
	assert_int_equal(parse(ARGV("-oX", "a.xml", "-oGb.gnmap", "-oA", "base", "--json", "-sT",
	                            "-sT", "198.18.0.1"),
	                       &o, why, sizeof(why)),
	                 0);
	assert_int_equal(o.noutputs, 2);
	assert_ptr_equal(o.outputs[0].fmt, &out_xml);
	assert_string_equal(o.outputs[0].path, "a.xml");
	assert_ptr_equal(o.outputs[1].fmt, &out_grepable);
	assert_string_equal(o.outputs[1].path, "b.gnmap");
	assert_string_equal(o.out_all, "base");
	assert_true(o.json);
	assert_int_equal(o.ntechs, 1); /* -sT twice is -sT */
	scan_opts_free(&o);

	/* Help needs nothing else and checks nothing else. */
	assert_int_equal(parse(ARGV("--help", "-sL", "-sT"), &o, why, sizeof(why)), 0);
	assert_true(o.help);
	assert_null(o.targets);
	scan_opts_free(&o);
	assert_int_equal(parse(ARGV("-h"), &o, why, sizeof(why)), 0);
	assert_true(o.help);
	scan_opts_free(&o);
}

struct bad_case {
	char **argv;
	int rc;
	const char *names;
};

static void test_scanopts_errors(void **state)
{
	/* clang-format off */
	const struct bad_case cases[] = {
		{ ARGV("-sL"), -EINVAL, "no targets given" },
		{ ARGV("-sL", "-p", "70000", "198.18.0.1"), -ERANGE, "-p: port 70000 out of range" },
		{ ARGV("-sL", "-p"), -EINVAL, "option '-p' needs an argument" },
		{ ARGV("-sL", "-p22", "-p80", "198.18.0.1"), -EINVAL, "-p given twice" },
		{ ARGV("-sX", "198.18.0.1"), -EINVAL, "unknown option '-sX'" },
		{ ARGV("-sTX", "198.18.0.1"), -EINVAL, "unknown option '-sTX'" },
		{ ARGV("-s", "198.18.0.1"), -EINVAL, "option '-s' needs one of -sT, -sS, -sU, -sL, -sn, -sV" },
		{ ARGV("-sU", "-sU", "-sT", "-sS", "198.18.0.1"), -EINVAL, "-sT and -sS are both TCP" },
		{ ARGV("-sL", "-sT", "198.18.0.1"), -EINVAL, "-sL lists targets only" },
		{ ARGV("-sT", "-sS", "198.18.0.1"), -EINVAL, "-sT and -sS" },
		{ ARGV("-p22", "-F", "198.18.0.1"), -EINVAL, "-p cannot be combined with -F" },
		{ ARGV("-p22", "--top-ports", "10", "198.18.0.1"), -EINVAL, "with --top-ports" },
		{ ARGV("-F", "--top-ports", "10", "198.18.0.1"), -EINVAL, "-F and --top-ports" },
		{ ARGV("--top-ports", "x", "198.18.0.1"), -EINVAL, "--top-ports: 'x' is not a number" },
		{ ARGV("--top-ports", "65536", "198.18.0.1"), -EINVAL, "'65536' is not a number" },
		{ ARGV("--seed", "-1", "198.18.0.1"), -EINVAL, "--seed: '-1' is not a number" },
		{ ARGV("--seed"), -EINVAL, "option '--seed' needs an argument" },
		{ ARGV("-iL"), -EINVAL, "option '-iL' needs an argument" },
		{ ARGV("--frobnicate", "198.18.0.1"), -EINVAL, "unknown option '--frobnicate'" },
		{ ARGV("-x", "198.18.0.1"), -EINVAL, "unknown option '-x'" },
		{ ARGV("-6x", "198.18.0.1"), -EINVAL, "unknown option '-6x'" },
		{ ARGV("--json=yes", "198.18.0.1"), -EINVAL, "option '--json' takes no argument" },
		{ ARGV("-sL", "198.18.0.256"), -ERANGE, "octet '256' out of range" },
		{ ARGV("-sL", "-"), -EINVAL, "'-' is not an IPv4 address" },
		{ ARGV("-sL", "fd00:5c09::1"), -EAFNOSUPPORT, "'fd00:5c09::1' is an IPv6 target" },
		{ ARGV("-sL", "-6", "198.18.0.1"), -EAFNOSUPPORT, "'198.18.0.1' is an IPv4 target" },
		{ ARGV("-sL", "198.18.0.1", "--exclude", "198.18.0.1,,198.18.0.2"), -EINVAL,
		  "--exclude: empty item in '198.18.0.1,,198.18.0.2'" },
		{ ARGV("-sL", "198.18.0.1", "--exclude", ""), -EINVAL, "--exclude: empty list" },
		{ ARGV("-sL", "198.18.0.1", "--exclude", "198.18.0.1/40"), -ERANGE,
		  "--exclude: prefix /40 out of range" },
		{ ARGV("-sL", "-sV", "198.18.0.1"), -EINVAL, "-sL lists targets only" },
		{ ARGV("-sV", "--version-intensity", "10", "198.18.0.1"), -EINVAL,
		  "--version-intensity: '10' is not an intensity from 0 to 9" },
		{ ARGV("--version-intensity", "3", "198.18.0.1"), -EINVAL,
		  "--version-intensity belongs to service detection: add -sV" },
		{ ARGV("--probes", "/x", "198.18.0.1"), -EINVAL, "--probes belongs to service detection" },
		{ ARGV("-sV", "--probes", "", "198.18.0.1"), -EINVAL, "--probes needs a probe file name" },
		{ ARGV("-sL", "-iL", "/nonexistent/list"), -ENOENT,
		  "-iL: cannot open '/nonexistent/list'" },
		{ ARGV("-sL", "198.18.0.1", "--excludefile", "/nonexistent/x"), -ENOENT,
		  "--excludefile: cannot open '/nonexistent/x'" },
		{ ARGV("-sU", "--source-ip", "198.18.0.300", "198.18.0.1"), -ERANGE,
		  "--source-ip: octet '300' out of range" },
		{ ARGV("-sU", "--source-ip", "198.18.0.1,,198.18.0.2", "198.18.0.1"), -EINVAL,
		  "--source-ip: empty item in '198.18.0.1,,198.18.0.2'" },
		{ ARGV("-sU", "--source-ip", "", "198.18.0.1"), -EINVAL, "--source-ip needs addresses" },
		{ ARGV("-sU", "--source-ip", "198.18.0.0/23", "198.18.0.1"), -EINVAL,
		  "--source-ip: more than 256 addresses" },
		{ ARGV("-sU", "--source-ip", "gw.example", "198.18.0.1"), -EINVAL,
		  "--source-ip: 'gw.example' is not an address" },
		{ ARGV("-sU", "-S", "198.18.0.5", "-S", "198.18.0.6", "198.18.0.1"), -EINVAL,
		  "-S given twice" },
		{ ARGV("-sU", "-S"), -EINVAL, "option '-S' needs an argument" },
		{ ARGV("-oZ", "x", "198.18.0.1"), -EINVAL, "unknown option '-oZ'" },
		{ ARGV("-oX", "a", "-oX", "b", "198.18.0.1"), -EINVAL, "'-oX' given twice" },
		{ ARGV("-oA", "-", "198.18.0.1"), -EINVAL, "-oA takes a base name" },
		{ ARGV("-oX"), -EINVAL, "option '-oX' needs an argument" },
		{ ARGV("--no-such", "198.18.0.1"), -EINVAL, "unknown option '--no-such'" },
		{ ARGV("-Px", "198.18.0.1"), -EINVAL, "unknown option '-Px'" },
		{ ARGV("--db", "", "198.18.0.1"), -EINVAL, "--db: empty path" },
		{ ARGV("-sT", "--source-ip", "198.18.0.5", "198.18.0.1"), -EINVAL,
		  "--source-ip needs a raw scan (-sS or -sU), not -sT" },
		{ ARGV("-sL", "-S", "198.18.0.5", "198.18.0.1"), -EINVAL,
		  "--source-ip needs a raw scan (-sS or -sU), not -sL" },
		{ ARGV("--send-ip", "--send-eth", "198.18.0.1"), -EINVAL,
		  "--send-ip and --send-eth: choose one" },
		{ ARGV("--send-ip=1", "198.18.0.1"), -EINVAL, "option '--send-ip' takes no argument" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct scan_opts o;
		char why[512] = "";
		int r = parse(cases[i].argv, &o, why, sizeof(why));

		if (r != cases[i].rc || !strstr(why, cases[i].names))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, r, why, cases[i].rc,
			         cases[i].names);
		assert_null(strchr(why, '\n'));
		scan_opts_free(&o);
	}
}

/* --source-ip lists (addresses, octet ranges, prefixes, both families), -S, --send-ip. */
static void test_scanopts_sources(void **state)
{
	struct scan_opts o;
	char why[256] = "", a[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(parse(ARGV("-sU", "--source-ip", "198.18.0.16-19,fd00:5c09::10/126",
	                            "--send-ip", "198.18.0.2"),
	                       &o, why, sizeof(why)),
	                 0);
	assert_int_equal(o.nsources, 8);
	assert_string_equal(target_addr_str(&o.sources[0], a, sizeof(a)), "198.18.0.16");
	assert_string_equal(target_addr_str(&o.sources[3], a, sizeof(a)), "198.18.0.19");
	assert_string_equal(target_addr_str(&o.sources[4], a, sizeof(a)), "fd00:5c09::10");
	assert_string_equal(target_addr_str(&o.sources[7], a, sizeof(a)), "fd00:5c09::13");
	assert_true(o.send_ip);
	scan_opts_free(&o);
	assert_int_equal(parse(ARGV("-S198.18.0.5", "-sS", "198.18.0.2"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.nsources, 1);
	assert_false(o.send_ip);
	scan_opts_free(&o);
	assert_int_equal(parse(ARGV("198.18.0.2"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.nsources, 0);
	assert_null(o.sources);
	scan_opts_free(&o);
}

/* -sV and its options, as nmap spells them. */
static void test_scanopts_version(void **state)
{
	struct scan_opts o;
	char why[256] = "";

	(void)state;
	assert_int_equal(parse(ARGV("198.18.0.1"), &o, why, sizeof(why)), 0);
	assert_false(o.version);
	assert_int_equal(o.version_intensity, -1);
	assert_null(o.probes_file);
	scan_opts_free(&o);
	assert_int_equal(
	    parse(ARGV("-sV", "--version-intensity", "4", "--probes", "/p", "198.18.0.1"), &o, why,
	          sizeof(why)),
	    0);
	assert_true(o.version);
	assert_int_equal(o.version_intensity, 4);
	assert_string_equal(o.probes_file, "/p");
	scan_opts_free(&o);
	assert_int_equal(parse(ARGV("-sTV", "--version-light", "198.18.0.1"), &o, why, sizeof(why)),
	                 0);
	assert_true(o.version && o.ntechs == 1 && o.techs[0] == &scan_tech_connect);
	assert_int_equal(o.version_intensity, 2);
	scan_opts_free(&o);
	assert_int_equal(parse(ARGV("-sV", "-version-all", "198.18.0.1"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.version_intensity, 9);
	scan_opts_free(&o);
	assert_int_equal(
	    parse(ARGV("-sV", "--version-intensity=0", "198.18.0.1"), &o, why, sizeof(why)), 0);
	assert_int_equal(o.version_intensity, 0);
	scan_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scanopts_list),    cmocka_unit_test(test_scanopts_forms),
	    cmocka_unit_test(test_scanopts_errors),  cmocka_unit_test(test_scanopts_version),
	    cmocka_unit_test(test_scanopts_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
