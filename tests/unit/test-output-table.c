#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output/table.h"

/* Renders t into a malloc'd string. */
static char *render(struct table *t, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(table_render(t, f, color), 0);
	fclose(f);
	return buf;
}

static void test_alignment(void **state)
{
	struct table *t = table_new();
	char *out;

	(void)state;
	assert_int_equal(table_add_column(t, "PORT", TABLE_RIGHT), 0);
	assert_int_equal(table_add_column(t, "STATE", TABLE_LEFT), 0);
	assert_int_equal(table_add_column(t, "SERVICE", TABLE_LEFT), 0);
	table_cell(t, "22/tcp");
	table_cell(t, "open");
	table_cell(t, "ssh");
	table_cellf(t, "%u/tcp", 8080u);
	table_cell_color(t, "filtered", TABLE_YELLOW);
	table_cell(t, NULL);
	assert_int_equal(table_rows(t), 2);
	out = render(t, false);
	assert_string_equal(out, "    PORT STATE    SERVICE\n"
	                         "  22/tcp open     ssh\n"
	                         "8080/tcp filtered -\n");
	free(out);
	table_free(t);
}

static void test_color_and_header(void **state)
{
	struct table *t = table_new();
	char *out;

	(void)state;
	table_add_column(t, "A", TABLE_LEFT);
	table_add_column(t, "B", TABLE_LEFT);
	table_cell_color(t, "x", TABLE_RED);
	table_cell(t, "y");
	out = render(t, true);
	assert_non_null(strstr(out, "\033[31mx\033[0m"));
	assert_non_null(strstr(out, "\033[1mA\033[0m"));
	free(out);
	table_set_header(t, false);
	out = render(t, false);
	assert_string_equal(out, "x y\n");
	assert_null(strchr(out, '\033'));
	free(out);
	/* Columns cannot be added once cells exist. */
	assert_int_equal(table_add_column(t, "C", TABLE_LEFT), -EBUSY);
	table_free(t);
}

static void test_utf8_width(void **state)
{
	struct table *t = table_new();
	char *out;

	(void)state;
	table_add_column(t, "X", TABLE_LEFT);
	table_add_column(t, "Y", TABLE_LEFT);
	table_cell(t, "→→");
	table_cell(t, "1");
	table_cell(t, "abc");
	table_cell(t, "2");
	out = render(t, false);
	assert_string_equal(out, "X   Y\n→→  1\nabc 2\n");
	free(out);
	table_free(t);
}

static void test_no_trailing_blanks(void **state)
{
	struct table *t = table_new();
	char *out;

	(void)state;
	table_add_column(t, "NAME", TABLE_LEFT);
	table_add_column(t, "NOTE", TABLE_LEFT);
	table_cell(t, "a");
	table_cell(t, "");
	table_cell(t, "longer");
	table_cell(t, "x");
	out = render(t, false);
	assert_string_equal(out, "NAME   NOTE\na\nlonger x\n");
	free(out);
	table_free(t);
}

static void test_long_and_many_cells(void **state)
{
	struct table *t = table_new();
	char long_text[1001], *out;

	(void)state;
	memset(long_text, 'x', 1000);
	long_text[1000] = '\0';
	table_add_column(t, "N", TABLE_RIGHT);
	table_add_column(t, "TEXT", TABLE_LEFT);
	/* Enough cells to grow the cell array and the text arena several times. */
	for (unsigned i = 0; i < 5000; i++) {
		assert_int_equal(table_cellf(t, "%u", i), 0);
		assert_int_equal(table_cellf(t, "%s", i == 4999 ? long_text : "y"), 0);
	}
	assert_int_equal(table_rows(t), 5000);
	out = render(t, false);
	assert_non_null(strstr(out, "   0 y\n"));
	assert_non_null(strstr(out, "4999 xxxxxxxxxx"));
	assert_int_equal(strlen(strstr(out, "4999 ")), 5 + 1000 + 1);
	free(out);
	table_free(t);
}

static void test_empty(void **state)
{
	struct table *t = table_new();
	char *out;

	(void)state;
	out = render(t, false);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(table_cell(t, "orphan"), -EINVAL);
	table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alignment),           cmocka_unit_test(test_color_and_header),
	    cmocka_unit_test(test_utf8_width),          cmocka_unit_test(test_no_trailing_blanks),
	    cmocka_unit_test(test_long_and_many_cells), cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
