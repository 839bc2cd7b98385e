/* The OpenSSL side of tls.h, for tls.c and its tests. */
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "detect/tls.h"

/* The OpenSSL context of tls_ctx_new(): security level 0, ALPN h2 and http/1.1. */
SSL_CTX *tls_client_ctx_new(void);

/* Fills the certificate fields of out from cert. Returns 0 or -EINVAL for a NULL cert. */
int tls_cert_info(X509 *cert, struct detect_tls *out);

/* Fills out from an established session (version, cipher, ALPN, peer certificate). */
void tls_session_info(SSL *ssl, struct detect_tls *out);
