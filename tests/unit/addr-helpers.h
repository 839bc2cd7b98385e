/* Shared by the scan tests (test-scan-packet.c, test-scan-discprobe.c): addresses from text. */
#pragma once

#include <arpa/inet.h>

#include "net/targetspec.h"

/* An IPv4 target address from its text (the test fails on a typo). */
static inline struct target_addr v4(const char *s)
{
	struct target_addr a = {.family = AF_INET};

	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

/* An IPv6 target address from its text. */
static inline struct target_addr v6(const char *s)
{
	struct target_addr a = {.family = AF_INET6};

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}
