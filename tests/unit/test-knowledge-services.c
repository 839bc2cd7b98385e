/* The services parsers, look-ups both ways, and top ports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "knowledge/services.h"

static const char etc_text[] =
    "# Network services, Internet style\n"
    "\n"
    "tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"
    "echo\t\t7/tcp\n"
    "echo\t\t7/udp\n"
    "ftp\t\t21/tcp\n"
    "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
    "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
    "domain\t\t53/tcp\n"
    "domain\t\t53/udp\n"
    "   \t  \n"
    "rtmp\t\t1/ddp\t\t\t# Routing Table Maintenance Protocol\n" /* other protocol: skipped */
    "broken\n"                                                  /* no port: skipped */
    "bad\t\t70000/tcp\n"                                        /* out of range: skipped */
    "bad2\t\t22tcp\n"                                           /* no slash: skipped */
    "bad3\t\t/tcp\n"                                            /* no port: skipped */
    "bad4\t\t22/\n"                                             /* no proto: skipped */
    "ssh\t\t22/tcp\t\t\t\t# duplicate, dropped\n"
    "kerberos\t88/tcp\t\tkerberos5 krb5 kerberos-sec\t# Kerberos v5\n"
    "sctp-svc\t9/sctp\n"
    "https\t\t443/tcp\r\n"
    "nocomment 5/tcp#glued comment\n"
    "last\t\t6/udp"; /* no final newline */

static const char nmap_text[] =
    "# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments\n"
    "tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer\n"
    "unknown\t4/tcp\t0.000477\n"
    "ftp\t21/tcp\t0.197667\t# File Transfer [Control]\n"
    "ssh\t22/tcp\t0.182286\t# Secure Shell Login\n"
    "ssh\t22/udp\t0.003905\n"
    "telnet\t23/tcp\t0.221265\n"
    "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
    "http-alt\t80/udp\t0.000000\n"
    "https\t443/tcp\t0.208669\n"
    "zero\t7/tcp\t0.000000\n"
    "badfreq\t8/tcp\tabc\n"    /* skipped */
    "badfreq2\t8/tcp\t1.5\n"   /* above 1: skipped */
    "badfreq3\t8/tcp\t-0.1\n"  /* negative: skipped */
    "nofreq\t8/tcp\n"          /* skipped */
    "extra\t8/tcp\t0.1 more\n" /* skipped */
    "snmp\t161/udp\t0.433467\n"
    "ntp\t123/udp\t0.330879\n";

static struct kb *load(bool with_nmap)
{
	struct kb_parse_stats st;
	struct kb *kb = kb_new();

	assert_non_null(kb);
	assert_int_equal(kb_parse(kb, etc_text, strlen(etc_text), KB_SRC_ETC, &st), 0);
	if (with_nmap)
		assert_int_equal(kb_parse(kb, nmap_text, strlen(nmap_text), KB_SRC_NMAP, NULL), 0);
	assert_int_equal(kb_finalize(kb), 0);
	return kb;
}

static void test_parse_stats(void **state)
{
	struct kb_parse_stats st;
	struct kb *kb = kb_new();

	(void)state;
	assert_int_equal(kb_parse(kb, etc_text, strlen(etc_text), KB_SRC_ETC, &st), 0);
	assert_int_equal(st.records, 14);  /* 13 good lines + the duplicate ssh, dropped later */
	assert_int_equal(st.skipped, 6);   /* ddp, broken, 70000, 22tcp, /tcp, 22/ */
	assert_int_equal(st.bad_line, 12); /* rtmp 1/ddp */
	assert_int_equal(st.lines, 23);
	assert_int_equal(kb_parse(kb, nmap_text, strlen(nmap_text), KB_SRC_NMAP, &st), 0);
	assert_int_equal(st.records, 12);
	assert_int_equal(st.skipped, 5);
	assert_int_equal(kb_finalize(kb), 0);
	assert_int_equal(kb_size(kb), 14 - 1 + 12);
	/* No more parsing once final. */
	assert_int_equal(kb_parse(kb, "a 1/tcp\n", 8, KB_SRC_ETC, NULL), -EBUSY);
	assert_true(kb_has_source(kb, KB_SRC_ETC));
	assert_true(kb_has_source(kb, KB_SRC_NMAP));
	kb_free(kb);
}

static void test_parse_edge(void **state)
{
	struct kb_parse_stats st;
	struct kb *kb = kb_new();
	const struct kb_service *s;

	(void)state;
	{
		/* An empty knowledge base finalises and answers nothing. */
		struct kb *empty = kb_new();
		struct kb_portproto pp[1];
		assert_int_equal(kb_finalize(empty), 0);
		assert_int_equal(kb_size(empty), 0);
		assert_int_equal(kb_port_services(empty, 22, KB_PROTO_TCP, &s), 0);
		assert_int_equal(kb_service_ports(empty, "ssh", pp, 1), 0);
		assert_null(kb_service_name(empty, 22, KB_PROTO_TCP));
		kb_free(empty);
	}
	assert_int_equal(kb_parse(kb, "", 0, KB_SRC_ETC, &st), 0);
	assert_int_equal(st.lines, 0);
	assert_int_equal(kb_parse(kb, NULL, 0, KB_SRC_NMAP, &st), 0);
	assert_int_equal(kb_parse(kb, NULL, 3, KB_SRC_ETC, &st), -EINVAL);
	assert_int_equal(kb_parse(kb, "x", 1, (enum kb_source)7, &st), -EINVAL);
	/* Embedded NUL bytes end a token early; a NUL in the protocol makes it unknown. */
	assert_int_equal(kb_parse(kb, "a\0b 3/tcp\nc 3/t\0cp\n", 19, KB_SRC_ETC, &st), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.skipped, 1);
	/* A name longer than KB_NAME_MAX - 1 is skipped. */
	{
		char line[KB_NAME_MAX + 16];
		memset(line, 'n', KB_NAME_MAX);
		strcpy(line + KB_NAME_MAX, " 4/tcp\n");
		assert_int_equal(kb_parse(kb, line, strlen(line), KB_SRC_ETC, &st), 0);
		assert_int_equal(st.skipped, 1);
		line[KB_NAME_MAX - 1] = ' '; /* now 127 characters, then the port */
		assert_int_equal(kb_parse(kb, line, strlen(line), KB_SRC_ETC, &st), 0);
		assert_int_equal(st.records, 1);
	}
	assert_int_equal(kb_finalize(kb), 0);
	assert_int_equal(kb_finalize(kb), 0); /* idempotent */
	assert_true(kb_has_source(kb, KB_SRC_NMAP));
	assert_int_equal(kb_size(kb), 2);
	assert_int_equal(kb_port_services(kb, 3, KB_PROTO_TCP, &s), 1);
	assert_string_equal(s[0].name, "a");
	assert_int_equal(kb_port_services(kb, 4, KB_PROTO_TCP, &s), 1);
	assert_int_equal(strlen(s[0].name), KB_NAME_MAX - 1);
	kb_free(kb);
	kb_free(NULL);
}

static void test_port_lookup(void **state)
{
	struct kb *kb = load(true);
	const struct kb_service *s;
	size_t n;

	(void)state;
	n = kb_port_services(kb, 22, KB_PROTO_TCP, &s);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].name, "ssh");
	assert_int_equal(s[0].source, KB_SRC_ETC);
	assert_string_equal(s[0].comment, "SSH Remote Login Protocol");
	assert_true(s[0].freq < 0);
	assert_int_equal(s[1].source, KB_SRC_NMAP);
	assert_float_equal(s[1].freq, 0.182286, 1e-9);
	assert_string_equal(s[1].comment, "Secure Shell Login");

	n = kb_port_services(kb, 80, KB_PROTO_TCP, &s);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].naliases, 1);
	assert_string_equal(kb_service_alias(&s[0], 0), "www");
	assert_null(kb_service_alias(&s[0], 1));

	n = kb_port_services(kb, 88, KB_PROTO_TCP, &s);
	assert_int_equal(n, 1);
	assert_int_equal(s[0].naliases, 3);
	assert_string_equal(kb_service_alias(&s[0], 0), "kerberos5");
	assert_string_equal(kb_service_alias(&s[0], 1), "krb5");
	assert_string_equal(kb_service_alias(&s[0], 2), "kerberos-sec");
	assert_string_equal(s[0].comment, "Kerberos v5");

	/* CRLF line, glued comment, last line without newline. */
	assert_int_equal(kb_port_services(kb, 443, KB_PROTO_TCP, &s), 2);
	assert_string_equal(s[0].name, "https");
	assert_int_equal(kb_port_services(kb, 5, KB_PROTO_TCP, &s), 1);
	assert_string_equal(s[0].name, "nocomment");
	assert_string_equal(s[0].comment, "glued comment");
	assert_int_equal(kb_port_services(kb, 6, KB_PROTO_UDP, &s), 1);
	assert_int_equal(kb_port_services(kb, 9, KB_PROTO_SCTP, &s), 1);

	/* Nothing there, other protocol, skipped lines. */
	assert_int_equal(kb_port_services(kb, 22, KB_PROTO_SCTP, &s), 0);
	assert_null(s);
	assert_int_equal(kb_port_services(kb, 8, KB_PROTO_TCP, &s), 0);
	assert_int_equal(kb_port_services(kb, 65535, KB_PROTO_UDP, &s), 0);
	assert_int_equal(kb_port_services(kb, 0, KB_PROTO_TCP, &s), 0);
	assert_int_equal(kb_port_services(kb, 22, (enum kb_proto)9, &s), 0);
	kb_free(kb);
}

static void test_service_name(void **state)
{
	struct kb *kb = load(true);

	(void)state;
	assert_string_equal(kb_service_name(kb, 22, KB_PROTO_TCP), "ssh");
	assert_string_equal(kb_service_name(kb, 80, KB_PROTO_TCP), "http");   /* etc first */
	assert_string_equal(kb_service_name(kb, 23, KB_PROTO_TCP), "telnet"); /* nmap only */
	assert_string_equal(kb_service_name(kb, 80, KB_PROTO_UDP), "http-alt");
	assert_null(kb_service_name(kb, 4, KB_PROTO_TCP)); /* "unknown" */
	assert_null(kb_service_name(kb, 12345, KB_PROTO_TCP));
	assert_null(kb_service_name(NULL, 22, KB_PROTO_TCP));
	kb_free(kb);
}

static void test_name_lookup(void **state)
{
	struct kb *kb = load(true);
	struct kb_portproto pp[8];

	(void)state;
	assert_int_equal(kb_service_ports(kb, "ssh", pp, 8), 2);
	assert_int_equal(pp[0].port, 22);
	assert_int_equal(pp[0].proto, KB_PROTO_TCP);
	assert_int_equal(pp[1].port, 22);
	assert_int_equal(pp[1].proto, KB_PROTO_UDP);
	/* Case-insensitive, aliases. */
	assert_int_equal(kb_service_ports(kb, "SSH", pp, 8), 2);
	assert_int_equal(kb_service_ports(kb, "WwW", pp, 8), 1);
	assert_int_equal(pp[0].port, 80);
	assert_int_equal(kb_service_ports(kb, "krb5", pp, 8), 1);
	assert_int_equal(pp[0].port, 88);
	assert_int_equal(kb_service_ports(kb, "domain", pp, 8), 2);
	assert_int_equal(pp[0].proto, KB_PROTO_TCP);
	assert_int_equal(pp[1].proto, KB_PROTO_UDP);
	/* Count beyond max, and the size query. */
	assert_int_equal(kb_service_ports(kb, "echo", pp, 1), 2);
	assert_int_equal(pp[0].port, 7);
	assert_int_equal(kb_service_ports(kb, "echo", NULL, 0), 2);
	/* Unknown names; nmap's "unknown" is not a name. */
	assert_int_equal(kb_service_ports(kb, "nosuchservice", pp, 8), 0);
	assert_int_equal(kb_service_ports(kb, "unknown", pp, 8), 0);
	assert_int_equal(kb_service_ports(kb, "", pp, 8), 0);
	assert_int_equal(kb_service_ports(kb, NULL, pp, 8), -EINVAL);
	assert_int_equal(kb_service_ports(kb, "ssh", NULL, 8), -EINVAL);
	kb_free(kb);
}

static void test_proto_names(void **state)
{
	(void)state;
	assert_string_equal(kb_proto_name(KB_PROTO_TCP), "tcp");
	assert_string_equal(kb_proto_name(KB_PROTO_UDP), "udp");
	assert_string_equal(kb_proto_name(KB_PROTO_SCTP), "sctp");
	assert_null(kb_proto_name(-1));
	assert_null(kb_proto_name(KB_PROTO_COUNT));
	assert_int_equal(kb_proto_parse("tcp", 3), KB_PROTO_TCP);
	assert_int_equal(kb_proto_parse("UDP", 3), KB_PROTO_UDP);
	assert_int_equal(kb_proto_parse("sctpx", 5), -EINVAL);
	assert_int_equal(kb_proto_parse("sctpx", 4), KB_PROTO_SCTP);
	assert_int_equal(kb_proto_parse("", 0), -EINVAL);
	assert_int_equal(kb_proto_parse(NULL, 0), -EINVAL);
	assert_string_equal(kb_source_name(KB_SRC_ETC), "etc-services");
	assert_string_equal(kb_source_name(KB_SRC_NMAP), "nmap-services");
	assert_null(kb_source_name(5));
}

static void check_distinct(const uint16_t *p, size_t n)
{
	uint8_t *seen = calloc(65536, 1);

	assert_non_null(seen);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(p[i], 0);
		assert_int_equal(seen[p[i]], 0);
		seen[p[i]] = 1;
	}
	free(seen);
}

static void test_top_ports_nmap(void **state)
{
	struct kb *kb = load(true);
	uint16_t *p = calloc(65535, sizeof(*p));

	(void)state;
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 5, p), 5);
	assert_int_equal(p[0], 80);  /* 0.484143 */
	assert_int_equal(p[1], 23);  /* 0.221265 */
	assert_int_equal(p[2], 443); /* 0.208669 */
	assert_int_equal(p[3], 21);  /* 0.197667 */
	assert_int_equal(p[4], 22);  /* 0.182286 */
	assert_int_equal(kb_top_ports(kb, KB_PROTO_UDP, 3, p), 3);
	assert_int_equal(p[0], 161);
	assert_int_equal(p[1], 123);
	assert_int_equal(p[2], 22);
	/* After the 7 nmap tcp ports with frequency > 0 comes the built-in ranking. */
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 8, p), 8);
	assert_int_equal(p[5], 1); /* tcpmux 0.001995 */
	assert_int_equal(p[6], 4); /* unknown 0.000477: ranked though it has no name */
	assert_int_equal(p[7],
	                 25); /* first built-in port not yet listed (80, 443, 22, 21, 23 were) */
	/* All of them. */
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 65535, p), 65535);
	check_distinct(p, 65535);
	assert_int_equal(kb_top_ports(kb, KB_PROTO_SCTP, 65535, p), 65535);
	check_distinct(p, 65535);
	free(p);
	kb_free(kb);
}

static void test_top_ports_builtin(void **state)
{
	struct kb *kb = load(false);
	uint16_t *p = calloc(65535, sizeof(*p));
	uint16_t q[4];

	(void)state;
	assert_false(kb_has_source(kb, KB_SRC_NMAP));
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 3, p), 3);
	assert_int_equal(p[0], 80);
	assert_int_equal(p[1], 443);
	assert_int_equal(p[2], 22);
	assert_int_equal(kb_top_ports(kb, KB_PROTO_UDP, 2, p), 2);
	assert_int_equal(p[0], 53);
	assert_int_equal(p[1], 123);
	/* The whole space: the built-in list, then /etc/services, then ascending. */
	assert_int_equal(kb_top_ports(kb, KB_PROTO_UDP, 65535, p), 65535);
	check_distinct(p, 65535);
	/* Without any knowledge base at all. */
	assert_int_equal(kb_top_ports(NULL, KB_PROTO_TCP, 65535, p), 65535);
	check_distinct(p, 65535);
	assert_int_equal(p[0], 80);
	/* Bounds. */
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 0, q), 0);
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 65536, p), -ERANGE);
	assert_int_equal(kb_top_ports(kb, KB_PROTO_TCP, 1, NULL), -EINVAL);
	assert_int_equal(kb_top_ports(kb, (enum kb_proto)7, 1, q), -EINVAL);
	free(p);
	kb_free(kb);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test-knowledge-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_load_files(void **state)
{
	char *etc = write_tmp(etc_text), *nmap = write_tmp(nmap_text);
	struct kb_paths paths = {.etc_services = etc, .nmap_services = nmap};
	struct kb *kb = NULL;
	char why[256];

	(void)state;
	assert_int_equal(kb_load(&paths, &kb, why, sizeof(why)), 0);
	assert_string_equal(kb_service_name(kb, 23, KB_PROTO_TCP), "telnet");
	kb_free(kb);

	/* "" skips a file; an explicit missing path is an error naming it. */
	paths.nmap_services = "";
	assert_int_equal(kb_load(&paths, &kb, why, sizeof(why)), 0);
	assert_false(kb_has_source(kb, KB_SRC_NMAP));
	assert_null(kb_service_name(kb, 23, KB_PROTO_TCP));
	kb_free(kb);
	paths.nmap_services = "/nonexistent/nmap-services";
	kb = NULL;
	assert_int_equal(kb_load(&paths, &kb, why, sizeof(why)), -ENOENT);
	assert_null(kb);
	assert_non_null(strstr(why, "/nonexistent/nmap-services"));
	assert_int_equal(kb_load(&paths, NULL, why, sizeof(why)), -EINVAL);

	/* A directory cannot be read as a file. */
	{
		struct kb *k2 = kb_new();
		assert_int_equal(kb_load_file(k2, "/tmp", KB_SRC_ETC, NULL, why, sizeof(why)),
		                 -EISDIR);
		kb_free(k2);
	}
	unlink(etc);
	unlink(nmap);
	free(etc);
	free(nmap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_stats),    cmocka_unit_test(test_parse_edge),
	    cmocka_unit_test(test_port_lookup),    cmocka_unit_test(test_service_name),
	    cmocka_unit_test(test_name_lookup),    cmocka_unit_test(test_proto_names),
	    cmocka_unit_test(test_top_ports_nmap), cmocka_unit_test(test_top_ports_builtin),
	    cmocka_unit_test(test_load_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
