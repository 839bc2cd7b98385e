/* PCRE2 matching of probe responses and version-template expansion. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/match.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_OVECTOR   32     /* group pairs kept; nmap's templates use $1-$9 */
#define MATCH_LIMIT     200000 /* backtracking bound against hostile banners */
#define MATCH_JIT_STACK (512 * 1024)
#define MATCH_JIT_AFTER 8 /* tries of a regex before it is JIT-compiled */

struct match_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
};

struct match_ctx *match_ctx_new(void)
{
	struct match_ctx *mc = calloc(1, sizeof(*mc));

	if (!mc)
		return NULL;
	mc->md = pcre2_match_data_create(MATCH_OVECTOR, NULL);
	mc->mctx = pcre2_match_context_create(NULL);
	mc->jit = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK, NULL);
	if (!mc->md || !mc->mctx) {
		match_ctx_free(mc);
		return NULL;
	}
	pcre2_set_match_limit(mc->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(mc->mctx, 10000);
	if (mc->jit)
		pcre2_jit_stack_assign(mc->mctx, NULL, mc->jit);
	return mc;
}

void match_ctx_free(struct match_ctx *mc)
{
	if (!mc)
		return;
	pcre2_match_data_free(mc->md);
	pcre2_match_context_free(mc->mctx);
	pcre2_jit_stack_free(mc->jit);
	free(mc);
}

int match_compile(struct probes_match *m, char *why, size_t whylen)
{
	uint32_t opts = 0;
	int err;
	PCRE2_SIZE off;
	pcre2_code *re;

	if (m->re_state > 0)
		return 0;
	if (m->re_state < 0) {
		if (why)
			snprintf(why, whylen, "line %u: regex does not compile", m->line);
		return -EINVAL;
	}
	if (m->flags & PROBES_RE_CASELESS)
		opts |= PCRE2_CASELESS;
	if (m->flags & PROBES_RE_DOTALL)
		opts |= PCRE2_DOTALL;
	re = pcre2_compile((PCRE2_SPTR)m->pattern, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
	if (!re) {
		m->re_state = -1;
		if (why) {
			PCRE2_UCHAR msg[120];

			pcre2_get_error_message(err, msg, sizeof(msg));
			snprintf(why, whylen, "line %u: regex error at offset %zu: %s", m->line,
			         (size_t)off, (char *)msg);
		}
		return -EINVAL;
	}
	m->re = re;
	m->re_state = 1;
	return 0;
}

void match_release(struct probes_match *m)
{
	if (m->re)
		pcre2_code_free(m->re);
	m->re = NULL;
	m->re_state = 0;
}

/* Appends c to out when it is printable and there is room. */
static void put(char *out, size_t outsize, size_t *o, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f && *o + 1 < outsize)
		out[(*o)++] = (char)c;
}

/* Parses a group number at *p (1-2 digits); returns it or -1. */
static int group_number(const char **p)
{
	int n = 0, digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 2) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	return digits ? n : -1;
}

/* Parses a "quoted" argument at *p into buf; returns 0 or -1. */
static int quoted(const char **p, char *buf, size_t bufsize)
{
	size_t n = 0;

	if (**p != '"')
		return -1;
	(*p)++;
	while (**p && **p != '"') {
		if (n + 1 < bufsize)
			buf[n++] = **p;
		(*p)++;
	}
	if (**p != '"')
		return -1;
	(*p)++;
	buf[n] = '\0';
	return 0;
}

static bool group_span(const size_t *ov, unsigned ngroups, int g, size_t *s, size_t *e)
{
	if (g < 0 || (unsigned)g >= ngroups || ov[2 * g] == PCRE2_UNSET ||
	    ov[2 * g + 1] < ov[2 * g])
		return false;
	*s = ov[2 * g];
	*e = ov[2 * g + 1];
	return true;
}

size_t match_expand(const char *tmpl, const uint8_t *subject, const size_t *ov, unsigned ngroups,
                    char *out, size_t outsize)
{
	const char *p = tmpl;
	size_t o = 0, s, e;

	if (!outsize)
		return 0;
	while (*p) {
		if (*p != '$') {
			put(out, outsize, &o, (unsigned char)*p++);
			continue;
		}
		p++;
		if (*p >= '0' && *p <= '9') {
			int g = *p++ - '0';

			if (group_span(ov, ngroups, g, &s, &e))
				for (size_t i = s; i < e; i++)
					put(out, outsize, &o, subject[i]);
		} else if (strncmp(p, "P(", 2) == 0) {
			const char *q = p + 2;
			int g = group_number(&q);

			if (*q != ')') {
				put(out, outsize, &o, '$');
				continue;
			}
			p = q + 1;
			if (group_span(ov, ngroups, g, &s, &e))
				for (size_t i = s; i < e; i++)
					put(out, outsize, &o, subject[i]);
		} else if (strncmp(p, "SUBST(", 6) == 0) {
			const char *q = p + 6;
			char from[32], to[32];
			int g = group_number(&q);
			size_t fl, tl;

			if (g < 0 || *q++ != ',' || quoted(&q, from, sizeof(from)) < 0 ||
			    *q++ != ',' || quoted(&q, to, sizeof(to)) < 0 || *q != ')') {
				put(out, outsize, &o, '$');
				continue;
			}
			p = q + 1;
			fl = strlen(from);
			tl = strlen(to);
			if (!group_span(ov, ngroups, g, &s, &e))
				continue;
			for (size_t i = s; i < e;) {
				if (fl && e - i >= fl && memcmp(subject + i, from, fl) == 0) {
					for (size_t k = 0; k < tl; k++)
						put(out, outsize, &o, (unsigned char)to[k]);
					i += fl;
				} else {
					put(out, outsize, &o, subject[i++]);
				}
			}
		} else if (strncmp(p, "I(", 2) == 0) {
			const char *q = p + 2;
			char dir[4];
			int g = group_number(&q);
			unsigned long long v = 0;
			char num[24];

			if (g < 0 || *q++ != ',' || quoted(&q, dir, sizeof(dir)) < 0 || *q != ')' ||
			    (strcmp(dir, ">") != 0 && strcmp(dir, "<") != 0)) {
				put(out, outsize, &o, '$');
				continue;
			}
			p = q + 1;
			if (!group_span(ov, ngroups, g, &s, &e) || e - s > 8)
				continue;
			for (size_t i = 0; i < e - s; i++) {
				size_t at = dir[0] == '>' ? s + i : e - 1 - i;

				v = v << 8 | subject[at];
			}
			snprintf(num, sizeof(num), "%llu", v);
			for (char *c = num; *c; c++)
				put(out, outsize, &o, (unsigned char)*c);
		} else {
			put(out, outsize, &o, '$');
		}
	}
	out[o] = '\0';
	return o;
}

static void fill(struct detect_service *svc, const struct probes_match *m, const uint8_t *buf,
                 const size_t *ov, unsigned ngroups)
{
	struct {
		char *dst;
		size_t size;
	} slots[PROBES_NFIELDS] = {
	    [PROBES_F_PRODUCT] = {svc->product, sizeof(svc->product)},
	    [PROBES_F_VERSION] = {svc->version, sizeof(svc->version)},
	    [PROBES_F_INFO] = {svc->extrainfo, sizeof(svc->extrainfo)},
	    [PROBES_F_HOSTNAME] = {svc->hostname, sizeof(svc->hostname)},
	    [PROBES_F_OSTYPE] = {svc->ostype, sizeof(svc->ostype)},
	    [PROBES_F_DEVICETYPE] = {svc->devicetype, sizeof(svc->devicetype)},
	};

	*svc = (struct detect_service){.soft = m->soft};
	service_set(svc, name, m->service);
	for (int f = 0; f < PROBES_NFIELDS; f++)
		if (m->field[f])
			match_expand(m->field[f], buf, ov, ngroups, slots[f].dst, slots[f].size);
	for (unsigned c = 0; c < m->ncpe; c++) {
		char cpe[128], full[136];

		match_expand(m->cpe[c], buf, ov, ngroups, cpe, sizeof(cpe));
		snprintf(full, sizeof(full), "cpe:/%s", cpe);
		service_add_cpe(svc, full);
	}
}

int match_try(struct match_ctx *mc, struct probes_match *m, const uint8_t *buf, size_t len,
              struct detect_service *svc)
{
	int rc = match_compile(m, NULL, 0);
	PCRE2_SIZE *ov;

	if (rc < 0)
		return rc;
	/*
	 * The JIT pays for itself on regexes tried often (the NULL probe's, on every greeting);
	 * compiling all ~12,000 at once cost seconds that every endpoint's clock counted. Without
	 * it (no JIT support, no memory) the interpreter runs.
	 */
	if (++m->tries == MATCH_JIT_AFTER)
		(void)pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);
	rc = pcre2_match(m->re, buf, len, 0, 0, mc->md, mc->mctx);
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT ||
	    rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		return 0; /* a pathological banner is simply no match */
	if (rc == PCRE2_ERROR_NOMEMORY)
		return -ENOMEM;
	if (rc < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(mc->md);
	fill(svc, m, buf, ov, rc == 0 ? MATCH_OVECTOR : (unsigned)rc);
	return 1;
}

int match_probe(struct match_ctx *mc, struct probes_file *pf, const struct probes_probe *probe,
                const uint8_t *buf, size_t len, struct detect_service *svc)
{
	const struct probes_probe *chain[1 + 16 + 1];
	size_t nchain = 0;
	char soft_name[sizeof(svc->name)] = "";
	struct detect_service soft = {0};

	chain[nchain++] = probe;
	for (size_t f = 0; f < probe->nfallback && f < 16 && probe->fallback; f++)
		if (probe->fallback[f] >= 0 && &pf->probes[probe->fallback[f]] != probe)
			chain[nchain++] = &pf->probes[probe->fallback[f]];
	if (probe->proto == PROBES_TCP && pf->null_probe >= 0) {
		const struct probes_probe *null = &pf->probes[pf->null_probe];
		bool have = false;

		for (size_t i = 0; i < nchain; i++)
			have |= chain[i] == null;
		if (!have)
			chain[nchain++] = null;
	}
	for (size_t c = 0; c < nchain; c++) {
		const struct probes_probe *p = chain[c];

		for (size_t i = 0; i < p->nmatches; i++) {
			struct probes_match *m = &p->matches[i];
			struct detect_service got;
			int rc;

			if (soft_name[0] && (m->soft || strcmp(m->service, soft_name) != 0))
				continue;
			rc = match_try(mc, m, buf, len, &got);
			if (rc == -ENOMEM)
				return rc;
			if (rc <= 0)
				continue;
			if (!m->soft) {
				*svc = got;
				return 1;
			}
			soft = got;
			service_copy_printable(soft_name, sizeof(soft_name), m->service,
			                       strlen(m->service));
		}
	}
	if (soft_name[0]) {
		*svc = soft;
		return 2;
	}
	return 0;
}
