/*
 * The audit's judgement without a network: endpoints with their facts
 * (exposure, detection, safe-check outcomes) in, findings out. Every finding
 * kind (each safe check, port-service-mismatch, exposed-risky-service), every
 * severity and every exposure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "knowledge/risk.h"
#include "util/array.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define Y   AUDIT_CHECK_YES
#define N   AUDIT_CHECK_NO

struct want {
	const char *id;
	int sev;
};

struct judge_case {
	const char *what;
	int proto;
	uint16_t port;
	enum audit_exposure exp;
	bool local, no_target;
	const char *service, *port_default;
	const char *check; /* a safe check that ran, and its verdict */
	int verdict;
	enum audit_exposure exp_after;
	bool mismatch;
	struct want want[3]; /* in order; id NULL ends */
};

#define REACH AUDIT_EXP_REACHABLE
#define UNVER AUDIT_EXP_UNVERIFIED

/* clang-format off */
static const struct judge_case cases[] = {
	/* Each safe check confirmed: its own finding at its own severity, nothing else. */
	{"ftp anonymous", TCP, 21, REACH, true, false, "ftp", "ftp", "ftp-anonymous", Y, REACH, false,
	 {{"ftp-anonymous", KB_SEV_HIGH}}},
	{"redis", TCP, 6379, REACH, true, false, NULL, "redis", "redis-noauth", Y, REACH, false,
	 {{"redis-noauth", KB_SEV_HIGH}}},
	{"telnet", TCP, 23, REACH, false, false, "telnet", "telnet", "telnet-cleartext", Y, REACH,
	 false, {{"telnet-cleartext", KB_SEV_HIGH}}},
	{"docker", TCP, 2375, REACH, true, false, "docker", NULL, "docker-api-plain", Y, REACH, false,
	 {{"docker-api-plain", KB_SEV_HIGH}}},
	{"memcached", TCP, 11211, REACH, true, false, NULL, "memcache", "memcached-stats", Y, REACH,
	 false, {{"memcached-stats", KB_SEV_MEDIUM}}},
	{"vnc", TCP, 5900, REACH, true, false, "vnc", "vnc", "vnc-no-auth", Y, REACH, false,
	 {{"vnc-no-auth", KB_SEV_HIGH}}},
	{"smb1", TCP, 445, REACH, true, false, NULL, "microsoft-ds", "smb1-accepted", Y, REACH, false,
	 {{"smb1-accepted", KB_SEV_HIGH}}},
	{"postgres", TCP, 5432, REACH, true, false, "postgresql", "postgresql", "postgresql-trust", Y,
	 REACH, false, {{"postgresql-trust", KB_SEV_HIGH}}},
	{"mongodb", TCP, 27017, REACH, false, false, NULL, NULL, "mongodb-noauth", Y, REACH, false,
	 {{"mongodb-noauth", KB_SEV_HIGH}}},
	/* UDP: not scanned; a check that answers proves it reachable. */
	{"snmp answers", UDP, 161, UNVER, true, false, NULL, "snmp", "snmp-public", Y, REACH, false,
	 {{"snmp-public", KB_SEV_HIGH}}},
	{"snmp silent", UDP, 161, UNVER, true, false, NULL, "snmp", "snmp-public", N, UNVER, false,
	 {{NULL, 0}}},
	{"udp no check", UDP, 53, UNVER, true, false, NULL, "domain", NULL, 0, UNVER, false,
	 {{NULL, 0}}},
	{"udp loopback", UDP, 161, AUDIT_EXP_LOOPBACK, true, true, NULL, "snmp", NULL, 0,
	 AUDIT_EXP_LOOPBACK, false, {{NULL, 0}}},
	/* The risk catalogue on reachable TCP ports: every severity it has. */
	{"risky high", TCP, 23, REACH, true, false, NULL, "telnet", NULL, 0, REACH, false,
	 {{"exposed-risky-service", KB_SEV_HIGH}}},
	{"risky medium", TCP, 25, REACH, true, false, "smtp", "smtp", NULL, 0, REACH, false,
	 {{"exposed-risky-service", KB_SEV_MEDIUM}}},
	{"risky low", TCP, 22, REACH, false, false, "ssh", "ssh", NULL, 0, REACH, false,
	 {{"exposed-risky-service", KB_SEV_LOW}}},
	{"not risky", TCP, 8443, REACH, true, false, "https", NULL, NULL, 0, REACH, false,
	 {{NULL, 0}}},
	/* A safe check that did not confirm: the catalogue's risk capped at low. */
	{"check said no", TCP, 21, REACH, true, false, "ftp", "ftp", "ftp-anonymous", N, REACH, false,
	 {{"exposed-risky-service", KB_SEV_LOW}}},
	{"low stays low", TCP, 22, REACH, true, false, NULL, "ssh", NULL, 0, REACH, false,
	 {{"exposed-risky-service", KB_SEV_LOW}}},
	/* Port ≠ service: info, and the port's own risk is not the service's. */
	{"ssh on 80", TCP, 80, REACH, true, false, "ssh", "http", NULL, 0, REACH, true,
	 {{"port-service-mismatch", KB_SEV_INFO}}},
	{"redis on 80 confirmed", TCP, 80, REACH, true, false, "redis", "http", "redis-noauth", Y,
	 REACH, true, {{"redis-noauth", KB_SEV_HIGH}, {"port-service-mismatch", KB_SEV_INFO}}},
	{"alias is no mismatch", TCP, 5432, REACH, true, false, "postgresql", "postgres", NULL, 0,
	 REACH, false, {{"exposed-risky-service", KB_SEV_MEDIUM}}},
	/* Every other exposure: nothing to judge. */
	{"loopback", TCP, 6379, AUDIT_EXP_LOOPBACK, true, true, "redis", "redis", NULL, 0,
	 AUDIT_EXP_LOOPBACK, false, {{NULL, 0}}},
	{"blocked", TCP, 23, AUDIT_EXP_BLOCKED, true, true, NULL, "telnet", NULL, 0,
	 AUDIT_EXP_BLOCKED, false, {{NULL, 0}}},
	{"no address", TCP, 23, AUDIT_EXP_NO_ADDRESS, true, true, NULL, "telnet", NULL, 0,
	 AUDIT_EXP_NO_ADDRESS, false, {{NULL, 0}}},
	{"tcp unverified", TCP, 23, UNVER, true, false, NULL, "telnet", NULL, 0, UNVER, false,
	 {{NULL, 0}}},
	{"reachable, no target", TCP, 23, REACH, true, true, NULL, "telnet", NULL, 0, REACH, false,
	 {{NULL, 0}}},
};
/* clang-format on */

/* The endpoint a case describes, at 198.18.0.2. */
static void make_ep(const struct judge_case *c, struct audit_endpoint *e)
{
	*e = (struct audit_endpoint){.proto = c->proto,
	                             .port = c->port,
	                             .family = AF_INET,
	                             .local = c->local,
	                             .reach.exp = c->exp,
	                             .have_target = !c->no_target,
	                             .port_default = c->port_default,
	                             .pid = c->local ? 4242 : 0};
	e->target.family = AF_INET;
	inet_pton(AF_INET, "198.18.0.2", &e->target.v4);
	snprintf(e->service, sizeof(e->service), "%s", c->service ? c->service : "");
	if (c->check) {
		e->checks[0] = (struct audit_check_outcome){.check = audit_check_find(c->check),
		                                            .verdict = c->verdict};
		assert_non_null(e->checks[0].check);
		snprintf(e->checks[0].evidence, sizeof(e->checks[0].evidence), "sent X; got Y");
		e->nchecks = 1;
	}
}

/* Each case alone: its findings, in order, and the exposure and mismatch it leaves. */
static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct judge_case *c = &cases[i];
		struct audit_endpoint ep;
		struct audit_report rep = {.eps = &ep, .neps = 1};
		size_t n = 0;

		make_ep(c, &ep);
		assert_int_equal(audit_judge(&rep), 0);
		while (n < ARRAY_SIZE(c->want) && c->want[n].id)
			n++;
		if (rep.nfs != n)
			fail_msg("%s: %zu findings, want %zu", c->what, rep.nfs, n);
		for (size_t k = 0; k < n; k++) {
			if (strcmp(rep.fs[k].id, c->want[k].id) != 0 ||
			    rep.fs[k].sev != c->want[k].sev)
				fail_msg("%s: finding %zu is %s/%d, want %s/%d", c->what, k,
				         rep.fs[k].id, rep.fs[k].sev, c->want[k].id,
				         c->want[k].sev);
			assert_int_equal(rep.fs[k].ep, 0);
			assert_true(rep.fs[k].title[0] && rep.fs[k].evidence[0] &&
			            rep.fs[k].recommendation[0] && rep.fs[k].citation);
		}
		if (ep.reach.exp != c->exp_after || ep.mismatch != c->mismatch)
			fail_msg("%s: exposure %d mismatch %d, want %d %d", c->what, ep.reach.exp,
			         ep.mismatch, c->exp_after, c->mismatch);
		free(rep.fs);
	}
}

/* What each kind of finding says. */
static void test_texts(void **state)
{
	struct audit_endpoint eps[3];
	struct audit_report rep = {.eps = eps, .neps = 3};

	(void)state;
	make_ep(&cases[1], &eps[0]);  /* redis confirmed, local */
	make_ep(&cases[19], &eps[1]); /* ssh on 80 */
	snprintf(eps[1].product, sizeof(eps[1].product), "OpenSSH");
	snprintf(eps[1].version, sizeof(eps[1].version), "9.2p1");
	make_ep(&cases[17], &eps[2]); /* ftp, check said no */
	assert_int_equal(audit_judge(&rep), 0);
	assert_int_equal(rep.nfs, 3);
	/* Sorted by severity, high first. */
	assert_string_equal(rep.fs[0].id, "redis-noauth");
	assert_string_equal(rep.fs[0].title, "Redis answers commands without AUTH");
	assert_string_equal(rep.fs[0].evidence, "sent X; got Y");
	assert_non_null(strstr(rep.fs[0].recommendation,
	                       "; or allow only an admin address with portscope policy"));
	assert_string_equal(rep.fs[1].id, "exposed-risky-service");
	assert_int_equal(rep.fs[1].sev, KB_SEV_LOW);
	assert_int_equal(rep.fs[1].ep, 2);
	assert_string_equal(
	    rep.fs[1].evidence,
	    "port 21/tcp open, detected ftp; the safe check did not confirm the risk");
	assert_non_null(strstr(rep.fs[1].title, "ftp reachable: "));
	assert_string_equal(rep.fs[2].id, "port-service-mismatch");
	assert_string_equal(rep.fs[2].title, "ssh on port 80, the port of http");
	assert_string_equal(rep.fs[2].evidence, "service detection found ssh (OpenSSH 9.2p1)");
	assert_non_null(strstr(rep.fs[2].recommendation, "port 80"));
	free(rep.fs);

	/* Remote: no policy advice; a UDP endpoint a check confirms is reachable on its target. */
	make_ep(&cases[9], &eps[0]);
	eps[0].local = false;
	rep = (struct audit_report){.eps = eps, .neps = 1};
	assert_int_equal(audit_judge(&rep), 0);
	assert_null(strstr(rep.fs[0].recommendation, "portscope policy"));
	assert_string_equal(eps[0].reach.on, "198.18.0.2");
	free(rep.fs);
}

/* The summary counts. */
static void test_counts(void **state)
{
	struct audit_endpoint eps[ARRAY_SIZE(cases)];
	struct audit_report rep = {.eps = eps, .neps = ARRAY_SIZE(cases)};
	struct audit_counts c;
	unsigned reach = 0, lo = 0, blocked = 0, sev[4] = {0};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		make_ep(&cases[i], &eps[i]);
		reach += cases[i].exp_after == REACH;
		lo += cases[i].exp_after == AUDIT_EXP_LOOPBACK;
		blocked += cases[i].exp_after == AUDIT_EXP_BLOCKED;
		for (size_t k = 0; k < ARRAY_SIZE(cases[i].want) && cases[i].want[k].id; k++)
			sev[cases[i].want[k].sev]++;
	}
	assert_int_equal(audit_judge(&rep), 0);
	audit_count(&rep, &c);
	assert_int_equal(c.endpoints, ARRAY_SIZE(cases));
	assert_int_equal(c.reachable, reach);
	assert_int_equal(c.loopback, lo);
	assert_int_equal(c.blocked, blocked);
	assert_memory_equal(c.sev, sev, sizeof(sev));
	for (size_t i = 1; i < rep.nfs; i++)
		assert_true(
		    rep.fs[i - 1].sev > rep.fs[i].sev ||
		    (rep.fs[i - 1].sev == rep.fs[i].sev && rep.fs[i - 1].ep <= rep.fs[i].ep));
	free(rep.fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_texts),
	    cmocka_unit_test(test_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
