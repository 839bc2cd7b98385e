/* Bounded number parsing: never atoi. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses the whole of s as a decimal unsigned integer in [min, max].
 * Returns 0 and stores the value, or a negative errno:
 *   -EINVAL  empty, a sign, trailing characters, not a number ("22x", "-1", "")
 *   -ERANGE  a number outside [min, max] ("70000" with max 65535)
 * Example: strnum_u64("443", 1, 65535, &v) returns 0 with v = 443.
 */
int strnum_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* As strnum_u64 but parses only the first len bytes of s. */
int strnum_u64n(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/* Returns true when s is non-empty and all decimal digits. */
bool strnum_is_digits(const char *s);
