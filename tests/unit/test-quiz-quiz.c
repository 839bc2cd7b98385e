/* Quiz questions: each has exactly one right option, checked against the knowledge base. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "knowledge/portclass.h"
#include "knowledge/risk.h"
#include "knowledge/services.h"
#include "quiz/quiz.h"
#include "util/array.h"

/* A small /etc/services: every quiz port, with tcp/udp as Debian lists them. */
static const char services[] = "ftp 21/tcp\n"
                               "ssh 22/tcp\n"
                               "telnet 23/tcp\n"
                               "smtp 25/tcp mail\n"
                               "domain 53/tcp\n"
                               "domain 53/udp\n"
                               "bootps 67/udp\n"
                               "tftp 69/udp\n"
                               "http 80/tcp www\n"
                               "pop3 110/tcp\n"
                               "sunrpc 111/tcp portmapper\n"
                               "sunrpc 111/udp portmapper\n"
                               "ntp 123/udp\n"
                               "imap2 143/tcp imap\n"
                               "snmp 161/tcp\n"
                               "snmp 161/udp\n"
                               "ldap 389/tcp\n"
                               "https 443/tcp\n"
                               "https 443/udp\n"
                               "microsoft-ds 445/tcp\n"
                               "syslog 514/udp\n"
                               "submission 587/tcp\n"
                               "ldaps 636/tcp\n"
                               "imaps 993/tcp\n"
                               "pop3s 995/tcp\n"
                               "ms-sql-s 1433/tcp\n"
                               "mysql 3306/tcp\n"
                               "ms-wbt-server 3389/tcp\n"
                               "postgresql 5432/tcp\n"
                               "redis 6379/tcp\n"
                               "www-alt 80/tcp\n";

static struct kb *make_kb(void)
{
	struct kb *kb = kb_new();

	assert_non_null(kb);
	assert_int_equal(kb_parse(kb, services, sizeof(services) - 1, KB_SRC_ETC, NULL), 0);
	assert_int_equal(kb_finalize(kb), 0);
	return kb;
}

static bool registered(const struct kb *kb, const char *name, uint16_t port, int proto)
{
	struct kb_portproto pp[64];
	int n = kb_service_ports(kb, name, pp, 64);

	for (int i = 0; i < n && i < 64; i++)
		if (pp[i].port == port && pp[i].proto == proto)
			return true;
	return false;
}

/* Whether option i of q is right, decided from the knowledge base, not from q->answer. */
static bool option_right(const struct kb *kb, const struct quiz_question *q, unsigned i)
{
	const char *o = q->options[i];

	switch (q->kind) {
	case QUIZ_PORT_SERVICE:
		return registered(kb, o, q->port, q->proto);
	case QUIZ_SERVICE_PORT:
		return registered(kb, q->service, (uint16_t)strtoul(o, NULL, 10), q->proto);
	case QUIZ_RANGE:
		return strncmp(o, kb_portclass_name(kb_port_class(q->port)),
		               strlen(kb_portclass_name(kb_port_class(q->port)))) == 0;
	case QUIZ_TRANSPORT: {
		const struct kb_service *sv;
		bool t = kb_port_services(kb, q->port, KB_PROTO_TCP, &sv) > 0;
		bool u = kb_port_services(kb, q->port, KB_PROTO_UDP, &sv) > 0;
		const char *want = t && u ? "both TCP and UDP" : u ? "UDP only" : "TCP only";

		return strcmp(o, want) == 0;
	}
	case QUIZ_RISK: {
		const struct kb_risk *r[8];
		size_t n = kb_risks_for(q->port, q->proto, r, 8);

		for (size_t k = 0; k < n && k < 8; k++)
			if (strcmp(r[k]->note, o) == 0)
				return true;
		return false;
	}
	default:
		return (int)i == (int)q->answer; /* fixed tables: checked in test_fixed_kinds */
	}
}

static void check_question(const struct kb *kb, const struct quiz_question *q)
{
	unsigned right = 0;

	assert_true(q->noptions >= 3 && q->noptions <= QUIZ_MAX_OPTIONS);
	assert_true(q->answer < q->noptions);
	assert_true(q->text[0] && q->explanation[0]);
	for (unsigned i = 0; i < q->noptions; i++) {
		assert_true(q->options[i][0]);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(q->options[i], q->options[j]) == 0)
				fail_msg("question '%s': option '%s' twice", q->text,
				         q->options[i]);
		if (option_right(kb, q, i)) {
			right++;
			if (i != q->answer)
				fail_msg("question '%s': '%s' is right but %u is the answer",
				         q->text, q->options[i], q->answer);
		}
	}
	if (right != 1)
		fail_msg("question '%s' (%s) has %u right options", q->text,
		         quiz_kind_name(q->kind), right);
}

static void test_exactly_one_right(void **state)
{
	struct kb *kb = make_kb();
	struct quiz_question q;
	unsigned seen[QUIZ_KIND_MAX] = {0};

	(void)state;
	for (uint64_t seed = 0; seed < 60; seed++)
		for (unsigned i = 0; i < 14; i++) {
			assert_int_equal(quiz_generate(kb, seed, i, &q), 0);
			check_question(kb, &q);
			seen[q.kind]++;
		}
	for (int k = 0; k < QUIZ_KIND_MAX; k++)
		if (!seen[k])
			fail_msg("kind %s never asked", quiz_kind_name(k));
	kb_free(kb);
}

static void test_every_kind_in_seven(void **state)
{
	struct kb *kb = make_kb();
	struct quiz_question q;

	(void)state;
	for (uint64_t seed = 1; seed < 20; seed++) {
		unsigned mask = 0;

		for (unsigned i = 0; i < QUIZ_KIND_MAX; i++) {
			assert_int_equal(quiz_generate(kb, seed, i, &q), 0);
			mask |= 1u << q.kind;
		}
		assert_int_equal(mask, (1u << QUIZ_KIND_MAX) - 1);
	}
	kb_free(kb);
}

static void test_seeded_same(void **state)
{
	struct kb *kb = make_kb();
	struct quiz_question a, b;
	unsigned differ = 0;

	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(quiz_generate(kb, 99, i, &a), 0);
		assert_int_equal(quiz_generate(kb, 99, i, &b), 0);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(quiz_generate(kb, 100, i, &b), 0);
		differ += memcmp(&a, &b, sizeof(a)) != 0;
	}
	assert_true(differ > 0);
	kb_free(kb);
}

/* Without a knowledge base only kinds that need none are asked, still one right each. */
static void test_no_kb(void **state)
{
	struct quiz_question q;

	(void)state;
	for (unsigned i = 0; i < 30; i++) {
		assert_int_equal(quiz_generate(NULL, 3, i, &q), 0);
		assert_true(q.kind == QUIZ_RANGE || q.kind == QUIZ_STATE || q.kind == QUIZ_RISK ||
		            q.kind == QUIZ_TUPLE);
		check_question(NULL, &q);
	}
}

/* The fixed kinds: the right answer is the state or meaning the text implies. */
static void test_fixed_kinds(void **state)
{
	static const struct {
		const char *needle, *answer;
	} cases[] = {
	    {"completes the handshake", "open"},
	    {"answered with a RST", "closed"},
	    {"no answer at all, even after retries", "filtered"},
	    {"administratively-prohibited", "filtered"},
	    {"A UDP probe gets no answer", "open|filtered"},
	    {"ICMP port-unreachable", "closed"},
	    {"What does the 4-tuple", "one connection (for one transport protocol)"},
	    {"which part of their 4-tuples differs", "the source (client) port"},
	};
	unsigned found[ARRAY_SIZE(cases)] = {0};
	struct quiz_question q;

	(void)state;
	for (uint64_t seed = 0; seed < 200; seed++)
		for (unsigned i = 0; i < QUIZ_KIND_MAX; i++) {
			assert_int_equal(quiz_generate(NULL, seed, i, &q), 0);
			if (q.kind != QUIZ_STATE && q.kind != QUIZ_TUPLE)
				continue;
			for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
				if (strstr(q.text, cases[c].needle)) {
					assert_string_equal(q.options[q.answer], cases[c].answer);
					found[c]++;
				}
		}
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
		if (!found[c])
			fail_msg("question '%s' never generated", cases[c].needle);
}

static void test_parse_answer(void **state)
{
	static const struct {
		const char *in;
		unsigned n;
		int want;
	} cases[] = {
	    {"a", 4, 0},        {"b\n", 4, 1},      {" D \r\n", 4, 3},    {"1", 4, 0},
	    {"4", 4, 3},        {"d", 3, -EINVAL},  {"4", 3, -EINVAL},    {"0", 4, -EINVAL},
	    {"", 4, -EINVAL},   {"ab", 4, -EINVAL}, {"q", 4, -ECANCELED}, {"QUIT\n", 4, -ECANCELED},
	    {"-1", 4, -EINVAL}, {"\n", 4, -EINVAL}, {"é", 4, -EINVAL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = quiz_parse_answer(cases[i].in, strlen(cases[i].in), cases[i].n);

		if (got != cases[i].want)
			fail_msg("'%s' (n=%u): got %d, want %d", cases[i].in, cases[i].n, got,
			         cases[i].want);
	}
	assert_int_equal(quiz_parse_answer("b", 0, 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exactly_one_right), cmocka_unit_test(test_every_kind_in_seven),
	    cmocka_unit_test(test_seeded_same),       cmocka_unit_test(test_no_kb),
	    cmocka_unit_test(test_fixed_kinds),       cmocka_unit_test(test_parse_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
