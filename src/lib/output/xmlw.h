/*
 * A small streaming XML writer: what -oX needs of one (libxml2's
 * xmlTextWriter did this before; this writer keeps its output byte for byte
 * for well-formed input, and writes well-formed XML for any input).
 *
 *   struct xmlw w;
 *   xmlw_init(&w, f);
 *   xmlw_raw(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
 *   xmlw_start(&w, "port"); xmlw_attr(&w, "portid", "22");
 *   xmlw_start(&w, "state"); xmlw_attr(&w, "state", "open"); xmlw_end(&w);
 *   xmlw_end(&w);          →  <port portid="22"><state state="open"/></port>
 *
 * An element without content ends "/>". Values are UTF-8: '&', '<', '>', '"'
 * are written as entities, and in attributes tab, CR and LF as character
 * references (&#9; &#13; &#10;), CR in text as &#13;. What XML cannot hold (a
 * control character, a byte that is not part of well-formed UTF-8, U+FFFE and
 * U+FFFF) is written "\xHH", byte by byte, as nmap shows banners.
 * Every call returns 0, or -EIO (also for every later call) once a write or
 * the element nesting failed.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define XMLW_DEPTH 16

struct xmlw {
	FILE *f;
	const char *open[XMLW_DEPTH]; /* the open elements' names, outermost first */
	unsigned depth;               /* how many are open */
	bool in_tag;                  /* the innermost start tag is not closed yet ('>') */
	int err;                      /* 0, or -EIO from the first failure on */
};

void xmlw_init(struct xmlw *w, FILE *f);

/* Writes s as it is (markup: a declaration, a DOCTYPE), after the open start tag. */
int xmlw_raw(struct xmlw *w, const char *s);

/* Opens element name (kept by pointer until its end: a string that lives as long). */
int xmlw_start(struct xmlw *w, const char *name);

/* An attribute of the element just opened, its value escaped. */
int xmlw_attr(struct xmlw *w, const char *name, const char *value);
__attribute__((format(printf, 3, 4))) int xmlw_attrf(struct xmlw *w, const char *name,
                                                     const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int xmlw_vattrf(struct xmlw *w, const char *name,
                                                      const char *fmt, va_list ap);

/* Ends the innermost open element: "/>" when it has no content, else "</name>". */
int xmlw_end(struct xmlw *w);

/* Character data, escaped. */
int xmlw_text(struct xmlw *w, const char *s);

/* <name>text</name>. */
int xmlw_element(struct xmlw *w, const char *name, const char *text);

/* <!--text-->: text must not hold "--" (the caller writes it "-&#45;", as nmap does). */
int xmlw_comment(struct xmlw *w, const char *text);

/* <?target content?>: content is written as it is. */
int xmlw_pi(struct xmlw *w, const char *target, const char *content);

/* Ends every open element and the document (a line break). */
int xmlw_finish(struct xmlw *w);

/* Flushes f. */
int xmlw_flush(struct xmlw *w);
