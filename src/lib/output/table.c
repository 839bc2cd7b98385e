#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "output/table.h"
#include "util/array.h"

struct table_cell {
	size_t text;     /* offset of the NUL-terminated text in the arena */
	const char *sgr; /* static colour code or NULL */
	size_t width;    /* display width (UTF-8 code points) */
};

struct table_column {
	char *header;
	enum table_align align;
	size_t width;
};

struct table {
	struct table_column *cols;
	size_t ncols;
	struct table_cell *cells; /* row-major, ncells of cap */
	size_t ncells, cap;
	char *arena; /* every cell's text, back to back */
	size_t arena_len, arena_cap;
	bool header;
	unsigned gap;
};

/* Counts UTF-8 code points, so "→" is one column wide. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

struct table *table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t) {
		t->header = true;
		t->gap = 1;
	}
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i].header);
	free(t->arena);
	free(t->cols);
	free(t->cells);
	free(t);
}

int table_add_column(struct table *t, const char *header, enum table_align align)
{
	struct table_column *c;

	if (t->ncells)
		return -EBUSY;
	c = realloc(t->cols, (t->ncols + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->cols = c;
	c = &t->cols[t->ncols];
	c->header = strdup(header ? header : "");
	if (!c->header)
		return -ENOMEM;
	c->align = align;
	c->width = display_width(c->header);
	t->ncols++;
	return 0;
}

void table_set_header(struct table *t, bool show)
{
	t->header = show;
}

void table_set_gap(struct table *t, unsigned gap)
{
	t->gap = gap;
}

/* Appends len bytes of text (plus a NUL) to the arena; returns its offset or -1. */
static ssize_t arena_add(struct table *t, const char *text, size_t len)
{
	size_t off = t->arena_len;

	if (len >= SIZE_MAX - off || GREEDY_REALLOC(t->arena, t->arena_cap, off + len + 1) < 0)
		return -1;
	memcpy(t->arena + off, text, len);
	t->arena[off + len] = '\0';
	t->arena_len += len + 1;
	return (ssize_t)off;
}

static int add_cell(struct table *t, const char *text, size_t len, const char *sgr)
{
	struct table_cell *c;
	ssize_t off;

	if (t->ncols == 0)
		return -EINVAL;
	if (GREEDY_REALLOC(t->cells, t->cap, t->ncells + 1) < 0)
		return -ENOMEM;
	off = arena_add(t, text, len);
	if (off < 0)
		return -ENOMEM;
	c = &t->cells[t->ncells++];
	c->text = (size_t)off;
	c->sgr = sgr;
	c->width = display_width(t->arena + off);
	return 0;
}

int table_cell_color(struct table *t, const char *text, const char *sgr)
{
	if (!text)
		text = "-";
	return add_cell(t, text, strlen(text), sgr);
}

int table_cell(struct table *t, const char *text)
{
	return table_cell_color(t, text, NULL);
}

int table_cellf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char buf[256], *s = buf;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(buf)) {
		va_start(ap, fmt);
		n = vasprintf(&s, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -ENOMEM;
	}
	r = add_cell(t, s, (size_t)n, NULL);
	if (s != buf)
		free(s);
	return r;
}

size_t table_rows(const struct table *t)
{
	return t->ncols ? (t->ncells + t->ncols - 1) / t->ncols : 0;
}

static void pad(FILE *out, size_t n)
{
	static const char spaces[64] =
	    "                                                                ";

	for (; n > sizeof(spaces); n -= sizeof(spaces))
		fwrite(spaces, 1, sizeof(spaces), out);
	fwrite(spaces, 1, n, out);
}

/*
 * Writes one cell. Padding is held back in *pending and written only before
 * the next visible text, so no line ends in blanks.
 */
static void put_cell(FILE *out, const struct table *t, size_t col, const char *text,
                     const char *sgr, size_t width, size_t colw, bool color, size_t *pending)
{
	size_t fill = colw > width ? colw - width : 0;

	if (col > 0)
		*pending += t->gap;
	if (t->cols[col].align == TABLE_RIGHT)
		*pending += fill;
	if (*text) {
		pad(out, *pending);
		*pending = 0;
		if (color && sgr)
			fprintf(out, "\033[%sm%s\033[0m", sgr, text);
		else
			fputs(text, out);
	}
	if (t->cols[col].align == TABLE_LEFT)
		*pending += fill;
}

int table_render(const struct table *t, FILE *out, bool color)
{
	size_t *w;

	if (t->ncols == 0)
		return 0;
	w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < t->ncols; i++)
		w[i] = t->header ? t->cols[i].width : 0;
	for (size_t i = 0; i < t->ncells; i++) {
		size_t col = i % t->ncols;
		if (t->cells[i].width > w[col])
			w[col] = t->cells[i].width;
	}
	if (t->header) {
		size_t pending = 0;
		for (size_t c = 0; c < t->ncols; c++)
			put_cell(out, t, c, t->cols[c].header, TABLE_BOLD, t->cols[c].width, w[c],
			         color, &pending);
		fputc('\n', out);
	}
	for (size_t i = 0, pending = 0; i < t->ncells; i++) {
		size_t col = i % t->ncols;
		const struct table_cell *c = &t->cells[i];
		put_cell(out, t, col, t->arena + c->text, c->sgr, c->width, w[col], color,
		         &pending);
		if (col + 1 == t->ncols || i + 1 == t->ncells) {
			fputc('\n', out);
			pending = 0;
		}
	}
	free(w);
	return ferror(out) ? -EIO : 0;
}
