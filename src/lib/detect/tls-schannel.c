/*
 * tls.h over Windows' SChannel (SSPI): AcquireCredentialsHandleW with
 * manual certificate validation (detection accepts any server), the
 * handshake through InitializeSecurityContextW on the non-blocking socket
 * (tokens queued and sent as the socket takes them), records through
 * DecryptMessage/EncryptMessage, the summary from the context's attributes
 * and the peer's CERT_CONTEXT. ALPN offers h2 and http/1.1, no SNI (as the
 * OpenSSL side). Names are CertNameToStr's (CN first, values quoted
 * its way), the cipher is SChannel's (IANA) name where the system gives it.
 * Wine implements SChannel over GnuTLS (libgnutls30); without it the
 * credentials cannot be had, no connection is made, and TLS ports stay "ssl".
 */
#define SECURITY_WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <wincrypt.h>
#include <security.h>
#include <schannel.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/service.h"
#include "detect/tls.h"

#define TLS_IN_CAP (64 * 1024) /* received, not yet consumed: a record, or a handshake flight */

struct tls_ctx {
	CredHandle cred;
	bool have_cred; /* false: SChannel is missing (Wine without GnuTLS), no TLS */
};

struct tls_conn {
	struct tls_ctx *ctx;
	int fd;
	CtxtHandle h;
	bool have_h;     /* the context exists (after the first InitializeSecurityContextW) */
	bool done;       /* the handshake completed */
	bool incomplete; /* in holds part of a record: receive before trying again */
	bool closed;     /* the peer closed (close_notify or the connection) */
	SecPkgContext_StreamSizes sizes;
	unsigned char *in; /* received bytes not consumed yet */
	size_t in_len;
	unsigned char *out; /* handshake bytes to send */
	size_t out_len, out_off;
	unsigned char *plain; /* decrypted bytes not returned yet */
	size_t plain_len, plain_off, plain_cap;
};

struct tls_ctx *tls_ctx_new(void)
{
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));
	SCHANNEL_CRED sc = {
	    .dwVersion = SCHANNEL_CRED_VERSION,
	    .dwFlags = SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS |
	               SCH_CRED_NO_SERVERNAME_CHECK,
	};

	if (!ctx)
		return NULL;
	ctx->have_cred =
	    AcquireCredentialsHandleW(NULL, (SEC_WCHAR *)UNISP_NAME_W, SECPKG_CRED_OUTBOUND, NULL,
	                              &sc, NULL, NULL, &ctx->cred, NULL) == SEC_E_OK;
	return ctx;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx && ctx->have_cred)
		FreeCredentialsHandle(&ctx->cred);
	free(ctx);
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd)
{
	struct tls_conn *c;

	if (!ctx || !ctx->have_cred)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in = malloc(TLS_IN_CAP);
	if (!c->in) {
		free(c);
		return NULL;
	}
	c->ctx = ctx;
	c->fd = fd;
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	if (c->have_h)
		DeleteSecurityContext(&c->h);
	free(c->in);
	free(c->out);
	free(c->plain);
	free(c);
}

/* Sends what is queued: 0 when all is out, TLS_WANT_WRITE, or TLS_FAILED. */
static int tls_flush(struct tls_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TLS_WANT_WRITE;
		if (n <= 0)
			return TLS_FAILED;
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

/* Queues a token SChannel allocated (and frees it). */
static int tls_queue(struct tls_conn *c, SecBuffer *b)
{
	unsigned char *p;

	if (!b->pvBuffer || !b->cbBuffer)
		return 0;
	p = realloc(c->out, c->out_len + b->cbBuffer);
	if (p) {
		memcpy(p + c->out_len, b->pvBuffer, b->cbBuffer);
		c->out = p;
		c->out_len += b->cbBuffer;
	}
	FreeContextBuffer(b->pvBuffer);
	b->pvBuffer = NULL;
	return p ? 0 : TLS_FAILED;
}

/* Receives more: 0, TLS_WANT_READ, or TLS_FAILED (closed, error, or a full buffer). */
static int tls_recv(struct tls_conn *c)
{
	ssize_t n;

	if (c->in_len == TLS_IN_CAP)
		return TLS_FAILED;
	n = recv(c->fd, c->in + c->in_len, TLS_IN_CAP - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return TLS_WANT_READ;
	if (n <= 0) {
		c->closed = true;
		return TLS_FAILED;
	}
	c->in_len += (size_t)n;
	c->incomplete = false;
	return 0;
}

/* Keeps the bytes SChannel did not consume (an EXTRA buffer) at the start of in. */
static void tls_keep_extra(struct tls_conn *c, const SecBuffer *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++)
		if (b[i].BufferType == SECBUFFER_EXTRA && b[i].cbBuffer <= c->in_len) {
			memmove(c->in, c->in + c->in_len - b[i].cbBuffer, b[i].cbBuffer);
			c->in_len = b[i].cbBuffer;
			return;
		}
	c->in_len = 0;
}

/*
 * The ALPN offer, h2 and http/1.1 as the OpenSSL side, as SEC_APPLICATION_PROTOCOLS
 * lays it out: the lists' size, then one list (ALPN, its size, the wire-format
 * names). Returns its length.
 */
static ULONG tls_alpn(unsigned char *buf)
{
	static const unsigned char names[] = "\x02h2\x08http/1.1";
	const uint32_t ext = SecApplicationProtocolNegotiationExt_ALPN;
	const uint16_t list = sizeof(names) - 1;
	const uint32_t lists = sizeof(ext) + sizeof(list) + list;

	memcpy(buf, &lists, sizeof(lists));
	memcpy(buf + 4, &ext, sizeof(ext));
	memcpy(buf + 8, &list, sizeof(list));
	memcpy(buf + 10, names, list);
	return 10 + list;
}

/* One InitializeSecurityContextW step over what in holds (nothing on the first). */
static SECURITY_STATUS tls_step(struct tls_conn *c)
{
	const ULONG want = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT |
	                   ISC_REQ_CONFIDENTIALITY | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM |
	                   ISC_REQ_MANUAL_CRED_VALIDATION;
	SecBuffer ib[2] = {{(ULONG)c->in_len, SECBUFFER_TOKEN, c->in}, {0, SECBUFFER_EMPTY, NULL}};
	SecBuffer ob[1] = {{0, SECBUFFER_TOKEN, NULL}};
	SecBufferDesc in = {SECBUFFER_VERSION, 2, ib}, out = {SECBUFFER_VERSION, 1, ob};
	unsigned char alpn[32];
	SecBuffer ab = {tls_alpn(alpn), SECBUFFER_APPLICATION_PROTOCOLS, alpn};
	SecBufferDesc first = {SECBUFFER_VERSION, 1, &ab};
	ULONG got = 0;
	SECURITY_STATUS st;

	st = InitializeSecurityContextW(&c->ctx->cred, c->have_h ? &c->h : NULL, NULL, want, 0, 0,
	                                c->have_h ? &in : &first, 0, c->have_h ? NULL : &c->h, &out,
	                                &got, NULL);
	if (!c->have_h && (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK))
		c->have_h = true;
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		c->incomplete = true;
		return st;
	}
	if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED || st == SEC_I_INCOMPLETE_CREDENTIALS) {
		if (tls_queue(c, &ob[0]) < 0)
			return SEC_E_INTERNAL_ERROR;
		if (c->in_len)
			tls_keep_extra(c, ib, 2);
	} else if (ob[0].pvBuffer) {
		FreeContextBuffer(ob[0].pvBuffer);
	}
	if (st == SEC_E_OK && !c->done) {
		c->done = true;
		if (QueryContextAttributesW(&c->h, SECPKG_ATTR_STREAM_SIZES, &c->sizes) != SEC_E_OK)
			return SEC_E_INTERNAL_ERROR;
	}
	return st;
}

int tls_conn_handshake(struct tls_conn *c)
{
	for (int rounds = 0; rounds < 64; rounds++) {
		SECURITY_STATUS st;
		int r = tls_flush(c);

		if (r < 0)
			return r;
		if (c->done)
			return 1;
		if (c->have_h && (c->in_len == 0 || c->incomplete)) {
			r = tls_recv(c);
			if (r < 0)
				return r;
		}
		st = tls_step(c);
		if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED &&
		    st != SEC_E_INCOMPLETE_MESSAGE && st != SEC_I_INCOMPLETE_CREDENTIALS)
			return TLS_FAILED;
	}
	return TLS_FAILED;
}

/* Decrypts one record of in into plain: 0, 1 when in needs more bytes, or TLS_FAILED. */
static int tls_decrypt(struct tls_conn *c)
{
	SecBuffer b[4] = {{(ULONG)c->in_len, SECBUFFER_DATA, c->in},
	                  {0, SECBUFFER_EMPTY, NULL},
	                  {0, SECBUFFER_EMPTY, NULL},
	                  {0, SECBUFFER_EMPTY, NULL}};
	SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
	SECURITY_STATUS st = DecryptMessage(&c->h, &d, 0, NULL);

	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		c->incomplete = true;
		return 1;
	}
	if (st == SEC_I_CONTEXT_EXPIRED) {
		c->closed = true;
		return TLS_FAILED;
	}
	if (st != SEC_E_OK && st != SEC_I_RENEGOTIATE)
		return TLS_FAILED;
	for (size_t i = 0; i < 4; i++)
		if (b[i].BufferType == SECBUFFER_DATA && b[i].cbBuffer) {
			if (b[i].cbBuffer > c->plain_cap) {
				free(c->plain);
				c->plain = malloc(b[i].cbBuffer);
				c->plain_cap = c->plain ? b[i].cbBuffer : 0;
				if (!c->plain)
					return TLS_FAILED;
			}
			memcpy(c->plain, b[i].pvBuffer, b[i].cbBuffer);
			c->plain_len = b[i].cbBuffer;
			c->plain_off = 0;
		}
	tls_keep_extra(c, b, 4);
	/* TLS 1.3 messages after the handshake (a session ticket): handed back to the context */
	if (st == SEC_I_RENEGOTIATE) {
		st = tls_step(c);
		if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED)
			return TLS_FAILED;
		if (tls_flush(c) == TLS_FAILED)
			return TLS_FAILED;
	}
	return 0;
}

int tls_conn_read(struct tls_conn *c, void *buf, int len)
{
	for (int rounds = 0; rounds < 1024; rounds++) {
		int r;

		if (c->plain_off < c->plain_len) {
			size_t n = c->plain_len - c->plain_off;

			n = n < (size_t)len ? n : (size_t)len;
			memcpy(buf, c->plain + c->plain_off, n);
			c->plain_off += n;
			return (int)n;
		}
		if (!c->done || c->closed)
			return TLS_FAILED;
		if (c->in_len && !c->incomplete) {
			r = tls_decrypt(c);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
		}
		r = tls_recv(c);
		if (r < 0)
			return r;
	}
	return TLS_FAILED;
}

/* Sends all of p (a socket that may say EAGAIN: waits for it, a second at most). */
static int tls_send_all(struct tls_conn *c, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};

			if (poll(&pfd, 1, 1000) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int tls_conn_write(struct tls_conn *c, const void *buf, int len)
{
	size_t hdr = c->sizes.cbHeader, trl = c->sizes.cbTrailer;
	unsigned char *rec;
	SecBuffer b[4];
	SecBufferDesc d = {SECBUFFER_VERSION, 4, b};
	int r = -1;

	if (!c->done || len <= 0 || (ULONG)len > c->sizes.cbMaximumMessage)
		return -1;
	rec = malloc(hdr + (size_t)len + trl);
	if (!rec)
		return -1;
	memcpy(rec + hdr, buf, (size_t)len);
	b[0] = (SecBuffer){(ULONG)hdr, SECBUFFER_STREAM_HEADER, rec};
	b[1] = (SecBuffer){(ULONG)len, SECBUFFER_DATA, rec + hdr};
	b[2] = (SecBuffer){(ULONG)trl, SECBUFFER_STREAM_TRAILER, rec + hdr + (size_t)len};
	b[3] = (SecBuffer){0, SECBUFFER_EMPTY, NULL};
	if (EncryptMessage(&c->h, 0, &d, 0) == SEC_E_OK &&
	    tls_send_all(c, rec, (size_t)b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer) == 0)
		r = len;
	free(rec);
	return r;
}

/* CertNameToStr's "CN=a, O=b" as "CN=a,O=b" (RFC 2253's separator). */
static void tls_name(CERT_NAME_BLOB *name, char *dst, size_t dstsize)
{
	char tmp[512];
	size_t o = 0;
	DWORD n = CertNameToStrA(X509_ASN_ENCODING, name,
	                         CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG, tmp, sizeof(tmp));

	dst[0] = '\0';
	if (n <= 1)
		return;
	for (const char *p = tmp; *p && o + 1 < sizeof(tmp); p++) {
		tmp[o++] = *p;
		if (p[0] == ',' && p[1] == ' ')
			p++;
	}
	service_copy_printable(dst, dstsize, tmp, o);
}

static void tls_sans(const CERT_INFO *ci, char *dst, size_t dstsize)
{
	CERT_EXTENSION *ext =
	    CertFindExtension(szOID_SUBJECT_ALT_NAME2, ci->cExtension, ci->rgExtension);
	CERT_ALT_NAME_INFO *alt = NULL;
	DWORD len = 0;

	dst[0] = '\0';
	if (!ext ||
	    !CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ALTERNATE_NAME, ext->Value.pbData,
	                         ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &alt, &len))
		return;
	for (DWORD i = 0; i < alt->cAltEntry; i++) {
		const CERT_ALT_NAME_ENTRY *e = &alt->rgAltEntry[i];
		char txt[128] = "", clean[128];
		const char *prefix = NULL;
		size_t have = strlen(dst);

		if (e->dwAltNameChoice == CERT_ALT_NAME_DNS_NAME) {
			prefix = "DNS:";
			WideCharToMultiByte(CP_UTF8, 0, e->pwszDNSName, -1, txt, sizeof(txt), NULL,
			                    NULL);
		} else if (e->dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS &&
		           (e->IPAddress.cbData == 4 || e->IPAddress.cbData == 16)) {
			prefix = "IP:";
			inet_ntop(e->IPAddress.cbData == 4 ? AF_INET : AF_INET6,
			          e->IPAddress.pbData, txt, sizeof(txt));
		}
		if (!prefix)
			continue;
		service_copy_printable(clean, sizeof(clean), txt, strlen(txt));
		snprintf(dst + have, dstsize - have, "%s%s%s", have ? ", " : "", prefix, clean);
	}
	LocalFree(alt);
}

static const char *tls_version_name(DWORD proto)
{
	if (proto & SP_PROT_TLS1_3_CLIENT)
		return "TLSv1.3";
	if (proto & SP_PROT_TLS1_2_CLIENT)
		return "TLSv1.2";
	if (proto & SP_PROT_TLS1_1_CLIENT)
		return "TLSv1.1";
	if (proto & SP_PROT_TLS1_0_CLIENT)
		return "TLSv1";
	if (proto & SP_PROT_SSL3_CLIENT)
		return "SSLv3";
	return "";
}

void tls_conn_info(struct tls_conn *c, struct detect_tls *out)
{
	SecPkgContext_ConnectionInfo ci;
	SecPkgContext_CipherInfo cipher = {.dwVersion = SECPKGCONTEXT_CIPHERINFO_V1};
	SecPkgContext_ApplicationProtocol alpn = {0};
	PCCERT_CONTEXT cert = NULL;

	if (!c->done)
		return;
	out->handshake = true;
	if (QueryContextAttributesW(&c->h, SECPKG_ATTR_CONNECTION_INFO, &ci) == SEC_E_OK)
		snprintf(out->version, sizeof(out->version), "%s", tls_version_name(ci.dwProtocol));
	if (QueryContextAttributesW(&c->h, SECPKG_ATTR_CIPHER_INFO, &cipher) == SEC_E_OK)
		WideCharToMultiByte(CP_UTF8, 0, cipher.szCipherSuite, -1, out->cipher,
		                    sizeof(out->cipher), NULL, NULL);
	out->cipher[sizeof(out->cipher) - 1] = '\0';
	if (strchr(out->cipher, '<')) /* Wine 8 names a suite "..._GCM_<unknown>": no name */
		out->cipher[0] = '\0';
	if (QueryContextAttributesW(&c->h, SECPKG_ATTR_APPLICATION_PROTOCOL, &alpn) == SEC_E_OK &&
	    alpn.ProtoNegoStatus == SecApplicationProtocolNegotiationStatus_Success)
		service_copy_printable(out->alpn, sizeof(out->alpn), (const char *)alpn.ProtocolId,
		                       alpn.ProtocolIdSize);
	if (QueryContextAttributesW(&c->h, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &cert) == SEC_E_OK &&
	    cert) {
		SYSTEMTIME t;

		tls_name(&cert->pCertInfo->Subject, out->subject, sizeof(out->subject));
		tls_name(&cert->pCertInfo->Issuer, out->issuer, sizeof(out->issuer));
		tls_sans(cert->pCertInfo, out->sans, sizeof(out->sans));
		if (FileTimeToSystemTime(&cert->pCertInfo->NotAfter, &t))
			snprintf(out->not_after, sizeof(out->not_after),
			         "%04u-%02u-%02uT%02u:%02u:%02uZ", t.wYear, t.wMonth, t.wDay,
			         t.wHour, t.wMinute, t.wSecond);
		CertFreeCertificateContext(cert);
	}
}
