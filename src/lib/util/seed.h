/*
 * Seeds for the permutations and questions that want a fresh order on each
 * run (not keys: a SipHash cookie key takes getrandom() and fails without it).
 */
#pragma once

#include <stdint.h>

/*
 * 64 random bits from getrandom(); when the kernel has none to give, the
 * clocks and the pid mixed together.
 */
uint64_t seed_random(void);
