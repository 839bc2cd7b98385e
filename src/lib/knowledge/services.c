#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "knowledge/kb-private.h"
#include "knowledge/services.h"
#include "util/array.h"
#include "util/input.h"
#include "util/strnum.h"

#define KB_FILE_MAX (64u << 20) /* refuse services files above 64 MiB */
#define DUP_WINDOW  64          /* records of one port compared for duplicates */

static const char *const proto_names[KB_PROTO_COUNT] = {
    [KB_PROTO_TCP] = "tcp",
    [KB_PROTO_UDP] = "udp",
    [KB_PROTO_SCTP] = "sctp",
};

const char *kb_proto_name(int proto)
{
	if (proto < 0 || proto >= KB_PROTO_COUNT)
		return NULL;
	return proto_names[proto];
}

int kb_proto_parse(const char *s, size_t len)
{
	if (!s)
		return -EINVAL;
	for (int p = 0; p < KB_PROTO_COUNT; p++)
		if (strlen(proto_names[p]) == len && strncasecmp(s, proto_names[p], len) == 0)
			return p;
	return -EINVAL;
}

const char *kb_source_name(int source)
{
	switch (source) {
	case KB_SRC_ETC:
		return "etc-services";
	case KB_SRC_NMAP:
		return "nmap-services";
	}
	return NULL;
}

struct kb *kb_new(void)
{
	return calloc(1, sizeof(struct kb));
}

void kb_free(struct kb *kb)
{
	struct kb_block *b, *next;

	if (!kb)
		return;
	for (b = kb->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	for (int p = 0; p < KB_PROTO_COUNT; p++)
		free(kb->ranked[p]);
	free(kb->names);
	free(kb->name_slots);
	free(kb->recs);
	free(kb);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits [p, end) into at most max whitespace-separated tokens, NUL-terminating each. */
static size_t tokenize(char *p, char *end, char **tok, size_t max)
{
	size_t n = 0;

	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		if (n == max)
			return max + 1; /* too many */
		tok[n++] = p;
		while (p < end && !is_space(*p))
			p++;
		*p = '\0'; /* p < end, or p == end which is the line's own terminator */
		if (p < end)
			p++;
	}
	return n;
}

/* Trims [p, end) and NUL-terminates it; returns NULL when empty. */
static const char *trim(char *p, char *end)
{
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return NULL;
	*end = '\0';
	return p;
}

/* Parses "PORT/PROTO". Returns 0, -EINVAL (malformed) or -EPROTONOSUPPORT (another protocol). */
static int parse_portproto(const char *s, uint16_t *port, uint8_t *proto)
{
	const char *slash = strchr(s, '/');
	uint64_t v;
	int p;

	if (!slash || strnum_u64n(s, (size_t)(slash - s), 0, 65535, &v) < 0)
		return -EINVAL;
	if (slash[1] == '\0')
		return -EINVAL;
	p = kb_proto_parse(slash + 1, strlen(slash + 1));
	if (p < 0)
		return -EPROTONOSUPPORT;
	*port = (uint16_t)v;
	*proto = (uint8_t)p;
	return 0;
}

/* Parses an nmap open-frequency: a plain decimal in [0, 1]. */
static int parse_freq(const char *s, double *out)
{
	char *end;
	double f;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	f = strtod(s, &end);
	if (errno || *end || !isfinite(f) || f < 0.0 || f > 1.0)
		return -EINVAL;
	*out = f;
	return 0;
}

static int push_record(struct kb *kb, const struct kb_service *rec)
{
	if (GREEDY_REALLOC(kb->recs, kb->caprecs, kb->nrecs + 1) < 0)
		return -ENOMEM;
	kb->recs[kb->nrecs++] = *rec;
	return 0;
}

/*
 * Parses one line [p, end) where *end may be overwritten. Returns 1 when a
 * record was kept, 0 for a blank or comment line, -EINVAL when skipped,
 * -ENOMEM.
 */
static int parse_line(struct kb *kb, char *p, char *end, enum kb_source source)
{
	struct kb_service rec = {.freq = -1.0};
	char *hash = memchr(p, '#', (size_t)(end - p));
	char *tok[64];
	size_t n;

	if (hash) {
		rec.comment = trim(hash + 1, end);
		end = hash;
	}
	n = tokenize(p, end, tok, ARRAY_SIZE(tok));
	if (n == 0)
		return 0;
	if (n < 2 || n > ARRAY_SIZE(tok) || strlen(tok[0]) >= KB_NAME_MAX)
		return -EINVAL;
	if (parse_portproto(tok[1], &rec.port, &rec.proto) < 0)
		return -EINVAL;
	rec.name = tok[0];
	rec.source = (uint8_t)source;
	if (source == KB_SRC_NMAP) {
		if (n != 3 || parse_freq(tok[2], &rec.freq) < 0)
			return -EINVAL;
		rec.aliases = "";
	} else {
		/* Aliases: pack them back to back after the name's token, in place. */
		char *dst = tok[1];
		rec.aliases = n > 2 ? tok[2] : "";
		if (n > 2) {
			dst = tok[2];
			for (size_t i = 2; i < n; i++) {
				size_t len = strlen(tok[i]);
				if (len >= KB_NAME_MAX)
					return -EINVAL;
				memmove(dst, tok[i], len + 1);
				dst += len + 1;
			}
		}
		rec.naliases = (uint16_t)(n - 2);
	}
	rec.order = (uint32_t)kb->nrecs;
	if (push_record(kb, &rec) < 0)
		return -ENOMEM;
	return 1;
}

int kb_parse(struct kb *kb, const char *buf, size_t len, enum kb_source source,
             struct kb_parse_stats *st)
{
	struct kb_parse_stats local = {0};
	struct kb_block *b;
	char *p, *end;

	if (!kb || (!buf && len) || (source != KB_SRC_ETC && source != KB_SRC_NMAP))
		return -EINVAL;
	if (kb->final)
		return -EBUSY;
	if (len > KB_FILE_MAX)
		return -EFBIG;
	b = malloc(sizeof(*b) + len + 1);
	if (!b)
		return -ENOMEM;
	if (len)
		memcpy(b->text, buf, len);
	b->text[len] = '\0';
	b->next = kb->blocks;
	kb->blocks = b;
	kb->loaded[source] = true;

	p = b->text;
	end = b->text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		int rc;

		local.lines++;
		*eol = '\0';
		rc = parse_line(kb, p, eol, source);
		if (rc == -ENOMEM)
			return -ENOMEM;
		if (rc == 1) {
			local.records++;
		} else if (rc < 0) {
			local.skipped++;
			if (!local.bad_line)
				local.bad_line = local.lines;
		}
		p = eol + 1;
	}
	if (st)
		*st = local;
	return 0;
}

/* Writes "WHAT PATH: strerror(err)" to why. */
static void set_why(char *why, size_t whylen, const char *what, const char *path, int err)
{
	if (why && whylen)
		snprintf(why, whylen, "%s %s: %s", what, path, strerror(err));
}

int kb_load_file(struct kb *kb, const char *path, enum kb_source source, struct kb_parse_stats *st,
                 char *why, size_t whylen)
{
	const struct input_limits lim = {.max_bytes = KB_FILE_MAX, .max_line = 65536};
	char *buf;
	size_t len;
	int rc = input_slurp(path, &lim, &buf, &len, why, whylen);

	if (rc < 0)
		return rc;
	rc = kb_parse(kb, buf, len, source, st);
	free(buf);
	if (rc < 0)
		set_why(why, whylen, "cannot load", path, -rc);
	return rc;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct kb_service *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->freq != y->freq)
		return x->freq > y->freq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool same_rec(const struct kb_service *x, const struct kb_service *y)
{
	return x->proto == y->proto && x->port == y->port && x->source == y->source &&
	       strcasecmp(x->name, y->name) == 0;
}

/* FNV-1a over the lower-cased name: the name index is case-insensitive. */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p;
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int cmp_portproto(const void *a, const void *b)
{
	const struct kb_portproto *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->proto < y->proto ? -1 : x->proto > y->proto;
}

static int cmp_ranked(const void *a, const void *b)
{
	const struct kb_ranked *x = a, *y = b;

	if (x->freq != y->freq)
		return x->freq > y->freq ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static bool is_unknown(const struct kb_service *s)
{
	return s->source == KB_SRC_NMAP && strcmp(s->name, "unknown") == 0;
}

static void name_insert(struct kb *kb, const char *key, uint32_t entry, size_t *k)
{
	size_t h = name_hash(key) & kb->name_mask;

	kb->names[*k] = (struct kb_name_ref){.key = key, .entry = entry};
	while (kb->name_slots[h])
		h = (h + 1) & kb->name_mask;
	kb->name_slots[h] = (uint32_t)++ * k;
}

/* An open-addressing hash of every name and alias, at most half full. */
static int build_names(struct kb *kb)
{
	size_t n = 0, k = 0, slots = 16;

	for (size_t i = 0; i < kb->nrecs; i++)
		if (!is_unknown(&kb->recs[i]))
			n += 1 + kb->recs[i].naliases;
	if (n >= UINT32_MAX / 2)
		return -ENOMEM;
	while (slots < 2 * n)
		slots *= 2;
	kb->names = malloc((n ? n : 1) * sizeof(*kb->names));
	kb->name_slots = calloc(slots, sizeof(*kb->name_slots));
	if (!kb->names || !kb->name_slots)
		return -ENOMEM;
	kb->name_mask = slots - 1;
	for (size_t i = 0; i < kb->nrecs; i++) {
		const struct kb_service *s = &kb->recs[i];
		if (is_unknown(s))
			continue;
		name_insert(kb, s->name, (uint32_t)i, &k);
		for (unsigned a = 0; a < s->naliases; a++)
			name_insert(kb, kb_service_alias(s, a), (uint32_t)i, &k);
	}
	kb->nnames = k;
	return 0;
}

static int build_ranked(struct kb *kb)
{
	for (size_t i = 0; i < kb->nrecs; i++) {
		const struct kb_service *s = &kb->recs[i];
		/* Records are sorted: the first nmap one of a port has its highest frequency. */
		if (s->source != KB_SRC_NMAP || s->port == 0 || s->freq <= 0.0)
			continue;
		if (i > 0 && kb->recs[i - 1].source == KB_SRC_NMAP &&
		    kb->recs[i - 1].proto == s->proto && kb->recs[i - 1].port == s->port)
			continue;
		if (!kb->ranked[s->proto]) {
			kb->ranked[s->proto] = malloc(65536 * sizeof(struct kb_ranked));
			if (!kb->ranked[s->proto])
				return -ENOMEM;
		}
		kb->ranked[s->proto][kb->nranked[s->proto]++] =
		    (struct kb_ranked){.port = s->port, .freq = s->freq};
	}
	for (int p = 0; p < KB_PROTO_COUNT; p++)
		if (kb->ranked[p])
			qsort(kb->ranked[p], kb->nranked[p], sizeof(struct kb_ranked), cmp_ranked);
	return 0;
}

/*
 * Sorts the records by cmp_rec(): a stable counting sort on (proto, port),
 * linear in the records, then a qsort() of each run of one port (a handful
 * of records: /etc/services first, then nmap by frequency).
 */
static int sort_records(struct kb *kb)
{
	const size_t nkeys = (size_t)KB_PROTO_COUNT << 16;
	struct kb_service *out;
	uint32_t *pos;
	size_t i, j;

	if (kb->nrecs < 2)
		return 0;
	pos = calloc(nkeys + 1, sizeof(*pos));
	out = malloc(kb->nrecs * sizeof(*out));
	if (!pos || !out) {
		free(pos);
		free(out);
		return -ENOMEM;
	}
	for (i = 0; i < kb->nrecs; i++)
		pos[((size_t)kb->recs[i].proto << 16 | kb->recs[i].port) + 1]++;
	for (i = 1; i <= nkeys; i++)
		pos[i] += pos[i - 1];
	for (i = 0; i < kb->nrecs; i++)
		out[pos[(size_t)kb->recs[i].proto << 16 | kb->recs[i].port]++] = kb->recs[i];
	free(pos);
	free(kb->recs);
	kb->recs = out;
	kb->caprecs = kb->nrecs;
	for (i = 0; i < kb->nrecs; i = j) {
		for (j = i + 1; j < kb->nrecs && kb->recs[j].port == kb->recs[i].port &&
		                kb->recs[j].proto == kb->recs[i].proto;
		     j++)
			;
		if (j - i > 1)
			qsort(&kb->recs[i], j - i, sizeof(*kb->recs), cmp_rec);
	}
	return 0;
}

int kb_finalize(struct kb *kb)
{
	size_t w = 0;
	int rc;

	if (!kb)
		return -EINVAL;
	if (kb->final)
		return 0;
	rc = sort_records(kb);
	if (rc < 0)
		return rc;
	/*
	 * Drop repeated (proto, port, source, name): the first one loaded wins.
	 * Only the last DUP_WINDOW records of the same port are compared, which
	 * bounds the work on hostile files.
	 */
	for (size_t r = 0; r < kb->nrecs; r++) {
		bool dup = false;
		for (size_t j = w; j > 0 && w - j < DUP_WINDOW; j--) {
			const struct kb_service *prev = &kb->recs[j - 1];
			if (prev->proto != kb->recs[r].proto || prev->port != kb->recs[r].port ||
			    prev->source != kb->recs[r].source)
				break;
			if (same_rec(prev, &kb->recs[r])) {
				dup = true;
				break;
			}
		}
		if (!dup)
			kb->recs[w++] = kb->recs[r];
	}
	kb->nrecs = w;
	rc = build_names(kb);
	if (rc == 0)
		rc = build_ranked(kb);
	if (rc < 0)
		return rc;
	kb->final = true;
	return 0;
}

static int load_one(struct kb *kb, const char *given, const char *def, enum kb_source source,
                    char *why, size_t whylen)
{
	const char *path = given ? given : def;
	int rc;

	if (given && !*given)
		return 0;
	rc = kb_load_file(kb, path, source, NULL, why, whylen);
	if (rc == -ENOENT && !given) {
		if (why && whylen)
			why[0] = '\0';
		return 0; /* the default file is optional (nmap not installed) */
	}
	return rc;
}

int kb_load(const struct kb_paths *paths, struct kb **out, char *why, size_t whylen)
{
	static const struct kb_paths defaults = {0};
	struct kb *kb;
	int rc;

	if (!out)
		return -EINVAL;
	if (!paths)
		paths = &defaults;
	kb = kb_new();
	if (!kb)
		return -ENOMEM;
	rc = load_one(kb, paths->etc_services, KB_ETC_SERVICES, KB_SRC_ETC, why, whylen);
	if (rc == 0)
		rc = load_one(kb, paths->nmap_services, KB_NMAP_SERVICES, KB_SRC_NMAP, why, whylen);
	if (rc == 0)
		rc = kb_finalize(kb);
	if (rc < 0) {
		kb_free(kb);
		return rc;
	}
	*out = kb;
	return 0;
}

bool kb_has_source(const struct kb *kb, enum kb_source source)
{
	return kb && (source == KB_SRC_ETC || source == KB_SRC_NMAP) && kb->loaded[source];
}

size_t kb_size(const struct kb *kb)
{
	return kb && kb->final ? kb->nrecs : 0;
}

size_t kb_port_services(const struct kb *kb, uint16_t port, enum kb_proto proto,
                        const struct kb_service **out)
{
	size_t lo = 0, hi, first;

	if (out)
		*out = NULL;
	if (!kb || !kb->final || (unsigned)proto >= KB_PROTO_COUNT)
		return 0;
	/* Lower bound of (proto, port). */
	hi = kb->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct kb_service *s = &kb->recs[mid];
		if (s->proto < proto || (s->proto == proto && s->port < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < kb->nrecs && kb->recs[lo].proto == proto && kb->recs[lo].port == port)
		lo++;
	if (lo == first)
		return 0;
	if (out)
		*out = &kb->recs[first];
	return lo - first;
}

int kb_service_ports(const struct kb *kb, const char *name, struct kb_portproto *out, size_t max)
{
	struct kb_portproto *found;
	size_t h, n = 0, total = 0;

	if (!kb || !name || (max && !out))
		return -EINVAL;
	if (!kb->final || !kb->nnames)
		return 0;
	/* Matching refs sit in one probe run; collect them, sort, drop repeats. */
	h = name_hash(name) & kb->name_mask;
	for (size_t i = h; kb->name_slots[i]; i = (i + 1) & kb->name_mask)
		if (strcasecmp(kb->names[kb->name_slots[i] - 1].key, name) == 0)
			n++;
	if (n == 0)
		return 0;
	found = malloc(n * sizeof(*found));
	if (!found)
		return -ENOMEM;
	n = 0;
	for (size_t i = h; kb->name_slots[i]; i = (i + 1) & kb->name_mask) {
		const struct kb_name_ref *ref = &kb->names[kb->name_slots[i] - 1];
		if (strcasecmp(ref->key, name) == 0)
			found[n++] = (struct kb_portproto){.port = kb->recs[ref->entry].port,
			                                   .proto = kb->recs[ref->entry].proto};
	}
	qsort(found, n, sizeof(*found), cmp_portproto);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && cmp_portproto(&found[i - 1], &found[i]) == 0)
			continue;
		if (total < max)
			out[total] = found[i];
		total++;
	}
	free(found);
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

const char *kb_service_name(const struct kb *kb, uint16_t port, enum kb_proto proto)
{
	const struct kb_service *s;
	size_t n = kb_port_services(kb, port, proto, &s);

	for (size_t i = 0; i < n; i++)
		if (!is_unknown(&s[i]))
			return s[i].name; /* etc-services sort first, then nmap by frequency */
	return NULL;
}

const char *kb_service_alias(const struct kb_service *s, unsigned i)
{
	const char *a = s->aliases;

	if (i >= s->naliases)
		return NULL;
	while (i--)
		a += strlen(a) + 1;
	return a;
}
