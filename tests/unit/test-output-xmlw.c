#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output/xmlw.h"

/* <e a="VALUE">TEXT</e> as the writer writes it. */
static char *render(const char *value, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct xmlw w;

	assert_non_null(f);
	xmlw_init(&w, f);
	assert_int_equal(xmlw_start(&w, "e"), 0);
	assert_int_equal(xmlw_attr(&w, "a", value), 0);
	if (text)
		assert_int_equal(xmlw_text(&w, text), 0);
	assert_int_equal(xmlw_end(&w), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check(const char *value, const char *text, const char *want)
{
	char *got = render(value, text);

	assert_string_equal(got, want);
	free(got);
}

static void test_escapes(void **state)
{
	(void)state;
	check("", NULL, "<e a=\"\"/>");
	check("plain", "", "<e a=\"plain\"></e>");
	check("<>&\"'", "<>&\"'", "<e a=\"&lt;&gt;&amp;&quot;'\">&lt;&gt;&amp;&quot;'</e>");
	/* tab, LF, CR: references in attributes, CR only in text (libxml2's rules) */
	check("\t\n\r", "\t\n\r", "<e a=\"&#9;&#10;&#13;\">\t\n&#13;</e>");
	/* UTF-8 as it is, 1 to 4 bytes; DEL is an XML character */
	check("é€😀\x7f", "é", "<e a=\"é€😀\x7f\">é</e>");
	/* what XML cannot hold: controls, stray and overlong bytes, surrogates, U+FFFE */
	check("\x01x\x1f", NULL, "<e a=\"\\x01x\\x1F\"/>");
	check("\xff\x80", NULL, "<e a=\"\\xFF\\x80\"/>");
	check("\xc0\x80|\xc3", "\xe0\x80\x80", "<e a=\"\\xC0\\x80|\\xC3\">\\xE0\\x80\\x80</e>");
	check("\xed\xa0\x80", "\xef\xbf\xbe", "<e a=\"\\xED\\xA0\\x80\">\\xEF\\xBF\\xBE</e>");
	check("\xf4\x90\x80\x80", "\xf0\x9f\x98",
	      "<e a=\"\\xF4\\x90\\x80\\x80\">\\xF0\\x9F\\x98</e>");
}

static void test_document(void **state)
{
	char *buf = NULL, big[200], want[400];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct xmlw w;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_non_null(f);
	xmlw_init(&w, f);
	assert_int_equal(xmlw_raw(&w, "<?xml version=\"1.0\"?>\n"), 0);
	assert_int_equal(xmlw_pi(&w, "xml-stylesheet", "href=\"a.xsl\""), 0);
	assert_int_equal(xmlw_comment(&w, " c "), 0);
	assert_int_equal(xmlw_start(&w, "r"), 0);
	assert_int_equal(xmlw_attrf(&w, "n", "%d-%s", 7, "x"), 0);
	assert_int_equal(xmlw_attrf(&w, "big", "%s", big), 0);
	assert_int_equal(xmlw_start(&w, "s"), 0);
	assert_int_equal(xmlw_element(&w, "cpe", "cpe:/a:b"), 0);
	assert_int_equal(xmlw_finish(&w), 0);
	assert_int_equal(xmlw_attr(&w, "late", "x"), -EIO); /* no open start tag */
	assert_int_equal(xmlw_flush(&w), -EIO);             /* the error sticks */
	assert_int_equal(fclose(f), 0);
	snprintf(want, sizeof(want),
	         "<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?><!-- c -->"
	         "<r n=\"7-x\" big=\"%s\"><s><cpe>cpe:/a:b</cpe></s></r>\n",
	         big);
	assert_string_equal(buf, want);
	free(buf);
}

static void test_nesting_errors(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	FILE *ro = fopen(TEST_SRCDIR "/meson.build", "r"); /* a stream that cannot be written */
	struct xmlw w;

	(void)state;
	assert_non_null(f);
	assert_non_null(ro);
	xmlw_init(&w, f);
	assert_int_equal(xmlw_end(&w), -EIO); /* nothing open */
	xmlw_init(&w, f);
	for (int i = 0; i < XMLW_DEPTH; i++)
		assert_int_equal(xmlw_start(&w, "d"), 0);
	assert_int_equal(xmlw_start(&w, "deep"), -EIO);
	xmlw_init(&w, ro);
	xmlw_start(&w, "a");
	assert_int_equal(xmlw_flush(&w), -EIO);
	fclose(ro);
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_document),
	    cmocka_unit_test(test_nesting_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
