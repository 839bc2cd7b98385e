/* Parsers for line-oriented protocols: greetings and short text answers. */
#include <stdio.h>
#include <string.h>

#include "detect/builtin.h"
#include "detect/parsers.h"

#define NAME(svc, s) service_set(svc, name, s)

/* "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3" → OpenSSH, "9.2p1 Debian 2+deb12u3", "protocol 2.0" */
int builtin_parse_ssh(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	size_t line, p, sw, end;
	char proto[16];

	if (len < 4)
		return memcmp(buf, "SSH-", len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "SSH-"))
		return BUILTIN_NO;
	if (!text_has_eol(buf, len) && len < 256)
		return BUILTIN_MORE;
	line = text_line_len(buf, len);
	p = 4;
	while (p < line && buf[p] != '-')
		p++;
	if (p >= line)
		return BUILTIN_NO;
	NAME(svc, "ssh");
	service_copy_printable(proto, sizeof(proto), (const char *)buf + 4, p - 4);
	snprintf(svc->extrainfo, sizeof(svc->extrainfo), "protocol %s", proto);
	sw = ++p;
	while (p < line && buf[p] != ' ')
		p++;
	end = p;
	if (text_starts(buf + sw, end - sw, "OpenSSH_")) {
		char comment[64] = "";
		char *dash;

		service_set(svc, product, "OpenSSH");
		service_copy_printable(svc->version, sizeof(svc->version),
		                       (const char *)buf + sw + 8, end - sw - 8);
		if (end < line) {
			service_copy_printable(comment, sizeof(comment),
			                       (const char *)buf + end + 1, line - end - 1);
			dash = strchr(comment, '-');
			if (dash)
				*dash = ' ';
			if (strlen(svc->version) + strlen(comment) + 2 <= sizeof(svc->version))
				strcat(strcat(svc->version, " "), comment);
			if (strstr(comment, "Debian") || strstr(comment, "Ubuntu"))
				service_set(svc, ostype, "Linux");
		}
		service_add_cpe(svc, "cpe:/a:openbsd:openssh");
	} else if (text_starts(buf + sw, end - sw, "dropbear_")) {
		service_set(svc, product, "Dropbear sshd");
		service_copy_printable(svc->version, sizeof(svc->version),
		                       (const char *)buf + sw + 9, end - sw - 9);
	} else {
		const void *us = memchr(buf + sw, '_', end - sw);

		text_product_version((const char *)buf + sw, end - sw, us ? '_' : '-', svc);
	}
	return BUILTIN_YES;
}

/* A greeting "NNN text": waits for the whole first line (bounded). */
static int code_line(const uint8_t *buf, size_t len, const char *code)
{
	size_t n = strlen(code);

	if (len < n)
		return memcmp(buf, code, len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (memcmp(buf, code, n) != 0)
		return BUILTIN_NO;
	if (!text_has_eol(buf, len) && len < 512)
		return BUILTIN_MORE;
	return BUILTIN_YES;
}

/* "220 (vsFTPd 3.0.3)", "220 ProFTPD Server (Debian)", "220---------- Welcome to Pure-FTPd" */
int builtin_parse_ftp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int rc = code_line(buf, len, "220");
	size_t line;
	long at;

	if (rc != BUILTIN_YES)
		return rc;
	line = text_line_len(buf, len);
	if (text_find(buf, line, "SMTP") >= 0 || text_find(buf, len, "FTP") < 0)
		return BUILTIN_NO;
	NAME(svc, "ftp");
	if ((at = text_find(buf, line, "vsFTPd ")) >= 0) {
		service_set(svc, product, "vsftpd");
		text_token(buf, line, (size_t)at + 7, svc->version, sizeof(svc->version));
		svc->version[strcspn(svc->version, ")")] = '\0';
		service_add_cpe(svc, "cpe:/a:vsftpd:vsftpd");
	} else if ((at = text_find(buf, line, "ProFTPD")) >= 0) {
		service_set(svc, product, "ProFTPD");
		if (at + 8 < (long)line && buf[at + 8] >= '0' && buf[at + 8] <= '9')
			text_token(buf, line, (size_t)at + 8, svc->version, sizeof(svc->version));
	} else if (text_find(buf, len, "Pure-FTPd") >= 0) {
		service_set(svc, product, "Pure-FTPd");
	} else if ((at = text_find(buf, line, "FileZilla Server")) >= 0) {
		service_set(svc, product, "FileZilla ftpd");
		if (at + 17 < (long)line)
			text_token(buf, line, (size_t)at + 17, svc->version, sizeof(svc->version));
	}
	return BUILTIN_YES;
}

/* "220 mx.lab ESMTP Postfix (Debian/GNU)", "220 host ESMTP Exim 4.96 date" */
int builtin_parse_smtp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int rc = code_line(buf, len, "220");
	size_t line;
	long at;

	if (rc != BUILTIN_YES)
		return rc;
	line = text_line_len(buf, len);
	if (text_find(buf, line, "SMTP") < 0 && text_find(buf, line, "mail") < 0)
		return BUILTIN_NO;
	NAME(svc, "smtp");
	if (len > 4 && (buf[3] == ' ' || buf[3] == '-'))
		text_token(buf, line, 4, svc->hostname, sizeof(svc->hostname));
	if (text_find(buf, line, "Postfix") >= 0) {
		service_set(svc, product, "Postfix smtpd");
		service_add_cpe(svc, "cpe:/a:postfix:postfix");
	} else if ((at = text_find(buf, line, "Exim ")) >= 0) {
		service_set(svc, product, "Exim smtpd");
		text_token(buf, line, (size_t)at + 5, svc->version, sizeof(svc->version));
	} else if ((at = text_find(buf, line, "Sendmail ")) >= 0) {
		service_set(svc, product, "Sendmail");
		text_token(buf, line, (size_t)at + 9, svc->version, sizeof(svc->version));
		svc->version[strcspn(svc->version, "/;")] = '\0';
	} else if (text_find(buf, line, "OpenSMTPD") >= 0) {
		service_set(svc, product, "OpenSMTPD");
	}
	return BUILTIN_YES;
}

/* "+OK Dovecot (Debian) ready." */
int builtin_parse_pop3(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int rc = code_line(buf, len, "+OK");
	size_t line;

	if (rc != BUILTIN_YES)
		return rc;
	line = text_line_len(buf, len);
	NAME(svc, "pop3");
	if (text_find(buf, line, "Dovecot") >= 0)
		service_set(svc, product, "Dovecot pop3d");
	else if (text_find(buf, line, "Cyrus") >= 0)
		service_set(svc, product, "Cyrus pop3d");
	return BUILTIN_YES;
}

/* "* OK [CAPABILITY IMAP4rev1 ...] Dovecot (Debian) ready." */
int builtin_parse_imap(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int rc = code_line(buf, len, "* OK");
	size_t line;

	if (rc != BUILTIN_YES)
		return rc;
	line = text_line_len(buf, len);
	NAME(svc, "imap");
	if (text_find(buf, line, "Dovecot") >= 0)
		service_set(svc, product, "Dovecot imapd");
	else if (text_find(buf, line, "Cyrus") >= 0)
		service_set(svc, product, "Cyrus imapd");
	else if (text_find(buf, line, "Courier") >= 0)
		service_set(svc, product, "Courier Imapd");
	return BUILTIN_YES;
}

/* "200 news.lab InterNetNews NNRP server INN 2.7.1 ready (posting ok)" */
int builtin_parse_nntp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	size_t line;
	long at;

	if (len < 4)
		return (len && buf[0] == '2') ? BUILTIN_MORE : BUILTIN_NO;
	if (!(text_starts(buf, len, "200 ") || text_starts(buf, len, "201 ")))
		return BUILTIN_NO;
	if (!text_has_eol(buf, len) && len < 512)
		return BUILTIN_MORE;
	line = text_line_len(buf, len);
	if (text_find(buf, line, "NNTP") < 0 && text_find(buf, line, "NNRP") < 0 &&
	    text_find(buf, line, "news") < 0)
		return BUILTIN_NO;
	NAME(svc, "nntp");
	text_token(buf, line, 4, svc->hostname, sizeof(svc->hostname));
	if ((at = text_find(buf, line, "INN ")) >= 0) {
		service_set(svc, product, "INN");
		text_token(buf, line, (size_t)at + 4, svc->version, sizeof(svc->version));
	} else if (text_find(buf, line, "Leafnode") >= 0) {
		service_set(svc, product, "Leafnode");
	}
	return BUILTIN_YES;
}

/* ":irc.lab NOTICE * :*** Looking up your hostname", or after NICK/USER
 * ":irc.lab 004 ps irc.lab ngircd-26.1 ..." */
int builtin_parse_irc(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	long at;

	if (!len)
		return BUILTIN_NO;
	if (buf[0] != ':' && !text_starts(buf, len, "NOTICE AUTH") &&
	    !text_starts(buf, len, "ERROR :"))
		return BUILTIN_NO;
	if (!text_has_eol(buf, len) && len < 512)
		return BUILTIN_MORE;
	if (text_find(buf, len, " NOTICE ") < 0 && text_find(buf, len, " 001 ") < 0 &&
	    !text_starts(buf, len, "NOTICE AUTH") && !text_starts(buf, len, "ERROR :"))
		return BUILTIN_NO;
	NAME(svc, "irc");
	if (buf[0] == ':')
		text_token(buf, len, 1, svc->hostname, sizeof(svc->hostname));
	if ((at = text_find(buf, len, " 004 ")) >= 0) {
		/* ":server 004 nick server version usermodes chanmodes" */
		size_t p = (size_t)at + 5;
		char ver[64];
		char *dash;

		for (int skip = 0; skip < 2 && p < len; skip++) {
			while (p < len && buf[p] != ' ')
				p++;
			p++;
		}
		text_token(buf, len, p, ver, sizeof(ver));
		dash = strrchr(ver, '-');
		if (dash && dash[1] >= '0' && dash[1] <= '9') {
			*dash = '\0';
			service_set(svc, product, ver);
			service_set(svc, version, dash + 1);
		} else {
			service_set(svc, product, ver);
		}
		return BUILTIN_YES;
	}
	return BUILTIN_MORE; /* identified; the 004 line may follow */
}

/* "@RSYNCD: 31.0" */
int builtin_parse_rsync(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	char v[24];

	if (len < 8)
		return memcmp(buf, "@RSYNCD:", len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "@RSYNCD:"))
		return BUILTIN_NO;
	NAME(svc, "rsync");
	text_token(buf, text_line_len(buf, len), 9, v, sizeof(v));
	snprintf(svc->extrainfo, sizeof(svc->extrainfo), "protocol version %s", v);
	return BUILTIN_YES;
}

/* "RFB 003.008\n" */
int builtin_parse_vnc(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	if (len < 12)
		return memcmp(buf, "RFB ", len < 4 ? len : 4) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "RFB ") || buf[7] != '.' || buf[11] != '\n')
		return BUILTIN_NO;
	NAME(svc, "vnc");
	service_set(svc, product, "VNC");
	snprintf(svc->extrainfo, sizeof(svc->extrainfo), "protocol %d.%d",
	         (buf[5] - '0') * 10 + (buf[6] - '0'), (buf[9] - '0') * 10 + (buf[10] - '0'));
	return BUILTIN_YES;
}

/* IAC negotiation first: ff fd 18 ff fd 20 … (DO TERMINAL-TYPE, DO TSPEED, …) */
int builtin_parse_telnet(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const char *const verbs[] = {"WILL", "WONT", "DO", "DONT"};
	size_t n = 0, o = 0;

	if (!len || buf[0] != 0xff)
		return BUILTIN_NO;
	if (len < 3)
		return BUILTIN_MORE;
	if (buf[1] < 0xfb || buf[1] > 0xfe)
		return BUILTIN_NO; /* not WILL/WONT/DO/DONT (IAC IAC is an escaped data byte) */
	NAME(svc, "telnet");
	for (size_t i = 0;
	     i + 2 < len && buf[i] == 0xff && buf[i + 1] >= 0xfb && buf[i + 1] <= 0xfe && n < 6;
	     i += 3, n++) {
		int w = snprintf(svc->extrainfo + o, sizeof(svc->extrainfo) - o, "%s%s %u",
		                 n ? ", " : "", verbs[buf[i + 1] - 0xfb], buf[i + 2]);

		if (w < 0 || (size_t)w >= sizeof(svc->extrainfo) - o)
			break;
		o += (size_t)w;
	}
	return BUILTIN_YES;
}

/* Answer to "INFO server": "$1234\r\n# Server\r\nredis_version:7.0.15\r\n…", or an error
 * such as "-NOAUTH Authentication required." */
int builtin_parse_redis(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	char cpe[128];
	long at;

	if (!len)
		return BUILTIN_NO;
	if (text_starts(buf, len, "-NOAUTH") || text_starts(buf, len, "-DENIED Redis") ||
	    text_starts(buf, len, "-ERR operation not permitted")) {
		NAME(svc, "redis");
		service_set(svc, product, "Redis key-value store");
		service_set(svc, extrainfo, "authentication required");
		return BUILTIN_YES;
	}
	if (buf[0] != '$')
		return BUILTIN_NO;
	if ((at = text_find(buf, len, "redis_version:")) < 0)
		return text_find(buf, len, "# Server") >= 0 || len < 64 ? BUILTIN_MORE : BUILTIN_NO;
	NAME(svc, "redis");
	service_set(svc, product, "Redis key-value store");
	service_copy_printable(svc->version, sizeof(svc->version), (const char *)buf + at + 14,
	                       text_line_len(buf + at + 14, len - (size_t)at - 14));
	if (!svc->version[0])
		return BUILTIN_MORE;
	snprintf(cpe, sizeof(cpe), "cpe:/a:redislabs:redis:%s", svc->version);
	service_add_cpe(svc, cpe);
	return BUILTIN_YES;
}

/* "VERSION 1.6.18\r\n" */
int builtin_parse_memcached(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	int rc = code_line(buf, len, "VERSION ");

	if (rc != BUILTIN_YES)
		return rc;
	NAME(svc, "memcached");
	service_set(svc, product, "Memcached");
	text_token(buf, text_line_len(buf, len), 8, svc->version, sizeof(svc->version));
	service_add_cpe(svc, "cpe:/a:memcached:memcached");
	return BUILTIN_YES;
}

/* "SIP/2.0 200 OK\r\n…Server: Asterisk PBX 20.5.0\r\n" (or User-Agent:) */
int builtin_parse_sip(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const char *const hdrs[] = {"\nServer: ", "\nUser-Agent: "};

	if (len < 8)
		return memcmp(buf, "SIP/2.0 ", len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "SIP/2.0 "))
		return BUILTIN_NO;
	NAME(svc, "sip");
	for (size_t h = 0; h < 2; h++) {
		long at = text_find(buf, len, hdrs[h]);

		if (at >= 0) {
			size_t s = (size_t)at + strlen(hdrs[h]);

			service_copy_printable(svc->product, sizeof(svc->product),
			                       (const char *)buf + s,
			                       text_line_len(buf + s, len - s));
			break;
		}
	}
	if (!svc->product[0] && text_find(buf, len, "\r\n\r\n") < 0 && len < 4096)
		return BUILTIN_MORE;
	return BUILTIN_YES;
}

/* "<?xml version='1.0'?><stream:stream from='lab' … xmlns='jabber:client'>" */
int builtin_parse_xmpp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	long at = text_find(buf, len, "<stream:stream");

	if (at < 0)
		return (len < 64 && text_starts(buf, len, "<")) ? BUILTIN_MORE : BUILTIN_NO;
	/* a server's stream carries an id (or an error); our own header echoed back has neither */
	if (text_find(buf, len, " id=") < 0 && text_find(buf, len, "<stream:error") < 0)
		return len < 512 ? BUILTIN_MORE : BUILTIN_NO;
	NAME(svc, "jabber");
	if (text_find(buf, len, "jabber:server") >= 0)
		service_set(svc, name, "xmpp-server");
	if ((at = text_find(buf, len, " from='")) >= 0 ||
	    (at = text_find(buf, len, " from=\"")) >= 0) {
		size_t s = (size_t)at + 7, e = s;

		while (e < len && buf[e] != '\'' && buf[e] != '"' && e - s < 80)
			e++;
		service_copy_printable(svc->hostname, sizeof(svc->hostname), (const char *)buf + s,
		                       e - s);
	}
	return BUILTIN_YES;
}

/*
 * A pkt-line to our upload-pack request: "0045ERR access denied or repository not exported: /x"
 * from git daemon, or a ref advertisement "00xx<40 hex> HEAD\0<capabilities> agent=git/2.39.5".
 */
int builtin_parse_git(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	unsigned plen = 0;
	long at;

	if (len < 4)
		return BUILTIN_MORE;
	for (int i = 0; i < 4; i++) {
		int c = buf[i], d = c >= '0' && c <= '9'   ? c - '0'
		                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
		                                           : -1;

		if (d < 0)
			return BUILTIN_NO;
		plen = plen << 4 | (unsigned)d;
	}
	if (plen < 8 || plen > 65520)
		return BUILTIN_NO;
	if (len < 8)
		return BUILTIN_MORE;
	if (text_starts(buf + 4, len - 4, "ERR ")) {
		NAME(svc, "git");
		service_set(svc, product, "git daemon");
		if (text_find(buf, len < plen ? len : plen, "not exported") >= 0)
			service_set(svc, extrainfo, "repository not exported");
		return BUILTIN_YES;
	}
	for (size_t i = 4; i < 44; i++)
		if (i >= len ||
		    !((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return i >= len ? BUILTIN_MORE : BUILTIN_NO;
	if (len < 45 || buf[44] != ' ')
		return len < 45 ? BUILTIN_MORE : BUILTIN_NO;
	NAME(svc, "git");
	service_set(svc, product, "git daemon");
	if ((at = text_find(buf, len < plen ? len : plen, "agent=git/")) >= 0)
		text_token(buf, len < plen ? len : plen, (size_t)at + 10, svc->version,
		           sizeof(svc->version));
	return BUILTIN_YES;
}

/* "OK 912\r\n---\ncurrent-jobs-urgent: 0\n…version: 1.12\n…" to "stats" */
int builtin_parse_beanstalkd(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	long at;

	if (len < 3)
		return memcmp(buf, "OK ", len) == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_starts(buf, len, "OK "))
		return BUILTIN_NO;
	if (!text_has_eol(buf, len))
		return BUILTIN_MORE;
	if ((at = text_find(buf, len, "\nversion: ")) < 0)
		return text_find(buf, len, "---") >= 0 && len < 4096 ? BUILTIN_MORE : BUILTIN_NO;
	if (!text_has_eol(buf + at + 10, len - (size_t)at - 10))
		return BUILTIN_MORE;
	NAME(svc, "beanstalkd");
	service_set(svc, product, "beanstalkd");
	at += 10 + (buf[at + 10] == '"'); /* version: "1.12" */
	text_token(buf, len, (size_t)at, svc->version, sizeof(svc->version));
	svc->version[strcspn(svc->version, "\"")] = '\0';
	return BUILTIN_YES;
}
