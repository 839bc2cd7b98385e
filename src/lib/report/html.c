/* A streaming HTML writer with escaping (see html.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "report/html.h"

static const char html_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes left) that
 * encodes a character HTML may carry as it is, or 0: ill-formed (overlong,
 * surrogate, beyond U+10FFFF, cut short) or a C1 control.
 */
static size_t html_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

/* Whether byte c is written as it is (printable ASCII but the five, tab, newline). */
static bool html_plain(unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		return c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
	return c == '\t' || c == '\n';
}

/*
 * The piece that stands for the character at s: its escape, or NULL when its
 * *len bytes are written as they are. *len is what it consumes.
 */
static const char *html_piece(const unsigned char *s, size_t n, size_t *len)
{
	*len = 1;
	switch (s[0]) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		break;
	}
	if (s[0] < 0x80)
		return html_plain(s[0]) ? NULL : html_replacement;
	*len = html_utf8_len(s, n);
	if (*len)
		return NULL;
	*len = 1;
	return html_replacement;
}

void html_raw(struct html *h, const char *markup)
{
	if (fputs(markup, h->f) == EOF && !h->err)
		h->err = -EIO;
}

void html_rawf(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(h->f, fmt, ap) < 0 && !h->err)
		h->err = -EIO;
	va_end(ap);
}

void html_textn(struct html *h, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < n) {
		size_t len;
		const char *esc;

		if (html_plain(p[i])) {
			i++;
			continue;
		}
		esc = html_piece(p + i, n - i, &len);
		if (!esc) {
			i += len;
			continue;
		}
		if (i > start && fwrite(p + start, 1, i - start, h->f) != i - start)
			h->err = h->err ? h->err : -EIO;
		html_raw(h, esc);
		i += len;
		start = i;
	}
	if (n > start && fwrite(p + start, 1, n - start, h->f) != n - start)
		h->err = h->err ? h->err : -EIO;
}

void html_text(struct html *h, const char *s)
{
	if (s)
		html_textn(h, s, strlen(s));
}

void html_text_or(struct html *h, const char *s, const char *dflt)
{
	if (s && *s)
		html_text(h, s);
	else
		html_raw(h, dflt);
}

void html_elem(struct html *h, const char *tag, const char *text)
{
	size_t name = strcspn(tag, " ");

	html_rawf(h, "<%s>", tag);
	html_text_or(h, text, "\xe2\x80\x94"); /* — */
	html_rawf(h, "</%.*s>", (int)name, tag);
}

void html_num_cell(struct html *h, uint64_t v)
{
	html_rawf(h, "<td class=\"num\">%llu</td>", (unsigned long long)v);
}

size_t html_escape(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = 0, at = 0;
	bool full = outlen == 0;

	for (size_t i = 0; i < n;) {
		size_t len, plen;
		const char *esc = html_piece(p + i, n - i, &len);
		const char *src = esc ? esc : s + i;

		plen = esc ? strlen(esc) : len;
		if (!full && at + plen < outlen) {
			memcpy(out + at, src, plen);
			at += plen;
		} else {
			full = true;
		}
		need += plen;
		i += len;
	}
	if (outlen)
		out[at] = '\0';
	return need;
}
