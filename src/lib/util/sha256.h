/*
 * SHA-256 from the system's crypto library: OpenSSL on Linux (sha256-openssl.c),
 * BCrypt on Windows (sha256-windows.c).
 */
#pragma once

#include <stddef.h>

#define SHA256_LEN 32

/* The digest of len bytes at buf into md. Returns 0, or -ENOMEM when the library failed. */
int sha256_digest(const void *buf, size_t len, unsigned char md[SHA256_LEN]);
