/* Built-in response parsers (svc-*.c), named builtin_parse_<probe>; see builtin.h for results. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "detect/service.h"

#define PARSER(name)                                                                               \
	int builtin_parse_##name(const uint8_t *buf, size_t len, struct detect_service *svc)

/* svc-text.c: line-oriented protocols */
PARSER(ssh);
PARSER(ftp);
PARSER(smtp);
PARSER(pop3);
PARSER(imap);
PARSER(nntp);
PARSER(irc);
PARSER(rsync);
PARSER(vnc);
PARSER(telnet);
PARSER(redis);
PARSER(memcached);
PARSER(sip);
PARSER(xmpp);
/* svc-http.c */
PARSER(http);
/* svc-binary.c: binary protocols */
PARSER(mysql);
PARSER(postgresql);
PARSER(mongodb);
PARSER(rdp);
PARSER(smb);
PARSER(ldap);
PARSER(snmp);
PARSER(ntp);
PARSER(mqtt);
PARSER(amqp);
PARSER(kafka);
PARSER(dns_tcp);
PARSER(dns_udp);
PARSER(tls);

/* Helpers shared by the parsers (svc-util.c). */

/* Length of the first line of buf (up to CR or LF, or len). */
size_t text_line_len(const uint8_t *buf, size_t len);
/* Whether buf holds a complete first line. */
int text_has_eol(const uint8_t *buf, size_t len);
/* Case-insensitive search of needle in buf[0..len); returns the offset or -1. */
long text_find(const uint8_t *buf, size_t len, const char *needle);
/* Whether buf starts with the literal prefix. */
int text_starts(const uint8_t *buf, size_t len, const char *prefix);
/*
 * Splits "Name/1.2.3 (extra)" or "Name 1.2.3" at s[0..len): product is the
 * part before the separator, version the token after it. Either may be empty.
 */
void text_product_version(const char *s, size_t len, char sep, struct detect_service *svc);
/* Copies the token (up to a blank) at buf[off..len) into dst. */
void text_token(const uint8_t *buf, size_t len, size_t off, char *dst, size_t dstsize);
/* Reads a big-endian 16/32-bit integer. */
uint32_t rd_be16(const uint8_t *p);
uint32_t rd_be32(const uint8_t *p);
uint32_t rd_le32(const uint8_t *p);
