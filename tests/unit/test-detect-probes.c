/* Unit tests for the nmap-service-probes parser and the matcher, on probe text written here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/match.h"
#include "detect/probes.h"

/* A small probe file in nmap's format, written for this test. */
static const char probe_text[] =
    "# test probes\n"
    "Exclude T:9100-9102,U:30000\n"
    "Probe TCP NULL q||\n"
    "totalwaitms 5000\n"
    "tcpwrappedms 2500\n"
    "match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w._-]+)[ -]| p/OpenSSH/ v/$2/ i/protocol $1/ "
    "cpe:/a:openbsd:openssh:$2/a\n"
    "match ftp m/^220 Welcome to (\\w+) ftpd\\r\\n/i p/$1 ftpd/\n"
    "softmatch ftp m|^220[ -]|\n"
    "match ftp m|^220 .*ProFTPD (\\S+)| p/ProFTPD/ v/$1/\n"
    "Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|\n"
    "rarity 1\n"
    "ports 80,8000-8010\n"
    "sslports 443\n"
    "match http m=^HTTP/1\\.[01] \\d\\d\\d .*\\r\\nServer: nginx/([\\d.]+)=s p/nginx/ v/$1/ "
    "cpe:|a:nginx:nginx:$1|\n"
    "this line is not a directive\n"
    "match broken m|unterminated p/x/\n"
    "match badflag m|x|z\n"
    "ports 70000\n"
    "rarity 12\n"
    "Probe TCP Binary q|\\x01\\x02\\0\\xff\\\\\\||\n"
    "rarity 8\n"
    "fallback GetRequest,NoSuchProbe\n"
    "match bin m|^\\x01(..)(....)|s p/binary/ v/$I(1,\">\").$I(2,\"<\")/\n"
    "match wild m|^W(.*)$|s p/$P(1)/\n"
    "match under m|^U(\\w+)| p/under/ v/$SUBST(1,\"_\",\".\")/\n"
    "Probe UDP DNSVersion q|\\0\\x06|\n"
    "rarity 1\n"
    "ports 53\n"
    "match dns m|^\\0\\x06| p/dns server/\n"
    "Probe XYZ Bad q||\n"
    "match orphan m|^x|\n";

struct errs {
	unsigned n;
	unsigned lines[16];
	char first[256];
};

static void on_error(void *ctx, unsigned line, const char *msg)
{
	struct errs *e = ctx;

	if (e->n < 16)
		e->lines[e->n] = line;
	if (!e->n)
		snprintf(e->first, sizeof(e->first), "%s", msg);
	e->n++;
}

static void load(struct probes_file *pf, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	probes_init(pf, on_error, e);
	assert_int_equal(probes_parse_buf(pf, probe_text, strlen(probe_text)), 0);
}

static void test_probes_structure(void **state)
{
	struct probes_file pf;
	struct errs e;
	const struct probes_probe *p;

	(void)state;
	load(&pf, &e);
	assert_int_equal(pf.n, 4);
	assert_int_equal(pf.null_probe, 0);
	assert_true(probes_excluded(&pf, PROBES_TCP, 9101));
	assert_false(probes_excluded(&pf, PROBES_TCP, 9103));
	assert_true(probes_excluded(&pf, PROBES_UDP, 30000));
	assert_false(probes_excluded(&pf, PROBES_UDP, 9101));

	p = probes_find(&pf, PROBES_TCP, "NULL");
	assert_non_null(p);
	assert_int_equal(p->payload_len, 0);
	assert_int_equal(p->totalwaitms, 5000);
	assert_int_equal(p->tcpwrappedms, 2500);
	assert_int_equal(p->nmatches, 4);
	assert_true(p->matches[2].soft);
	assert_int_equal(p->matches[1].flags, PROBES_RE_CASELESS);

	p = probes_find(&pf, PROBES_TCP, "GetRequest");
	assert_non_null(p);
	assert_int_equal(p->payload_len, 18);
	assert_memory_equal(p->payload, "GET / HTTP/1.0\r\n\r\n", 18);
	assert_int_equal(p->rarity, 1);
	assert_true(probes_ranges_contain(p->ports, p->nports, 8005));
	assert_false(probes_ranges_contain(p->ports, p->nports, 8011));
	assert_true(probes_ranges_contain(p->sslports, p->nsslports, 443));
	assert_int_equal(p->nmatches, 1);
	assert_int_equal(p->matches[0].flags, PROBES_RE_DOTALL);
	assert_string_equal(p->matches[0].cpe[0], "a:nginx:nginx:$1");

	p = probes_find(&pf, PROBES_TCP, "Binary");
	assert_non_null(p);
	assert_int_equal(p->payload_len, 6);
	assert_memory_equal(p->payload, "\x01\x02\x00\xff\\|", 6);
	assert_int_equal(p->rarity, 8);
	assert_int_equal(p->nfallback, 2);
	assert_int_equal(p->fallback[0], 1);
	assert_int_equal(p->fallback[1], -1);
	assert_null(probes_find(&pf, PROBES_TCP, "DNSVersion"));
	assert_non_null(probes_find(&pf, PROBES_UDP, "DNSVersion"));
	assert_int_equal(pf.nmatches, 4 + 1 + 3 + 1);
	probes_free(&pf);
	assert_int_equal(pf.n, 0);
}

/* Each malformed line is reported with its number; the rest still loads. */
static void test_probes_errors(void **state)
{
	struct probes_file pf;
	struct errs e;
	static const unsigned want[] = {15, 16, 17, 18, 19, 30, 31};

	(void)state;
	load(&pf, &e);
	/* 7 malformed lines, plus the unresolved fallback reported by probes_finish */
	assert_int_equal(pf.nerrors, 7);
	assert_int_equal(e.n, 8);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(e.lines[i], want[i]);
	assert_int_equal(e.lines[7], 20);
	assert_string_equal(e.first, "line 15: unknown directive 'this'");
	probes_free(&pf);
}

struct bad_line {
	const char *line;
	const char *why;
};

static void test_probes_bad_lines(void **state)
{
	/* clang-format off */
	static const struct bad_line cases[] = {
		{ "Probe", "line 2: Probe without a protocol" },
		{ "Probe SCTP X q||", "line 2: Probe protocol 'SCTP' is neither TCP nor UDP" },
		{ "Probe TCP", "line 2: Probe without a name" },
		{ "Probe TCP X", "line 2: Probe X: expected q|payload|" },
		{ "Probe TCP X q|abc", "line 2: Probe X: payload not closed by '|'" },
		{ "Probe TCP X q|\\xZZ|", "line 2: Probe X: bad escape in payload" },
		{ "match", "line 2: match without a service name" },
		{ "match x", "line 2: match x: expected m/regex/" },
		{ "match \x01x m|a|", "line 2: match: service name with a non-printable byte" },
		{ "match x m", "line 2: match x: expected m/regex/" },
		{ "match x mA..A", "line 2: match x: bad regex delimiter 'A'" },
		{ "match x m|abc", "line 2: match x: regex not closed by '|'" },
		{ "match x m|abc|q", "line 2: match x: unknown regex flag 'q'" },
		{ "match x m|abc| z/1/", "line 2: match x: unknown version field 'z'" },
		{ "match x m|abc| p", "line 2: match x: version field without a value" },
		{ "match x m|abc| p/1", "line 2: match x: version field not closed by '/'" },
		{ "ports 1-", "line 2: bad port range '1-'" },
		{ "ports 9-3", "line 2: bad port range '9-3'" },
		{ "ports x", "line 2: bad port 'x'" },
		{ "ports ", "line 2: empty port list" },
		{ "rarity 0", "line 2: rarity needs a number in 1-9, not '0'" },
		{ "rarity 5 6", "line 2: rarity: trailing text '6'" },
		{ "totalwaitms", "line 2: totalwaitms needs a number in 1-600000, not ''" },
		{ "fallback ", "line 2: fallback without probe names" },
		{ "Frobnicate 1", "line 2: unknown directive 'Frobnicate'" },
	};
	/* clang-format on */

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probes_file pf;
		struct errs e = {0};
		char text[256];

		snprintf(text, sizeof(text), "Probe TCP NULL q||\n%s\nmatch ok m|^ok|\n",
		         cases[i].line);
		probes_init(&pf, on_error, &e);
		assert_int_equal(probes_parse_buf(&pf, text, strlen(text)), 0);
		/* after a bad Probe line its match lines have no probe and fail too */
		bool bad_probe = strncmp(cases[i].line, "Probe", 5) == 0;

		if (e.n != (bad_probe ? 2u : 1u) || strcmp(e.first, cases[i].why) != 0)
			fail_msg("'%s': got %u errors, first '%s', want '%s'", cases[i].line, e.n,
			         e.first, cases[i].why);
		/* the good line after the bad one still loads */
		assert_int_equal(pf.probes[0].nmatches, bad_probe ? 0 : 1);
		probes_free(&pf);
	}
}

/* Directives that need a Probe section fail before the first Probe. */
static void test_probes_before_probe(void **state)
{
	static const char text[] = "match x m|x|\nports 80\nrarity 1\nfallback A\n";
	struct probes_file pf;
	struct errs e = {0};

	(void)state;
	probes_init(&pf, on_error, &e);
	assert_int_equal(probes_parse_buf(&pf, text, strlen(text)), 0);
	assert_int_equal(e.n, 4);
	assert_string_equal(e.first, "line 1: match outside a valid Probe section");
	assert_int_equal(pf.n, 0);
	probes_free(&pf);
}

static void test_unescape(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(probes_unescape("GET\\r\\n\\x00", 11, out), 6);
	assert_memory_equal(out, "GET\r\n\0", 6);
	assert_int_equal(probes_unescape("\\a\\b\\f\\t\\v\\\\\\|", 14, out), 7);
	assert_memory_equal(out, "\a\b\f\t\v\\|", 7);
	assert_int_equal(probes_unescape("\\xfF", 4, out), 1);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(probes_unescape("abc\\", 4, out), -EINVAL);
	assert_int_equal(probes_unescape("\\x1", 3, out), -EINVAL);
	assert_int_equal(probes_unescape("\\xg1", 4, out), -EINVAL);
}

static int try_probe(struct probes_file *pf, const char *name, enum probes_proto proto,
                     const char *banner, size_t len, struct detect_service *svc)
{
	struct match_ctx *mc = match_ctx_new();
	const struct probes_probe *p = probes_find(pf, proto, name);
	int rc;

	assert_non_null(mc);
	assert_non_null(p);
	memset(svc, 0, sizeof(*svc));
	rc = match_probe(mc, pf, p, (const uint8_t *)banner, len, svc);
	match_ctx_free(mc);
	return rc;
}

static void test_match_versions(void **state)
{
	static const char nginx[] = "HTTP/1.1 200 OK\r\nDate: x\r\nServer: nginx/1.22.1\r\n\r\n";
	static const char bin[] = "\x01\x01\x02\x05\x00\x00\x00";
	struct probes_file pf;
	struct errs e;
	struct detect_service svc;

	(void)state;
	load(&pf, &e);
	assert_int_equal(try_probe(&pf, "NULL", PROBES_TCP,
	                           "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 40, &svc),
	                 1);
	assert_string_equal(svc.name, "ssh");
	assert_string_equal(svc.product, "OpenSSH");
	assert_string_equal(svc.version, "9.2p1");
	assert_string_equal(svc.extrainfo, "protocol 2.0");
	assert_string_equal(svc.cpe, "cpe:/a:openbsd:openssh:9.2p1");
	assert_false(svc.soft);

	/* case-insensitive flag */
	assert_int_equal(
	    try_probe(&pf, "NULL", PROBES_TCP, "220 WELCOME TO Lab FTPD\r\n", 25, &svc), 1);
	assert_string_equal(svc.product, "Lab ftpd");

	/* softmatch, then a later hard match for the same service */
	assert_int_equal(
	    try_probe(&pf, "NULL", PROBES_TCP, "220 ProFTPD 1.3.8 Server\r\n", 26, &svc), 1);
	assert_string_equal(svc.product, "ProFTPD");
	assert_string_equal(svc.version, "1.3.8");
	/* softmatch alone */
	assert_int_equal(try_probe(&pf, "NULL", PROBES_TCP, "220-hello\r\n", 11, &svc), 2);
	assert_string_equal(svc.name, "ftp");
	assert_true(svc.soft);
	assert_string_equal(svc.product, "");

	/* dotall, other delimiters, cpe with another delimiter */
	assert_int_equal(try_probe(&pf, "GetRequest", PROBES_TCP, nginx, strlen(nginx), &svc), 1);
	assert_string_equal(svc.name, "http");
	assert_string_equal(svc.version, "1.22.1");
	assert_string_equal(svc.cpe, "cpe:/a:nginx:nginx:1.22.1");
	/* a TCP probe falls back to the NULL probe's matches */
	assert_int_equal(
	    try_probe(&pf, "GetRequest", PROBES_TCP, "SSH-2.0-OpenSSH_8.4 x", 21, &svc), 1);
	assert_string_equal(svc.name, "ssh");

	/* $I both ways and $SUBST on binary groups */
	assert_int_equal(try_probe(&pf, "Binary", PROBES_TCP, bin, 7, &svc), 1);
	assert_string_equal(svc.product, "binary");
	assert_string_equal(svc.version, "258.5");
	assert_int_equal(try_probe(&pf, "Binary", PROBES_TCP, "U1_2_3 ", 7, &svc), 1);
	assert_string_equal(svc.product, "under");
	assert_string_equal(svc.version, "1.2.3");
	/* fallback GetRequest reaches the nginx match */
	assert_int_equal(try_probe(&pf, "Binary", PROBES_TCP, nginx, strlen(nginx), &svc), 1);
	assert_string_equal(svc.name, "http");
	/* $P keeps printable bytes only */
	assert_int_equal(try_probe(&pf, "Binary", PROBES_TCP,
	                           "Wa\x01"
	                           "b\xff"
	                           "c",
	                           6, &svc),
	                 1);
	assert_string_equal(svc.product, "abc");
	/* a UDP probe has no NULL fallback */
	assert_int_equal(
	    try_probe(&pf, "DNSVersion", PROBES_UDP, "SSH-2.0-OpenSSH_8.4 x", 21, &svc), 0);
	assert_int_equal(try_probe(&pf, "DNSVersion", PROBES_UDP, "\0\x06zz", 4, &svc), 1);
	assert_string_equal(svc.name, "dns");
	assert_int_equal(try_probe(&pf, "NULL", PROBES_TCP, "nothing", 7, &svc), 0);
	probes_free(&pf);
}

static void test_match_expand(void **state)
{
	/* subject "ab_cd\x01\x00" with group 1 = "ab_cd", group 2 = "\x01\x00" */
	static const uint8_t subj[] = "ab_cd\x01\x00";
	const size_t ov[] = {0, 7, 0, 5, 5, 7, (size_t)-1, (size_t)-1};
	char out[64];

	(void)state;
	match_expand("v$1-$2-$3", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "vab_cd--");
	match_expand("$SUBST(1,\"_\",\".\")", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "ab.cd");
	match_expand("$I(2,\">\") $I(2,\"<\")", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "256 1");
	match_expand("$P(1)$9", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "ab_cd");
	match_expand("$X $I(1,\"?\") $P(x) cost $", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "$X $I(1,\"?\") $P(x) cost $");
	/* bounded output */
	match_expand("$1$1$1", subj, ov, 4, out, 8);
	assert_string_equal(out, "ab_cdab");
	/* group 0 as an integer: 7 bytes "ab_cd\1\0" big-endian */
	match_expand("[$I(0,\">\")]", subj, ov, 4, out, sizeof(out));
	assert_string_equal(out, "[27411234569847040]");
	{
		static const uint8_t nine[] = "123456789";
		const size_t ov9[] = {0, 9};

		/* more than 8 bytes give no integer */
		match_expand("[$I(0,\">\")]", nine, ov9, 1, out, sizeof(out));
		assert_string_equal(out, "[]");
	}
}

/* A regex PCRE2 rejects is reported and never matches; the others still do. */
static void test_match_bad_regex(void **state)
{
	static const char text[] = "Probe TCP NULL q||\nmatch bad m|a(b|\nmatch good m|^ab|\n";
	struct probes_file pf;
	struct detect_service svc;
	char why[200] = "";

	(void)state;
	probes_init(&pf, NULL, NULL);
	assert_int_equal(probes_parse_buf(&pf, text, strlen(text)), 0);
	assert_int_equal(match_compile(&pf.probes[0].matches[0], why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "line 2: regex error at offset"));
	assert_int_equal(try_probe(&pf, "NULL", PROBES_TCP, "abc", 3, &svc), 1);
	assert_string_equal(svc.name, "good");
	probes_free(&pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probes_structure), cmocka_unit_test(test_probes_errors),
	    cmocka_unit_test(test_probes_bad_lines), cmocka_unit_test(test_probes_before_probe),
	    cmocka_unit_test(test_unescape),         cmocka_unit_test(test_match_versions),
	    cmocka_unit_test(test_match_expand),     cmocka_unit_test(test_match_bad_regex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
