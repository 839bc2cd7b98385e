/*
 * A streaming HTML writer: markup the caller trusts (its own literals) goes
 * out as it is, text from anywhere else (the history: banners, hostnames,
 * process names, command lines) goes through html_text(), which escapes it.
 *
 * Escaping replaces & < > " ' with character references, so the same text is
 * safe in element content and in quoted attribute values; bytes that are not
 * UTF-8, control characters other than tab and newline, and C1 controls
 * become U+FFFD, so a hostile banner can neither open markup nor break the
 * document's encoding:
 *
 *   html_text(h, "<script>alert(1)</script>")  writes
 *   "&lt;script&gt;alert(1)&lt;/script&gt;"
 *   html_text(h, "caf\xc3\xa9 \xff\x01")           writes "café \uFFFD\uFFFD" (UTF-8)
 *
 * Write errors are sticky: the first one is kept in h->err (-EIO) and the
 * caller checks it once at the end.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct html {
	FILE *f;
	int err; /* 0, or the first write error (-EIO) */
};

/* Trusted markup, as it is. */
void html_raw(struct html *h, const char *markup);

/* Trusted markup from a format: numbers and the caller's own literals only, never history text. */
void html_rawf(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text escaped for element content and quoted attribute values; NULL writes nothing. */
void html_text(struct html *h, const char *s);

/* The first n bytes of s, escaped. */
void html_textn(struct html *h, const char *s, size_t n);

/* s escaped, or dflt (trusted) when s is NULL or empty. */
void html_text_or(struct html *h, const char *s, const char *dflt);

/* <tag>text</tag> with text escaped ("—" when NULL or empty); tag may carry attributes. */
void html_elem(struct html *h, const char *tag, const char *text);

/* A table cell holding a number, right-aligned. */
void html_num_cell(struct html *h, uint64_t v);

/*
 * Escapes the n bytes of s into out (outlen bytes, NUL-terminated, cut at a
 * whole character). Returns the length the whole escape needs, like snprintf.
 */
size_t html_escape(const char *s, size_t n, char *out, size_t outlen);
