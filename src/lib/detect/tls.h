/*
 * TLS for service detection: a client that accepts any server, and what it
 * learns. The engine sees only this interface; tls.c implements it with
 * OpenSSL (tls-openssl.h), tls-schannel.c with Windows' SChannel (where no
 * connection can be made, a TLS port is named from its plain answer, "ssl",
 * with no handshake details).
 */
#pragma once

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

struct tls_ctx;  /* client settings shared by every connection */
struct tls_conn; /* one client connection over a connected socket */

/* Results of tls_conn_handshake() and tls_conn_read(). */
enum { TLS_WANT_READ = -2, TLS_WANT_WRITE = -3, TLS_FAILED = -1 };

/*
 * Returns a client context for probing: no certificate verification, every
 * protocol version and cipher the library still has, ALPN offering h2 and
 * http/1.1. NULL when out of memory.
 */
struct tls_ctx *tls_ctx_new(void);
void tls_ctx_free(struct tls_ctx *ctx);

/* A client connection on the connected socket fd; NULL when TLS cannot be spoken. */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd);
void tls_conn_free(struct tls_conn *c);

/* Advances the handshake: 1 done, TLS_WANT_READ/TLS_WANT_WRITE, or TLS_FAILED. */
int tls_conn_handshake(struct tls_conn *c);

/* Reads up to len bytes: > 0, TLS_WANT_READ/TLS_WANT_WRITE, or TLS_FAILED (closed too). */
int tls_conn_read(struct tls_conn *c, void *buf, int len);

/* Writes len bytes: > 0, or <= 0 on failure. */
int tls_conn_write(struct tls_conn *c, const void *buf, int len);

/* Fills out from an established connection (version, cipher, ALPN, peer certificate). */
void tls_conn_info(struct tls_conn *c, struct detect_tls *out);
