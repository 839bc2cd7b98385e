/* The safe checks: one conversation each, pure functions over the server's bytes. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit/check.h"
#include "knowledge/risk.h"
#include "util/array.h"

void audit_conv_note(struct audit_conv *conv, const char *what, const uint8_t *buf, size_t len)
{
	size_t at = strlen(conv->evidence), cap = sizeof(conv->evidence);
	size_t shown = 0;

	if (at + 1 >= cap)
		return;
	at += (size_t)snprintf(conv->evidence + at, cap - at, "%s%s", at ? "; " : "", what);
	if (at >= cap) {
		conv->evidence[cap - 1] = '\0';
		return;
	}
	if (buf && len) {
		if (at + 2 < cap)
			conv->evidence[at++] = ' ';
		for (size_t i = 0; i < len && at + 1 < cap && shown < 80; i++) {
			uint8_t ch = buf[i];

			/* a line break stays one (CR LF, LF or runs of them: one \n) */
			if (ch == '\r' || ch == '\n') {
				if (i + 1 < len && at + 1 < cap)
					conv->evidence[at++] = '\n';
				while (i + 1 < len && (buf[i + 1] == '\r' || buf[i + 1] == '\n'))
					i++;
				continue;
			}
			conv->evidence[at++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
			shown++;
		}
		conv->evidence[at] = '\0';
	}
}

static void conv_send(struct audit_conv *conv, const void *msg, size_t len)
{
	if (len > sizeof(conv->out))
		len = sizeof(conv->out);
	memcpy(conv->out, msg, len);
	conv->outlen = len;
}

static void conv_send_str(struct audit_conv *conv, const char *s)
{
	conv_send(conv, s, strlen(s));
}

/* Whether buf holds a whole line; *linelen gets its length without CR LF. */
static bool first_line(const uint8_t *buf, size_t len, size_t *linelen)
{
	const uint8_t *nl = memchr(buf, '\n', len);

	if (!nl)
		return false;
	*linelen = (size_t)(nl - buf);
	if (*linelen && buf[*linelen - 1] == '\r')
		(*linelen)--;
	return true;
}

/*
 * An FTP reply (RFC 959 4.2): "ddd text" or a multi-line "ddd-..." ended by a
 * line starting "ddd ". Returns the code of the complete reply, 0 when more
 * bytes are needed, -1 when it is no FTP reply.
 */
static int ftp_reply(const uint8_t *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const uint8_t *p = buf + at;
		const uint8_t *nl = memchr(p, '\n', len - at);
		size_t l = nl ? (size_t)(nl - p) : len - at;

		if (l >= 3 && at == 0 &&
		    !(p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
		      p[2] <= '9'))
			return -1;
		if (!nl)
			return 0;
		if (l >= 4 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
		    p[2] >= '0' && p[2] <= '9' && p[3] == ' ' && memcmp(p, buf, 3) == 0)
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (at == 0 && l == 3)
			return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		at += l + 1;
	}
	return 0;
}

static enum audit_check_verdict ftp_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	int code = ftp_reply(buf, len);

	if (code == 0)
		return AUDIT_CHECK_MORE;
	audit_conv_note(conv, "got", buf, len);
	if (code < 0)
		return AUDIT_CHECK_NO;
	switch (conv->step) {
	case 0: /* greeting */
		if (code != 220)
			return AUDIT_CHECK_NO;
		conv_send_str(conv, "USER anonymous\r\n");
		audit_conv_note(conv, "sent USER anonymous", NULL, 0);
		return AUDIT_CHECK_SEND;
	case 1:
		if (code == 230)
			return AUDIT_CHECK_YES;
		if (code != 331)
			return AUDIT_CHECK_NO;
		/* RFC 1635: the anonymous password is the user's mail address. */
		conv_send_str(conv, "PASS anonymous@example.org\r\n");
		audit_conv_note(conv, "sent PASS anonymous@example.org (RFC 1635 convention)", NULL,
		                0);
		return AUDIT_CHECK_SEND;
	default:
		return code == 230 ? AUDIT_CHECK_YES : AUDIT_CHECK_NO;
	}
}

static void redis_start(struct audit_conv *conv)
{
	conv_send_str(conv, "PING\r\n");
	audit_conv_note(conv, "sent PING", NULL, 0);
}

static enum audit_check_verdict redis_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	size_t l;

	if (!first_line(buf, len, &l))
		return AUDIT_CHECK_MORE;
	audit_conv_note(conv, "got", buf, l);
	return l == 5 && memcmp(buf, "+PONG", 5) == 0 ? AUDIT_CHECK_YES : AUDIT_CHECK_NO;
}

static void memcached_start(struct audit_conv *conv)
{
	conv_send_str(conv, "stats\r\n");
	audit_conv_note(conv, "sent stats", NULL, 0);
}

static enum audit_check_verdict memcached_step(struct audit_conv *conv, const uint8_t *buf,
                                               size_t len)
{
	size_t l;

	if (!first_line(buf, len, &l))
		return AUDIT_CHECK_MORE;
	audit_conv_note(conv, "got", buf, l);
	return l > 5 && memcmp(buf, "STAT ", 5) == 0 ? AUDIT_CHECK_YES : AUDIT_CHECK_NO;
}

static void docker_start(struct audit_conv *conv)
{
	conv_send_str(conv, "GET /version HTTP/1.0\r\nHost: localhost\r\n"
	                    "User-Agent: portscope-audit\r\nAccept: application/json\r\n\r\n");
	audit_conv_note(conv, "sent GET /version over plain HTTP", NULL, 0);
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n && i + n <= len; i++)
		if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

static enum audit_check_verdict docker_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	const uint8_t *end = find_bytes(buf, len, "\r\n\r\n");
	size_t l;

	if (!end)
		return AUDIT_CHECK_MORE;
	if (!first_line(buf, len, &l) || l < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    memcmp(buf + 8, " 200", 4) != 0) {
		audit_conv_note(conv, "got", buf, first_line(buf, len, &l) ? l : 0);
		return AUDIT_CHECK_NO;
	}
	if (!find_bytes(end, len - (size_t)(end - buf), "\"ApiVersion\""))
		return AUDIT_CHECK_MORE; /* the body may still come; EOF or a full buffer is NO */
	audit_conv_note(conv, "got", buf, l);
	{
		const uint8_t *v = find_bytes(end, len - (size_t)(end - buf), "\"Version\"");

		if (v)
			audit_conv_note(conv, "body", v,
			                (size_t)(buf + len - v) < 24 ? (size_t)(buf + len - v)
			                                             : 24);
	}
	return AUDIT_CHECK_YES;
}

/* Telnet (RFC 854): refuse every option, look for a login prompt in the clear. */
enum {
	TN_IAC = 255,
	TN_DONT = 254,
	TN_DO = 253,
	TN_WONT = 252,
	TN_WILL = 251,
	TN_SB = 250,
	TN_SE = 240
};

static enum audit_check_verdict telnet_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	char text[256];
	size_t nt = 0, i = 0, complete = 0;
	uint8_t out[AUDIT_CHECK_OUT_MAX];
	size_t no = 0;
	static const char *const prompts[] = {"login:", "username:", "user name:", "password:"};

	while (i < len) {
		if (buf[i] != TN_IAC) {
			if (nt + 1 < sizeof(text))
				text[nt++] = buf[i] ? (char)buf[i] : ' ';
			complete = ++i;
			continue;
		}
		if (i + 1 >= len)
			break;
		if (buf[i + 1] == TN_IAC) {
			if (nt + 1 < sizeof(text))
				text[nt++] = '.';
			complete = i += 2;
		} else if (buf[i + 1] >= TN_WILL && buf[i + 1] <= TN_DONT) {
			if (i + 2 >= len)
				break;
			if ((buf[i + 1] == TN_DO || buf[i + 1] == TN_WILL) &&
			    no + 3 <= sizeof(out)) {
				out[no++] = TN_IAC;
				out[no++] = buf[i + 1] == TN_DO ? TN_WONT : TN_DONT;
				out[no++] = buf[i + 2];
			}
			complete = i += 3;
		} else if (buf[i + 1] == TN_SB) {
			size_t j = i + 2;

			while (j + 1 < len && !(buf[j] == TN_IAC && buf[j + 1] == TN_SE))
				j++;
			if (j + 1 >= len)
				break;
			complete = i = j + 2;
		} else {
			complete = i += 2;
		}
	}
	text[nt] = '\0';
	for (size_t p = 0; p < ARRAY_SIZE(prompts); p++) {
		const char *hit = strcasestr(text, prompts[p]);

		if (hit) {
			size_t from = (size_t)(hit - text) > 40 ? (size_t)(hit - text) - 40 : 0;

			audit_conv_note(conv, "got a cleartext prompt",
			                (const uint8_t *)text + from,
			                (size_t)(hit - text) - from + strlen(prompts[p]));
			return AUDIT_CHECK_YES;
		}
	}
	if (no) {
		if (conv->step == 0)
			audit_conv_note(conv, "refused the telnet options offered", NULL, 0);
		conv_send(conv, out, no);
		return AUDIT_CHECK_SEND;
	}
	(void)complete;
	return AUDIT_CHECK_MORE;
}

/* RFB (RFC 6143): the version, then the security types; 1 is None. */
static enum audit_check_verdict vnc_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	if (conv->step == 0) {
		unsigned major, minor;
		char v[13];

		if (len < 12)
			return AUDIT_CHECK_MORE;
		memcpy(v, buf, 12);
		v[12] = '\0';
		audit_conv_note(conv, "got", buf, 11);
		if (memcmp(v, "RFB ", 4) != 0 || v[11] != '\n' ||
		    sscanf(v + 4, "%3u.%3u", &major, &minor) != 2 || major != 3)
			return AUDIT_CHECK_NO;
		conv->cookie = minor >= 7 ? (minor >= 8 ? 8 : 7) : 3;
		conv_send_str(conv, conv->cookie == 8   ? "RFB 003.008\n"
		                    : conv->cookie == 7 ? "RFB 003.007\n"
		                                        : "RFB 003.003\n");
		return AUDIT_CHECK_SEND;
	}
	if (conv->cookie == 3) { /* 3.3: the server picks, a u32 */
		uint32_t t;

		if (len < 4)
			return AUDIT_CHECK_MORE;
		t = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
		    buf[3];
		audit_conv_note(conv, t == 1 ? "security type None (1)" : "security type not None",
		                NULL, 0);
		return t == 1 ? AUDIT_CHECK_YES : AUDIT_CHECK_NO;
	}
	if (len < 1)
		return AUDIT_CHECK_MORE;
	if (buf[0] == 0) {
		audit_conv_note(conv, "connection refused by the server", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (len < 1u + buf[0])
		return AUDIT_CHECK_MORE;
	for (unsigned i = 0; i < buf[0]; i++)
		if (buf[1 + i] == 1) {
			audit_conv_note(conv, "security types offered include None (1)", NULL, 0);
			return AUDIT_CHECK_YES;
		}
	audit_conv_note(conv, "security type None not offered", NULL, 0);
	return AUDIT_CHECK_NO;
}

/* SMB_COM_NEGOTIATE offering only the SMB1 dialect "NT LM 0.12" (MS-CIFS 2.2.4.52). */
static const uint8_t smb1_negotiate[] = {
    0x00, 0x00, 0x00, 0x2f,                         /* NetBIOS session message, 47 bytes */
    0xff, 'S',  'M',  'B',  0x72,                   /* SMB1, SMB_COM_NEGOTIATE */
    0x00, 0x00, 0x00, 0x00,                         /* status */
    0x18, 0x01, 0x00,                               /* flags, flags2 */
    0x00, 0x00,                                     /* PID high */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* signature */
    0x00, 0x00,                                     /* reserved */
    0x00, 0x00, 0x2f, 0x4b, 0x00, 0x00, 0x00, 0x00, /* TID, PID, UID, MID */
    0x00,                                           /* word count */
    0x0c, 0x00,                                     /* byte count 12 */
    0x02, 'N',  'T',  ' ',  'L',  'M',  ' ',  '0',  '.', '1', '2', 0x00,
};

static void smb1_start(struct audit_conv *conv)
{
	conv_send(conv, smb1_negotiate, sizeof(smb1_negotiate));
	audit_conv_note(conv, "sent SMB1 NEGOTIATE offering only NT LM 0.12", NULL, 0);
}

static enum audit_check_verdict smb1_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	size_t need;

	if (len < 4)
		return AUDIT_CHECK_MORE;
	need = 4 + ((size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3]);
	if (buf[0] != 0) {
		audit_conv_note(conv, "not a NetBIOS session message", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (need > AUDIT_CHECK_READ_MAX)
		need = AUDIT_CHECK_READ_MAX;
	if (len < need || len < 4 + 4)
		return len < need ? AUDIT_CHECK_MORE : AUDIT_CHECK_NO;
	if (memcmp(buf + 4, "\xfeSMB", 4) == 0) {
		audit_conv_note(conv, "answered SMB2 only", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (memcmp(buf + 4, "\xffSMB", 4) != 0 || len < 4 + 32 + 3 || buf[8] != 0x72) {
		audit_conv_note(conv, "no SMB1 negotiate response", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (buf[9] || buf[10] || buf[11] || buf[12]) {
		audit_conv_note(conv, "SMB1 negotiate answered with an error status", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (buf[4 + 32] == 0 || (buf[4 + 33] == 0xff && buf[4 + 34] == 0xff)) {
		audit_conv_note(conv, "SMB1 negotiate: no dialect accepted", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	audit_conv_note(conv, "SMB1 negotiate accepted (dialect NT LM 0.12)", NULL, 0);
	return AUDIT_CHECK_YES;
}

/* SNMPv2c GetRequest for sysDescr.0 with community "public" (RFC 3416). */
static void snmp_start(struct audit_conv *conv)
{
	static const uint8_t tmpl[] = {
	    0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',  'u',  'b',  'l',
	    'i',  'c',  0xa0, 0x1c, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, /* request id */
	    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06,
	    0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
	};
	uint8_t m[sizeof(tmpl)];

	if (!conv->cookie)
		conv->cookie = 0x50530001u;
	memcpy(m, tmpl, sizeof(m));
	m[17] = (uint8_t)(conv->cookie >> 24 & 0x7f);
	m[18] = (uint8_t)(conv->cookie >> 16);
	m[19] = (uint8_t)(conv->cookie >> 8);
	m[20] = (uint8_t)conv->cookie;
	conv_send(conv, m, sizeof(m));
	audit_conv_note(conv, "sent SNMPv2c GetRequest sysDescr.0 community public", NULL, 0);
}

/* One BER TLV at *at within len: tag, *vlen and value offset; false when malformed. */
static bool ber_tlv(const uint8_t *buf, size_t len, size_t *at, uint8_t *tag, size_t *vlen)
{
	size_t p = *at, l;

	if (p + 2 > len)
		return false;
	*tag = buf[p++];
	l = buf[p++];
	if (l & 0x80) {
		unsigned nb = l & 0x7f;

		if (nb == 0 || nb > 3 || p + nb > len)
			return false;
		l = 0;
		while (nb--)
			l = l << 8 | buf[p++];
	}
	if (l > len - p)
		return false;
	*vlen = l;
	*at = p;
	return true;
}

static bool ber_int(const uint8_t *buf, size_t len, size_t *at, uint32_t *v)
{
	uint8_t tag;
	size_t l;

	if (!ber_tlv(buf, len, at, &tag, &l) || tag != 0x02 || l == 0 || l > 5)
		return false;
	*v = 0;
	for (size_t i = 0; i < l; i++)
		*v = *v << 8 | buf[*at + i];
	*at += l;
	return true;
}

static enum audit_check_verdict snmp_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	size_t at = 0, l;
	uint8_t tag;
	uint32_t ver, id, err;

	if (!ber_tlv(buf, len, &at, &tag, &l) || tag != 0x30 || !ber_int(buf, len, &at, &ver) ||
	    ver != 1 || !ber_tlv(buf, len, &at, &tag, &l) || tag != 0x04 || l != 6 ||
	    memcmp(buf + at, "public", 6) != 0) {
		audit_conv_note(conv, "no SNMPv2c reply for community public", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	at += l;
	if (!ber_tlv(buf, len, &at, &tag, &l) || tag != 0xa2 || !ber_int(buf, len, &at, &id) ||
	    id != (conv->cookie & 0x7fffffffu) || !ber_int(buf, len, &at, &err)) {
		audit_conv_note(conv, "no matching GetResponse", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (err != 0) {
		audit_conv_note(conv, "GetResponse with an error status", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	audit_conv_note(conv, "GetResponse to community public, error-status 0", NULL, 0);
	return AUDIT_CHECK_YES;
}

/* PostgreSQL StartupMessage (protocol 3.0) as user postgres; AuthenticationOk is trust. */
static void pgsql_start(struct audit_conv *conv)
{
	static const char params[] = "user\0postgres\0database\0postgres\0application_name\0"
	                             "portscope-audit\0";
	size_t n = 8 + sizeof(params); /* sizeof keeps the final NUL: the list terminator */
	uint8_t m[128];

	m[0] = 0;
	m[1] = 0;
	m[2] = (uint8_t)(n >> 8);
	m[3] = (uint8_t)n;
	m[4] = 0x00;
	m[5] = 0x03;
	m[6] = 0x00;
	m[7] = 0x00;
	memcpy(m + 8, params, sizeof(params));
	conv_send(conv, m, n);
	audit_conv_note(conv, "sent StartupMessage user=postgres without a password", NULL, 0);
}

static enum audit_check_verdict pgsql_step(struct audit_conv *conv, const uint8_t *buf, size_t len)
{
	uint32_t mlen, code;

	if (len < 5)
		return AUDIT_CHECK_MORE;
	mlen = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (buf[0] == 'E') {
		const uint8_t *m = find_bytes(buf, len, "M");

		audit_conv_note(conv, "got ErrorResponse", m ? m + 1 : NULL,
		                m ? (size_t)(buf + len - m - 1) : 0);
		return AUDIT_CHECK_NO;
	}
	if (buf[0] != 'R' || mlen < 8) {
		audit_conv_note(conv, "no PostgreSQL authentication request", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (len < 9)
		return AUDIT_CHECK_MORE;
	code = (uint32_t)buf[5] << 24 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 8 | buf[8];
	if (code == 0) {
		audit_conv_note(conv, "got AuthenticationOk with no password (trust)", NULL, 0);
		return AUDIT_CHECK_YES;
	}
	audit_conv_note(conv,
	                code == 3    ? "asked for a cleartext password"
	                : code == 5  ? "asked for an MD5 password"
	                : code == 10 ? "asked for SASL (SCRAM) authentication"
	                             : "asked for authentication",
	                NULL, 0);
	return AUDIT_CHECK_NO;
}

/* MongoDB OP_MSG {listDatabases: 1, nameOnly: true, $db: "admin"}. */
static void mongodb_start(struct audit_conv *conv)
{
	static const uint8_t m[] = {
	    71,   0,    0,   0,   0x01, 0x50, 0x53, 0x00, 0,   0,   0,   0,
	    0xdd, 0x07, 0,   0, /* hdr */
	    0,    0,    0,   0, /* flagBits */
	    0,                  /* section kind 0 */
	    50,   0,    0,   0, /* document size */
	    0x10, 'l',  'i', 's', 't',  'D',  'a',  't',  'a', 'b', 'a', 's',
	    'e',  's',  0,   1,   0,    0,    0,    0x08, 'n', 'a', 'm', 'e',
	    'O',  'n',  'l', 'y', 0,    1,    0x02, '$',  'd', 'b', 0,   6,
	    0,    0,    0,   'a', 'd',  'm',  'i',  'n',  0,   0,
	};
	conv_send(conv, m, sizeof(m));
	audit_conv_note(conv, "sent listDatabases without authentication", NULL, 0);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks a BSON document's top level for "ok" and "databases". Returns false when malformed. */
static bool bson_scan(const uint8_t *d, size_t len, double *ok, bool *databases)
{
	size_t at = 4, end;

	if (len < 5 || le32(d) < 5 || le32(d) > len)
		return false;
	end = le32(d) - 1;
	while (at < end) {
		uint8_t type = d[at++];
		const uint8_t *name = d + at;
		const uint8_t *nul = memchr(name, 0, end - at);
		size_t skip;

		if (!nul)
			return false;
		at = (size_t)(nul - d) + 1;
		switch (type) {
		case 0x01:
		case 0x09:
		case 0x11:
		case 0x12:
			skip = 8;
			break;
		case 0x02:
		case 0x0d:
		case 0x0e:
			if (at + 4 > end)
				return false;
			skip = 4 + (size_t)le32(d + at);
			break;
		case 0x03:
		case 0x04:
			if (at + 4 > end)
				return false;
			skip = le32(d + at);
			break;
		case 0x05:
			if (at + 4 > end)
				return false;
			skip = 5 + (size_t)le32(d + at);
			break;
		case 0x07:
			skip = 12;
			break;
		case 0x08:
			skip = 1;
			break;
		case 0x0a:
			skip = 0;
			break;
		case 0x10:
			skip = 4;
			break;
		case 0x13:
			skip = 16;
			break;
		default:
			return false;
		}
		if (skip > end - at)
			return false;
		if (strcmp((const char *)name, "ok") == 0) {
			if (type == 0x01) {
				memcpy(ok, d + at,
				       sizeof(*ok)); /* little-endian hosts (x86, arm) */
			} else if (type == 0x10) {
				*ok = (double)le32(d + at);
			}
		} else if (strcmp((const char *)name, "databases") == 0 && type == 0x04) {
			*databases = true;
		}
		at += skip;
	}
	return true;
}

static enum audit_check_verdict mongodb_step(struct audit_conv *conv, const uint8_t *buf,
                                             size_t len)
{
	uint32_t mlen;
	double ok = 0;
	bool dbs = false;

	if (len < 16)
		return AUDIT_CHECK_MORE;
	mlen = le32(buf);
	if (mlen < 16 + 5 || le32(buf + 12) != 2013) {
		audit_conv_note(conv, "no OP_MSG reply", NULL, 0);
		return AUDIT_CHECK_NO;
	}
	if (mlen > AUDIT_CHECK_READ_MAX)
		mlen = AUDIT_CHECK_READ_MAX; /* judge on the first part */
	if (len < mlen)
		return AUDIT_CHECK_MORE;
	if (buf[20] != 0 || !bson_scan(buf + 21, mlen - 21, &ok, &dbs)) {
		if (mlen == AUDIT_CHECK_READ_MAX && buf[20] == 0 &&
		    find_bytes(buf + 21, mlen - 21, "databases"))
			dbs = true, ok = 1; /* a long list: the head names the databases */
		else {
			audit_conv_note(conv, "malformed OP_MSG reply", NULL, 0);
			return AUDIT_CHECK_NO;
		}
	}
	if (ok == 1.0 && dbs) {
		audit_conv_note(conv, "got ok:1 with the list of databases", NULL, 0);
		return AUDIT_CHECK_YES;
	}
	audit_conv_note(conv, "refused (authentication required)", NULL, 0);
	return AUDIT_CHECK_NO;
}

static const uint16_t ports_ftp[] = {21, 0};
static const uint16_t ports_redis[] = {6379, 0};
static const uint16_t ports_telnet[] = {23, 0};
static const uint16_t ports_docker[] = {2375, 0};
static const uint16_t ports_memcached[] = {11211, 0};
static const uint16_t ports_vnc[] = {5900, 5901, 5902, 0};
static const uint16_t ports_smb[] = {445, 139, 0};
static const uint16_t ports_snmp[] = {161, 0};
static const uint16_t ports_pgsql[] = {5432, 0};
static const uint16_t ports_mongodb[] = {27017, 0};

static const struct audit_check check_ftp_anonymous = {
    .name = "ftp-anonymous",
    .services = "ftp",
    .ports = ports_ftp,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "FTP accepts anonymous login",
    .recommendation = "set anonymous_enable=NO (vsftpd) or stop the FTP service; use SFTP",
    .citation = "RFC 1635; CVE-1999-0497",
    .step = ftp_step,
};

static const struct audit_check check_redis_noauth = {
    .name = "redis-noauth",
    .services = "redis",
    .ports = ports_redis,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "Redis answers commands without AUTH",
    .recommendation = "set requirepass (or ACL users), bind 127.0.0.1, protected-mode yes",
    .citation = "https://redis.io/docs/latest/operate/oss_and_stack/management/security/",
    .start = redis_start,
    .step = redis_step,
};

static const struct audit_check check_telnet_cleartext = {
    .name = "telnet-cleartext",
    .services = "telnet",
    .ports = ports_telnet,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "telnet offers a login in cleartext",
    .recommendation = "stop telnetd; use SSH",
    .citation = "RFC 854 (no encryption); CVE-1999-0619",
    .step = telnet_step,
};

static const struct audit_check check_docker_api_plain = {
    .name = "docker-api-plain",
    .services = "docker",
    .ports = ports_docker,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "Docker Engine API answers without TLS",
    .recommendation = "remove -H tcp://0.0.0.0:2375; use the unix socket or TLS with "
                      "client certificates (tlsverify) on 2376",
    .citation = "https://docs.docker.com/engine/security/protect-access/",
    .start = docker_start,
    .step = docker_step,
};

static const struct audit_check check_memcached_stats = {
    .name = "memcached-stats",
    .services = "memcached",
    .ports = ports_memcached,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_MEDIUM,
    .title = "memcached answers stats to anyone",
    .recommendation = "bind memcached to 127.0.0.1 (-l 127.0.0.1), disable UDP (-U 0), "
                      "enable SASL",
    .citation = "CVE-2018-1000115",
    .start = memcached_start,
    .step = memcached_step,
};

static const struct audit_check check_vnc_no_auth = {
    .name = "vnc-no-auth",
    .services = "vnc",
    .ports = ports_vnc,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "VNC offers security type None (no password)",
    .recommendation = "require VNC authentication and tunnel VNC over SSH",
    .citation = "RFC 6143 7.2.1; CVE-2006-2369",
    .step = vnc_step,
};

static const struct audit_check check_smb1_accepted = {
    .name = "smb1-accepted",
    .services = "microsoft-ds netbios-ssn smb",
    .ports = ports_smb,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "SMB1 is accepted in negotiate",
    .recommendation = "disable SMB1 (server min protocol = SMB2_10 in smb.conf)",
    .citation = "MS17-010; CVE-2017-0144 (EternalBlue)",
    .start = smb1_start,
    .step = smb1_step,
};

static const struct audit_check check_snmp_public = {
    .name = "snmp-public",
    .services = "snmp",
    .ports = ports_snmp,
    .proto = IPPROTO_UDP,
    .severity = KB_SEV_HIGH,
    .title = "SNMP v2c answers the community 'public'",
    .recommendation = "remove the public community; use SNMPv3 with authPriv",
    .citation = "CVE-1999-0517",
    .start = snmp_start,
    .step = snmp_step,
};

static const struct audit_check check_postgresql_trust = {
    .name = "postgresql-trust",
    .services = "postgresql",
    .ports = ports_pgsql,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "PostgreSQL lets user postgres in without a password (trust)",
    .recommendation = "replace trust with scram-sha-256 in pg_hba.conf",
    .citation = "https://www.postgresql.org/docs/current/auth-trust.html",
    .start = pgsql_start,
    .step = pgsql_step,
};

static const struct audit_check check_mongodb_noauth = {
    .name = "mongodb-noauth",
    .services = "mongodb",
    .ports = ports_mongodb,
    .proto = IPPROTO_TCP,
    .severity = KB_SEV_HIGH,
    .title = "MongoDB lists its databases without authentication",
    .recommendation = "enable security.authorization and bind to 127.0.0.1",
    .citation = "https://www.mongodb.com/docs/manual/administration/security-checklist/",
    .start = mongodb_start,
    .step = mongodb_step,
};

const struct audit_check *const audit_checks[] = {
    &check_ftp_anonymous,
    &check_redis_noauth,
    &check_telnet_cleartext,
    &check_docker_api_plain,
    &check_memcached_stats,
    &check_vnc_no_auth,
    &check_smb1_accepted,
    &check_snmp_public,
    &check_postgresql_trust,
    &check_mongodb_noauth,
    NULL,
};

const struct audit_check *audit_check_find(const char *name)
{
	for (size_t i = 0; audit_checks[i]; i++)
		if (strcmp(audit_checks[i]->name, name) == 0)
			return audit_checks[i];
	return NULL;
}

bool audit_check_applies(const struct audit_check *c, int proto, uint16_t port, const char *service)
{
	if (c->proto != proto)
		return false;
	for (const uint16_t *p = c->ports; *p; p++)
		if (*p == port)
			return true;
	if (service && *service) {
		size_t n = strlen(service);

		for (const char *s = c->services; *s;) {
			size_t l = strcspn(s, " ");

			if (l == n && strncmp(s, service, n) == 0)
				return true;
			s += l;
			s += strspn(s, " ");
		}
	}
	return false;
}
