/* portscope quiz: the knowledge check, multiple choice, answers from stdin. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/common.h"
#include "knowledge/services.h"
#include "output/json.h"
#include "quiz/quiz.h"
#include "util/input.h"
#include "util/seed.h"
#include "util/strnum.h"

#define QUIZ_DEFAULT_COUNT 10
#define QUIZ_MAX_COUNT     200

enum { OPT_COUNT = CMD_OPT_OWN, OPT_SEED };

static const struct cmd_option quiz_options[] = {
    {.name = "count",
     .id = OPT_COUNT,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "N",
     .help = "N questions (default 10, at most 200)"},
    {.name = "seed",
     .id = OPT_SEED,
     .arg = CMD_ARG_REQUIRED,
     .metavar = "S",
     .help = "the same questions again (the seed is printed at the start)"},
    CMD_OPTION_JSON("print the questions, answers and explanations as one JSON\n"
                    "document on one line (for other front ends); asks nothing"),
    CMD_OPTION_NO_COLOR,
    {0},
};

static int quiz_json(const struct kb *kb, uint64_t seed, unsigned count)
{
	json_t *doc =
	    json_pack("{s:s, s:I, s:[]}", "type", "quiz", "seed", (json_int_t)seed, "questions");
	json_t *arr = doc ? json_object_get(doc, "questions") : NULL;
	struct quiz_question q;
	int r = arr ? 0 : -ENOMEM;

	for (unsigned i = 0; !r && i < count; i++) {
		json_t *opts = json_array(), *j;
		char letter[2] = {0};

		r = quiz_generate(kb, seed, i, &q);
		if (r < 0 || !opts) {
			json_decref(opts);
			r = r < 0 ? r : -ENOMEM;
			break;
		}
		for (unsigned k = 0; k < q.noptions; k++)
			if (json_array_append_new(opts, json_string(q.options[k])) < 0)
				r = -ENOMEM;
		letter[0] = (char)('a' + q.answer);
		j = json_pack("{s:I, s:s, s:s, s:o, s:I, s:s, s:s}", "number", (json_int_t)i + 1,
		              "kind", quiz_kind_name(q.kind), "question", q.text, "options", opts,
		              "answer", (json_int_t)q.answer, "answer_letter", letter,
		              "explanation", q.explanation);
		if (!j || json_array_append_new(arr, j) < 0)
			r = -ENOMEM;
	}
	if (!r)
		r = json_write_line(stdout, doc);
	json_decref(doc);
	if (r < 0) {
		cmd_error("quiz", "cannot write the questions: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static void quiz_paint(bool color, const char *sgr, const char *text)
{
	if (color)
		printf("\033[%sm%s\033[0m", sgr, text);
	else
		fputs(text, stdout);
}

static int quiz_ask(const struct kb *kb, uint64_t seed, unsigned count, bool color)
{
	/* Answers are short: a megabyte of them is no quiz (/dev/zero, yes(1)). */
	const struct input_limits lim = {.max_bytes = 1u << 20, .max_line = 1024};
	struct quiz_question q;
	struct input in;
	unsigned asked = 0, right = 0;
	char why[256], *line;
	size_t len;
	bool stop = false;
	int r = input_open(&in, "-", &lim, why, sizeof(why));

	if (r < 0) {
		cmd_error("quiz", "%s", why);
		return EXIT_RUNTIME;
	}

	printf("portscope quiz: %u question%s, seed %llu (replay with --seed %llu)\n\n", count,
	       count == 1 ? "" : "s", (unsigned long long)seed, (unsigned long long)seed);
	for (unsigned i = 0; i < count && !stop; i++) {
		int a;

		if (quiz_generate(kb, seed, i, &q) < 0) {
			cmd_error("quiz", "cannot make question %u", i + 1);
			input_close(&in);
			return EXIT_RUNTIME;
		}
		printf("%u. %s\n", i + 1, q.text);
		for (unsigned k = 0; k < q.noptions; k++)
			printf("   %c) %s\n", 'a' + k, q.options[k]);
		for (;;) {
			printf("answer [a-%c, q to stop]: ", 'a' + q.noptions - 1);
			fflush(stdout);
			r = input_line(&in, &line, &len, why, sizeof(why));
			if (r <= 0) {
				stop = true;
				printf("\n");
				break;
			}
			a = quiz_parse_answer(line, len, q.noptions);
			if (a == -ECANCELED) {
				stop = true;
				break;
			}
			if (a >= 0)
				break;
			printf("'%.*s' is not an option: answer a letter from a to %c\n",
			       (int)strcspn(line, "\r\n"), line, 'a' + q.noptions - 1);
		}
		if (stop)
			break;
		asked++;
		if ((unsigned)a == q.answer) {
			right++;
			quiz_paint(color, "32", "right");
		} else {
			quiz_paint(color, "31", "wrong");
			printf(": the answer is %c) %s", 'a' + q.answer, q.options[q.answer]);
		}
		printf("\n   %s\n\n", q.explanation);
	}
	input_close(&in);
	printf("score: %u/%u", right, asked);
	if (asked < count)
		printf(" (stopped after %u of %u questions)", asked, count);
	printf("\n");
	if (fflush(stdout) != 0)
		return EXIT_RUNTIME;
	if (r < 0) {
		cmd_error("quiz", "answers: %s", why);
		return input_is_bad(r) ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int quiz_run(const struct cmd_args *a)
{
	const char *count_arg = cmd_get(a, OPT_COUNT), *seed_arg = cmd_get(a, OPT_SEED);
	unsigned count = QUIZ_DEFAULT_COUNT;
	uint64_t seed = 0, v;
	struct kb *kb = NULL;
	char why[256];
	int rc;

	if (count_arg) {
		if (strnum_u64(count_arg, 1, QUIZ_MAX_COUNT, &v) < 0)
			return cmd_usage("quiz", "--count: '%s' is not a number from 1 to %d",
			                 count_arg, QUIZ_MAX_COUNT);
		count = (unsigned)v;
	}
	if (seed_arg && strnum_u64(seed_arg, 0, UINT64_MAX, &seed) < 0)
		return cmd_usage("quiz", "--seed: '%s' is not a number from 0 to %llu", seed_arg,
		                 (unsigned long long)UINT64_MAX);
	if (!seed_arg)
		seed = seed_random();
	seed %= 1000000000; /* short enough to type back */
	if (kb_load(NULL, &kb, why, sizeof(why)) < 0)
		kb = NULL; /* no services files: questions that need none */
	rc = a->json ? quiz_json(kb, seed, count)
	             : quiz_ask(kb, seed, count, cmd_use_color(stdout, a->no_color));
	kb_free(kb);
	return rc;
}

const struct cmd_spec cmd_quiz = {
    .name = "quiz",
    .usage = "[OPTIONS]",
    .summary = "questions on ports and protocols, from the knowledge base",
    .about = "Multiple-choice questions on ports and protocols, generated from the knowledge\n"
             "base: port to service, service to port, IANA ranges, TCP or UDP, what open,\n"
             "closed and filtered mean, why a risky port is risky, what a 4-tuple identifies.\n"
             "Answer with a letter (or number) and Enter; q stops. Answers may be piped in.\n",
    .options = quiz_options,
    .max_words = 0,
    .run = quiz_run,
};
