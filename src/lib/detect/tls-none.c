/*
 * tls.h for a build without a TLS library (Windows): a context exists, but no
 * connection can be made, so the engine keeps the plain answer's "ssl" and
 * reports no handshake details.
 */
#include <stdlib.h>

#include "detect/tls.h"

struct tls_ctx {
	int unused;
};

struct tls_ctx *tls_ctx_new(void)
{
	return calloc(1, sizeof(struct tls_ctx));
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	free(ctx);
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return NULL;
}

void tls_conn_free(struct tls_conn *c)
{
	(void)c;
}

int tls_conn_handshake(struct tls_conn *c)
{
	(void)c;
	return TLS_FAILED;
}

int tls_conn_read(struct tls_conn *c, void *buf, int len)
{
	(void)c;
	(void)buf;
	(void)len;
	return TLS_FAILED;
}

int tls_conn_write(struct tls_conn *c, const void *buf, int len)
{
	(void)c;
	(void)buf;
	(void)len;
	return -1;
}

void tls_conn_info(struct tls_conn *c, struct detect_tls *out)
{
	(void)c;
	(void)out;
}
