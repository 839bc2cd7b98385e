/* Unit tests for the built-in probe registry and each parser, on banners written for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/builtin.h"

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Every entry is complete, names are unique, and framed payloads carry their own length right. */
static void test_registry_walk(void **state)
{
	size_t services = 0;
	const char *seen[64];

	(void)state;
	assert_true(builtin_nprobes >= 30);
	for (size_t i = 0; i < builtin_nprobes; i++) {
		const struct builtin_probe *p = &builtin_probes[i];
		bool dup = false;

		assert_non_null(p->name);
		assert_non_null(p->service);
		assert_non_null(p->parse);
		assert_true(p->proto == PROBES_TCP || p->proto == PROBES_UDP);
		assert_true(p->rarity >= 1 && p->rarity <= 9);
		assert_true(p->ports && p->ports[0]);
		assert_true(builtin_likes_port(p, p->ports[0]));
		/* UDP needs something to send; banner parsers are TCP only */
		assert_true(p->proto == PROBES_TCP || (p->payload && p->payload_len));
		assert_true(!p->payload == !p->payload_len);
		assert_ptr_equal(builtin_find(p->name), p);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(builtin_probes[j].name, p->name);
		for (size_t s = 0; s < services && s < 64; s++)
			dup |= strcmp(seen[s], p->service) == 0;
		if (!dup && services < 64)
			seen[services++] = p->service;
		/* a parser never claims its own request */
		if (p->payload) {
			struct detect_service svc = {0};

			if (p->parse(p->payload, p->payload_len, &svc) == BUILTIN_YES)
				fail_msg("%s claims its own request", p->name);
		}
	}
	assert_true(services >= 28); /* plus Elasticsearch and Docker through http-get */
	assert_null(builtin_find("no-such-probe"));

	/* length fields inside the framed payloads */
	{
		const struct builtin_probe *p;

		p = builtin_find("dns-version-bind-tcp");
		assert_int_equal(be16(p->payload) + 2, p->payload_len);
		p = builtin_find("postgresql-startup");
		assert_int_equal(be32(p->payload), p->payload_len);
		assert_int_equal(p->payload[p->payload_len - 1], 0);
		p = builtin_find("mongodb-ismaster");
		assert_int_equal(p->payload[0], p->payload_len);
		p = builtin_find("kafka-apiversions");
		assert_int_equal(be32(p->payload) + 4, p->payload_len);
		p = builtin_find("smb-negotiate");
		assert_int_equal(be32(p->payload) + 4, p->payload_len);
		p = builtin_find("rdp-x224");
		assert_int_equal(be16(p->payload + 2), p->payload_len);
		p = builtin_find("tls-client-hello");
		assert_int_equal(be16(p->payload + 3) + 5, p->payload_len);
		assert_int_equal(be32(p->payload + 5) & 0xffffff, p->payload_len - 9);
		p = builtin_find("ldap-rootdse");
		assert_int_equal(p->payload[1] + 2, p->payload_len);
		p = builtin_find("snmp-sysdescr");
		assert_int_equal(p->payload[1] + 2, p->payload_len);
		p = builtin_find("mqtt-connect"); /* CONNECT, then SUBSCRIBE */
		assert_int_equal(p->payload[1] + 2 + p->payload[p->payload[1] + 3] + 2,
		                 p->payload_len);
		p = builtin_find("git-upload-pack");
		assert_int_equal(
		    strtoul((const char[5]){(char)p->payload[0], (char)p->payload[1],
		                            (char)p->payload[2], (char)p->payload[3], 0},
		            NULL, 16),
		    p->payload_len);
		p = builtin_find("ntp-client");
		assert_int_equal(p->payload_len, 48);
	}
}

struct parse_case {
	const char *probe;
	const char *resp;
	size_t len; /* 0: strlen(resp) */
	int rc;
	const char *name, *product, *version, *extrainfo;
};

/* clang-format off */
static const struct parse_case cases[] = {
	{ "ssh-banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 0, BUILTIN_YES,
	  "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3", "protocol 2.0" },
	{ "ssh-banner", "SSH-2.0-dropbear_2022.83\r\n", 0, BUILTIN_YES, "ssh", "Dropbear sshd", "2022.83", "protocol 2.0" },
	{ "ssh-banner", "SSH-1.99-Cisco-1.25\r\n", 0, BUILTIN_YES, "ssh", "Cisco", "1.25", "protocol 1.99" },
	{ "ssh-banner", "SSH-2.0-Open", 0, BUILTIN_MORE, "", "", "", "" },
	{ "ssh-banner", "SS", 0, BUILTIN_MORE, "", "", "", "" },
	{ "ssh-banner", "HTTP/1.0 200 OK\r\n", 0, BUILTIN_NO, "", "", "", "" },
	{ "ftp-banner", "220 (vsFTPd 3.0.3)\r\n", 0, BUILTIN_YES, "ftp", "vsftpd", "3.0.3", "" },
	{ "ftp-banner", "220 ProFTPD 1.3.8 Server (Debian) [198.18.0.2]\r\n", 0, BUILTIN_YES, "ftp", "ProFTPD", "1.3.8", "" },
	{ "ftp-banner", "220---------- Welcome to Pure-FTPd [privsep] ----------\r\n", 0, BUILTIN_YES, "ftp", "Pure-FTPd", "", "" },
	{ "ftp-banner", "220 mx.lab ESMTP Postfix\r\n", 0, BUILTIN_NO, "", "", "", "" },
	{ "ftp-banner", "220 (vsFTPd", 0, BUILTIN_MORE, "", "", "", "" },
	{ "smtp-banner", "220 mx.lab ESMTP Postfix (Debian/GNU)\r\n", 0, BUILTIN_YES, "smtp", "Postfix smtpd", "", "" },
	{ "smtp-banner", "220 mail.lab ESMTP Exim 4.96 Tue, 24 Nov 2026 10:00:00 +0000\r\n", 0, BUILTIN_YES,
	  "smtp", "Exim smtpd", "4.96", "" },
	{ "smtp-banner", "220 m.lab ESMTP Sendmail 8.17.1/8.17.1; Tue\r\n", 0, BUILTIN_YES, "smtp", "Sendmail", "8.17.1", "" },
	{ "smtp-banner", "220 (vsFTPd 3.0.3)\r\n", 0, BUILTIN_NO, "", "", "", "" },
	{ "pop3-banner", "+OK Dovecot (Debian) ready.\r\n", 0, BUILTIN_YES, "pop3", "Dovecot pop3d", "", "" },
	{ "imap-banner", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS] Dovecot (Debian) ready.\r\n", 0,
	  BUILTIN_YES, "imap", "Dovecot imapd", "", "" },
	{ "nntp-banner", "200 news.lab InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n", 0, BUILTIN_YES,
	  "nntp", "INN", "2.7.1", "" },
	{ "irc-banner", ":irc.lab NOTICE * :*** Looking up your hostname...\r\n", 0, BUILTIN_MORE, "irc", "", "", "" },
	{ "irc-register", ":irc.lab 001 portscope :Welcome\r\n:irc.lab 004 portscope irc.lab ngircd-26.1 abc def\r\n", 0,
	  BUILTIN_YES, "irc", "ngircd", "26.1", "" },
	{ "rsync-banner", "@RSYNCD: 31.0\n", 0, BUILTIN_YES, "rsync", "", "", "protocol version 31.0" },
	{ "vnc-banner", "RFB 003.008\n", 0, BUILTIN_YES, "vnc", "VNC", "", "protocol 3.8" },
	{ "vnc-banner", "RFB 003.0", 0, BUILTIN_MORE, "", "", "", "" },
	{ "telnet-iac", "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27", 12, BUILTIN_YES, "telnet", "", "",
	  "DO 24, DO 32, DO 35, DO 39" },
	{ "telnet-iac", "\xff\xf1", 2, BUILTIN_MORE, "", "", "", "" },
	{ "telnet-iac", "\xff\xff\xff\xff\xff", 5, BUILTIN_NO, "", "", "", "" },
	{ "telnet-iac", "\xff\xfb\x01\xff\xff\x01", 6, BUILTIN_YES, "telnet", "", "", "WILL 1" },
	{ "mysql-greeting", "\x4a\x00\x00\x00\x0a" "8.0.35\0" "\x08\x00\x00\x00" "abcdefgh\0" "\xff\xff\xff\x02\x00\xff\xdf"
	  "\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" "abcdefghijkl\0" "caching_sha2_password\0", 78, BUILTIN_YES,
	  "mysql", "MySQL", "8.0.35", "" },
	{ "mysql-greeting", "\x2c\x00\x00\x00\x0a" "5.5.5-10.11.6-MariaDB-0+deb12u1\0" "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 48,
	  BUILTIN_YES, "mysql", "MariaDB", "10.11.6-MariaDB-0+deb12u1", "" },
	{ "mysql-greeting", "\x45\x00\x00\x00\xff\x6a\x04" "Host '198.18.0.1' is not allowed to connect to this MySQL server"
	  "\x00\x00\x00\x00\x00", 73, BUILTIN_YES, "mysql", "MySQL", "", "unauthorized" },
	{ "mysql-greeting", "\x4a\x00\x00\x00\x0a" "8.0", 8, BUILTIN_MORE, "", "", "", "" },
	{ "http-get", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 43\r\n\r\n"
	  "<html><title>Lab page</title></html>\n\n\n\n\n\n\n", 0, BUILTIN_YES, "http", "nginx", "1.22.1", "" },
	{ "http-get", "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 0\r\n\r\n", 0, BUILTIN_YES,
	  "http", "Apache httpd", "2.4.57", "(Debian)" },
	{ "http-get", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n", 0, BUILTIN_MORE, "http", "nginx", "1.22.1", "" },
	{ "http-get", "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 120\r\n\r\n"
	  "{\"name\":\"es1\",\"cluster_name\":\"lab\",\"version\":{\"number\":\"8.11.1\",\"lucene_version\":\"9.8.0\"},"
	  "\"tagline\":\"You Know, for Search\"}", 0, BUILTIN_YES, "http", "Elasticsearch REST API", "8.11.1", "" },
	{ "http-get", "HTTP/1.1 404 Not Found\r\nApi-Version: 1.43\r\nContent-Type: application/json\r\n"
	  "Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/24.0.7 (linux)\r\nContent-Length: 29\r\n\r\n"
	  "{\"message\":\"page not found\"}\n", 0, BUILTIN_YES, "docker", "Docker", "24.0.7", "Docker Engine API" },
	/* dockerd 20.10: GET / gives a bare 404; GET /version names the version. */
	{ "http-get", "HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n"
	  "Date: Tue, 24 Nov 2026 11:49:50 GMT\r\nContent-Length: 29\r\n\r\n"
	  "{\"message\":\"page not found\"}\n", 0, BUILTIN_YES, "docker", "Docker", "", "Docker Engine API" },
	{ "docker-version", "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
	  "Server: Docker/20.10.24+dfsg1 (linux)\r\nContent-Length: 60\r\n\r\n"
	  "{\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"1.41\",\"GoVersion\":\"go1.19\"}",
	  0, BUILTIN_YES, "docker", "Docker", "20.10.24+dfsg1", "Docker Engine API" },
	/* Another JSON 404 is plain HTTP. */
	{ "http-get", "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
	  "{\"error\":404}", 0, BUILTIN_YES, "http", "", "", "" },
	{ "http-get", "SSH-2.0-x\r\n", 0, BUILTIN_NO, "", "", "", "" },
	{ "redis-info", "$3500\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n", 0, BUILTIN_YES,
	  "redis", "Redis key-value store", "7.0.15", "" },
	{ "redis-info", "-NOAUTH Authentication required.\r\n", 0, BUILTIN_YES, "redis", "Redis key-value store", "",
	  "authentication required" },
	{ "redis-info", "-ERR unknown command\r\n", 0, BUILTIN_NO, "", "", "", "" },
	{ "memcached-version", "VERSION 1.6.18\r\n", 0, BUILTIN_YES, "memcached", "Memcached", "1.6.18", "" },
	{ "dns-version-bind", "\x00\x06\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03"
	  "\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x0d\x0c" "dnsmasq-2.89", 55, BUILTIN_YES, "domain", "dnsmasq",
	  "2.89", "" },
	{ "dns-version-bind-tcp", "\x00\x37\x00\x06\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10"
	  "\x00\x03\xc0\x0c\x00\x10\x00\x03\x00\x00\x00\x00\x00\x0d\x0c" "9.18.19-1deb", 57, BUILTIN_YES, "domain",
	  "ISC BIND", "9.18.19-1deb", "" },
	{ "dns-version-bind-tcp", "\x00\x37\x00\x06\x85", 5, BUILTIN_MORE, "", "", "", "" },
	{ "dns-version-bind", "\x00\x06\x81\x05\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04" "bind\x00\x00\x10\x00\x03",
	  30, BUILTIN_YES, "domain", "", "", "version.bind rcode 5" },
	{ "dns-version-bind", "\x12\x34\x81\x05\x00\x01\x00\x00\x00\x00\x00\x00", 12, BUILTIN_NO, "", "", "", "" },
	{ "postgresql-startup", "E\x00\x00\x00\x5cSFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host\0Fauth.c\0L543\0"
	  "RClientAuthentication\0\0", 93, BUILTIN_YES, "postgresql", "PostgreSQL DB", "", "no pg_hba.conf entry for host" },
	{ "postgresql-startup", "R\x00\x00\x00\x08\x00\x00\x00\x0a", 9, BUILTIN_YES, "postgresql", "PostgreSQL DB", "",
	  "SASL authentication" },
	{ "postgresql-startup", "R\x00\x00\x00\x08\x00\x00\x00\x00", 9, BUILTIN_YES, "postgresql", "PostgreSQL DB", "",
	  "no authentication required" },
	{ "postgresql-startup", "E\x00\x00\x00\x5cSFA", 8, BUILTIN_MORE, "", "", "", "" },
	{ "mongodb-ismaster", "\x3c\x00\x00\x00\x01\x00\x00\x00\x31\x6d\x73\x70\x01\x00\x00\x00" "\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00\x01\x00\x00\x00" "\x18\x00\x00\x00\x10maxWireVersion\x00"
	  "\x11\x00\x00\x00\x00", 60, BUILTIN_YES, "mongodb", "MongoDB", "", "wire version 17, 6.0 or later" },
	{ "rdp-x224", "\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00", 19, BUILTIN_YES,
	  "ms-wbt-server", "", "", "security CredSSP" },
	{ "smb-negotiate", "\x00\x00\x00\x55\xffSMB\x72\x00\x00\x00\x00\x98", 14, BUILTIN_YES, "microsoft-ds", "", "", "SMBv1" },
	{ "smb-negotiate", "\x00\x00\x00\xf8\xfeSMB\x40\x00\0\0\0\0\0\0\0\0\0\0\x01\0\0\0", 24, BUILTIN_YES, "microsoft-ds", "", "", "SMB 2/3" },
	{ "ldap-rootdse", "\x30\x33\x02\x01\x01\x64\x2e\x04\x00\x30\x2a\x30\x28\x04\x0avendorName\x31\x1a\x04\x18"
	  "Lab Directory Services..", 53, BUILTIN_YES, "ldap", "Lab Directory Services..", "", "" },
	{ "ldap-rootdse", "\x30\x0c\x02\x01\x01\x65\x07\x0a\x01\x00\x04\x00\x04\x00", 14, BUILTIN_YES, "ldap", "", "", "" },
	{ "snmp-sysdescr", "\x30\x3a\x02\x01\x01\x04\x06public\xa2\x2d\x02\x04\x70\x73\x6e\x6d\x02\x01\x00\x02\x01\x00"
	  "\x30\x1f\x30\x1d\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x04\x11Linux lab 6.1.0 x", 60, BUILTIN_YES, "snmp", "",
	  "v2c", "Linux lab 6.1.0 x" },
	{ "snmp-sysdescr", "\x30\x3a\x02\x01\x00\x04\x06public\xa2\x2d\x02\x04\x70\x73\x6e\x6d\x02\x01\x00\x02\x01\x00"
	  "\x30\x1f\x30\x1d\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x04\x11Linux lab 6.1.0 x", 60, BUILTIN_YES, "snmp",
	  "SNMPv1 server", "v1", "Linux lab 6.1.0 x" },
	{ "snmpv3-engineid", "\x30\x2c\x02\x01\x03\x30\x0f\x02\x02\x70\x73\x02\x03\x00\xff\xe3\x04\x01\x00\x02\x01\x03"
	  "\x04\x16\x30\x14\x04\x0c\x80\x00\x1f\x88\x80\x11\x22\x33\x44\x55\x66\x77\x02\x01\x01\x02\x01\x05", 46,
	  BUILTIN_YES, "snmp", "net-snmp SNMPv3 server", "", "" },
	{ "snmpv3-engineid", "\x30\x2c\x02\x01\x01", 5, BUILTIN_MORE, "", "", "", "" },
	{ "ntp-client", "\x24\x02\x03\xe8\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	  48, BUILTIN_YES, "ntp", "NTP", "v4", "stratum 2" },
	{ "ntp-client", "\xe3\x00", 2, BUILTIN_NO, "", "", "", "" },
	{ "mqtt-connect", "\x20\x02\x00\x05", 4, BUILTIN_YES, "mqtt", "", "", "not authorized" },
	{ "mqtt-connect", "\x20\x02\x00\x00\x90\x03\x00\x01\x00", 9, BUILTIN_MORE, "mqtt", "", "", "" },
	{ "mqtt-connect", "\x20\x02\x00\x00\x90\x03\x00\x01\x00\x31\x2d\x00\x13$SYS/broker/version"
	  "mosquitto version 2.0.11", 56, BUILTIN_YES, "mqtt", "Mosquitto", "2.0.11", "" },
	{ "mqtt-connect", "\x20\x02\x00\x00\x31\x7f\x00\x13$SYS/broker/version", 25, BUILTIN_MORE, "mqtt", "", "", "" },
	{ "git-upload-pack", "0040ERR access denied or repository not exported: /portscope.git", 64, BUILTIN_YES,
	  "git", "git daemon", "", "repository not exported" },
	{ "git-upload-pack", "005ba8b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9 HEAD\0multi_ack side-band-64k agent=git/2.39.5\n",
	  91, BUILTIN_YES, "git", "git daemon", "2.39.5", "" },
	{ "git-upload-pack", "00c4a8b1", 8, BUILTIN_MORE, "", "", "", "" },
	{ "git-upload-pack", "HTTP/1.1 400 Bad Request\r\n", 26, BUILTIN_NO, "", "", "", "" },
	{ "beanstalkd-stats", "OK 30\r\n---\ncurrent-jobs-urgent: 0\nversion: 1.12\n", 48, BUILTIN_YES, "beanstalkd",
	  "beanstalkd", "1.12", "" },
	{ "beanstalkd-stats", "OK 33\r\n---\ncurrent-jobs-urgent: 0\nversion: \"1.12\"\npid: 1\n", 57, BUILTIN_YES,
	  "beanstalkd", "beanstalkd", "1.12", "" },
	{ "beanstalkd-stats", "OK", 2, BUILTIN_MORE, "", "", "", "" },
	{ "beanstalkd-stats", "UNKNOWN_COMMAND\r\n", 17, BUILTIN_NO, "", "", "", "" },
	{ "amqp-header", "\x01\x00\x00\x00\x00\x00\x32\x00\x0a\x00\x0a\x00\x09\x00\x00\x00\x24\x07productS\x00\x00\x00\x08"
	  "RabbitMQ\x07versionS\x00\x00\x00\x06" "3.12.1" "\xce", 58, BUILTIN_YES, "amqp", "RabbitMQ", "3.12.1", "AMQP 0.9" },
	{ "amqp-header", "AMQP\x00\x01\x00\x00", 8, BUILTIN_YES, "amqp", "", "", "AMQP 1-0.0" },
	{ "amqp-header", "AMQP\x00\x00\x09\x01", 8, BUILTIN_NO, "", "", "", "" },
	{ "kafka-apiversions", "\x00\x00\x00\x16psk1\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x09\x00\x12\x00\x00\x00\x03",
	  26, BUILTIN_YES, "kafka", "Apache Kafka", "", "2 APIs" },
	{ "sip-options", "SIP/2.0 200 OK\r\nVia: x\r\nServer: Asterisk PBX 20.5.0\r\nContent-Length: 0\r\n\r\n", 0, BUILTIN_YES,
	  "sip", "Asterisk PBX 20.5.0", "", "" },
	{ "xmpp-stream", "<?xml version='1.0'?><stream:stream xmlns='jabber:client' from='lab.example' id='1' version='1.0'>",
	  0, BUILTIN_YES, "jabber", "", "", "" },
	{ "tls-client-hello", "\x16\x03\x03\x00\x51\x02\x00\x00\x4d\x03\x03" "0123456789abcdef0123456789abcdef" "\x00\xc0\x2f\x00",
	  48, BUILTIN_YES, "ssl", "", "", "TLSv1.2, cipher 0xc02f" },
	{ "tls-client-hello", "\x15\x03\x03\x00\x02\x02\x28", 7, BUILTIN_YES, "ssl", "", "", "handshake alert" },
	{ "tls-client-hello", "\x16\x03", 2, BUILTIN_MORE, "", "", "", "" },
};
/* clang-format on */

static void test_parsers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		const struct builtin_probe *p = builtin_find(c->probe);
		size_t len = c->len ? c->len : strlen(c->resp);
		struct detect_service svc = {0};
		int rc;

		if (!p)
			fail_msg("case %zu: no probe %s", i, c->probe);
		rc = p->parse((const uint8_t *)c->resp, len, &svc);
		if (rc != c->rc || strcmp(svc.name, c->name) || strcmp(svc.product, c->product) ||
		    strcmp(svc.version, c->version) || strcmp(svc.extrainfo, c->extrainfo))
			fail_msg(
			    "case %zu (%s): rc %d name '%s' product '%s' version '%s' extra '%s'",
			    i, c->probe, rc, svc.name, svc.product, svc.version, svc.extrainfo);
	}
}

/* Every parser survives every prefix of every case without reading out of bounds (ASan checks). */
static void test_parsers_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].resp);

		for (size_t k = 0; k < builtin_nprobes; k++)
			for (size_t n = 0; n <= len; n++) {
				struct detect_service svc = {0};
				int rc = builtin_probes[k].parse((const uint8_t *)cases[i].resp, n,
				                                 &svc);

				assert_true(rc == BUILTIN_NO || rc == BUILTIN_YES ||
				            rc == BUILTIN_MORE);
				assert_true(strlen(svc.product) < sizeof(svc.product));
			}
	}
}

static void test_banner_dispatch(void **state)
{
	struct detect_service svc = {0};

	(void)state;
	assert_int_equal(builtin_parse_banner((const uint8_t *)"SSH-2.0-OpenSSH_8.4\r\n", 21, &svc),
	                 BUILTIN_YES);
	assert_string_equal(svc.name, "ssh");
	memset(&svc, 0, sizeof(svc));
	assert_int_equal(builtin_parse_banner((const uint8_t *)"220 (vsFTPd 3.0.3)\r\n", 20, &svc),
	                 BUILTIN_YES);
	assert_string_equal(svc.name, "ftp");
	memset(&svc, 0, sizeof(svc));
	assert_int_equal(builtin_parse_banner((const uint8_t *)"SSH-2.0-Op", 10, &svc),
	                 BUILTIN_MORE);
	memset(&svc, 0, sizeof(svc));
	assert_int_equal(builtin_parse_banner((const uint8_t *)"\x01\x02\x03\x04garbage", 11, &svc),
	                 BUILTIN_NO);
	assert_string_equal(svc.name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_walk),
	    cmocka_unit_test(test_parsers),
	    cmocka_unit_test(test_parsers_truncated),
	    cmocka_unit_test(test_banner_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
