/*
 * The first-match index of a policy (private to src/lib/policy/): which rule
 * decides each (protocol, source, port), without comparing rules pairwise.
 *
 * Every source prefix the rules name becomes a node of a prefix tree per
 * family (a rule without FROM sits at both roots, 0.0.0.0/0 and ::/0). Prefixes
 * are laminar: two are nested or disjoint. A node holds, per protocol plane
 * (TCP ports, UDP ports, "other": every protocol without ports), the first
 * match among the rules at that node as sorted segments of ports:
 *
 *   rules at 198.18.0.0/16:  3 ALLOW TCP PORT 8000-8100   5 DENY TCP PORT 8050-8200
 *   TCP plane:  [0-7999 none] [8000-8100 rule 3] [8101-8200 rule 5] [8201-65535 none]
 *
 * The rule that decides a packet from source x is the smallest rule index over
 * the nodes whose prefix holds x (the chain from the deepest such node up to
 * the root). Segment trees over each plane's segments answer "first segment
 * from k on whose rule is >= v" (or < v) in O(log n), so a walk over a rule's
 * region skips whole stretches another rule decides.
 *
 * Rules are indexed by their position in the policy; an index may cover a run
 * of rules [first, last) only (the compiler indexes runs).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define IX_NONE UINT32_MAX /* no rule */

enum ix_plane {
	IX_TCP,
	IX_UDP,
	IX_OTHER, /* protocols without ports: only port 0 exists */
	IX_PLANES,
};

/* Ports lo..hi decided by rule (an index into the policy, or IX_NONE). */
struct ix_seg {
	uint32_t lo, hi;
	uint32_t rule;
};

struct ix_plane_segs {
	struct ix_seg *seg; /* sorted and contiguous over the plane's ports; n == 0: no rule */
	size_t n;
	uint32_t *tmax, *tmin; /* segment trees over seg[].rule: leaves at [size, 2 size) */
	size_t size;
};

struct ix_node {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;    /* prefix length */
	uint8_t addr[16];
	uint32_t parent; /* IX_NONE for a root */
	uint32_t end;   /* one past the last node of this node's subtree (nodes are in pre-order) */
	uint32_t depth; /* 0 for a root */
	bool tiled;     /* the children cover the whole prefix: no address is the node's own */
	struct ix_plane_segs plane[IX_PLANES];
};

struct policy_index {
	const struct policy *p;
	size_t first, last; /* the rules indexed */
	struct ix_node *node;
	size_t nnodes;
	uint32_t root[2]; /* the IPv4 and IPv6 roots */
	uint32_t *src;    /* rule r's nodes: src[off[r - first] .. off[r - first + 1]) */
	size_t *off;
	struct policy_range **ranges; /* rule r's ports merged: ranges[r - first], nranges */
	size_t *nranges;
	struct policy_range *range_arena; /* where they live */
	uint32_t maxdepth;
};

/* The last port of a plane: 65535, or 0 for IX_OTHER. */
uint32_t ix_plane_max(enum ix_plane pl);

/* Whether rule r (a policy rule) has plane pl. */
bool ix_rule_has_plane(const struct policy_rule *r, enum ix_plane pl);

/*
 * Indexes rules [first, last) of p (p must outlive the index). Returns 0 with
 * *out, -EINVAL for a bad range, or -ENOMEM.
 */
int policy_index_build(const struct policy *p, size_t first, size_t last,
                       struct policy_index **out);
void policy_index_free(struct policy_index *ix);

/* The segment of node's plane that holds port (the plane must have segments). */
size_t ix_seg_find(const struct ix_plane_segs *ps, uint32_t port);

/* The first segment index >= k whose rule is >= v (ix_seg_ge) or < v (ix_seg_lt), or ps->n. */
size_t ix_seg_ge(const struct ix_plane_segs *ps, size_t k, uint32_t v);
size_t ix_seg_lt(const struct ix_plane_segs *ps, size_t k, uint32_t v);

/*
 * The rule that decides port in plane pl for a source in node's own region
 * (the smallest over the node and its ancestors), or IX_NONE; *last gets the
 * last port up to which that stays so.
 */
uint32_t ix_decider(const struct policy_index *ix, uint32_t node, enum ix_plane pl, uint32_t port,
                    uint32_t *last);

/*
 * The port ranges of rule r in plane pl as the linter asks about them: its
 * merged ranges, 1-65535 when it names none, 0-0 in IX_OTHER (*one holds those
 * two); none when the rule is not of that plane. Stores them in *out and
 * returns how many.
 */
size_t ix_rule_ranges(const struct policy_index *ix, size_t r, enum ix_plane pl,
                      struct policy_range *one, const struct policy_range **out);

/*
 * Whether rule r (first <= r < last) decides some packet: some port of its
 * ranges in some plane for some address of its sources is not decided by an
 * earlier rule.
 */
bool ix_rule_wins(const struct policy_index *ix, size_t r);
