/*
 * Unit tests for the first-match index (src/lib/policy/index.c): on random
 * policies over a small world (ports 1-20, addresses in a /28 and a /124), the
 * rule the index says decides each (protocol, source, port) is the rule
 * policy_eval() finds by trying every rule in order, and a rule "wins"
 * exactly when some packet of that world is decided by it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy-rand.h"
#include "policy/index.h"
#include "policy/policy.h"

#define ROUNDS 400

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	return policy_rand(&rng, n);
}

/* A random source list: nothing, a prefix inside the /28 (or /124), or the whole family. */
static size_t put_from(char *buf, size_t len)
{
	size_t off = 0;
	unsigned n = rnd(3);

	if (n == 0)
		return 0;
	off += (size_t)snprintf(buf + off, len - off, " FROM ");
	for (unsigned i = 0; i < n; i++) {
		unsigned plen = 28 + rnd(5), host = rnd(16) & ~((1u << (32 - plen)) - 1);
		const char *sep = i ? ", " : "";

		switch (rnd(7)) {
		case 0:
			off += (size_t)snprintf(buf + off, len - off, "%s0.0.0.0/0", sep);
			break;
		case 1:
			off += (size_t)snprintf(buf + off, len - off, "%sfd00:5c09::%x/%u", sep,
			                        host, plen + 96);
			break;
		case 2:
			off += (size_t)snprintf(buf + off, len - off, "%s198.18.0.0/27", sep);
			break;
		default:
			off += (size_t)snprintf(buf + off, len - off, "%s198.18.0.%u/%u", sep, host,
			                        plen);
		}
	}
	return off;
}

static void random_policy(char *buf, size_t len)
{
	static const char *act[] = {"ALLOW", "DENY", "REJECT"};
	static const char *proto[] = {"TCP", "UDP", "ANY", "ALL"};
	unsigned nrules = 1 + rnd(14);
	size_t off = 0;

	for (unsigned i = 0; i < nrules; i++) {
		unsigned p = rnd(10) == 0 ? 3 : rnd(3);

		off += (size_t)snprintf(buf + off, len - off, "%s %s", act[rnd(3)], proto[p]);
		if (p != 3 && rnd(5)) {
			unsigned nports = 1 + rnd(3);
			off += (size_t)snprintf(buf + off, len - off, " PORT ");
			for (unsigned k = 0; k < nports; k++) {
				unsigned lo = 1 + rnd(20), hi = lo + rnd(6);
				if (hi > 20)
					hi = 20;
				off += (size_t)snprintf(buf + off, len - off, "%s%u", k ? "," : "",
				                        lo);
				if (hi > lo)
					off += (size_t)snprintf(buf + off, len - off, "-%u", hi);
			}
		}
		off += put_from(buf + off, len - off);
		off += (size_t)snprintf(buf + off, len - off, "\n");
	}
}

/* The deepest node of ix whose prefix holds a. */
static uint32_t node_of(const struct policy_index *ix, const struct policy_addr *a)
{
	uint32_t best = IX_NONE;

	for (uint32_t i = 0; i < ix->nnodes; i++) {
		const struct ix_node *n = &ix->node[i];
		struct policy_addr pa = {.family = n->family, .prefix = n->len};

		memcpy(pa.bytes, n->addr, 16);
		if (policy_addr_contains(&pa, a) &&
		    (best == IX_NONE || n->depth > ix->node[best].depth))
			best = i;
	}
	return best;
}

static void world_addr(unsigned i, struct policy_addr *a)
{
	char s[64];

	/* 16 addresses of the /28, one just past it, one far away; the same in IPv6 */
	if (i < 18)
		snprintf(s, sizeof(s), "198.18.%u.%u", i == 17 ? 7 : 0, i == 17 ? 1 : i);
	else
		snprintf(s, sizeof(s), "fd00:5c09::%x", i == 35 ? 0x1234 : i - 18);
	assert_int_equal(policy_addr_parse(s, strlen(s), a), 0);
}

static void test_index_agrees_with_eval(void **state)
{
	static const unsigned planes[] = {POLICY_P_TCP, POLICY_P_UDP, POLICY_P_OTHER};
	char doc[4096];
	size_t checked = 0, shadowed = 0;

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		struct policy_error errs[2];
		struct policy p = {0};
		struct policy_index *ix;
		bool won[16] = {false};
		size_t nerr;

		random_policy(doc, sizeof(doc));
		if (policy_read_buf(doc, strlen(doc), &p, errs, 2, &nerr) != 0)
			fail_msg("random policy does not parse: %s\n%s", errs[0].msg, doc);
		assert_int_equal(policy_index_build(&p, 0, p.nrules, &ix), 0);
		for (unsigned ai = 0; ai < 36; ai++) {
			struct policy_addr a;
			uint32_t node;

			world_addr(ai, &a);
			node = node_of(ix, &a);
			assert_int_not_equal(node, IX_NONE);
			for (int pl = 0; pl < IX_PLANES; pl++)
				for (uint32_t port = pl == IX_OTHER ? 0 : 1;
				     port <= (pl == IX_OTHER ? 0u : 22u); port++) {
					uint32_t q = port == 22 ? 65535 : port, last;
					ssize_t want = policy_eval(
					    &p, &(struct policy_packet){.proto = planes[pl],
					                                .port = (uint16_t)q,
					                                .from = &a});
					uint32_t got = ix_decider(ix, node, pl, q, &last);

					if ((want < 0 && got != IX_NONE) ||
					    (want >= 0 && got != (uint32_t)want))
						fail_msg("round %d: plane %d port %u from address "
						         "%u: index "
						         "says %d, eval %zd\n%s",
						         round, pl, q, ai, (int)got, want, doc);
					assert_true(last >= q);
					if (want >= 0)
						won[want] = true;
					checked++;
				}
		}
		for (size_t r = 0; r < p.nrules; r++) {
			if (ix_rule_wins(ix, r) != won[r])
				fail_msg("round %d: rule %zu ('%s') wins: index %d, world %d\n%s",
				         round, r, p.rules[r].text, ix_rule_wins(ix, r), won[r],
				         doc);
			shadowed += !won[r];
		}
		policy_index_free(ix);
		policy_free(&p);
	}
	/* the random world exercised both answers */
	assert_true(checked > 100000);
	assert_true(shadowed > 50);
}

/* Segment trees: the first segment with a rule at least / below a bound. */
static void test_segment_search(void **state)
{
	static const char doc[] = "ALLOW TCP PORT 10-20\n"
	                          "DENY TCP PORT 15-30\n"
	                          "ALLOW TCP PORT 100\n"
	                          "DENY TCP PORT 5-200\n";
	struct policy_error errs[1];
	struct policy p = {0};
	struct policy_index *ix;
	const struct ix_plane_segs *ps;
	size_t nerr;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 1, &nerr), 0);
	assert_int_equal(policy_index_build(&p, 0, p.nrules, &ix), 0);
	ps = &ix->node[ix->root[0]].plane[IX_TCP];
	/* [0-4 none] [5-9 r3] [10-20 r0] [21-30 r1] [31-99 r3] [100 r2] [101-200 r3] [201- none] */
	assert_int_equal(ps->n, 8);
	assert_int_equal(ps->seg[2].lo, 10);
	assert_int_equal(ps->seg[2].hi, 20);
	assert_int_equal(ps->seg[2].rule, 0);
	assert_int_equal(ps->seg[3].rule, 1);
	assert_int_equal(ps->seg[3].lo, 21);
	assert_int_equal(ps->seg[5].lo, 100);
	assert_int_equal(ps->seg[7].rule, IX_NONE);
	assert_int_equal(ix_seg_find(ps, 0), 0);
	assert_int_equal(ix_seg_find(ps, 30), 3);
	assert_int_equal(ix_seg_find(ps, 65535), 7);
	assert_int_equal(ix_seg_ge(ps, 0, 3), 0); /* none counts as >= any rule */
	assert_int_equal(ix_seg_ge(ps, 1, 3), 1);
	assert_int_equal(ix_seg_ge(ps, 2, 2), 4);
	assert_int_equal(ix_seg_ge(ps, 2, 4), 7);
	assert_int_equal(ix_seg_lt(ps, 0, 1), 2);
	assert_int_equal(ix_seg_lt(ps, 3, 1), ps->n);
	assert_int_equal(ix_seg_lt(ps, 3, 3), 3);
	/* rule 3 wins on 5-9; rule 1 on 21-30 */
	assert_true(ix_rule_wins(ix, 3));
	assert_true(ix_rule_wins(ix, 1));
	policy_index_free(ix);
	policy_free(&p);
}

/* Prefixes whose children cover them leave no address of their own. */
static void test_tiled(void **state)
{
	static const char doc[] = "ALLOW TCP PORT 22 FROM 198.18.0.0/31\n"
	                          "DENY TCP PORT 22 FROM 198.18.0.0/32\n"
	                          "DENY TCP PORT 22 FROM 198.18.0.1/32\n"
	                          "ALLOW TCP PORT 22 FROM 198.18.0.0/32, 198.18.0.1/32\n"
	                          "DENY TCP PORT 22 FROM 198.18.0.0/31\n";
	struct policy_error errs[1];
	struct policy p = {0};
	struct policy_index *ix;
	size_t nerr;

	(void)state;
	assert_int_equal(policy_read_buf(doc, strlen(doc), &p, errs, 1, &nerr), 0);
	assert_int_equal(policy_index_build(&p, 0, p.nrules, &ix), 0);
	assert_true(ix_rule_wins(ix, 0));
	assert_false(ix_rule_wins(ix, 1)); /* line 1 decides both addresses */
	assert_false(ix_rule_wins(ix, 3));
	assert_false(ix_rule_wins(ix, 4));
	policy_index_free(ix);
	policy_free(&p);
	assert_int_equal(policy_index_build(&p, 1, 0, &ix), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_agrees_with_eval),
	    cmocka_unit_test(test_segment_search),
	    cmocka_unit_test(test_tiled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
