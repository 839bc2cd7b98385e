/* TLS for detection with OpenSSL: client context, connections, certificate summary. */
#include "detect/tls-openssl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect/service.h"

SSL_CTX *tls_client_ctx_new(void)
{
	static const unsigned char alpn[] = "\x02h2\x08http/1.1";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* old servers are exactly what detection must still recognise */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	return ctx;
}

/* Prints name as RFC 2253 into dst. */
static void name_str(X509_NAME *name, char *dst, size_t dstsize)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	dst[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0)
			service_copy_printable(dst, dstsize, p, (size_t)n);
	}
	BIO_free(b);
}

static void append(char *dst, size_t dstsize, const char *prefix, const char *s, size_t len)
{
	size_t have = strlen(dst);
	char tmp[128];

	service_copy_printable(tmp, sizeof(tmp), s, len);
	snprintf(dst + have, dstsize - have, "%s%s%s", have ? ", " : "", prefix, tmp);
}

static void sans_str(X509 *cert, char *dst, size_t dstsize)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);

	dst[0] = '\0';
	if (!gens)
		return;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS) {
			append(dst, dstsize,
			       "DNS:", (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			       (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
			int len = ASN1_STRING_length(g->d.iPAddress);
			char txt[64] = "";

			if (len == 4)
				inet_ntop(AF_INET, ip, txt, sizeof(txt));
			else if (len == 16)
				inet_ntop(AF_INET6, ip, txt, sizeof(txt));
			append(dst, dstsize, "IP:", txt, strlen(txt));
		} else if (g->type == GEN_EMAIL) {
			append(dst, dstsize,
			       "email:", (const char *)ASN1_STRING_get0_data(g->d.rfc822Name),
			       (size_t)ASN1_STRING_length(g->d.rfc822Name));
		}
	}
	GENERAL_NAMES_free(gens);
}

int tls_cert_info(X509 *cert, struct detect_tls *out)
{
	struct tm tm;

	if (!cert)
		return -EINVAL;
	name_str(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
	name_str(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	sans_str(cert, out->sans, sizeof(out->sans));
	out->not_after[0] = '\0';
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		strftime(out->not_after, sizeof(out->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

void tls_session_info(SSL *ssl, struct detect_tls *out)
{
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	X509 *cert;

	out->handshake = true;
	snprintf(out->version, sizeof(out->version), "%s", SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(ssl));
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	service_copy_printable(out->alpn, sizeof(out->alpn), (const char *)alpn,
	                       alpn ? alpn_len : 0);
	cert = SSL_get1_peer_certificate(ssl);
	if (cert) {
		tls_cert_info(cert, out);
		X509_free(cert);
	}
}

struct tls_ctx *tls_ctx_new(void)
{
	return (struct tls_ctx *)(void *)tls_client_ctx_new();
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	SSL_CTX_free((SSL_CTX *)(void *)ctx);
}

static SSL *ssl_of(struct tls_conn *c)
{
	return (SSL *)(void *)c;
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd)
{
	SSL *ssl = SSL_new((SSL_CTX *)(void *)ctx);

	if (!ssl)
		return NULL;
	if (!SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return (struct tls_conn *)(void *)ssl;
}

void tls_conn_free(struct tls_conn *c)
{
	SSL_free(ssl_of(c));
}

/* rc of an SSL call that did not succeed, as tls.h's codes. */
static int tls_want(struct tls_conn *c, int rc)
{
	switch (SSL_get_error(ssl_of(c), rc)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	default:
		return TLS_FAILED;
	}
}

int tls_conn_handshake(struct tls_conn *c)
{
	int rc = SSL_do_handshake(ssl_of(c));

	return rc == 1 ? 1 : tls_want(c, rc);
}

int tls_conn_read(struct tls_conn *c, void *buf, int len)
{
	int n = SSL_read(ssl_of(c), buf, len);

	return n > 0 ? n : tls_want(c, n);
}

int tls_conn_write(struct tls_conn *c, const void *buf, int len)
{
	return SSL_write(ssl_of(c), buf, len);
}

void tls_conn_info(struct tls_conn *c, struct detect_tls *out)
{
	tls_session_info(ssl_of(c), out);
}
