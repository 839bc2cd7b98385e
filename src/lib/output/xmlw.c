/* A small streaming XML writer (see xmlw.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/xmlw.h"

void xmlw_init(struct xmlw *w, FILE *f)
{
	*w = (struct xmlw){.f = f};
}

static int xmlw_put(struct xmlw *w, const char *s, size_t len)
{
	if (!w->err && len && fwrite(s, 1, len, w->f) != len)
		w->err = -EIO;
	return w->err;
}

static int xmlw_puts(struct xmlw *w, const char *s)
{
	return xmlw_put(w, s, strlen(s));
}

/* Closes an open start tag ('>'): content follows. */
static int xmlw_close_tag(struct xmlw *w)
{
	if (w->in_tag) {
		w->in_tag = false;
		return xmlw_put(w, ">", 1);
	}
	return w->err;
}

/*
 * The length of the well-formed UTF-8 sequence of an XML character at s
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF; XML
 * also excludes U+FFFE and U+FFFF), or 0.
 */
static size_t utf8_char_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	unsigned long cp = c & (0x7f >> n);
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};

	if (c < 0xc2 || c > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also the string's NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return n;
}

/* s escaped: attr says an attribute value (tab, LF as character references too). */
static int xmlw_escaped(struct xmlw *w, const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char hex[8];

	while (*p) {
		const char *rep = NULL;
		size_t n = 1;

		if (*p == '&')
			rep = "&amp;";
		else if (*p == '<')
			rep = "&lt;";
		else if (*p == '>')
			rep = "&gt;";
		else if (*p == '"')
			rep = "&quot;";
		else if (*p == '\r')
			rep = "&#13;";
		else if (*p == '\n' || *p == '\t')
			rep = attr ? (*p == '\n' ? "&#10;" : "&#9;") : NULL;
		else if (*p < 0x20 || (*p >= 0x80 && !(n = utf8_char_len(p)))) {
			snprintf(hex, sizeof(hex), "\\x%02X", *p);
			rep = hex;
			n = 1;
		}
		if (rep) {
			xmlw_put(w, (const char *)run, (size_t)(p - run));
			xmlw_puts(w, rep);
			run = p + n;
		}
		p += n;
	}
	return xmlw_put(w, (const char *)run, (size_t)(p - run));
}

int xmlw_raw(struct xmlw *w, const char *s)
{
	xmlw_close_tag(w);
	return xmlw_puts(w, s);
}

int xmlw_start(struct xmlw *w, const char *name)
{
	xmlw_close_tag(w);
	if (w->depth == XMLW_DEPTH)
		return w->err = -EIO;
	w->open[w->depth++] = name;
	xmlw_put(w, "<", 1);
	w->in_tag = true;
	return xmlw_puts(w, name);
}

int xmlw_attr(struct xmlw *w, const char *name, const char *value)
{
	if (!w->in_tag)
		return w->err = -EIO;
	xmlw_put(w, " ", 1);
	xmlw_puts(w, name);
	xmlw_put(w, "=\"", 2);
	xmlw_escaped(w, value, 1);
	return xmlw_put(w, "\"", 1);
}

int xmlw_vattrf(struct xmlw *w, const char *name, const char *fmt, va_list ap)
{
	char small[64], *value = small;
	va_list again;
	int n, r;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= 0 && (size_t)n >= sizeof(small)) {
		value = malloc((size_t)n + 1);
		if (value)
			vsnprintf(value, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0 || !value)
		return w->err = -EIO;
	r = xmlw_attr(w, name, value);
	if (value != small)
		free(value);
	return r;
}

int xmlw_attrf(struct xmlw *w, const char *name, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = xmlw_vattrf(w, name, fmt, ap);
	va_end(ap);
	return r;
}

int xmlw_end(struct xmlw *w)
{
	const char *name;

	if (!w->depth)
		return w->err = -EIO;
	name = w->open[--w->depth];
	if (w->in_tag) {
		w->in_tag = false;
		return xmlw_put(w, "/>", 2);
	}
	xmlw_put(w, "</", 2);
	xmlw_puts(w, name);
	return xmlw_put(w, ">", 1);
}

int xmlw_text(struct xmlw *w, const char *s)
{
	xmlw_close_tag(w);
	return xmlw_escaped(w, s, 0);
}

int xmlw_element(struct xmlw *w, const char *name, const char *text)
{
	xmlw_start(w, name);
	xmlw_text(w, text);
	return xmlw_end(w);
}

int xmlw_comment(struct xmlw *w, const char *text)
{
	xmlw_close_tag(w);
	xmlw_put(w, "<!--", 4);
	xmlw_puts(w, text);
	return xmlw_put(w, "-->", 3);
}

int xmlw_pi(struct xmlw *w, const char *target, const char *content)
{
	xmlw_close_tag(w);
	xmlw_put(w, "<?", 2);
	xmlw_puts(w, target);
	xmlw_put(w, " ", 1);
	xmlw_puts(w, content);
	return xmlw_put(w, "?>", 2);
}

int xmlw_finish(struct xmlw *w)
{
	while (w->depth && !w->err)
		xmlw_end(w);
	return xmlw_put(w, "\n", 1);
}

int xmlw_flush(struct xmlw *w)
{
	if (!w->err && (fflush(w->f) != 0 || ferror(w->f)))
		w->err = -EIO;
	return w->err;
}
