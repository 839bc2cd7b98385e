/* The report's HTML writer: escaping of hostile text, write errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/html.h"

static void check_escape(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = html_escape(in, n, out, sizeof(out));

	assert_string_equal(out, want);
	assert_int_equal(need, strlen(want));
}

static void test_escape(void **state)
{
	char small[8];

	(void)state;
	check_escape("plain text, 1-2", 15, "plain text, 1-2");
	check_escape("<script>alert(1)</script>", 25, "&lt;script&gt;alert(1)&lt;/script&gt;");
	check_escape("a\"b'c&d", 7, "a&quot;b&#39;c&amp;d");
	check_escape("\" onmouseover=\"x", 16, "&quot; onmouseover=&quot;x");
	check_escape("tab\tnl\n", 7, "tab\tnl\n");
	check_escape("caf\xc3\xa9 \xe2\x9a\xa0 \xf0\x9f\x94\x92", 14,
	             "caf\xc3\xa9 \xe2\x9a\xa0 \xf0\x9f\x94\x92");
	/* Not UTF-8, controls, C1 controls, overlongs, surrogates: U+FFFD each byte. */
	check_escape("\xff", 1, "\xef\xbf\xbd");
	check_escape("\x01\x1b[31m\x7f", 7, "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd");
	check_escape("\xc2\x85", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("\xc0\xbc", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_escape("a\0b", 3,
	             "a\xef\xbf\xbd"
	             "b");
	/* Cut at a whole piece; the return value is the whole length. */
	assert_int_equal(html_escape("<<<", 3, small, sizeof(small)), 12);
	assert_string_equal(small, "&lt;");
}

/* html_text() on a stream writes what html_escape() says; a write error sticks. */
static void test_writer(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct html h = {.f = f};

	(void)state;
	assert_non_null(f);
	html_raw(&h, "<td>");
	html_text(&h, "x<y & \xff");
	html_text(&h, NULL);
	html_elem(&h, "td class=\"num\"", NULL);
	html_text_or(&h, "", "-");
	fclose(f);
	assert_int_equal(h.err, 0);
	assert_string_equal(buf,
	                    "<td>x&lt;y &amp; \xef\xbf\xbd<td class=\"num\">\xe2\x80\x94</td>-");
	free(buf);

	f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	h = (struct html){.f = f};
	html_text(&h, "abc<def");
	html_raw(&h, "more");
	assert_int_equal(h.err, -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
