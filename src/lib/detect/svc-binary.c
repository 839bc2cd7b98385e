/* Parsers for binary protocols: length-checked, never reading past len. */
#include <stdio.h>
#include <string.h>

#include "detect/builtin.h"
#include "detect/parsers.h"

#define NAME(svc, s) service_set(svc, name, s)

/* MySQL/MariaDB greeting: len(3) seq(1)=0, 0x0a, "8.0.35\0" …; or 0xff error "Host … not allowed".
 */
int builtin_parse_mysql(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t plen;
	size_t e;

	if (len < 5)
		return len < 4 || buf[3] == 0 ? (len ? BUILTIN_MORE : BUILTIN_NO) : BUILTIN_NO;
	plen = buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16;
	if (buf[3] != 0 || plen < 3 || plen > 1024)
		return BUILTIN_NO;
	if (buf[4] == 0xff) {
		/* error packet: code(2) then a message */
		if (len < 4 + (size_t)plen)
			return BUILTIN_MORE;
		if (text_find(buf + 7, plen - 3, "MySQL") < 0 &&
		    text_find(buf + 7, plen - 3, "MariaDB") < 0 &&
		    text_find(buf + 7, plen - 3, "not allowed to connect") < 0)
			return BUILTIN_NO;
		NAME(svc, "mysql");
		service_set(svc, product,
		            text_find(buf + 7, plen - 3, "MariaDB") >= 0 ? "MariaDB" : "MySQL");
		service_set(svc, extrainfo, "unauthorized");
		return BUILTIN_YES;
	}
	if (buf[4] != 0x0a)
		return BUILTIN_NO;
	if (len < 4 + (size_t)plen)
		return BUILTIN_MORE;
	for (e = 5; e < 4 + (size_t)plen && buf[e]; e++)
		if (buf[e] < 0x20 || buf[e] >= 0x7f)
			return BUILTIN_NO;
	if (e == 5 || e >= 4 + (size_t)plen || buf[5] < '0' || buf[5] > '9')
		return BUILTIN_NO;
	NAME(svc, "mysql");
	if (text_find(buf + 5, e - 5, "MariaDB") >= 0) {
		const char *v = (const char *)buf + 5;
		size_t vl = e - 5;

		/* "5.5.5-10.11.6-MariaDB-0+deb12u1": the real version follows the 5.5.5- prefix */
		if (vl > 6 && memcmp(v, "5.5.5-", 6) == 0) {
			v += 6;
			vl -= 6;
		}
		service_set(svc, product, "MariaDB");
		service_copy_printable(svc->version, sizeof(svc->version), v, vl);
		service_add_cpe(svc, "cpe:/a:mariadb:mariadb");
	} else {
		service_set(svc, product, "MySQL");
		service_copy_printable(svc->version, sizeof(svc->version), (const char *)buf + 5,
		                       e - 5);
		service_add_cpe(svc, "cpe:/a:mysql:mysql");
	}
	return BUILTIN_YES;
}

/* Answer to a StartupMessage: 'E' len fields ('S' 'FATAL', 'C' code, 'M' message …), or 'R' auth
 * request. */
int builtin_parse_postgresql(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t plen;

	if (!len)
		return BUILTIN_NO;
	if (buf[0] != 'E' && buf[0] != 'R')
		return BUILTIN_NO;
	if (len < 5)
		return BUILTIN_MORE;
	plen = rd_be32(buf + 1);
	if (buf[0] == 'R') {
		if (plen < 8 || plen > 64)
			return BUILTIN_NO;
		if (len < 9)
			return BUILTIN_MORE;
		NAME(svc, "postgresql");
		service_set(svc, product, "PostgreSQL DB");
		service_add_cpe(svc, "cpe:/a:postgresql:postgresql");
		/* what the server asks of an unknown user: telling for an audit */
		switch (rd_be32(buf + 5)) {
		case 0:
			service_set(svc, extrainfo, "no authentication required");
			break;
		case 3:
			service_set(svc, extrainfo, "cleartext password authentication");
			break;
		case 5:
			service_set(svc, extrainfo, "MD5 password authentication");
			break;
		case 10:
			service_set(svc, extrainfo, "SASL authentication");
			break;
		default:
			snprintf(svc->extrainfo, sizeof(svc->extrainfo), "authentication method %u",
			         rd_be32(buf + 5));
		}
		return BUILTIN_YES;
	}
	if (plen < 8 || plen > 8192)
		return BUILTIN_NO;
	if (len < 1 + (size_t)plen)
		return BUILTIN_MORE;
	/* fields: a type byte and a NUL-terminated string each, a final NUL */
	{
		size_t p = 5, end = 1 + (size_t)plen;
		bool sev = false;

		while (p < end && buf[p]) {
			uint8_t type = buf[p++];
			size_t s = p;

			while (p < end && buf[p])
				p++;
			if (p >= end)
				return BUILTIN_NO;
			if (type == 'S' || type == 'V')
				sev = true;
			if (type == 'M')
				service_copy_printable(svc->extrainfo, sizeof(svc->extrainfo),
				                       (const char *)buf + s, p - s);
			p++;
		}
		if (!sev)
			return BUILTIN_NO;
	}
	NAME(svc, "postgresql");
	service_set(svc, product, "PostgreSQL DB");
	service_add_cpe(svc, "cpe:/a:postgresql:postgresql");
	return BUILTIN_YES;
}

/* Finds an int32 BSON element (type 0x10) called key in doc[0..len). */
static bool bson_int(const uint8_t *doc, size_t len, const char *key, int32_t *out)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl + 6 <= len; i++)
		if (doc[i] == 0x10 && memcmp(doc + i + 1, key, kl) == 0 && doc[i + 1 + kl] == 0) {
			*out = (int32_t)rd_le32(doc + i + 2 + kl);
			return true;
		}
	return false;
}

/* OP_REPLY (opcode 1) to isMaster: header(16) flags(4) cursor(8) start(4) n(4) BSON. */
int builtin_parse_mongodb(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t mlen;
	int32_t wire;

	if (len < 16)
		return len >= 4 && rd_le32(buf) > 1 << 24 ? BUILTIN_NO
		                                          : (len ? BUILTIN_MORE : BUILTIN_NO);
	mlen = rd_le32(buf);
	if (mlen < 36 || mlen > 1 << 24 || rd_le32(buf + 8) != 0x70736d31 ||
	    (rd_le32(buf + 12) != 1 && rd_le32(buf + 12) != 2013))
		return BUILTIN_NO;
	if (len < mlen)
		return BUILTIN_MORE;
	NAME(svc, "mongodb");
	service_set(svc, product, "MongoDB");
	service_add_cpe(svc, "cpe:/a:mongodb:mongodb");
	if (bson_int(buf, mlen, "maxWireVersion", &wire)) {
		static const struct {
			int32_t wire;
			const char *version;
		} wires[] = {{25, "8.0"}, {21, "7.0"}, {17, "6.0"}, {13, "5.0"}, {9, "4.4"},
		             {8, "4.2"},  {7, "4.0"},  {6, "3.6"},  {5, "3.4"},  {4, "3.2"}};

		for (size_t i = 0; i < sizeof(wires) / sizeof(wires[0]); i++)
			if (wire >= wires[i].wire) {
				snprintf(svc->extrainfo, sizeof(svc->extrainfo),
				         "wire version %d, %s or later", (int)wire,
				         wires[i].version);
				break;
			}
	}
	return BUILTIN_YES;
}

/* TPKT 03 00 len, X.224 Connection Confirm (0xd0), optional RDP_NEG_RSP/FAILURE. */
int builtin_parse_rdp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t tlen;

	if (len < 6)
		return len && buf[0] == 3 ? BUILTIN_MORE : BUILTIN_NO;
	tlen = rd_be16(buf + 2);
	if (buf[0] != 3 || buf[1] != 0 || tlen < 11 || tlen > 512 || (buf[5] & 0xf0) != 0xd0)
		return BUILTIN_NO;
	if (len < tlen)
		return BUILTIN_MORE;
	NAME(svc, "ms-wbt-server");
	if (tlen >= 19 && buf[11] == 2) {
		static const char *const protos[] = {"RDP", "TLS", "CredSSP", "RDSTLS",
		                                     "CredSSP EX"};
		uint32_t sel = rd_le32(buf + 15);

		snprintf(svc->extrainfo, sizeof(svc->extrainfo), "security %s",
		         sel < 5 ? protos[sel] : (sel == 8 ? "CredSSP EX" : "other"));
	} else if (tlen >= 19 && buf[11] == 3) {
		service_set(svc, extrainfo, "negotiation failure");
	}
	return BUILTIN_YES;
}

/* NetBIOS session header then "\xffSMB" (SMB1 only) or "\xfeSMB" (SMB 2/3), flagged as a reply. */
int builtin_parse_smb(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	if (len < 8)
		return len && buf[0] == 0 ? BUILTIN_MORE : BUILTIN_NO;
	if (buf[0] != 0 || (buf[5] != 'S' || buf[6] != 'M' || buf[7] != 'B') ||
	    (buf[4] != 0xff && buf[4] != 0xfe))
		return BUILTIN_NO;
	if (buf[4] == 0xff) {
		/* SMB1 Flags byte: 0x80 marks a reply */
		if (len < 14)
			return BUILTIN_MORE;
		if (!(buf[13] & 0x80))
			return BUILTIN_NO;
		NAME(svc, "microsoft-ds");
		service_set(svc, extrainfo, "SMBv1");
		return BUILTIN_YES;
	}
	/* SMB2 Flags at header offset 16: SERVER_TO_REDIR */
	if (len < 24)
		return BUILTIN_MORE;
	if (!(buf[20] & 1))
		return BUILTIN_NO;
	NAME(svc, "microsoft-ds");
	/* NEGOTIATE response: 64-byte header, then StructureSize(2) SecurityMode(2) Dialect(2) */
	if (len >= 4 + 64 + 6) {
		uint32_t d = buf[4 + 64 + 4] | (uint32_t)buf[4 + 64 + 5] << 8;

		if (d == 0x02ff)
			service_set(svc, extrainfo, "SMB 2/3");
		else
			snprintf(svc->extrainfo, sizeof(svc->extrainfo), "SMB dialect %x.%x.%x",
			         d >> 8, (d >> 4) & 0xf, d & 0xf);
	} else {
		service_set(svc, extrainfo, "SMB 2/3");
	}
	return BUILTIN_YES;
}

/* A BER length at buf[*p]; returns it or -1 (long form up to 4 bytes). */
static long ber_len(const uint8_t *buf, size_t len, size_t *p)
{
	size_t n;
	unsigned long v = 0;

	if (*p >= len)
		return -1;
	if (buf[*p] < 0x80)
		return buf[(*p)++];
	n = buf[(*p)++] & 0x7f;
	if (n == 0 || n > 4 || *p + n > len)
		return -1;
	while (n--)
		v = v << 8 | buf[(*p)++];
	return (long)v;
}

/* Checks "30 len" and that the whole message is there; returns BUILTIN_* and the body start. */
static int ber_message(const uint8_t *buf, size_t len, size_t *body)
{
	size_t p = 1;
	long l;

	if (!len || buf[0] != 0x30)
		return BUILTIN_NO;
	if (len < 2)
		return BUILTIN_MORE;
	l = ber_len(buf, len, &p);
	if (l < 0)
		return len < 6 ? BUILTIN_MORE : BUILTIN_NO;
	if (l > 1 << 20)
		return BUILTIN_NO;
	if (p + (size_t)l > len)
		return BUILTIN_MORE;
	*body = p;
	return BUILTIN_YES;
}

/* LDAPMessage { messageID 1, searchResEntry (0x64) or searchResDone (0x65) … } */
int builtin_parse_ldap(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	size_t p;
	int rc = ber_message(buf, len, &p);
	long at;

	if (rc != BUILTIN_YES)
		return rc;
	if (p + 4 > len || buf[p] != 0x02 || buf[p + 1] != 1 || buf[p + 2] != 1 ||
	    (buf[p + 3] != 0x64 && buf[p + 3] != 0x65 && buf[p + 3] != 0x78))
		return BUILTIN_NO;
	NAME(svc, "ldap");
	for (int k = 0; k < 2; k++) {
		const char *attr = k ? "vendorVersion" : "vendorName";
		char *dst = k ? svc->version : svc->product;
		size_t dsz = k ? sizeof(svc->version) : sizeof(svc->product);

		if ((at = text_find(buf, len, attr)) >= 0) {
			/* attr name, then SET (31 len) of OCTET STRING (04 len value) */
			size_t q = (size_t)at + strlen(attr);
			long sl, vl;

			if (q < len && buf[q] == 0x31) {
				q++;
				sl = ber_len(buf, len, &q);
				if (sl > 0 && q < len && buf[q] == 0x04) {
					q++;
					vl = ber_len(buf, len, &q);
					if (vl > 0 && q + (size_t)vl <= len)
						service_copy_printable(
						    dst, dsz, (const char *)buf + q, (size_t)vl);
				}
			}
		}
	}
	return BUILTIN_YES;
}

/* GetResponse (0xa2) to sysDescr.0: the OCTET STRING after OID 1.3.6.1.2.1.1.1.0. */
int builtin_parse_snmp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const uint8_t oid[] = {0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00};
	size_t p;
	int rc = ber_message(buf, len, &p);

	if (rc != BUILTIN_YES)
		return rc;
	if (p + 5 > len || buf[p] != 0x02 || buf[p + 1] != 1 || buf[p + 2] > 3 ||
	    buf[p + 3] != 0x04)
		return BUILTIN_NO;
	/* community, then a GetResponse PDU */
	if (p + 5 + buf[p + 4] >= len || buf[p + 5 + buf[p + 4]] != 0xa2)
		return BUILTIN_NO;
	NAME(svc, "snmp");
	snprintf(svc->version, sizeof(svc->version), "%s",
	         buf[p + 2] == 0   ? "v1"
	         : buf[p + 2] == 1 ? "v2c"
	                           : "v3");
	if (buf[p + 2] == 0)
		service_set(svc, product, "SNMPv1 server"); /* nmap's name for an SNMPv1 answer */
	for (size_t i = p; i + sizeof(oid) + 2 <= len; i++)
		if (memcmp(buf + i, oid, sizeof(oid)) == 0 && buf[i + sizeof(oid)] == 0x04) {
			size_t q = i + sizeof(oid) + 1;
			long vl = ber_len(buf, len, &q);

			if (vl > 0 && q + (size_t)vl <= len)
				service_copy_printable(svc->extrainfo, sizeof(svc->extrainfo),
				                       (const char *)buf + q, (size_t)vl);
			break;
		}
	return BUILTIN_YES;
}

/* Reads "tag len" at *p and checks it is tag with its value inside buf; returns the length. */
static long ber_expect(const uint8_t *buf, size_t len, size_t *p, uint8_t tag)
{
	long l;

	if (*p >= len || buf[*p] != tag)
		return -1;
	(*p)++;
	l = ber_len(buf, len, p);
	if (l < 0 || *p + (size_t)l > len)
		return -1;
	return l;
}

/* Enterprise numbers (IANA) of the usual SNMP agents. */
static const char *snmp_enterprise(uint32_t n, char *buf, size_t size)
{
	static const struct {
		uint32_t n;
		const char *name;
	} known[] = {{8072, "net-snmp"}, {2021, "ucd-snmp"}, {9, "cisco"},      {2636, "Juniper"},
	             {311, "Microsoft"}, {11, "HP"},         {4526, "Netgear"}, {30065, "Arista"}};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].n == n)
			return known[i].name;
	snprintf(buf, size, "enterprise %u", n);
	return buf;
}

/*
 * The Report to our SNMPv3 discovery: 30 { 02 version 3, 30 globalData, 04 { 30 { 04 engineID
 * … } } … }; the engine ID's first four bytes are 0x80000000 | the agent's enterprise number.
 * Fills product "<enterprise> SNMPv3 server", as nmap's snmp-info script does.
 */
int builtin_parse_snmpv3(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	size_t p;
	long l;
	uint32_t ent;
	char tmp[32];
	int rc = ber_message(buf, len, &p);

	if (rc != BUILTIN_YES)
		return rc;
	if (p + 3 > len || buf[p] != 0x02 || buf[p + 1] != 1 || buf[p + 2] != 3)
		return BUILTIN_NO;
	p += 3;
	if ((l = ber_expect(buf, len, &p, 0x30)) < 0)
		return BUILTIN_NO;
	p += (size_t)l;
	if (ber_expect(buf, len, &p, 0x04) < 0 || ber_expect(buf, len, &p, 0x30) < 0 ||
	    (l = ber_expect(buf, len, &p, 0x04)) < 4)
		return BUILTIN_NO;
	ent = rd_be32(buf + p);
	if (!(ent & 0x80000000u))
		return BUILTIN_NO;
	NAME(svc, "snmp");
	snprintf(svc->product, sizeof(svc->product), "%s SNMPv3 server",
	         snmp_enterprise(ent & 0x7fffffffu, tmp, sizeof(tmp)));
	return BUILTIN_YES;
}

/* 48-byte NTP answer: mode 4 (server) or 2, version in bits 3-5, stratum in byte 1. */
int builtin_parse_ntp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	unsigned mode, vn;

	if (len < 48)
		return BUILTIN_NO; /* UDP: one datagram */
	mode = buf[0] & 7;
	vn = (buf[0] >> 3) & 7;
	if ((mode != 4 && mode != 2) || vn < 1 || vn > 4 || buf[1] > 16)
		return BUILTIN_NO;
	NAME(svc, "ntp");
	service_set(svc, product, "NTP");
	snprintf(svc->version, sizeof(svc->version), "v%u", vn);
	snprintf(svc->extrainfo, sizeof(svc->extrainfo), "stratum %u", buf[1]);
	return BUILTIN_YES;
}

/*
 * The PUBLISH of $SYS/broker/version after our SUBSCRIBE: 0x30|flags, remaining length, topic,
 * payload ("mosquitto version 2.0.11"). Returns 1 and fills product and version, else 0.
 */
static int mqtt_broker_version(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const char topic[] = "$SYS/broker/version";
	const size_t tl = sizeof(topic) - 1;

	for (size_t i = 0; i + 4 + tl <= len; i++) {
		size_t rl = buf[i + 1], p = i + 2, end, v;

		if ((buf[i] & 0xf0) != 0x30 || rl & 0x80 || rd_be16(buf + p) != tl ||
		    memcmp(buf + p + 2, topic, tl) != 0)
			continue;
		end = p + rl;
		p += 2 + tl +
		     ((buf[i] & 0x06) ? 2 : 0); /* a packet id follows the topic at QoS > 0 */
		if (end > len || p >= end)
			return 0;
		/* "<product> version <version>" or "<product> <version>" */
		for (v = p; v < end && buf[v] != ' '; v++)
			;
		service_copy_printable(svc->product, sizeof(svc->product), (const char *)buf + p,
		                       v - p);
		if (svc->product[0] >= 'a' && svc->product[0] <= 'z')
			svc->product[0] = (char)(svc->product[0] - 'a' + 'A');
		if (end - v > 9 && memcmp(buf + v, " version ", 9) == 0)
			v += 9;
		else if (v < end)
			v++;
		service_copy_printable(svc->version, sizeof(svc->version), (const char *)buf + v,
		                       end - v);
		return 1;
	}
	return 0;
}

/* CONNACK: 20 02 flags rc, then (accepted) SUBACK and the broker's version, when it says it */
int builtin_parse_mqtt(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const char *const rcs[] = {
	    "connection accepted", "unacceptable protocol version", "identifier rejected",
	    "server unavailable",  "bad user name or password",     "not authorized"};

	if (len < 4)
		return len && buf[0] == 0x20 ? BUILTIN_MORE : BUILTIN_NO;
	if (buf[0] != 0x20 || buf[1] != 2 || buf[2] > 1)
		return BUILTIN_NO;
	NAME(svc, "mqtt");
	if (buf[3] != 0) {
		if (buf[3] < 6)
			service_set(svc, extrainfo, rcs[buf[3]]);
		return BUILTIN_YES;
	}
	if (mqtt_broker_version(buf + 4, len - 4, svc))
		return BUILTIN_YES;
	return BUILTIN_MORE; /* accepted: the broker's version may follow */
}

/* A long-string value of key in an AMQP field table: 0x07 "product" 'S' len(4) bytes */
static void amqp_field(const uint8_t *buf, size_t len, const char *key, char *dst, size_t dsz)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl + 6 <= len; i++)
		if (buf[i] == kl && memcmp(buf + i + 1, key, kl) == 0 && buf[i + 1 + kl] == 'S') {
			size_t s = i + kl + 6;
			uint32_t vl = rd_be32(buf + i + 2 + kl);

			if (s + vl <= len)
				service_copy_printable(dst, dsz, (const char *)buf + s, vl);
			return;
		}
}

/* Connection.Start: frame type 1, channel 0, size(4), class 10 method 10 …; or "AMQP\0\0\x09\x01".
 */
int builtin_parse_amqp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t flen;

	if (text_starts(buf, len, "AMQP")) {
		/* a server answers an unsupported version with its own; our own header back is an
		 * echo */
		if (len >= 8 && memcmp(buf + 4, "\x00\x00\x09\x01", 4) == 0)
			return BUILTIN_NO;
		NAME(svc, "amqp");
		if (len >= 8)
			snprintf(svc->extrainfo, sizeof(svc->extrainfo), "AMQP %u-%u.%u", buf[5],
			         buf[6], buf[7]);
		return len >= 8 ? BUILTIN_YES : BUILTIN_MORE;
	}
	if (len < 11)
		return len && buf[0] == 1 ? BUILTIN_MORE : BUILTIN_NO;
	flen = rd_be32(buf + 3);
	if (buf[0] != 1 || buf[1] || buf[2] || rd_be16(buf + 7) != 10 || rd_be16(buf + 9) != 10 ||
	    flen > 1 << 20)
		return BUILTIN_NO;
	if (len < 7 + (size_t)flen + 1)
		return BUILTIN_MORE;
	NAME(svc, "amqp");
	amqp_field(buf, len, "product", svc->product, sizeof(svc->product));
	amqp_field(buf, len, "version", svc->version, sizeof(svc->version));
	if (len > 12)
		snprintf(svc->extrainfo, sizeof(svc->extrainfo), "AMQP %u.%u", buf[11], buf[12]);
	return BUILTIN_YES;
}

/* ApiVersions v0 answer: size(4) correlation id 'psk1' error(2) count(4) {key,min,max}*count */
int builtin_parse_kafka(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t size, n;

	if (len < 14)
		return len >= 8 && rd_be32(buf + 4) != 0x70736b31
		           ? BUILTIN_NO
		           : (len ? BUILTIN_MORE : BUILTIN_NO);
	size = rd_be32(buf);
	n = rd_be32(buf + 10);
	if (rd_be32(buf + 4) != 0x70736b31 || size < 10 || size > 1 << 20 || n > 1000 ||
	    (rd_be16(buf + 8) == 0 && size < 10 + 6 * n))
		return BUILTIN_NO;
	NAME(svc, "kafka");
	service_set(svc, product, "Apache Kafka");
	if (rd_be16(buf + 8) == 0)
		snprintf(svc->extrainfo, sizeof(svc->extrainfo), "%u APIs", n);
	return BUILTIN_YES;
}

/* Skips a DNS name at *p (labels or a pointer). */
static bool dns_skip_name(const uint8_t *m, size_t len, size_t *p)
{
	for (int hops = 0; hops < 128 && *p < len; hops++) {
		uint8_t l = m[*p];

		if (l == 0) {
			(*p)++;
			return true;
		}
		if ((l & 0xc0) == 0xc0) {
			*p += 2;
			return *p <= len;
		}
		*p += 1 + (size_t)l;
	}
	return false;
}

/* A DNS answer to our version.bind query (id 6): the TXT string names the server. */
static int dns_message(const uint8_t *m, size_t len, struct detect_service *svc)
{
	size_t p = 12;
	unsigned qd, an, rcode;

	if (len < 12)
		return BUILTIN_NO;
	if (rd_be16(m) != 0x0006 || !(m[2] & 0x80))
		return BUILTIN_NO;
	NAME(svc, "domain");
	rcode = m[3] & 0xf;
	qd = rd_be16(m + 4);
	an = rd_be16(m + 6);
	for (unsigned i = 0; i < qd && i < 4; i++)
		if (!dns_skip_name(m, len, &p) || (p += 4) > len)
			return BUILTIN_YES;
	for (unsigned i = 0; i < an && i < 8; i++) {
		unsigned type, rdlen;

		if (!dns_skip_name(m, len, &p) || p + 10 > len)
			break;
		type = rd_be16(m + p);
		rdlen = rd_be16(m + p + 8);
		p += 10;
		if (p + rdlen > len)
			break;
		if (type == 16 && rdlen > 1 && m[p] > 0 && (size_t)m[p] + 1 <= rdlen) {
			char txt[128];

			service_copy_printable(txt, sizeof(txt), (const char *)m + p + 1, m[p]);
			if (strncmp(txt, "dnsmasq-", 8) == 0) {
				service_set(svc, product, "dnsmasq");
				service_set(svc, version, txt + 8);
				service_add_cpe(svc, "cpe:/a:thekelleys:dnsmasq");
			} else if (txt[0] >= '0' && txt[0] <= '9') {
				service_set(svc, product, "ISC BIND");
				service_set(svc, version, txt);
				service_add_cpe(svc, "cpe:/a:isc:bind");
			} else if (strncmp(txt, "unbound ", 8) == 0) {
				service_set(svc, product, "Unbound");
				service_set(svc, version, txt + 8);
			} else if (strncmp(txt, "PowerDNS", 8) == 0) {
				text_product_version(txt, strlen(txt), ' ', svc);
			} else {
				service_set(svc, extrainfo, txt);
			}
			return BUILTIN_YES;
		}
		p += rdlen;
	}
	if (rcode)
		snprintf(svc->extrainfo, sizeof(svc->extrainfo), "version.bind rcode %u", rcode);
	return BUILTIN_YES;
}

int builtin_parse_dns_udp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	return dns_message(buf, len, svc);
}

int builtin_parse_dns_tcp(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	uint32_t mlen;

	if (len < 2)
		return len ? BUILTIN_MORE : BUILTIN_NO;
	mlen = rd_be16(buf);
	if (mlen < 12)
		return BUILTIN_NO;
	if (len >= 4 && rd_be16(buf + 2) != 0x0006)
		return BUILTIN_NO;
	if (len < 2 + (size_t)mlen)
		return BUILTIN_MORE;
	return dns_message(buf + 2, mlen, svc);
}

/* ServerHello (16 03 0x len 02 …) or an alert (15 03 0x) to our ClientHello. */
int builtin_parse_tls(const uint8_t *buf, size_t len, struct detect_service *svc)
{
	static const char *const names[] = {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
	uint32_t rlen, ver;

	if (len < 6)
		return len && (buf[0] == 0x16 || buf[0] == 0x15) ? BUILTIN_MORE : BUILTIN_NO;
	rlen = rd_be16(buf + 3);
	if ((buf[0] != 0x16 && buf[0] != 0x15) || buf[1] != 3 || buf[2] > 4 || rlen == 0 ||
	    rlen > 18432)
		return BUILTIN_NO;
	if (buf[0] == 0x15) {
		if (rlen != 2)
			return BUILTIN_NO;
		NAME(svc, "ssl");
		service_set(svc, extrainfo, "handshake alert");
		return BUILTIN_YES;
	}
	if (buf[5] != 2)
		return BUILTIN_NO;
	if (len < 11)
		return BUILTIN_MORE;
	NAME(svc, "ssl");
	ver = rd_be16(buf + 9);
	if (ver >= 0x0300 && ver <= 0x0304)
		snprintf(svc->extrainfo, sizeof(svc->extrainfo), "%s", names[ver - 0x0300]);
	/* cipher suite after random(32) and the session id */
	if (len >= 11 + 32 + 1) {
		size_t sid = buf[43];

		if (len >= 44 + sid + 2) {
			size_t o = strlen(svc->extrainfo);

			snprintf(svc->extrainfo + o, sizeof(svc->extrainfo) - o, "%scipher 0x%04x",
			         o ? ", " : "", rd_be16(buf + 44 + sid));
		}
	}
	return BUILTIN_YES;
}
