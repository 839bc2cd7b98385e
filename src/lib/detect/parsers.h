/* Built-in response parsers (svc-*.c), named builtin_parse_<probe>; see builtin.h for results. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "detect/service.h"

/* svc-text.c: line-oriented protocols */
int builtin_parse_ssh(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_ftp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_smtp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_pop3(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_imap(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_nntp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_irc(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_rsync(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_vnc(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_telnet(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_redis(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_memcached(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_sip(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_xmpp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_git(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_beanstalkd(const uint8_t *buf, size_t len, struct detect_service *svc);
/* svc-http.c */
int builtin_parse_http(const uint8_t *buf, size_t len, struct detect_service *svc);
/* svc-binary.c: binary protocols */
int builtin_parse_mysql(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_postgresql(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_mongodb(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_rdp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_smb(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_ldap(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_snmp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_snmpv3(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_ntp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_mqtt(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_amqp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_kafka(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_dns_tcp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_dns_udp(const uint8_t *buf, size_t len, struct detect_service *svc);
int builtin_parse_tls(const uint8_t *buf, size_t len, struct detect_service *svc);

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
/* Copies the token (up to a blank) at buf[off..len), blanks before it skipped, into dst. */
void text_token(const uint8_t *buf, size_t len, size_t off, char *dst, size_t dstsize);
/* Read a big-endian 16-bit, a big-endian 32-bit and a little-endian 32-bit integer. */
uint32_t rd_be16(const uint8_t *p);
uint32_t rd_be32(const uint8_t *p);
uint32_t rd_le32(const uint8_t *p);
