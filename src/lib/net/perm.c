/* Index permutation: a keyed Feistel network with cycle walking (see perm.h). */
#include "net/perm.h"

/* splitmix64's finaliser: a fast bijective mixer of 64 bits. */
static uint64_t perm_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

void perm_init(struct perm *p, uint64_t n, uint64_t seed)
{
	unsigned bits = 0;
	uint64_t state = seed;

	/* Bits needed to hold n - 1, rounded up to an even number (at least 2). */
	while (bits < 64 && n > 1 && ((n - 1) >> bits) != 0)
		bits++;
	if (bits < 2)
		bits = 2;
	bits += bits & 1;

	p->n = n;
	p->half_bits = bits / 2;
	p->half_mask = (UINT64_C(1) << p->half_bits) - 1;
	for (unsigned i = 0; i < 4; i++) {
		state += UINT64_C(0x9e3779b97f4a7c15);
		p->keys[i] = perm_mix(state);
	}
}

/* One pass of the 4-round Feistel network over the 2 * half_bits domain: a bijection. */
static uint64_t perm_encrypt(const struct perm *p, uint64_t x)
{
	uint64_t l = x >> p->half_bits, r = x & p->half_mask;

	for (unsigned i = 0; i < 4; i++) {
		uint64_t t = l ^ (perm_mix(r ^ p->keys[i]) & p->half_mask);
		l = r;
		r = t;
	}
	return (l << p->half_bits) | r;
}

uint64_t perm_at(const struct perm *p, uint64_t i)
{
	uint64_t x = i;

	if (p->n <= 1 || i >= p->n)
		return i;
	/*
	 * Cycle walking: the domain is less than 4n, so on average fewer than
	 * four passes land inside [0, n); the walk ends because x lies on a
	 * cycle of the bijection that contains i itself.
	 */
	do
		x = perm_encrypt(p, x);
	while (x >= p->n);
	return x;
}
