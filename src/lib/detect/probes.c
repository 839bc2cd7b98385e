/* nmap-service-probes parser: one line at a time, errors per line, regexes left uncompiled. */
#include "detect/probes.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/match.h"
#include "util/input.h"
#include "util/strnum.h"

void probes_init(struct probes_file *pf, void (*on_error)(void *, unsigned, const char *),
                 void *ctx)
{
	*pf = (struct probes_file){.on_error = on_error, .ctx = ctx, .cur = -1, .null_probe = -1};
}

__attribute__((format(printf, 2, 3))) static int line_error(struct probes_file *pf, const char *fmt,
                                                            ...)
{
	char msg[256];
	va_list ap;

	pf->nerrors++;
	if (pf->on_error) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		pf->on_error(pf->ctx, pf->lineno, msg);
	}
	return -EINVAL;
}

static char *strndup_or_null(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long probes_unescape(const char *s, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = (uint8_t)s[i];
			continue;
		}
		if (++i == len)
			return -EINVAL;
		switch (s[i]) {
		case '0':
			out[o++] = 0;
			break;
		case 'a':
			out[o++] = '\a';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'v':
			out[o++] = '\v';
			break;
		case 'x': {
			int hi = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[o++] = (uint8_t)(hi << 4 | lo);
			i += 2;
			break;
		}
		default:
			out[o++] = (uint8_t)s[i];
			break;
		}
	}
	return (long)o;
}

/* Skips blanks; returns the new position. */
static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* The next blank-delimited word at *pos: stores its start and length, advances *pos. */
static bool next_word(const char *s, size_t len, size_t *pos, const char **w, size_t *wlen)
{
	size_t i = skip_ws(s, len, *pos), start = i;

	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	*w = s + start;
	*wlen = i - start;
	*pos = i;
	return *wlen > 0;
}

static bool word_is(const char *w, size_t wlen, const char *lit)
{
	return strlen(lit) == wlen && memcmp(w, lit, wlen) == 0;
}

static struct probes_probe *current(struct probes_file *pf)
{
	return pf->cur >= 0 ? &pf->probes[pf->cur] : NULL;
}

/* Parses "21,43,110-113" (also with T:/U: prefixes when allow_proto) into ranges. */
static int parse_ranges(struct probes_file *pf, const char *s, size_t len,
                        struct probes_range **out, size_t *nout, struct probes_range **out_udp,
                        size_t *nout_udp)
{
	bool udp = false;
	size_t i = 0;

	while (i < len) {
		size_t start = i, dash = 0;
		uint64_t lo, hi;
		struct probes_range **dst = udp && out_udp ? out_udp : out;
		size_t *ndst = udp && out_udp ? nout_udp : nout;
		struct probes_range *r;

		if (out_udp && i + 1 < len && s[i + 1] == ':' && strchr("TtUu", s[i])) {
			udp = s[i] == 'U' || s[i] == 'u';
			i += 2;
			continue;
		}
		while (i < len && s[i] != ',') {
			if (s[i] == '-' && !dash)
				dash = i;
			i++;
		}
		if (dash) {
			if (strnum_u64n(s + start, dash - start, 0, 65535, &lo) < 0 ||
			    strnum_u64n(s + dash + 1, i - dash - 1, 0, 65535, &hi) < 0 || hi < lo)
				return line_error(pf, "line %u: bad port range '%.*s'", pf->lineno,
				                  (int)(i - start), s + start);
		} else {
			if (strnum_u64n(s + start, i - start, 0, 65535, &lo) < 0)
				return line_error(pf, "line %u: bad port '%.*s'", pf->lineno,
				                  (int)(i - start), s + start);
			hi = lo;
		}
		r = realloc(*dst, (*ndst + 1) * sizeof(**dst));
		if (!r)
			return -ENOMEM;
		r[*ndst] = (struct probes_range){(uint16_t)lo, (uint16_t)hi};
		*dst = r;
		(*ndst)++;
		if (i < len)
			i++; /* the comma */
	}
	if (*nout == 0 && (!nout_udp || *nout_udp == 0))
		return line_error(pf, "line %u: empty port list", pf->lineno);
	return 0;
}

bool probes_ranges_contain(const struct probes_range *r, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

bool probes_excluded(const struct probes_file *pf, enum probes_proto proto, uint16_t port)
{
	if (proto == PROBES_TCP)
		return probes_ranges_contain(pf->exclude_tcp, pf->nexclude_tcp, port);
	return probes_ranges_contain(pf->exclude_udp, pf->nexclude_udp, port);
}

static int parse_probe(struct probes_file *pf, const char *s, size_t len, size_t pos)
{
	const char *w, *name;
	size_t wlen, namelen, i;
	enum probes_proto proto;
	struct probes_probe *p;
	char delim;
	size_t body;
	long n;

	pf->cur = -1; /* until this line proves good, match lines have no probe */
	if (!next_word(s, len, &pos, &w, &wlen))
		return line_error(pf, "line %u: Probe without a protocol", pf->lineno);
	if (word_is(w, wlen, "TCP"))
		proto = PROBES_TCP;
	else if (word_is(w, wlen, "UDP"))
		proto = PROBES_UDP;
	else
		return line_error(pf, "line %u: Probe protocol '%.*s' is neither TCP nor UDP",
		                  pf->lineno, (int)wlen, w);
	if (!next_word(s, len, &pos, &name, &namelen))
		return line_error(pf, "line %u: Probe without a name", pf->lineno);
	pos = skip_ws(s, len, pos);
	if (pos + 2 > len || s[pos] != 'q')
		return line_error(pf, "line %u: Probe %.*s: expected q|payload|", pf->lineno,
		                  (int)namelen, name);
	delim = s[pos + 1];
	body = pos + 2;
	for (i = body; i < len && s[i] != delim; i++)
		if (s[i] == '\\' && i + 1 < len)
			i++;
	if (i >= len)
		return line_error(pf, "line %u: Probe %.*s: payload not closed by '%c'", pf->lineno,
		                  (int)namelen, name, delim);
	if (pf->n == pf->cap) {
		size_t cap = pf->cap ? pf->cap * 2 : 64;
		struct probes_probe *np = realloc(pf->probes, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		pf->probes = np;
		pf->cap = cap;
	}
	p = &pf->probes[pf->n];
	*p = (struct probes_probe){.proto = proto, .rarity = 1, .line = pf->lineno};
	p->name = strndup_or_null(name, namelen);
	p->payload = malloc(i - body + 1);
	if (!p->name || !p->payload) {
		free(p->name);
		free(p->payload);
		return -ENOMEM;
	}
	n = probes_unescape(s + body, i - body, p->payload);
	if (n < 0) {
		free(p->name);
		free(p->payload);
		return line_error(pf, "line %u: Probe %.*s: bad escape in payload", pf->lineno,
		                  (int)namelen, name);
	}
	p->payload_len = (size_t)n;
	pf->cur = (int)pf->n;
	if (proto == PROBES_TCP && strcmp(p->name, "NULL") == 0 && pf->null_probe < 0)
		pf->null_probe = (int)pf->n;
	pf->n++;
	/* Anything after the payload ("no-payload") is accepted and ignored. */
	return 0;
}

/* Stores a version-field template; a repeated field replaces the earlier one. */
static int set_field(char **slot, const char *s, size_t len)
{
	char *d = strndup_or_null(s, len);

	if (!d)
		return -ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

static void match_clear(struct probes_match *m)
{
	free(m->service);
	free(m->pattern);
	for (int f = 0; f < PROBES_NFIELDS; f++)
		free(m->field[f]);
	for (unsigned c = 0; c < m->ncpe; c++)
		free(m->cpe[c]);
	match_release(m);
}

/*
 * Parses the version fields of a match line from s[pos..len) into m: p/…/ v/…/ i/…/ h/…/ o/…/
 * d/…/ cpe:/…/[a], any delimiter. Returns 0, -ENOMEM or -EINVAL (reported).
 */
static int parse_version_fields(struct probes_file *pf, struct probes_match *m, const char *s,
                                size_t len, size_t pos)
{
	char delim;
	int rc;

	for (;;) {
		int field = -1;
		bool cpe = false;
		size_t vstart;

		pos = skip_ws(s, len, pos);
		if (pos >= len)
			break;
		if (len - pos >= 4 && memcmp(s + pos, "cpe:", 4) == 0) {
			cpe = true;
			pos += 4;
		} else {
			const char *letters = "pvihod",
			           *l = s[pos] ? strchr(letters, s[pos]) : NULL;

			if (!l) {
				rc = line_error(pf, "line %u: match %s: unknown version field '%c'",
				                pf->lineno, m->service, s[pos]);
				return rc;
			}
			field = (int)(l - letters);
			pos++;
		}
		if (pos >= len) {
			rc = line_error(pf, "line %u: match %s: version field without a value",
			                pf->lineno, m->service);
			return rc;
		}
		delim = s[pos++];
		vstart = pos;
		while (pos < len && s[pos] != delim)
			pos++;
		if (pos >= len) {
			rc = line_error(pf, "line %u: match %s: version field not closed by '%c'",
			                pf->lineno, m->service, delim);
			return rc;
		}
		if (cpe) {
			if (m->ncpe < PROBES_MAX_CPE) {
				m->cpe[m->ncpe] = strndup_or_null(s + vstart, pos - vstart);
				if (!m->cpe[m->ncpe]) {
					return -ENOMEM;
				}
				m->ncpe++;
			}
			pos++;
			if (pos < len && s[pos] == 'a')
				pos++;
		} else {
			if (set_field(&m->field[field], s + vstart, pos - vstart) < 0) {
				return -ENOMEM;
			}
			pos++;
		}
	}
	return 0;
}

/* Parses a match or softmatch line into the current probe. Returns 0, -ENOMEM or -EINVAL. */
static int parse_match(struct probes_file *pf, const char *s, size_t len, size_t pos, bool soft)
{
	struct probes_probe *p = current(pf);
	struct probes_match m = {.soft = soft, .line = pf->lineno};
	const char *w;
	size_t wlen, end;
	char delim;
	int rc;

	if (!p)
		return line_error(pf, "line %u: %s outside a valid Probe section", pf->lineno,
		                  soft ? "softmatch" : "match");
	if (!next_word(s, len, &pos, &w, &wlen))
		return line_error(pf, "line %u: match without a service name", pf->lineno);
	for (size_t i = 0; i < wlen; i++)
		if ((unsigned char)w[i] <= ' ' || (unsigned char)w[i] >= 0x7f)
			return line_error(pf,
			                  "line %u: match: service name with a non-printable byte",
			                  pf->lineno);
	pos = skip_ws(s, len, pos);
	if (pos + 2 > len || s[pos] != 'm')
		return line_error(pf, "line %u: match %.*s: expected m/regex/", pf->lineno,
		                  (int)wlen, w);
	delim = s[pos + 1];
	if (isalnum((unsigned char)delim) || delim == ' ')
		return line_error(pf, "line %u: match %.*s: bad regex delimiter '%c'", pf->lineno,
		                  (int)wlen, w, delim);
	pos += 2;
	end = pos;
	while (end < len && s[end] != delim)
		end++;
	if (end >= len)
		return line_error(pf, "line %u: match %.*s: regex not closed by '%c'", pf->lineno,
		                  (int)wlen, w, delim);
	m.service = strndup_or_null(w, wlen);
	m.pattern = strndup_or_null(s + pos, end - pos);
	if (!m.service || !m.pattern) {
		match_clear(&m);
		return -ENOMEM;
	}
	pos = end + 1;
	while (pos < len && s[pos] != ' ' && s[pos] != '\t') {
		if (s[pos] == 'i')
			m.flags |= PROBES_RE_CASELESS;
		else if (s[pos] == 's')
			m.flags |= PROBES_RE_DOTALL;
		else {
			rc = line_error(pf, "line %u: match %s: unknown regex flag '%c'",
			                pf->lineno, m.service, s[pos]);
			match_clear(&m);
			return rc;
		}
		pos++;
	}
	rc = parse_version_fields(pf, &m, s, len, pos);
	if (rc < 0) {
		match_clear(&m);
		return rc;
	}
	if (p->nmatches == p->matches_cap) {
		size_t cap = p->matches_cap ? p->matches_cap * 2 : 16;
		struct probes_match *nm = realloc(p->matches, cap * sizeof(*nm));

		if (!nm) {
			match_clear(&m);
			return -ENOMEM;
		}
		p->matches = nm;
		p->matches_cap = cap;
	}
	p->matches[p->nmatches++] = m;
	pf->nmatches++;
	return 0;
}

static int parse_number(struct probes_file *pf, const char *what, const char *s, size_t len,
                        size_t pos, uint64_t min, uint64_t max, unsigned *out)
{
	const char *w;
	size_t wlen, rest;
	uint64_t v;

	if (!next_word(s, len, &pos, &w, &wlen) || strnum_u64n(w, wlen, min, max, &v) < 0)
		return line_error(pf, "line %u: %s needs a number in %llu-%llu, not '%.*s'",
		                  pf->lineno, what, (unsigned long long)min,
		                  (unsigned long long)max, (int)(len - pos + wlen), w);
	rest = skip_ws(s, len, pos);
	if (rest < len)
		return line_error(pf, "line %u: %s: trailing text '%.*s'", pf->lineno, what,
		                  (int)(len - rest), s + rest);
	*out = (unsigned)v;
	return 0;
}

static int parse_fallback(struct probes_file *pf, struct probes_probe *p, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i;
		char **names;

		while (i < len && s[i] != ',' && s[i] != ' ')
			i++;
		if (i > start) {
			names = realloc(p->fallback_names, (p->nfallback + 1) * sizeof(*names));
			if (!names)
				return -ENOMEM;
			p->fallback_names = names;
			names[p->nfallback] = strndup_or_null(s + start, i - start);
			if (!names[p->nfallback])
				return -ENOMEM;
			p->nfallback++;
		}
		i++;
	}
	if (!p->nfallback)
		return line_error(pf, "line %u: fallback without probe names", pf->lineno);
	return 0;
}

int probes_parse_line(struct probes_file *pf, const char *s, size_t len)
{
	const char *w;
	size_t wlen, pos = 0;
	struct probes_probe *p;

	pf->lineno++;
	if (len && s[len - 1] == '\r')
		len--;
	pos = skip_ws(s, len, 0);
	if (pos == len || s[pos] == '#')
		return 0;
	if (memchr(s, '\0', len))
		return line_error(pf, "line %u: NUL byte in line", pf->lineno);
	next_word(s, len, &pos, &w, &wlen);
	if (word_is(w, wlen, "Probe"))
		return parse_probe(pf, s, len, pos);
	if (word_is(w, wlen, "match"))
		return parse_match(pf, s, len, pos, false);
	if (word_is(w, wlen, "softmatch"))
		return parse_match(pf, s, len, pos, true);
	if (word_is(w, wlen, "Exclude")) {
		pos = skip_ws(s, len, pos);
		return parse_ranges(pf, s + pos, len - pos, &pf->exclude_tcp, &pf->nexclude_tcp,
		                    &pf->exclude_udp, &pf->nexclude_udp);
	}
	p = current(pf);
	if (!p) {
		if (word_is(w, wlen, "ports") || word_is(w, wlen, "sslports") ||
		    word_is(w, wlen, "rarity") || word_is(w, wlen, "totalwaitms") ||
		    word_is(w, wlen, "tcpwrappedms") || word_is(w, wlen, "fallback"))
			return line_error(pf, "line %u: %.*s outside a valid Probe section",
			                  pf->lineno, (int)wlen, w);
		return line_error(pf, "line %u: unknown directive '%.*s'", pf->lineno, (int)wlen,
		                  w);
	}
	pos = skip_ws(s, len, pos);
	if (word_is(w, wlen, "ports"))
		return parse_ranges(pf, s + pos, len - pos, &p->ports, &p->nports, NULL, NULL);
	if (word_is(w, wlen, "sslports"))
		return parse_ranges(pf, s + pos, len - pos, &p->sslports, &p->nsslports, NULL,
		                    NULL);
	if (word_is(w, wlen, "rarity"))
		return parse_number(pf, "rarity", s, len, pos, 1, 9, &p->rarity);
	if (word_is(w, wlen, "totalwaitms"))
		return parse_number(pf, "totalwaitms", s, len, pos, 1, 600000, &p->totalwaitms);
	if (word_is(w, wlen, "tcpwrappedms"))
		return parse_number(pf, "tcpwrappedms", s, len, pos, 1, 600000, &p->tcpwrappedms);
	if (word_is(w, wlen, "fallback"))
		return parse_fallback(pf, p, s + pos, len - pos);
	return line_error(pf, "line %u: unknown directive '%.*s'", pf->lineno, (int)wlen, w);
}

const struct probes_probe *probes_find(const struct probes_file *pf, enum probes_proto proto,
                                       const char *name)
{
	for (size_t i = 0; i < pf->n; i++)
		if (pf->probes[i].proto == proto && strcmp(pf->probes[i].name, name) == 0)
			return &pf->probes[i];
	return NULL;
}

/* Index of the probe called name, preferring protocol proto; -1 when none. */
static int find_index(const struct probes_file *pf, enum probes_proto proto, const char *name)
{
	int any = -1;

	for (size_t i = 0; i < pf->n; i++) {
		if (strcmp(pf->probes[i].name, name) != 0)
			continue;
		if (pf->probes[i].proto == proto)
			return (int)i;
		if (any < 0)
			any = (int)i;
	}
	return any;
}

int probes_finish(struct probes_file *pf)
{
	if (pf->finished)
		return 0;
	pf->finished = true;
	for (size_t i = 0; i < pf->n; i++) {
		struct probes_probe *p = &pf->probes[i];

		if (!p->nfallback)
			continue;
		p->fallback = malloc(p->nfallback * sizeof(*p->fallback));
		if (!p->fallback)
			return -ENOMEM;
		for (size_t f = 0; f < p->nfallback; f++) {
			p->fallback[f] = find_index(pf, p->proto, p->fallback_names[f]);
			if (p->fallback[f] < 0 && pf->on_error) {
				char msg[160];

				snprintf(msg, sizeof(msg),
				         "line %u: Probe %s: fallback '%s' names no probe", p->line,
				         p->name, p->fallback_names[f]);
				pf->on_error(pf->ctx, p->line, msg);
			}
		}
	}
	return 0;
}

int probes_parse_buf(struct probes_file *pf, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		if (probes_parse_line(pf, buf + i, end - i) == -ENOMEM)
			return -ENOMEM;
		i = end + 1;
	}
	return probes_finish(pf);
}

int probes_load_file(struct probes_file *pf, const char *path, char *why, size_t whylen)
{
	const struct input_limits lim = {.max_bytes = PROBES_FILE_MAX, .max_line = PROBES_LINE_MAX};
	struct input in;
	char *line;
	size_t n;
	int rc = input_open(&in, path, &lim, why, whylen);

	if (rc < 0)
		return rc;
	while ((rc = input_line(&in, &line, &n, why, whylen)) > 0) {
		if (probes_parse_line(pf, line, n) == -ENOMEM) {
			rc = -ENOMEM;
			break;
		}
	}
	input_close(&in);
	if (!rc)
		rc = probes_finish(pf);
	return rc;
}

void probes_free(struct probes_file *pf)
{
	for (size_t i = 0; i < pf->n; i++) {
		struct probes_probe *p = &pf->probes[i];

		for (size_t m = 0; m < p->nmatches; m++)
			match_clear(&p->matches[m]);
		free(p->matches);
		for (size_t f = 0; f < p->nfallback; f++)
			free(p->fallback_names[f]);
		free(p->fallback_names);
		free(p->fallback);
		free(p->name);
		free(p->payload);
		free(p->ports);
		free(p->sslports);
	}
	free(pf->probes);
	free(pf->exclude_tcp);
	free(pf->exclude_udp);
	probes_init(pf, pf->on_error, pf->ctx);
}
