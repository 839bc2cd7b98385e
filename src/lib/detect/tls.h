/* TLS for service detection: an OpenSSL client that accepts any server, and what it learns. */
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>

struct detect_tls {
	bool handshake;   /* the handshake completed */
	char version[16]; /* "TLSv1.3" */
	char cipher[64];
	char subject[192]; /* RFC 2253: "CN=lab.example,O=Lab" */
	char issuer[192];
	char sans[256];     /* "DNS:lab.example, IP:198.18.0.2" */
	char not_after[24]; /* "2026-11-25T10:00:00Z" */
	char alpn[32];      /* protocol the server chose, "" when none */
};

/*
 * Returns a client context for probing: no certificate verification, every
 * protocol version and cipher OpenSSL still has (security level 0), ALPN
 * offering h2 and http/1.1. NULL when out of memory.
 */
SSL_CTX *tls_client_ctx_new(void);

/* Fills the certificate fields of out from cert. Returns 0 or -EINVAL for a NULL cert. */
int tls_cert_info(X509 *cert, struct detect_tls *out);

/* Fills out from an established session (version, cipher, ALPN, peer certificate). */
void tls_session_info(SSL *ssl, struct detect_tls *out);
