/* The policy parser: one line at a time, errors with line, column and what was expected. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"
#include "util/strnum.h"
#include "util/array.h"

/* A cursor over one line. */
struct lexer {
	const char *s;
	size_t len, pos;
	unsigned line;
	struct policy_error *err;
};

/* A word: a run of printable ASCII other than blanks and , ( ) # */
struct word {
	const char *s;
	size_t len, pos;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_punct(char c)
{
	return c == ',' || c == '(' || c == ')' || c == '#';
}

static bool is_word_char(char c)
{
	return c > 0x20 && c < 0x7f && !is_punct(c);
}

static int fail(struct lexer *lx, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct lexer *lx, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (lx->err) {
		lx->err->line = lx->line;
		lx->err->col = (unsigned)pos + 1;
		va_start(ap, fmt);
		vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void skip_blanks(struct lexer *lx)
{
	while (lx->pos < lx->len && is_blank(lx->s[lx->pos]))
		lx->pos++;
}

/* Whether the rest of the line is blanks or a comment. */
static bool at_end(struct lexer *lx)
{
	skip_blanks(lx);
	return lx->pos >= lx->len || lx->s[lx->pos] == '#';
}

/* What stands at pos, for "found ...": 'word', ',' or "end of line" (quoted, sanitised). */
static const char *found(const struct lexer *lx, size_t pos, char *buf, size_t len)
{
	size_t n = 0, i = pos;

	if (pos >= lx->len || lx->s[pos] == '#')
		return "end of line";
	if (!is_word_char(lx->s[pos]) && !is_punct(lx->s[pos])) {
		snprintf(buf, len, "byte 0x%02x", (unsigned char)lx->s[pos]);
		return buf;
	}
	buf[n++] = '\'';
	if (is_punct(lx->s[i]))
		buf[n++] = lx->s[i];
	else
		while (i < lx->len && is_word_char(lx->s[i]) && n + 5 < len && n < 33)
			buf[n++] = lx->s[i++];
	if (i < lx->len && is_word_char(lx->s[i]) && n + 5 < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

/* Reads the next word; returns false (leaving pos at what stands there) when none. */
static bool next_word(struct lexer *lx, struct word *w)
{
	skip_blanks(lx);
	w->pos = lx->pos;
	w->s = lx->s + lx->pos;
	while (lx->pos < lx->len && is_word_char(lx->s[lx->pos]))
		lx->pos++;
	w->len = lx->pos - w->pos;
	return w->len > 0;
}

static bool digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool word_is(const struct word *w, const char *kw)
{
	return w->len == strlen(kw) && strncasecmp(w->s, kw, w->len) == 0;
}

/* Parses a ',' separated list after a keyword, calling item() on each word. */
static int parse_list(struct lexer *lx, const char *what, const char *after,
                      int (*item)(struct lexer *lx, const struct word *w, void *ctx), void *ctx)
{
	struct word w;
	char fb[48];
	int rc;

	for (;;) {
		if (!next_word(lx, &w))
			return fail(lx, lx->pos, "expected %s after %s, found %s", what, after,
			            found(lx, lx->pos, fb, sizeof(fb)));
		rc = item(lx, &w, ctx);
		if (rc < 0)
			return rc;
		skip_blanks(lx);
		if (lx->pos >= lx->len || lx->s[lx->pos] != ',')
			return 0;
		lx->pos++;
		after = "','";
	}
}

struct port_ctx {
	struct policy_rule *r;
	size_t cap;
};

static int port_item(struct lexer *lx, const struct word *w, void *ctx)
{
	struct port_ctx *pc = ctx;
	const char *dash = memchr(w->s, '-', w->len);
	size_t l1 = dash ? (size_t)(dash - w->s) : w->len;
	uint64_t lo, hi;
	int rc;

	if (!digits(w->s, l1) || (dash && !digits(dash + 1, w->len - l1 - 1)))
		return fail(lx, w->pos, "expected a port N or range N-M (1-65535), found '%.*s'",
		            (int)(w->len > 40 ? 40 : w->len), w->s);
	rc = strnum_u64n(w->s, l1, 1, 65535, &lo);
	if (rc == 0 && dash)
		rc = strnum_u64n(dash + 1, w->len - l1 - 1, 1, 65535, &hi);
	else
		hi = lo;
	if (rc < 0)
		return fail(lx, w->pos, "port out of range in '%.*s': ports are 1-65535",
		            (int)(w->len > 40 ? 40 : w->len), w->s);
	if (lo > hi)
		return fail(lx, w->pos, "reversed port range '%.*s': write %u-%u", (int)w->len,
		            w->s, (unsigned)hi, (unsigned)lo);
	if (pc->r->nports >= POLICY_ITEMS_MAX)
		return fail(lx, w->pos, "too many ports in one rule (at most %d)",
		            POLICY_ITEMS_MAX);
	if (policy_grow((void **)&pc->r->ports, &pc->cap, pc->r->nports, sizeof(*pc->r->ports)) < 0)
		return -ENOMEM;
	pc->r->ports[pc->r->nports++] =
	    (struct policy_range){.lo = (uint16_t)lo, .hi = (uint16_t)hi};
	return 0;
}

struct addr_ctx {
	struct policy_rule *r;
	size_t cap;
	bool any; /* FROM ANY seen */
};

static int addr_item(struct lexer *lx, const struct word *w, void *ctx)
{
	struct addr_ctx *ac = ctx;
	struct policy_addr a;
	int rc;

	if (word_is(w, "any")) {
		if (ac->r->nfrom || ac->any)
			return fail(lx, w->pos, "FROM ANY cannot be part of a list");
		ac->any = true;
		return 0;
	}
	if (ac->any)
		return fail(lx, w->pos, "FROM ANY cannot be part of a list");
	rc = policy_addr_parse(w->s, w->len, &a);
	if (rc == -EDOM) {
		char net[64];

		policy_addr_format(&a, net, sizeof(net));
		return fail(lx, w->pos, "host bits set in '%.*s' (the network is %s)",
		            (int)(w->len > 60 ? 60 : w->len), w->s, net);
	}
	if (rc == -ERANGE)
		return fail(lx, w->pos,
		            "bad prefix length in '%.*s': 0-32 for IPv4, 0-128 for IPv6",
		            (int)(w->len > 60 ? 60 : w->len), w->s);
	if (rc < 0)
		return fail(lx, w->pos,
		            "expected an IPv4 or IPv6 address or ADDR/PREFIX, found '%.*s'",
		            (int)(w->len > 60 ? 60 : w->len), w->s);
	if (ac->r->nfrom >= POLICY_ITEMS_MAX)
		return fail(lx, w->pos, "too many addresses in one rule (at most %d)",
		            POLICY_ITEMS_MAX);
	if (policy_grow((void **)&ac->r->from, &ac->cap, ac->r->nfrom, sizeof(*ac->r->from)) < 0)
		return -ENOMEM;
	ac->r->from[ac->r->nfrom++] = a;
	return 0;
}

/* '(' text ')' at lx->pos, a label or a service hint: trimmed printable ASCII into *out. */
static int parse_group(struct lexer *lx, const char *what, char **out)
{
	size_t open = lx->pos, i = lx->pos + 1, close, end;

	while (i < lx->len && lx->s[i] != ')') {
		char c = lx->s[i];
		if (c == '"' || c == '(')
			return fail(lx, i, "a %s cannot contain '%c'", what, c);
		if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
			return fail(lx, i, "%ss are printable ASCII, found byte 0x%02x", what,
			            (unsigned char)c);
		i++;
	}
	if (i >= lx->len)
		return fail(lx, open, "unclosed %s: expected ')' before end of line", what);
	close = end = i;
	/* Trimmed; an empty one is a mistake. */
	i = open + 1;
	while (i < end && lx->s[i] == ' ')
		i++;
	while (end > i && lx->s[end - 1] == ' ')
		end--;
	if (end == i)
		return fail(lx, open, "empty %s: write text between '(' and ')' or leave it out",
		            what);
	if (end - i > POLICY_LABEL_MAX)
		return fail(lx, open, "%s longer than %d characters", what, POLICY_LABEL_MAX);
	*out = strndup(lx->s + i, end - i);
	if (!*out)
		return -ENOMEM;
	lx->pos = close + 1;
	return 0;
}

static int parse_rule(struct lexer *lx, struct policy_rule *r)
{
	struct port_ctx pc = {.r = r};
	struct addr_ctx ac = {.r = r};
	struct word w;
	const char *action_word;
	char fb[48];
	bool all = false;
	int rc;

	next_word(lx, &w);
	if (word_is(&w, "allow"))
		r->action = POLICY_ALLOW;
	else if (word_is(&w, "deny"))
		r->action = POLICY_DENY;
	else if (word_is(&w, "reject"))
		r->action = POLICY_REJECT;
	else
		return fail(lx, w.pos,
		            "expected ALLOW, DENY or REJECT at the start of a rule, found %s",
		            found(lx, w.pos, fb, sizeof(fb)));
	action_word = r->action == POLICY_ALLOW  ? "ALLOW"
	              : r->action == POLICY_DENY ? "DENY"
	                                         : "REJECT";

	if (!next_word(lx, &w))
		return fail(lx, w.pos, "expected TCP, UDP, ANY or ALL after %s, found %s",
		            action_word, found(lx, w.pos, fb, sizeof(fb)));
	if (word_is(&w, "tcp"))
		r->protos = POLICY_P_TCP;
	else if (word_is(&w, "udp"))
		r->protos = POLICY_P_UDP;
	else if (word_is(&w, "any"))
		r->protos = POLICY_P_ANY;
	else if (word_is(&w, "all")) {
		r->protos = POLICY_P_ALL;
		all = true;
	} else if (word_is(&w, "port") || word_is(&w, "ports"))
		return fail(lx, w.pos, "expected TCP, UDP or ANY before PORT");
	else
		return fail(lx, w.pos, "expected TCP, UDP, ANY or ALL after %s, found %s",
		            action_word, found(lx, w.pos, fb, sizeof(fb)));

	if (!next_word(lx, &w))
		goto tail;
	if (word_is(&w, "port") || word_is(&w, "ports")) {
		if (all)
			return fail(lx, w.pos,
			            "ALL takes no PORT: write ANY PORT ... for TCP and UDP");
		rc = parse_list(lx, "a port N or range N-M", "PORT", port_item, &pc);
		if (rc < 0)
			return rc;
		skip_blanks(lx);
		if (lx->pos < lx->len && lx->s[lx->pos] == '(') {
			/* "Port 22 (SSH)": the service the ports are meant for */
			rc = parse_group(lx, "label", &r->hint);
			if (rc < 0)
				return rc;
			if (!next_word(lx, &w))
				goto tail;
			if (!word_is(&w, "from"))
				return fail(lx, w.pos,
				            "expected FROM, '(' label or end of line after the "
				            "service hint, found %s",
				            found(lx, w.pos, fb, sizeof(fb)));
		} else if (!next_word(lx, &w)) {
			goto tail;
		}
		if (digits(w.s, 1))
			return fail(lx, w.pos, "expected ',' between ports, found '%.*s'",
			            (int)(w.len > 40 ? 40 : w.len), w.s);
	} else if (digits(w.s, 1)) {
		return fail(lx, w.pos, "expected PORT before '%.*s'",
		            (int)(w.len > 40 ? 40 : w.len), w.s);
	}
	if (word_is(&w, "from")) {
		rc = parse_list(lx, "an address, ADDR/PREFIX or ANY", "FROM", addr_item, &ac);
		if (rc < 0)
			return rc;
		if (!next_word(lx, &w))
			goto tail;
		if (!word_is(&w, "port") && !word_is(&w, "ports") && !word_is(&w, "from"))
			return fail(lx, w.pos,
			            "expected ',' between addresses, '(' label or end of line, "
			            "found %s",
			            found(lx, w.pos, fb, sizeof(fb)));
	}
	if (word_is(&w, "port") || word_is(&w, "ports"))
		return fail(lx, w.pos, "PORT must come before FROM");
	if (word_is(&w, "from"))
		return fail(lx, w.pos, "FROM given twice: list the addresses after one FROM");
	return fail(lx, w.pos, "expected %sFROM, '(' label or end of line, found %s",
	            all || r->nports ? "" : "PORT, ", found(lx, w.pos, fb, sizeof(fb)));

tail:
	skip_blanks(lx);
	if (lx->pos < lx->len && lx->s[lx->pos] == '(') {
		rc = parse_group(lx, "label", &r->label);
		if (rc < 0)
			return rc;
	} else if (r->hint) {
		/* "Port 80 (Web)": one group is the hint and the label at once */
		r->label = strdup(r->hint);
		if (!r->label)
			return -ENOMEM;
	}
	if (!at_end(lx))
		return fail(lx, lx->pos, "expected %s, found %s",
		            r->label             ? "end of line after the label"
		            : r->nfrom || ac.any ? "',' or '(' label or end of line"
		            : all || r->nports   ? "FROM, '(' label or end of line"
		                                 : "PORT, FROM, '(' label or end of line",
		            found(lx, lx->pos, fb, sizeof(fb)));
	return 0;
}

static void rule_free(struct policy_rule *r)
{
	free(r->ports);
	free(r->from);
	free(r->label);
	free(r->hint);
	free(r->text);
}

int policy_parse_line(struct policy *p, const char *line, size_t len, unsigned lineno,
                      struct policy_error *err)
{
	struct lexer lx = {.s = line, .len = len, .line = lineno, .err = err};
	struct policy_rule r = {.line = lineno};
	size_t start, end;
	const char *nul = memchr(line, '\0', len);
	int rc;

	if (nul)
		lx.len = len = (size_t)(nul - line) + 1; /* the NUL is then an unexpected byte */
	if (len > POLICY_LINE_MAX)
		return fail(&lx, POLICY_LINE_MAX, "line longer than %d bytes", POLICY_LINE_MAX);
	if (at_end(&lx))
		return 0;
	start = lx.pos;
	rc = parse_rule(&lx, &r);
	if (rc < 0) {
		rule_free(&r);
		return rc;
	}
	/* The text ends before the comment and trailing blanks. */
	end = lx.pos;
	while (end > start && is_blank(line[end - 1]))
		end--;
	if (p->nrules >= POLICY_RULES_MAX) {
		rule_free(&r);
		fail(&lx, start, "too many rules (at most %d)", POLICY_RULES_MAX);
		return -E2BIG;
	}
	r.text = strndup(line + start, end - start);
	if (!r.text || GREEDY_REALLOC(p->rules, p->cap, p->nrules + 1) < 0) {
		rule_free(&r);
		return -ENOMEM;
	}
	p->rules[p->nrules++] = r;
	return 1;
}

static void add_error(const struct policy_error *e, struct policy_error *errs, size_t maxerr,
                      size_t *nerr)
{
	if (*nerr < maxerr)
		errs[*nerr] = *e;
	(*nerr)++;
}

int policy_read_buf(const char *buf, size_t len, struct policy *p, struct policy_error *errs,
                    size_t maxerr, size_t *nerr)
{
	struct policy_error e;
	unsigned lineno = 0;
	size_t pos = 0;
	int rc;

	*nerr = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		rc = policy_parse_line(p, buf + pos, l, lineno, &e);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			add_error(&e, errs, maxerr, nerr);
		if (rc == -E2BIG)
			break;
		pos += l + 1;
	}
	return *nerr ? -EINVAL : 0;
}

int policy_read(FILE *f, struct policy *p, struct policy_error *errs, size_t maxerr, size_t *nerr)
{
	/* One byte past the limit tells an overlong line; its rest is skipped. */
	char line[POLICY_LINE_MAX + 1];
	struct policy_error e;
	unsigned lineno = 0;
	size_t l = 0;
	int c, rc;

	*nerr = 0;
	for (;;) {
		c = getc(f);
		if (c != '\n' && c != EOF) {
			if (l < sizeof(line))
				line[l++] = (char)c;
			continue;
		}
		if (c == EOF && l == 0)
			break;
		lineno++;
		rc = policy_parse_line(p, line, l, lineno, &e);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			add_error(&e, errs, maxerr, nerr);
		if (rc == -E2BIG || c == EOF)
			break;
		l = 0;
	}
	if (ferror(f))
		return -EIO;
	return *nerr ? -EINVAL : 0;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	*p = (struct policy){0};
}

const char *policy_action_name(enum policy_action a)
{
	switch (a) {
	case POLICY_ALLOW:
		return "allow";
	case POLICY_DENY:
		return "deny";
	case POLICY_REJECT:
		return "reject";
	}
	return "?";
}
