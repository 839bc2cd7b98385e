/* A small seeded xorshift for the policy tests' random policies (same runs every time). */
#pragma once

#include <stdint.h>

/* A number in [0, n) from the state *s (never 0). */
static inline unsigned policy_rand(uint64_t *s, unsigned n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)(*s % n);
}
