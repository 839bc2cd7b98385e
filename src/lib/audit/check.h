/*
 * Safe checks: short conversations that confirm a risk without changing
 * anything and without guessing a password (FTP's anonymous login is the
 * protocol's own convention, RFC 1635, not a guess).
 *
 * A check is a pure state machine over the bytes the server sent, so that it
 * can be unit-tested and fuzzed without a network:
 *
 *   c->start(&conv)                   first bytes to send (conv.out), if the
 *                                     client speaks first
 *   c->step(&conv, buf, len)          buf: everything received since the last
 *                                     send; returns AUDIT_CHECK_MORE (read on),
 *                                     AUDIT_CHECK_SEND (conv.out holds the next
 *                                     message; the buffer starts afresh),
 *                                     AUDIT_CHECK_YES (risk confirmed) or
 *                                     AUDIT_CHECK_NO (not confirmed).
 *
 * conv.evidence accumulates what was sent and seen, printable ASCII only.
 * Example: the redis check sends "PING\r\n"; "+PONG\r\n" is YES with evidence
 * "sent PING; got +PONG", "-NOAUTH Authentication required." is NO.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum audit_check_verdict {
	AUDIT_CHECK_MORE = 0,
	AUDIT_CHECK_SEND,
	AUDIT_CHECK_YES,
	AUDIT_CHECK_NO,
};

#define AUDIT_CHECK_OUT_MAX      512
#define AUDIT_CHECK_EVIDENCE_MAX 256
#define AUDIT_CHECK_READ_MAX     8192 /* bytes kept per step; more without a verdict is NO */
#define AUDIT_CHECK_STEPS_MAX    16   /* sends per conversation */

struct audit_conv {
	unsigned step;                    /* exchanges done; the check's own state */
	uint32_t cookie;                  /* a request id the check may set */
	uint8_t out[AUDIT_CHECK_OUT_MAX]; /* next message to send */
	size_t outlen;
	char evidence[AUDIT_CHECK_EVIDENCE_MAX];
};

struct audit_check {
	const char *name;           /* "ftp-anonymous" */
	const char *services;       /* nmap service names it applies to, space-separated */
	const uint16_t *ports;      /* default ports, 0-terminated */
	int proto;                  /* IPPROTO_TCP or IPPROTO_UDP */
	int severity;               /* enum kb_severity when confirmed */
	const char *title;          /* the finding, one line */
	const char *recommendation; /* what to do */
	const char *citation;       /* where the risk is documented */
	/* Fills conv->out when the client speaks first; may leave it empty. */
	void (*start)(struct audit_conv *conv);
	enum audit_check_verdict (*step)(struct audit_conv *conv, const uint8_t *buf, size_t len);
};

/*
 * The registry, NULL-terminated. Adding a check is its struct in check.c
 * (start/step, the finding's text) and one line here; test-audit-check walks it.
 */
extern const struct audit_check *const audit_checks[];

/* The check called name, or NULL. */
const struct audit_check *audit_check_find(const char *name);

/*
 * Whether c applies to an endpoint: its port is one of c->ports, or service
 * (a detected nmap name, may be NULL or "") is one of c->services.
 * Example: the redis check applies to (6379, NULL) and to (7777, "redis").
 */
bool audit_check_applies(const struct audit_check *c, int proto, uint16_t port,
                         const char *service);

/*
 * Appends printable text to conv->evidence ("; " between parts; the server's
 * line breaks as one '\n' each), bounded.
 */
void audit_conv_note(struct audit_conv *conv, const char *what, const uint8_t *buf, size_t len);

/*
 * Runs c against addr:port (struct sockaddr, IPv4 or IPv6) with non-blocking
 * sockets: connect, then the conversation, every read bounded, the whole
 * thing within timeout_ms. Returns AUDIT_CHECK_YES or AUDIT_CHECK_NO with the
 * evidence in conv, or a negative errno when no socket could be made. A
 * refused, reset, silent or closed connection is NO ("connection refused",
 * "timeout", "closed by the server" in the evidence).
 */
int audit_check_run(const struct audit_check *c, const void *addr, unsigned addrlen,
                    unsigned timeout_ms, struct audit_conv *conv);
