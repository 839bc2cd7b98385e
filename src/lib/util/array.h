/*
 * Arrays: the element count of a fixed array, and growing a heap array by
 * doubling, with the multiplication checked (systemd's GREEDY_REALLOC).
 *
 *   struct row *v = NULL;  size_t n = 0, cap = 0;
 *   if (GREEDY_REALLOC(v, cap, n + 1) < 0)  return -ENOMEM;
 *   v[n++] = row;
 *
 * After a success v holds room for at least n + 1 elements; after a failure
 * v and cap are untouched (v still owns what it held).
 */
#pragma once

#include <stddef.h>

/* 0, or a compile error when a is a pointer rather than an array. */
#define ARRAY_MUST_BE_ARRAY(a)                                                                     \
	(sizeof(struct {                                                                           \
		 int must_be_array : 1 -                                                           \
		     2 * __builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0]));         \
	 }) *                                                                                      \
	 0)

/* The number of elements of a fixed array: ARRAY_SIZE((int[4]){0}) == 4. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + ARRAY_MUST_BE_ARRAY(a))

/*
 * Makes *p (of *cap elements of size bytes) hold at least need elements: the
 * new capacity is the larger of need and twice *cap, at least 4 KiB worth on
 * the first allocation. New elements are not initialised. Returns 0, or
 * -ENOMEM (out of memory, or need * size does not fit a size_t) with *p and
 * *cap untouched.
 * Example: cap 16, need 17, size 8 → cap 32; cap 16, need 10 → nothing done.
 */
int grow_array(void **p, size_t *cap, size_t need, size_t size);

/* grow_array() on a typed pointer p and its size_t capacity cap. */
#define GREEDY_REALLOC(p, cap, need) grow_array((void **)&(p), &(cap), (need), sizeof(*(p)))
