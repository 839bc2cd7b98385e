/*
 * The knowledge check: multiple-choice questions generated from the knowledge
 * base (services files, IANA port classes, the risk catalogue) and from what
 * a scan's states mean. Never prints.
 *
 * Question i of a quiz depends only on (kb, seed, i): the same seed gives the
 * same questions on the same knowledge base. Kinds cycle through a seeded
 * order, so a quiz of QUIZ_KIND_MAX questions asks one of each kind that the
 * knowledge base can answer.
 *
 * Every question has exactly one right option: wrong options are checked
 * against the knowledge base (a service name that is also registered on the
 * port is never offered as wrong).
 *
 *   struct quiz_question q;
 *   quiz_generate(kb, 42, 0, &q);   q.text "Which service is registered on TCP port 22?",
 *                                   q.options {"telnet", "ssh", "smtp", "http"}, q.answer 1
 *   quiz_parse_answer("b\n", 2, q.noptions)   returns 1
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "knowledge/services.h"

#define QUIZ_MAX_OPTIONS 4
#define QUIZ_TEXT_MAX    256

enum quiz_kind {
	QUIZ_PORT_SERVICE, /* port -> service name */
	QUIZ_SERVICE_PORT, /* service name -> port */
	QUIZ_RANGE,        /* port -> IANA range */
	QUIZ_TRANSPORT,    /* service -> TCP, UDP or both */
	QUIZ_STATE,        /* what a probe's answer means: open, closed, filtered */
	QUIZ_RISK,         /* why exposing a port is risky */
	QUIZ_TUPLE,        /* what a 4-tuple identifies */
	QUIZ_KIND_MAX,
};

struct quiz_question {
	enum quiz_kind kind;
	char text[QUIZ_TEXT_MAX];
	char options[QUIZ_MAX_OPTIONS][QUIZ_TEXT_MAX];
	unsigned noptions; /* 3 or 4 */
	unsigned answer;   /* index of the right option */
	char explanation[QUIZ_TEXT_MAX * 2];
	/* What the question is about, for checking it (0 / "" when not about one). */
	uint16_t port;
	int proto; /* enum kb_proto */
	char service[KB_NAME_MAX];
};

/* "port-service", "service-port", "range", "transport", "state", "risk", "tuple". */
const char *quiz_kind_name(int kind);

/*
 * Generates question index of the quiz seeded with seed. kb may be NULL (or
 * lack a source): kinds it cannot answer are replaced by others. Returns 0 or
 * -ENOENT (cannot happen: the built-in kinds always work).
 */
int quiz_generate(const struct kb *kb, uint64_t seed, unsigned index, struct quiz_question *q);

/*
 * Parses an answer of len bytes: one letter a.. or a number 1.. within
 * noptions, surrounding blanks ignored, case-insensitive. Returns the option
 * index, -ECANCELED for "q" or "quit", or -EINVAL.
 */
int quiz_parse_answer(const char *s, size_t len, unsigned noptions);
