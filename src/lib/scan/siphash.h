/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, the
 * stateless validation of raw scans. A probe's sequence number (TCP) or the
 * check we keep for it is siphash24(key, 4-tuple); a reply that does not carry
 * it back was not caused by this scan and is ignored.
 *
 *   uint8_t key[16];  getrandom(key, 16, 0);
 *   uint64_t h = siphash24(key, buf, len);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The SipHash-2-4 of data[0..len) under the 16-byte key. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
