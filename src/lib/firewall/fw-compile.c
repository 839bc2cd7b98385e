/*
 * Compiling the model for quick evaluation: sets sorted (binary search over
 * disjoint intervals), base chains ordered by hook and priority, and each long
 * chain's rules indexed by the destination port they can match.
 *
 * Example: rules 0 "tcp dport 22 accept", 1 "iif lo accept", 2 "tcp dport
 * 1000-2000 drop" cut the port space into [0,22) [22,23) [23,1000)
 * [1000,2001) [2001,65536); a packet to port 1500 walks rules {2} merged with
 * the unconstrained {1}: 1, 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firewall/fw-private.h"

#define INDEX_MIN_RULES 16  /* shorter chains are walked whole */
#define INDEX_MAX_SEGS  256 /* a rule spanning more segments counts as unconstrained */

static int cmp_elem(const void *a, const void *b, void *w)
{
	return memcmp(((const struct fw_elem *)a)->lo, ((const struct fw_elem *)b)->lo,
	              *(unsigned *)w);
}

/* Sorts a one-component plain set by lower bound and merges overlaps. */
static void sort_set(struct fw_set *s)
{
	unsigned w;
	size_t out = 0;

	if (!s || s->single_sorted || s->ncomp != 1 || s->why)
		return;
	if (s->nelems < 2) {
		s->single_sorted = s->nelems == 0 || !s->elems[0].catchall;
		return;
	}
	for (size_t i = 0; i < s->nelems; i++)
		if (s->elems[i].catchall)
			return;
	w = s->keylen;
	qsort_r(s->elems, s->nelems, sizeof(*s->elems), cmp_elem, &w);
	if (s->kind == FW_MAP_NONE) {
		for (size_t i = 0; i < s->nelems; i++) {
			if (out && memcmp(s->elems[i].lo, s->elems[out - 1].hi, w) <= 0) {
				if (memcmp(s->elems[i].hi, s->elems[out - 1].hi, w) > 0)
					memcpy(s->elems[out - 1].hi, s->elems[i].hi, w);
				continue;
			}
			s->elems[out++] = s->elems[i];
		}
		s->nelems = out;
	} else {
		/* maps: overlapping keys would make the first listed win; keep linear then */
		for (size_t i = 1; i < s->nelems; i++)
			if (memcmp(s->elems[i].lo, s->elems[i - 1].hi, w) <= 0)
				return;
	}
	s->single_sorted = true;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The set of ports a rule can match, or NULL when it is unconstrained. */
static const struct fw_set *port_constraint(const struct fw_rule *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		const struct fw_item *it = &r->items[i];

		if (it->kind == FW_ITEM_MATCH) {
			const struct fw_match *m = &it->match;

			if (m->op == FW_OP_EQ && m->ncomp == 1 && m->comp[0].field == FW_F_DPORT &&
			    !m->has_mask && m->set && !m->set->why && m->set->kind == FW_MAP_NONE) {
				for (size_t k = 0; k < m->set->nelems; k++)
					if (m->set->elems[k].catchall)
						return NULL;
				return m->set;
			}
			continue;
		}
		if (it->kind == FW_ITEM_NOP || it->kind == FW_ITEM_UNKNOWN_COND)
			continue;
		if (it->kind == FW_ITEM_VMAP && it->match.ncomp == 1 &&
		    it->match.comp[0].field == FW_F_DPORT && it->match.set && !it->match.set->why) {
			for (size_t k = 0; k < it->match.set->nelems; k++)
				if (it->match.set->elems[k].catchall)
					return NULL;
			return it->match.set;
		}
		return NULL; /* an effect before any port match */
	}
	return NULL;
}

/* Index of the segment holding port p: the last seg_lo <= p. */
static size_t seg_of(const uint16_t *lo, size_t n, uint16_t p)
{
	size_t a = 0, b = n;

	while (b - a > 1) {
		size_t m = (a + b) / 2;

		if (lo[m] <= p)
			a = m;
		else
			b = m;
	}
	return a;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void index_free(struct fw_index *ix)
{
	if (!ix)
		return;
	free(ix->seg_lo);
	free(ix->seg_off);
	free(ix->rules);
	free(ix->uncon);
	free(ix);
}

/* Calls fn for every segment that rule r's constraint s covers. */
static size_t segs_covered(const struct fw_index *ix, const struct fw_set *s, size_t *first,
                           size_t *last, size_t k)
{
	uint16_t a = be16(s->elems[k].lo), b = be16(s->elems[k].hi);

	*first = seg_of(ix->seg_lo, ix->nseg, a);
	*last = seg_of(ix->seg_lo, ix->nseg, b);
	return *last - *first + 1;
}

static int build_index(struct fw_chain *c)
{
	struct fw_index *ix;
	const struct fw_set **cons;
	uint16_t *bounds;
	size_t nb = 0, total = 0;
	uint32_t *fill;

	cons = calloc(c->nrules, sizeof(*cons));
	if (!cons)
		return -ENOMEM;
	for (size_t i = 0; i < c->nrules; i++) {
		cons[i] = port_constraint(&c->rules[i]);
		if (cons[i])
			nb += 2 * cons[i]->nelems;
	}
	bounds = malloc((nb + 1) * sizeof(*bounds));
	ix = calloc(1, sizeof(*ix));
	if (!bounds || !ix) {
		free(cons);
		free(bounds);
		free(ix);
		return -ENOMEM;
	}
	nb = 0;
	bounds[nb++] = 0;
	for (size_t i = 0; i < c->nrules; i++)
		for (size_t k = 0; cons[i] && k < cons[i]->nelems; k++) {
			uint16_t a = be16(cons[i]->elems[k].lo), b = be16(cons[i]->elems[k].hi);

			bounds[nb++] = a;
			if (b < 65535)
				bounds[nb++] = (uint16_t)(b + 1);
		}
	qsort(bounds, nb, sizeof(*bounds), cmp_u16);
	ix->nseg = 0;
	for (size_t i = 0; i < nb; i++)
		if (i == 0 || bounds[i] != bounds[ix->nseg - 1])
			bounds[ix->nseg++] = bounds[i];
	ix->seg_lo = bounds;
	/* count, spill wide rules to the unconstrained list */
	ix->seg_off = calloc(ix->nseg + 1, sizeof(*ix->seg_off));
	ix->uncon = malloc(c->nrules * sizeof(*ix->uncon));
	if (!ix->seg_off || !ix->uncon)
		goto oom;
	for (size_t i = 0; i < c->nrules; i++) {
		size_t span = 0, f, l;

		for (size_t k = 0; cons[i] && k < cons[i]->nelems; k++)
			span += segs_covered(ix, cons[i], &f, &l, k);
		if (!cons[i] || span > INDEX_MAX_SEGS) {
			cons[i] = NULL;
			ix->uncon[ix->nuncon++] = (uint32_t)i;
			continue;
		}
		for (size_t k = 0; k < cons[i]->nelems; k++) {
			segs_covered(ix, cons[i], &f, &l, k);
			for (size_t sg = f; sg <= l; sg++)
				ix->seg_off[sg + 1]++;
		}
	}
	for (size_t sg = 0; sg < ix->nseg; sg++)
		ix->seg_off[sg + 1] += ix->seg_off[sg];
	total = ix->seg_off[ix->nseg];
	ix->rules = malloc((total + 1) * sizeof(*ix->rules));
	fill = calloc(ix->nseg + 1, sizeof(*fill));
	if (!ix->rules || !fill) {
		free(fill);
		goto oom;
	}
	for (size_t i = 0; i < c->nrules; i++)
		for (size_t k = 0; cons[i] && k < cons[i]->nelems; k++) {
			size_t f, l;

			segs_covered(ix, cons[i], &f, &l, k);
			for (size_t sg = f; sg <= l; sg++) {
				uint32_t *seg = ix->rules + ix->seg_off[sg];

				/* a rule whose intervals share a segment is listed once */
				if (fill[sg] && seg[fill[sg] - 1] == i)
					continue;
				seg[fill[sg]++] = (uint32_t)i;
			}
		}
	/* shrink each segment to what was filled (duplicates skipped) */
	{
		size_t out = 0;

		for (size_t sg = 0; sg < ix->nseg; sg++) {
			size_t start = ix->seg_off[sg];

			ix->seg_off[sg] = (uint32_t)out;
			memmove(ix->rules + out, ix->rules + start, fill[sg] * sizeof(*ix->rules));
			out += fill[sg];
		}
		ix->seg_off[ix->nseg] = (uint32_t)out;
	}
	free(fill);
	free(cons);
	c->index = ix;
	return 0;
oom:
	free(cons);
	index_free(ix);
	return -ENOMEM;
}

static int cmp_base(const void *a, const void *b)
{
	const struct fw_base *x = a, *y = b;

	if (x->hook != y->hook)
		return x->hook < y->hook ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int fw_compile(struct fw_ruleset *rs)
{
	size_t nbase = 0;

	for (size_t i = 0; i < rs->ntables; i++) {
		struct fw_table *t = &rs->tables[i];

		for (size_t j = 0; j < t->nsets; j++)
			sort_set(t->sets[j]);
		for (size_t j = 0; j < t->nchains; j++) {
			struct fw_chain *c = &t->chains[j];

			for (size_t k = 0; k < c->nrules; k++)
				for (size_t m = 0; m < c->rules[k].nitems; m++) {
					struct fw_item *it = &c->rules[k].items[m];

					if (it->match.set_owned)
						sort_set(it->match.set);
				}
			if (c->nrules >= INDEX_MIN_RULES && build_index(c) < 0)
				return -ENOMEM;
			if (c->base)
				nbase++;
		}
	}
	rs->bases = calloc(nbase + 1, sizeof(*rs->bases));
	if (!rs->bases)
		return -ENOMEM;
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++) {
			struct fw_chain *c = &rs->tables[i].chains[j];

			if (!c->base)
				continue;
			rs->bases[rs->nbases] = (struct fw_base){.hook = c->hook,
			                                         .prio = c->prio,
			                                         .seq = rs->nbases,
			                                         .table = &rs->tables[i],
			                                         .chain = c};
			rs->nbases++;
		}
	qsort(rs->bases, rs->nbases, sizeof(*rs->bases), cmp_base);
	return 0;
}

void fw_compile_free(struct fw_ruleset *rs)
{
	for (size_t i = 0; i < rs->ntables; i++)
		for (size_t j = 0; j < rs->tables[i].nchains; j++) {
			index_free(rs->tables[i].chains[j].index);
			rs->tables[i].chains[j].index = NULL;
		}
	free(rs->bases);
	rs->bases = NULL;
	rs->nbases = 0;
}
