/* The safe checks as state machines: canned server replies, every verdict path. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "audit/check.h"
#include "knowledge/risk.h"

/* A registry entry lacks nothing; names are unique. */
static void test_registry_walk(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t i = 0; audit_checks[i]; i++, n++) {
		const struct audit_check *c = audit_checks[i];

		if (!c->name || !c->services || !c->ports || !c->ports[0] || !c->step ||
		    !c->title || !c->recommendation || !c->citation || !*c->citation ||
		    !kb_severity_name(c->severity) ||
		    (c->proto != IPPROTO_TCP && c->proto != IPPROTO_UDP))
			fail_msg("check %zu lacks a field", i);
		/* The client speaks first over UDP: a UDP check needs start(). */
		if (c->proto == IPPROTO_UDP && !c->start)
			fail_msg("UDP check %s has no start()", c->name);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(audit_checks[j]->name, c->name);
		assert_ptr_equal(audit_check_find(c->name), c);
	}
	assert_true(n >= 10);
	assert_null(audit_check_find("nope"));
}

static void test_applies(void **state)
{
	const struct audit_check *r = audit_check_find("redis-noauth");
	const struct audit_check *s = audit_check_find("smb1-accepted");

	(void)state;
	assert_true(audit_check_applies(r, IPPROTO_TCP, 6379, NULL));
	assert_true(audit_check_applies(r, IPPROTO_TCP, 7777, "redis"));
	assert_false(audit_check_applies(r, IPPROTO_TCP, 7777, "redis-sentinel"));
	assert_false(audit_check_applies(r, IPPROTO_TCP, 7777, ""));
	assert_false(audit_check_applies(r, IPPROTO_UDP, 6379, NULL));
	assert_true(audit_check_applies(s, IPPROTO_TCP, 1445, "netbios-ssn"));
	assert_true(audit_check_applies(s, IPPROTO_TCP, 139, "http"));
	assert_false(audit_check_applies(s, IPPROTO_TCP, 1445, "microsoft"));
}

/*
 * Plays a conversation: replies[i] is what the server says after the i-th
 * message; returns the final verdict (MORE when replies run out).
 */
static int play(const char *name, const char *const *replies, const size_t *lens, size_t n,
                struct audit_conv *conv)
{
	const struct audit_check *c = audit_check_find(name);
	int v = AUDIT_CHECK_MORE;

	assert_non_null(c);
	memset(conv, 0, sizeof(*conv));
	conv->cookie = 0x01020304;
	if (c->start)
		c->start(conv);
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(replies[i]);

		if (i > 0)
			conv->outlen = 0; /* sent; the first message stays for the tests to see */
		v = c->step(conv, (const uint8_t *)replies[i], len);
		if (v != AUDIT_CHECK_SEND)
			break;
		conv->step++;
	}
	return v;
}

static void test_ftp(void **state)
{
	struct audit_conv cv;
	const char *yes[] = {"220 (vsFTPd 3.0.3)\r\n", "331 Please specify the password.\r\n",
	                     "230 Login successful.\r\n"};
	const char *yes_nopass[] = {"220-Welcome\r\n220-to the lab\r\n220 ready\r\n",
	                            "230 Anonymous access granted\r\n"};
	const char *no[] = {"220 ready\r\n", "331 Please specify the password.\r\n",
	                    "530 Login incorrect.\r\n"};
	const char *no_user[] = {"220 ready\r\n", "530 This FTP server is not anonymous\r\n"};
	const char *not_ftp[] = {"SSH-2.0-OpenSSH_9.2\r\n"};
	const char *busy[] = {"421 Too many users\r\n"};
	const char *partial[] = {"220-Welcome\r\n220"};

	(void)state;
	assert_int_equal(play("ftp-anonymous", yes, NULL, 3, &cv), AUDIT_CHECK_YES);
	assert_non_null(strstr(cv.evidence, "USER anonymous"));
	assert_non_null(strstr(cv.evidence, "230 Login successful."));
	assert_int_equal(play("ftp-anonymous", yes_nopass, NULL, 2, &cv), AUDIT_CHECK_YES);
	assert_int_equal(play("ftp-anonymous", no, NULL, 3, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("ftp-anonymous", no_user, NULL, 2, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("ftp-anonymous", not_ftp, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("ftp-anonymous", busy, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("ftp-anonymous", partial, NULL, 1, &cv), AUDIT_CHECK_MORE);
}

static void test_redis_memcached(void **state)
{
	struct audit_conv cv;
	const char *pong[] = {"+PONG\r\n"}, *noauth[] = {"-NOAUTH Authentication required.\r\n"};
	const char *denied[] = {"-DENIED Redis is running in protected mode\r\n"};
	const char *half[] = {"+PO"}, *stat[] = {"STAT pid 42\r\nSTAT uptime 1\r\n"};
	const char *err[] = {"ERROR\r\n"}, *http[] = {"HTTP/1.1 400 Bad Request\r\n"};

	(void)state;
	assert_int_equal(play("redis-noauth", pong, NULL, 1, &cv), AUDIT_CHECK_YES);
	assert_string_equal(cv.evidence, "sent PING; got +PONG");
	assert_int_equal(play("redis-noauth", noauth, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("redis-noauth", denied, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("redis-noauth", half, NULL, 1, &cv), AUDIT_CHECK_MORE);
	assert_int_equal(play("memcached-stats", stat, NULL, 1, &cv), AUDIT_CHECK_YES);
	assert_int_equal(play("memcached-stats", err, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("memcached-stats", http, NULL, 1, &cv), AUDIT_CHECK_NO);
}

static void test_telnet(void **state)
{
	struct audit_conv cv;
	/* IAC DO TTYPE, IAC WILL ECHO; then the prompt. */
	static const char nego[] = "\xff\xfd\x18\xff\xfb\x01";
	const char *r1[] = {nego, "\r\nDebian GNU/Linux 12\r\nlab login: "};
	size_t l1[] = {6, 0};
	const char *banner[] = {"SSH-2.0-OpenSSH_9.2\r\n"};
	const char *sb[] = {"\xff\xfa\x18\x01\xff\xf0Password:"};
	size_t lsb[] = {15};

	(void)state;
	l1[1] = strlen(r1[1]);
	assert_int_equal(play("telnet-cleartext", r1, l1, 1, &cv), AUDIT_CHECK_SEND);
	/* Refuses both: IAC WONT TTYPE, IAC DONT ECHO. */
	assert_int_equal(cv.outlen, 6);
	assert_memory_equal(cv.out, "\xff\xfc\x18\xff\xfe\x01", 6);
	assert_int_equal(play("telnet-cleartext", r1, l1, 2, &cv), AUDIT_CHECK_YES);
	assert_non_null(strstr(cv.evidence, "lab login:"));
	assert_int_equal(play("telnet-cleartext", banner, NULL, 1, &cv), AUDIT_CHECK_MORE);
	assert_int_equal(play("telnet-cleartext", sb, lsb, 1, &cv), AUDIT_CHECK_YES);
}

static void test_docker(void **state)
{
	struct audit_conv cv;
	const char *yes[] = {"HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\n\r\n"
	                     "{\"Platform\":{},\"Version\":\"24.0.7\",\"ApiVersion\":\"1.43\"}"};
	const char *nginx[] = {"HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n<html>version</html>"};
	const char *notfound[] = {"HTTP/1.1 404 Not Found\r\n\r\n"};
	const char *headers_only[] = {"HTTP/1.1 200 OK\r\nServer: x"};

	(void)state;
	assert_int_equal(play("docker-api-plain", yes, NULL, 1, &cv), AUDIT_CHECK_YES);
	assert_non_null(strstr(cv.evidence, "GET /version"));
	assert_int_equal(play("docker-api-plain", nginx, NULL, 1, &cv), AUDIT_CHECK_MORE);
	assert_int_equal(play("docker-api-plain", notfound, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("docker-api-plain", headers_only, NULL, 1, &cv), AUDIT_CHECK_MORE);
}

static void test_vnc(void **state)
{
	struct audit_conv cv;
	const char *none38[] = {"RFB 003.008\n", "\x02\x02\x01"};
	size_t l38[] = {12, 3};
	const char *vnc38[] = {"RFB 003.008\n", "\x01\x02"};
	size_t lv38[] = {12, 2};
	const char *none33[] = {"RFB 003.003\n", "\x00\x00\x00\x01"};
	size_t l33[] = {12, 4};
	const char *vnc33[] = {"RFB 003.003\n", "\x00\x00\x00\x02"};
	const char *fail[] = {"RFB 003.008\n", "\x00\x00\x00\x00\x05"};
	size_t lf[] = {12, 5};
	const char *bad[] = {"RFB 00x.008\n"}, *trunc[] = {"RFB 003.008\n", "\x03\x02"};
	size_t lt[] = {12, 2};

	(void)state;
	assert_int_equal(play("vnc-no-auth", none38, l38, 2, &cv), AUDIT_CHECK_YES);
	assert_int_equal(play("vnc-no-auth", vnc38, lv38, 2, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("vnc-no-auth", none33, l33, 2, &cv), AUDIT_CHECK_YES);
	assert_memory_equal(cv.out, "RFB 003.003\n", 12);
	assert_int_equal(play("vnc-no-auth", vnc33, l33, 2, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("vnc-no-auth", fail, lf, 2, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("vnc-no-auth", bad, NULL, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("vnc-no-auth", trunc, lt, 2, &cv), AUDIT_CHECK_MORE);
}

static void test_smb1(void **state)
{
	struct audit_conv cv;
	char ok[4 + 32 + 3 + 34] = {0}, smb2[4 + 64] = {0}, err[4 + 32 + 3] = {0};
	const char *r[1];
	size_t l[1];

	(void)state;
	ok[3] = sizeof(ok) - 4;
	memcpy(ok + 4, "\xffSMB\x72", 5);
	ok[36] = 17; /* word count; dialect index 0 */
	r[0] = ok;
	l[0] = sizeof(ok);
	assert_int_equal(play("smb1-accepted", r, l, 1, &cv), AUDIT_CHECK_YES);
	l[0] = 20; /* partial */
	assert_int_equal(play("smb1-accepted", r, l, 1, &cv), AUDIT_CHECK_MORE);
	ok[37] = ok[38] = (char)0xff; /* no dialect */
	l[0] = sizeof(ok);
	assert_int_equal(play("smb1-accepted", r, l, 1, &cv), AUDIT_CHECK_NO);
	smb2[3] = sizeof(smb2) - 4;
	memcpy(smb2 + 4, "\xfeSMB", 4);
	r[0] = smb2;
	l[0] = sizeof(smb2);
	assert_int_equal(play("smb1-accepted", r, l, 1, &cv), AUDIT_CHECK_NO);
	assert_non_null(strstr(cv.evidence, "SMB2 only"));
	err[3] = sizeof(err) - 4;
	memcpy(err + 4, "\xffSMB\x72\x02\x00\x00\xc0", 9); /* STATUS_NOT_SUPPORTED-ish */
	r[0] = err;
	l[0] = sizeof(err);
	assert_int_equal(play("smb1-accepted", r, l, 1, &cv), AUDIT_CHECK_NO);
}

static void test_snmp(void **state)
{
	struct audit_conv cv;
	static const char resp[] =
	    "\x30\x29\x02\x01\x01\x04\x06public\xa2\x1c\x02\x04\x01\x02\x03\x04"
	    "\x02\x01\x00\x02\x01\x00\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02"
	    "\x01\x01\x01\x00\x05\x00";
	char m[sizeof(resp)];
	const char *r[] = {m};
	size_t l[] = {sizeof(resp) - 1};

	(void)state;
	memcpy(m, resp, sizeof(m));
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_YES);
	/* The request carried the cookie as request id. */
	assert_int_equal(cv.outlen, 43);
	assert_memory_equal(cv.out + 17, "\x01\x02\x03\x04", 4);
	m[20] = 5; /* another request id */
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_NO);
	memcpy(m, resp, sizeof(m));
	m[23] = 2; /* error-status noSuchName */
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_NO);
	memcpy(m, resp, sizeof(m));
	m[7] = 'P'; /* another community */
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_NO);
	memcpy(m, resp, sizeof(m));
	m[1] = (char)0x84; /* length of length too big */
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_NO);
	l[0] = 10; /* truncated datagram */
	assert_int_equal(play("snmp-public", r, l, 1, &cv), AUDIT_CHECK_NO);
}

static void test_postgresql(void **state)
{
	struct audit_conv cv;
	const char *trust[] = {"R\0\0\0\x08\0\0\0\0"}, *md5[] = {"R\0\0\0\x0c\0\0\0\x05salt"};
	const char *scram[] = {"R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0"};
	const char *e[] = {"E\0\0\0\x30SFATAL\0C28000\0Mno pg_hba.conf entry\0\0"};
	const char *half[] = {"R\0\0\0\x08\0\0"};
	size_t lt[] = {9}, lm[] = {13}, ls[] = {24}, le[] = {42}, lh[] = {7};

	(void)state;
	assert_int_equal(play("postgresql-trust", trust, lt, 1, &cv), AUDIT_CHECK_YES);
	assert_int_equal(cv.outlen, 8 + 66);
	assert_int_equal(play("postgresql-trust", md5, lm, 1, &cv), AUDIT_CHECK_NO);
	assert_non_null(strstr(cv.evidence, "MD5"));
	assert_int_equal(play("postgresql-trust", scram, ls, 1, &cv), AUDIT_CHECK_NO);
	assert_int_equal(play("postgresql-trust", e, le, 1, &cv), AUDIT_CHECK_NO);
	assert_non_null(strstr(cv.evidence, "pg_hba"));
	assert_int_equal(play("postgresql-trust", half, lh, 1, &cv), AUDIT_CHECK_MORE);
}

/* An OP_MSG reply around a BSON document. */
static size_t mongo_reply(uint8_t *out, const uint8_t *doc, size_t dlen)
{
	size_t n = 16 + 4 + 1 + dlen;

	memset(out, 0, 21);
	out[0] = (uint8_t)n;
	out[12] = 0xdd;
	out[13] = 0x07;
	memcpy(out + 21, doc, dlen);
	return n;
}

static void test_mongodb(void **state)
{
	struct audit_conv cv;
	/* {databases: [], ok: 1.0} and {ok: 0.0, errmsg: "x"} */
	static const uint8_t yes[] = {33,  0,   0,   0, 0x04, 'd', 'a', 't', 'a',  'b',  'a',
	                              's', 'e', 's', 0, 5,    0,   0,   0,   0,    0x01, 'o',
	                              'k', 0,   0,   0, 0,    0,   0,   0,   0xf0, 0x3f, 0};
	static const uint8_t no[] = {31,  0, 0, 0, 0x01, 'o',  'k', 0,   0,   0,   0,
	                             0,   0, 0, 0, 0,    0x02, 'e', 'r', 'r', 'm', 's',
	                             'g', 0, 2, 0, 0,    0,    'x', 0,   0};
	static const uint8_t bad[] = {9, 0, 0, 0, 0x7f, 'o', 'k', 0, 0};
	uint8_t m[128];
	const char *r[] = {(const char *)m};
	size_t l[1];

	(void)state;
	assert_int_equal(sizeof(yes), 33);
	assert_int_equal(sizeof(no), 31);
	l[0] = mongo_reply(m, yes, sizeof(yes));
	assert_int_equal(play("mongodb-noauth", r, l, 1, &cv), AUDIT_CHECK_YES);
	assert_int_equal(cv.outlen, 71);
	l[0] = mongo_reply(m, no, sizeof(no));
	assert_int_equal(play("mongodb-noauth", r, l, 1, &cv), AUDIT_CHECK_NO);
	l[0] = mongo_reply(m, bad, sizeof(bad));
	assert_int_equal(play("mongodb-noauth", r, l, 1, &cv), AUDIT_CHECK_NO);
	l[0] = 10;
	assert_int_equal(play("mongodb-noauth", r, l, 1, &cv), AUDIT_CHECK_MORE);
}

static void test_evidence_bounded(void **state)
{
	struct audit_conv cv;
	char big[2000];

	(void)state;
	memset(&cv, 0, sizeof(cv));
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 50; i++)
		audit_conv_note(&cv, "got", (const uint8_t *)big, sizeof(big));
	assert_true(strlen(cv.evidence) < sizeof(cv.evidence));
	memset(&cv, 0, sizeof(cv));
	audit_conv_note(&cv, "got", (const uint8_t *)"a\r\nb\x01", 5);
	assert_string_equal(cv.evidence, "got a\nb.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_walk), cmocka_unit_test(test_applies),
	    cmocka_unit_test(test_ftp),           cmocka_unit_test(test_redis_memcached),
	    cmocka_unit_test(test_telnet),        cmocka_unit_test(test_docker),
	    cmocka_unit_test(test_vnc),           cmocka_unit_test(test_smb1),
	    cmocka_unit_test(test_snmp),          cmocka_unit_test(test_postgresql),
	    cmocka_unit_test(test_mongodb),       cmocka_unit_test(test_evidence_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
