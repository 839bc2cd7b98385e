/* libFuzzer harness: quiz answers as typed, and questions from any seed and index. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quiz/quiz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quiz_question q;
	uint64_t seed = 0;
	unsigned n, index;
	int r;

	if (size < 1)
		return 0;
	n = data[0] % 6; /* 0..5 options: out-of-range counts too */
	r = quiz_parse_answer((const char *)data + 1, size - 1, n);
	if (r != -EINVAL && r != -ECANCELED && (r < 0 || (unsigned)r >= n))
		abort();
	memcpy(&seed, data, size < sizeof(seed) ? size : sizeof(seed));
	index = size > 8 ? data[8] : 0;
	if (quiz_generate(NULL, seed, index, &q) != 0)
		abort(); /* the built-in kinds always work */
	if (q.noptions < 3 || q.noptions > QUIZ_MAX_OPTIONS || q.answer >= q.noptions ||
	    !memchr(q.text, '\0', sizeof(q.text)))
		abort();
	for (unsigned i = 0; i < q.noptions; i++)
		for (unsigned j = 0; j < i; j++)
			if (strcmp(q.options[i], q.options[j]) == 0)
				abort();
	return 0;
}
