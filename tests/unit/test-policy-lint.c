/* Unit tests for the policy linter: each check on a policy made for it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/lint.h"

#define MAXF 32

struct found {
	struct policy_finding f[MAXF];
	size_t n;
};

static int collect(const struct policy_finding *f, void *ctx)
{
	struct found *fs = ctx;

	assert_true(fs->n < MAXF);
	assert_non_null(f->check);
	assert_true(f->message[0] != '\0');
	fs->f[fs->n++] = *f;
	return 0;
}

static void lint(const char *doc, struct found *fs)
{
	struct policy_error errs[2];
	struct policy p = {0};
	size_t nerr;
	int rc;

	fs->n = 0;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr), 0);
	rc = policy_lint(&p, collect, fs);
	assert_int_equal(rc, (int)fs->n);
	policy_free(&p);
}

/* The finding for check on line, or NULL. */
static const struct policy_finding *find(const struct found *fs, const char *check, unsigned line)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->f[i].check, check) && fs->f[i].line == line)
			return &fs->f[i];
	return NULL;
}

static void expect(const struct found *fs, const char *check, unsigned line,
                   enum policy_severity sev, unsigned other, const char *part)
{
	const struct policy_finding *f = find(fs, check, line);

	if (!f) {
		for (size_t i = 0; i < fs->n; i++)
			print_message("  have %s line %u: %s\n", fs->f[i].check, fs->f[i].line,
			              fs->f[i].message);
		fail_msg("no '%s' finding on line %u", check, line);
	}
	assert_int_equal(f->severity, sev);
	assert_int_equal(f->other_line, other);
	if (!strstr(f->message, part))
		fail_msg("'%s' line %u: '%s' lacks '%s'", check, line, f->message, part);
}

static void test_clean(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 443 (Web)\n"
	     "ALLOW TCP PORT 22 FROM 198.18.0.0/15, fd00:5c09::/64 (Admin)\n"
	     "DENY ALL\n",
	     &fs);
	for (size_t i = 0; i < fs.n; i++)
		print_message("unexpected: %s line %u: %s\n", fs.f[i].check, fs.f[i].line,
		              fs.f[i].message);
	assert_int_equal(fs.n, 0);
}

static void test_no_default(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 443\n", &fs);
	expect(&fs, "no-default", 0, POLICY_SEV_WARNING, 0, "end the policy with DENY ALL");
	lint("ALLOW TCP PORT 443\nALLOW ALL\n", &fs);
	expect(&fs, "no-default", 2, POLICY_SEV_WARNING, 0, "'ALLOW ALL' lets everything");
	/* a catch-all with FROM is no default */
	lint("ALLOW TCP PORT 443\nDENY ALL FROM 198.18.0.0/15\n", &fs);
	expect(&fs, "no-default", 0, POLICY_SEV_WARNING, 0, "no default deny");
	lint("ALLOW TCP PORT 443\nREJECT ALL FROM 0.0.0.0/0, ::/0\n", &fs);
	assert_null(find(&fs, "no-default", 0));
}

static void test_allows_nothing(void **state)
{
	struct found fs;

	(void)state;
	/* an empty policy locks everyone out: an error, not a warning */
	lint("", &fs);
	expect(&fs, "empty", 0, POLICY_SEV_ERROR, 0, "drop every new connection");
	assert_int_equal(fs.n, 1);
	lint("# only comments\n\n", &fs);
	expect(&fs, "empty", 0, POLICY_SEV_ERROR, 0, "empty policy");
	/* denying everything without any ALLOW, whatever the shape */
	lint("DENY ALL\n", &fs);
	expect(&fs, "no-allow", 0, POLICY_SEV_ERROR, 0, "no ALLOW rule");
	lint("REJECT TCP PORT 22\nDENY UDP FROM 198.18.0.0/15\nDENY ALL\n", &fs);
	expect(&fs, "no-allow", 0, POLICY_SEV_ERROR, 0, "SSH included");
	assert_null(find(&fs, "no-default", 0));
	assert_null(find(&fs, "empty", 0));
	/* one ALLOW anywhere is enough */
	lint("DENY TCP PORT 23\nALLOW TCP PORT 22 FROM 198.18.0.0/15, fd00:5c09::/64\nDENY ALL\n",
	     &fs);
	assert_null(find(&fs, "no-allow", 0));
	assert_true(policy_allows_nothing(&(struct policy){0}));
}

static void test_unreachable(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 80\nDENY ALL (rest)\nALLOW TCP PORT 22\nALLOW UDP PORT 53 FROM "
	     "198.18.0.1\n",
	     &fs);
	expect(&fs, "unreachable", 3, POLICY_SEV_ERROR, 2, "'DENY ALL (rest)' on line 2");
	expect(&fs, "unreachable", 4, POLICY_SEV_ERROR, 2, "decides everything after it");
	assert_null(find(&fs, "unreachable", 1));
	/* a never-matching rule gets no other advice (its IPv6 gap does not matter) */
	assert_null(find(&fs, "ipv6-gap", 4));
}

static void test_shadowed(void **state)
{
	struct found fs;

	(void)state;
	lint("DENY TCP PORT 1-1024\n"
	     "ALLOW TCP PORT 22 FROM 198.18.0.5\n" /* covered, other verdict: error */
	     "REJECT TCP PORT 80,443\n"            /* covered, same (blocking) verdict */
	     "ALLOW ANY PORT 8000-9000 FROM 198.18.0.0/16\n"
	     "ALLOW TCP PORT 8080 FROM 198.18.3.0/24\n" /* covered by line 4 */
	     "ALLOW UDP PORT 8080 FROM 198.19.0.1\n"    /* other network: not covered */
	     "DENY ALL\n",
	     &fs);
	expect(&fs, "shadowed", 2, POLICY_SEV_ERROR, 1, "line 1 ('DENY TCP PORT 1-1024')");
	expect(&fs, "shadowed", 3, POLICY_SEV_WARNING, 1, "redundant");
	expect(&fs, "shadowed", 5, POLICY_SEV_WARNING, 4, "redundant");
	assert_null(find(&fs, "shadowed", 6));
	assert_null(find(&fs, "shadowed", 4));
}

static void test_overlap(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 8000-8100\n"
	     "DENY TCP PORT 8050-8200\n"               /* partial overlap, other verdict */
	     "ALLOW TCP PORT 8090-8300\n"              /* overlaps line 1 (same) and 2 (other) */
	     "ALLOW UDP PORT 8050-8200\n"              /* other protocol: no overlap */
	     "ALLOW TCP PORT 9000-9010,9005-9020\n"    /* within the rule */
	     "DENY TCP PORT 1-65535 FROM 198.18.0.1\n" /* contains, not a partial overlap */
	     "DENY ALL\n",
	     &fs);
	expect(&fs, "overlap", 2, POLICY_SEV_WARNING, 1, "ports 8050-8100/tcp are decided there");
	expect(&fs, "overlap", 5, POLICY_SEV_WARNING, 0, "9000-9010 and 9005-9020 overlap");
	assert_null(find(&fs, "overlap", 4));
	assert_null(find(&fs, "overlap", 6));
	/* line 3 against line 1 (same verdict): info; against line 2: warning */
	{
		size_t info = 0, warn = 0;
		for (size_t i = 0; i < fs.n; i++) {
			if (strcmp(fs.f[i].check, "overlap") || fs.f[i].line != 3)
				continue;
			if (fs.f[i].other_line == 1 && fs.f[i].severity == POLICY_SEV_INFO)
				info++;
			if (fs.f[i].other_line == 2 && fs.f[i].severity == POLICY_SEV_WARNING)
				warn++;
		}
		assert_int_equal(info, 1);
		assert_int_equal(warn, 1);
	}
}

static void test_family_gap(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 22 FROM 198.18.0.5 (Admin)\n"
	     "ALLOW TCP PORT 5432 FROM fd00:5c09::7\n"
	     "ALLOW TCP PORT 6379 FROM 198.18.0.8\n"
	     "ALLOW TCP PORT 6379 FROM fd00:5c09::8\n" /* closes line 3's gap, and 3 closes 4's */
	     "DENY ALL\n",
	     &fs);
	expect(&fs, "ipv6-gap", 1, POLICY_SEV_WARNING, 0, "only IPv4 addresses");
	expect(&fs, "ipv4-gap", 2, POLICY_SEV_WARNING, 0, "only IPv6 addresses");
	assert_null(find(&fs, "ipv6-gap", 3));
	assert_null(find(&fs, "ipv4-gap", 4));
}

static void test_high_risk(void **state)
{
	struct found fs;

	(void)state;
	lint("ALLOW TCP PORT 23 (telnet)\n"
	     "ALLOW UDP PORT 53\n"
	     "ALLOW TCP PORT 21 FROM 198.18.0.0/15, fd00:5c09::/64\n" /* not from anywhere */
	     "DENY TCP PORT 445\n"                                    /* not allowed */
	     "ALLOW TCP PORT 1-1024 FROM ANY\n"                       /* many: one summary */
	     "DENY ALL\n",
	     &fs);
	expect(&fs, "high-risk", 1, POLICY_SEV_WARNING, 0, "allows 23/tcp (telnet, high risk)");
	expect(&fs, "high-risk", 2, POLICY_SEV_INFO, 0, "53/udp (dns, medium risk)");
	assert_null(find(&fs, "high-risk", 3));
	assert_null(find(&fs, "high-risk", 4));
	expect(&fs, "high-risk", 5, POLICY_SEV_WARNING, 0, "catalogued risky ports from anywhere");
}

static int stop(const struct policy_finding *f, void *ctx)
{
	(void)f;
	(*(int *)ctx)++;
	return -ECANCELED;
}

static void test_emit_error_stops(void **state)
{
	static const char doc[] = "ALLOW TCP PORT 23\nALLOW TCP PORT 21\n";
	struct policy_error errs[1];
	struct policy p = {0};
	size_t nerr;
	int calls = 0;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 1, &nerr), 0);
	assert_int_equal(policy_lint(&p, stop, &calls), -ECANCELED);
	assert_int_equal(calls, 1);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),          cmocka_unit_test(test_no_default),
	    cmocka_unit_test(test_unreachable),    cmocka_unit_test(test_shadowed),
	    cmocka_unit_test(test_overlap),        cmocka_unit_test(test_family_gap),
	    cmocka_unit_test(test_high_risk),      cmocka_unit_test(test_emit_error_stops),
	    cmocka_unit_test(test_allows_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
