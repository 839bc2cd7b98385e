/* The first-match index: a prefix tree of sources with port segments per protocol (index.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/index.h"
#include "util/array.h"

typedef unsigned __int128 u128;

/* One source prefix of one rule (or of no rule: the roots). */
struct rec {
	uint8_t family, len;
	uint8_t addr[16];
	uint32_t rule;
};

struct iv {
	uint32_t lo, hi, rule;
};

/* A scratch buffer that grows. */
struct scratch {
	struct iv *iv;
	size_t n, cap;
	struct iv *heap;
	size_t hcap;
	struct ix_seg *seg;
	size_t scap;
};

uint32_t ix_plane_max(enum ix_plane pl)
{
	return pl == IX_OTHER ? 0 : 65535;
}

bool ix_rule_has_plane(const struct policy_rule *r, enum ix_plane pl)
{
	static const unsigned bit[IX_PLANES] = {POLICY_P_TCP, POLICY_P_UDP, POLICY_P_OTHER};

	return r->protos & bit[pl];
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static unsigned family_bits(uint8_t family)
{
	return family == AF_INET ? 32 : 128;
}

/* Whether prefix (fa, la, a) holds prefix (fb, lb, b). */
static bool holds(uint8_t fa, uint8_t la, const uint8_t *a, uint8_t fb, uint8_t lb,
                  const uint8_t *b)
{
	unsigned full = la / 8, rest = la % 8;

	if (fa != fb || la > lb)
		return false;
	if (memcmp(a, b, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a[full] & mask) != (b[full] & mask))
			return false;
	}
	return true;
}

static u128 to_u128(const struct ix_node *n)
{
	unsigned bytes = n->family == AF_INET ? 4 : 16;
	u128 v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | n->addr[i];
	return v;
}

/* The last address of n's prefix. */
static u128 last_u128(const struct ix_node *n)
{
	unsigned host = family_bits(n->family) - n->len;
	u128 mask = host >= 128 ? ~(u128)0 : (((u128)1 << host) - 1);

	return to_u128(n) | mask;
}

/* Whether node id's children leave none of its addresses to it. */
static bool children_tile(const struct policy_index *ix, uint32_t id)
{
	const struct ix_node *n = &ix->node[id];
	u128 next = to_u128(n), last = last_u128(n);
	uint32_t c = id + 1;

	if (c >= n->end)
		return false;
	for (; c < n->end; c = ix->node[c].end) {
		if (to_u128(&ix->node[c]) != next)
			return false;
		if (last_u128(&ix->node[c]) == last)
			return ix->node[c].end == n->end;
		next = last_u128(&ix->node[c]) + 1;
	}
	return false;
}

static int cmp_iv_lo(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A min-heap of intervals by rule. */
static void heap_push(struct iv *h, size_t *n, struct iv v)
{
	size_t i = (*n)++;

	while (i > 0 && h[(i - 1) / 2].rule > v.rule) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(struct iv *h, size_t *n)
{
	struct iv v = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].rule < h[c].rule)
			c++;
		if (h[c].rule >= v.rule)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

static int seg_add(struct scratch *s, size_t *n, uint32_t lo, uint32_t hi, uint32_t rule)
{
	if (*n && s->seg[*n - 1].rule == rule && s->seg[*n - 1].hi + 1 == lo) {
		s->seg[*n - 1].hi = hi;
		return 0;
	}
	if (GREEDY_REALLOC(s->seg, s->scap, *n + 1) < 0)
		return -ENOMEM;
	s->seg[(*n)++] = (struct ix_seg){.lo = lo, .hi = hi, .rule = rule};
	return 0;
}

/*
 * The first match over s->iv (intervals with their rules) as contiguous
 * segments over 0..max, gaps as IX_NONE, into ps.
 */
static int plane_build(struct scratch *s, uint32_t max, struct ix_plane_segs *ps)
{
	size_t k = 0, hn = 0, n = 0, size = 1;
	uint32_t cur = 0;

	if (s->n == 0)
		return 0;
	if (GREEDY_REALLOC(s->heap, s->hcap, s->n) < 0)
		return -ENOMEM;
	qsort(s->iv, s->n, sizeof(*s->iv), cmp_iv_lo);
	for (;;) {
		uint32_t end;

		if (hn == 0) {
			if (k == s->n)
				break;
			if (s->iv[k].lo > cur) {
				if (seg_add(s, &n, cur, s->iv[k].lo - 1, IX_NONE) < 0)
					return -ENOMEM;
				cur = s->iv[k].lo;
			}
		}
		while (k < s->n && s->iv[k].lo <= cur)
			heap_push(s->heap, &hn, s->iv[k++]);
		while (hn && s->heap[0].hi < cur)
			heap_pop(s->heap, &hn);
		if (hn == 0)
			continue;
		end = s->heap[0].hi;
		if (k < s->n && s->iv[k].lo - 1 < end)
			end = s->iv[k].lo - 1;
		if (seg_add(s, &n, cur, end, s->heap[0].rule) < 0)
			return -ENOMEM;
		if (end >= max) {
			cur = max + 1;
			break;
		}
		cur = end + 1;
	}
	if (cur <= max && seg_add(s, &n, cur, max, IX_NONE) < 0)
		return -ENOMEM;

	while (size < n)
		size *= 2;
	/* one block: the segments, then both trees */
	ps->seg = malloc(n * sizeof(*ps->seg) + 4 * size * sizeof(uint32_t));
	if (!ps->seg)
		return -ENOMEM;
	ps->tmax = (uint32_t *)(ps->seg + n);
	ps->tmin = ps->tmax + 2 * size;
	memcpy(ps->seg, s->seg, n * sizeof(*ps->seg));
	ps->n = n;
	ps->size = size;
	for (size_t i = 0; i < size; i++) {
		ps->tmax[size + i] = i < n ? ps->seg[i].rule : 0;
		ps->tmin[size + i] = i < n ? ps->seg[i].rule : IX_NONE;
	}
	for (size_t i = size - 1; i >= 1; i--) {
		uint32_t a = ps->tmax[2 * i], b = ps->tmax[2 * i + 1];
		ps->tmax[i] = a > b ? a : b;
		a = ps->tmin[2 * i];
		b = ps->tmin[2 * i + 1];
		ps->tmin[i] = a < b ? a : b;
	}
	return 0;
}

size_t ix_seg_find(const struct ix_plane_segs *ps, uint32_t port)
{
	size_t lo = 0, hi = ps->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ps->seg[mid].lo <= port)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first leaf >= k satisfying want (over tree t: max or min), or n. */
static size_t seg_first(const struct ix_plane_segs *ps, const uint32_t *t, size_t k, uint32_t v,
                        bool ge)
{
	size_t i;

#define OK(x) (ge ? (x) >= v : (x) < v)
	if (k >= ps->n)
		return ps->n;
	i = k + ps->size;
	if (OK(t[i]))
		return k;
	for (;;) {
		if (i == 1)
			return ps->n;
		if ((i & 1) == 0 && OK(t[i + 1])) {
			i++;
			break;
		}
		i >>= 1;
	}
	while (i < ps->size) {
		i *= 2;
		if (!OK(t[i]))
			i++;
	}
#undef OK
	return i - ps->size < ps->n ? i - ps->size : ps->n;
}

size_t ix_seg_ge(const struct ix_plane_segs *ps, size_t k, uint32_t v)
{
	return seg_first(ps, ps->tmax, k, v, true);
}

size_t ix_seg_lt(const struct ix_plane_segs *ps, size_t k, uint32_t v)
{
	return seg_first(ps, ps->tmin, k, v, false);
}

uint32_t ix_decider(const struct policy_index *ix, uint32_t node, enum ix_plane pl, uint32_t port,
                    uint32_t *last)
{
	uint32_t best = IX_NONE, end = ix_plane_max(pl);

	for (uint32_t a = node; a != IX_NONE; a = ix->node[a].parent) {
		const struct ix_plane_segs *ps = &ix->node[a].plane[pl];
		const struct ix_seg *s;

		if (ps->n == 0)
			continue;
		s = &ps->seg[ix_seg_find(ps, port)];
		if (s->rule < best)
			best = s->rule;
		if (s->hi < end)
			end = s->hi;
	}
	if (last)
		*last = end;
	return best;
}

/* The last port from pos on that rules before r at node a decide without a break, or pos - 1. */
static uint32_t covered_until(const struct ix_plane_segs *ps, uint32_t pos, uint32_t r,
                              uint32_t max)
{
	size_t k, k2;

	if (ps->n == 0)
		return pos - 1;
	k = ix_seg_find(ps, pos);
	if (ps->seg[k].rule >= r)
		return pos - 1;
	k2 = ix_seg_ge(ps, k + 1, r);
	return k2 == ps->n ? max : ps->seg[k2].lo - 1;
}

/* Whether rules before r decide every port of lo..hi in plane pl for node's own addresses. */
static bool range_covered(const struct policy_index *ix, uint32_t node, enum ix_plane pl,
                          uint32_t lo, uint32_t hi, uint32_t r)
{
	uint32_t max = ix_plane_max(pl), pos = lo;

	for (;;) {
		uint32_t best = pos;

		for (uint32_t a = node; a != IX_NONE; a = ix->node[a].parent) {
			uint32_t e = covered_until(&ix->node[a].plane[pl], pos, r, max);
			if (e + 1 > best)
				best = e + 1;
		}
		if (best == pos)
			return false;
		if (best > hi)
			return true;
		pos = best;
	}
}

size_t ix_rule_ranges(const struct policy_index *ix, size_t r, enum ix_plane pl,
                      struct policy_range *one, const struct policy_range **out)
{
	if (!ix_rule_has_plane(&ix->p->rules[r], pl))
		return 0;
	if (pl == IX_OTHER || ix->p->rules[r].nports == 0) {
		*one =
		    pl == IX_OTHER ? (struct policy_range){0, 0} : (struct policy_range){1, 65535};
		*out = one;
		return 1;
	}
	*out = ix->ranges[r - ix->first];
	return ix->nranges[r - ix->first];
}

/* Whether rules before r decide all of rule r's ports in plane pl for every address of node. */
static bool node_covered(const struct policy_index *ix, uint32_t node, enum ix_plane pl, size_t r)
{
	const struct ix_node *n = &ix->node[node];
	const struct policy_range *v;
	struct policy_range one;
	size_t nv;

	if (n->tiled) {
		for (uint32_t c = node + 1; c < n->end; c = ix->node[c].end)
			if (!node_covered(ix, c, pl, r))
				return false;
		return true;
	}
	nv = ix_rule_ranges(ix, r, pl, &one, &v);
	for (size_t k = 0; k < nv; k++)
		if (!range_covered(ix, node, pl, v[k].lo, v[k].hi, (uint32_t)r))
			return false;
	return true;
}

bool ix_rule_wins(const struct policy_index *ix, size_t r)
{
	const struct policy_rule *rule = &ix->p->rules[r];
	size_t ri = r - ix->first;

	for (int pl = 0; pl < IX_PLANES; pl++) {
		if (!ix_rule_has_plane(rule, pl))
			continue;
		for (size_t k = ix->off[ri]; k < ix->off[ri + 1]; k++)
			if (!node_covered(ix, ix->src[k], pl, r))
				return true;
	}
	return false;
}

void policy_index_free(struct policy_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nnodes; i++)
		for (int pl = 0; pl < IX_PLANES; pl++)
			free(ix->node[i].plane[pl].seg);
	free(ix->range_arena);
	free(ix->ranges);
	free(ix->nranges);
	free(ix->node);
	free(ix->src);
	free(ix->off);
	free(ix);
}

/* Nodes from the sorted records: one per distinct prefix, parents, subtrees, depths. */
static int make_nodes(struct policy_index *ix, struct rec *recs, size_t nrec, uint32_t *rec_node)
{
	uint32_t *stack;
	size_t sp = 0;

	ix->node = calloc(nrec, sizeof(*ix->node));
	stack = malloc(nrec * sizeof(*stack));
	if (!ix->node || !stack) {
		free(stack);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nrec; i++) {
		const struct rec *r = &recs[i];
		struct ix_node *n;
		uint32_t id;

		if (i && r->family == recs[i - 1].family && r->len == recs[i - 1].len &&
		    !memcmp(r->addr, recs[i - 1].addr, 16)) {
			rec_node[i] = rec_node[i - 1];
			continue;
		}
		id = (uint32_t)ix->nnodes++;
		n = &ix->node[id];
		n->family = r->family;
		n->len = r->len;
		memcpy(n->addr, r->addr, 16);
		while (sp && !holds(ix->node[stack[sp - 1]].family, ix->node[stack[sp - 1]].len,
		                    ix->node[stack[sp - 1]].addr, n->family, n->len, n->addr))
			ix->node[stack[--sp]].end = id;
		n->parent = sp ? stack[sp - 1] : IX_NONE;
		n->depth = sp ? ix->node[n->parent].depth + 1 : 0;
		if (n->depth > ix->maxdepth)
			ix->maxdepth = n->depth;
		if (n->parent == IX_NONE)
			ix->root[n->family == AF_INET ? 0 : 1] = id;
		stack[sp++] = id;
		rec_node[i] = id;
	}
	while (sp)
		ix->node[stack[--sp]].end = (uint32_t)ix->nnodes;
	free(stack);
	for (size_t i = 0; i < ix->nnodes; i++)
		ix->node[i].tiled = children_tile(ix, (uint32_t)i);
	return 0;
}

/* The port intervals of the rules at one node (records recs[a..b)) in plane pl into s. */
static int gather(struct policy_index *ix, const struct rec *recs, size_t a, size_t b,
                  enum ix_plane pl, struct scratch *s)
{
	s->n = 0;
	for (size_t i = a; i < b; i++) {
		uint32_t r = recs[i].rule;
		const struct policy_rule *rule;
		size_t ri;

		if (r == IX_NONE)
			continue;
		rule = &ix->p->rules[r];
		ri = r - ix->first;
		if (!ix_rule_has_plane(rule, pl))
			continue;
		if (pl == IX_OTHER || rule->nports == 0) {
			if (GREEDY_REALLOC(s->iv, s->cap, s->n + 1) < 0)
				return -ENOMEM;
			s->iv[s->n++] = (struct iv){.lo = 0, .hi = ix_plane_max(pl), .rule = r};
			continue;
		}
		if (GREEDY_REALLOC(s->iv, s->cap, s->n + ix->nranges[ri]) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < ix->nranges[ri]; k++)
			s->iv[s->n++] = (struct iv){
			    .lo = ix->ranges[ri][k].lo, .hi = ix->ranges[ri][k].hi, .rule = r};
	}
	return 0;
}

static int build(struct policy_index *ix)
{
	const struct policy *p = ix->p;
	size_t nr = ix->last - ix->first, nrec = 2, nranges = 0, at;
	struct scratch s = {0};
	uint32_t *rec_node = NULL, *fill = NULL;
	struct rec *recs;
	int rc = -ENOMEM;

	for (size_t r = ix->first; r < ix->last; r++) {
		nrec += p->rules[r].nfrom ? p->rules[r].nfrom : 2;
		nranges += p->rules[r].nports;
	}
	ix->range_arena = malloc((nranges ? nranges : 1) * sizeof(*ix->range_arena));
	nranges = 0;
	recs = calloc(nrec, sizeof(*recs));
	ix->off = calloc(nr + 1, sizeof(*ix->off));
	ix->ranges = calloc(nr ? nr : 1, sizeof(*ix->ranges));
	ix->nranges = calloc(nr ? nr : 1, sizeof(*ix->nranges));
	rec_node = malloc(nrec * sizeof(*rec_node));
	if (!recs || !ix->off || !ix->ranges || !ix->nranges || !rec_node || !ix->range_arena)
		goto out;

	/* the two roots, even without rules */
	recs[0] = (struct rec){.family = AF_INET, .rule = IX_NONE};
	recs[1] = (struct rec){.family = AF_INET6, .rule = IX_NONE};
	at = 2;
	for (size_t r = ix->first; r < ix->last; r++) {
		const struct policy_rule *rule = &p->rules[r];

		ix->off[r - ix->first + 1] =
		    ix->off[r - ix->first] + (rule->nfrom ? rule->nfrom : 2);
		if (rule->nports) {
			ix->ranges[r - ix->first] = ix->range_arena + nranges;
			memcpy(ix->range_arena + nranges, rule->ports,
			       rule->nports * sizeof(*rule->ports));
			ix->nranges[r - ix->first] =
			    policy_ranges_merge(ix->range_arena + nranges, rule->nports);
			nranges += ix->nranges[r - ix->first];
		}
		if (rule->nfrom == 0) {
			recs[at++] = (struct rec){.family = AF_INET, .rule = (uint32_t)r};
			recs[at++] = (struct rec){.family = AF_INET6, .rule = (uint32_t)r};
			continue;
		}
		for (size_t k = 0; k < rule->nfrom; k++) {
			struct rec *x = &recs[at++];
			x->family = rule->from[k].family;
			x->len = rule->from[k].prefix;
			memcpy(x->addr, rule->from[k].bytes, 16);
			if (x->family == AF_INET)
				memset(x->addr + 4, 0, 12);
			x->rule = (uint32_t)r;
		}
	}
	qsort(recs, nrec, sizeof(*recs), cmp_rec);
	rc = make_nodes(ix, recs, nrec, rec_node);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;

	/* each rule's nodes */
	ix->src = malloc((ix->off[nr] ? ix->off[nr] : 1) * sizeof(*ix->src));
	fill = calloc(nr ? nr : 1, sizeof(*fill));
	if (!ix->src || !fill)
		goto out;
	for (size_t i = 0; i < nrec; i++) {
		size_t ri;
		if (recs[i].rule == IX_NONE)
			continue;
		ri = recs[i].rule - ix->first;
		ix->src[ix->off[ri] + fill[ri]++] = rec_node[i];
	}

	/* each node's planes: records of one node are adjacent */
	for (size_t a = 0, b; a < nrec; a = b) {
		for (b = a + 1; b < nrec && rec_node[b] == rec_node[a]; b++)
			;
		for (int pl = 0; pl < IX_PLANES; pl++) {
			rc = gather(ix, recs, a, b, pl, &s);
			if (rc == 0)
				rc = plane_build(&s, ix_plane_max(pl),
				                 &ix->node[rec_node[a]].plane[pl]);
			if (rc < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(recs);
	free(rec_node);
	free(fill);
	free(s.iv);
	free(s.heap);
	free(s.seg);
	return rc;
}

int policy_index_build(const struct policy *p, size_t first, size_t last, struct policy_index **out)
{
	struct policy_index *ix;
	int rc;

	if (first > last || last > p->nrules)
		return -EINVAL;
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	ix->p = p;
	ix->first = first;
	ix->last = last;
	ix->root[0] = ix->root[1] = IX_NONE;
	rc = build(ix);
	if (rc < 0) {
		policy_index_free(ix);
		return rc;
	}
	*out = ix;
	return 0;
}
