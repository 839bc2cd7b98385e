/*
 * The human reason that goes with a negative errno: library functions take an
 * optional (char *why, size_t whylen) buffer and fill it through these.
 *
 *   return why_err(why, whylen, -ERANGE, "port '%s' out of range 0-65535", word);
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Formats the reason into why when why is given (NULL or whylen 0: nothing). */
void why_set(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void why_vset(char *why, size_t whylen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* why_set(), then returns err. */
int why_err(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
