/*
 * A random permutation of [0, n), computed index by index, never materialised:
 * a keyed Feistel network over the smallest even-bit domain >= n with cycle
 * walking (values >= n are encrypted again until they fall inside).
 *
 *   struct perm p; perm_init(&p, 1000, seed);
 *   for (uint64_t i = 0; i < 1000; i++) use(perm_at(&p, i));
 *
 * visits every value of [0, 1000) exactly once, in an order fixed by seed.
 * n may be up to 2^62; n = 0 and n = 1 are valid.
 */
#pragma once

#include <stdint.h>

struct perm {
	uint64_t n;
	unsigned half_bits; /* each Feistel half has this many bits */
	uint64_t half_mask;
	uint64_t keys[4]; /* round keys derived from the seed */
};

void perm_init(struct perm *p, uint64_t n, uint64_t seed);

/* The i-th value of the permutation, for 0 <= i < n. */
uint64_t perm_at(const struct perm *p, uint64_t i);
