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

#include "report/outfile.h"

static char dir[64];

static char *in_dir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *path, const char *want)
{
	char got[64] = "";
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	got[fread(got, 1, sizeof(got) - 1, f)] = '\0';
	fclose(f);
	assert_string_equal(got, want);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "outfile-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char p[128];

	(void)state;
	remove(in_dir("m.prom", p, sizeof(p)));
	remove(in_dir("page.html", p, sizeof(p)));
	return rmdir(dir);
}

/* outfile_open/commit: the file replaced whole; a failed run leaves the old one. */
static void test_replace(void **state)
{
	struct outfile o;
	char p[128], why[256] = "";

	(void)state;
	in_dir("page.html", p, sizeof(p));
	put(p, "old\n");
	assert_int_equal(outfile_open(&o, p, why, sizeof(why)), 0);
	fputs("half", o.f);
	assert_int_equal(outfile_commit(&o, -EINTR, why, sizeof(why)), -EINTR);
	assert_content(p, "old\n");
	assert_int_equal(outfile_open(&o, p, why, sizeof(why)), 0);
	fputs("new\nline\n", o.f);
	assert_int_equal(outfile_commit(&o, 0, why, sizeof(why)), 0);
	assert_content(p, "new\nline\n"); /* LF, not CRLF: a textfile collector reads it */
	assert_int_not_equal(outfile_open(&o, "no-such-dir.x/y/page.html", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "cannot write 'no-such-dir.x/y/page.html'"));
}

/* The keeper: refuses an unwritable path before the run, writes at its end or not at all. */
static void test_keeper(void **state)
{
	struct outfile_keeper k;
	char p[128], why[256] = "";

	(void)state;
	in_dir("m.prom", p, sizeof(p));
	assert_int_not_equal(outfile_keep(&k, "no-such-dir.x/m.prom", why, sizeof(why)), 0);
	assert_int_equal(outfile_keep(&k, p, why, sizeof(why)), 0);
	outfile_keeper_cancel(&k);
	assert_int_equal(access(p, F_OK), -1); /* nothing was there, nothing is */
	assert_int_equal(outfile_keep(&k, p, why, sizeof(why)), 0);
	assert_int_equal(outfile_keeper_send(&k, "up 1\n", 5, why, sizeof(why)), 0);
	assert_content(p, "up 1\n");
	assert_int_equal(outfile_keep(&k, p, why, sizeof(why)), 0);
	assert_int_equal(outfile_keeper_send(&k, "up 2\n", 5, why, sizeof(why)), 0);
	assert_content(p, "up 2\n");
	outfile_keeper_cancel(&k); /* sent already: nothing more happens */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_keeper),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
