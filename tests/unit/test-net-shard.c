/* Shards (src/lib/net/shard.c): I/N parsing, the job runners' variables, the split. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/shard.h"
#include "util/array.h"

static void test_shard_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint32_t index, count;
		const char *why; /* part of the reason */
	} rows[] = {
	    {"1/1", 0, 1, 1, NULL},
	    {"2/4", 0, 2, 4, NULL},
	    {"4/4", 0, 4, 4, NULL},
	    {"65536/65536", 0, 65536, 65536, NULL},
	    {"0/4", -EINVAL, 0, 0, "'0/4' is not I/N"},
	    {"5/4", -ERANGE, 0, 0, "shard 5 of 4 does not exist"},
	    {"1/0", -EINVAL, 0, 0, "is not I/N"},
	    {"1/65537", -EINVAL, 0, 0, "is not I/N"},
	    {"a/4", -EINVAL, 0, 0, "'a/4'"},
	    {"1/", -EINVAL, 0, 0, "'1/'"},
	    {"/4", -EINVAL, 0, 0, "'/4'"},
	    {"1/4x", -EINVAL, 0, 0, "'1/4x'"},
	    {"1//4", -EINVAL, 0, 0, "'1//4'"},
	    {"-1/4", -EINVAL, 0, 0, "'-1/4'"},
	    {" 1/4", -EINVAL, 0, 0, "' 1/4'"},
	    {"2", -EINVAL, 0, 0, "such as 2/4"},
	    {"", -EINVAL, 0, 0, "is not I/N"},
	    {"99999999999999999999/4", -EINVAL, 0, 0, "is not I/N"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct shard sh;
		char why[256] = "";
		int rc = shard_parse(rows[i].in, &sh, why, sizeof(why));

		assert_int_equal(rc, rows[i].rc);
		assert_int_equal(sh.index, rows[i].index);
		assert_int_equal(sh.count, rows[i].count);
		if (rows[i].why)
			assert_non_null(strstr(why, rows[i].why));
		if (rc < 0)
			assert_non_null(strstr(why, "--shard"));
	}
}

/* The environment of one table row: "NAME=value" strings, NULL-terminated. */
static const char *const *env_now;

static const char *env_get(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = env_now; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void test_shard_from_env(void **state)
{
	static const char *const k8s[] = {"JOB_COMPLETION_INDEX=2", "PORTSCOPE_SHARDS=4", NULL};
	static const char *const k8s_nocount[] = {"JOB_COMPLETION_INDEX=0", NULL};
	static const char *const k8s_high[] = {"JOB_COMPLETION_INDEX=4", "PORTSCOPE_SHARDS=4",
	                                       NULL};
	static const char *const k8s_bad[] = {"JOB_COMPLETION_INDEX=x", "PORTSCOPE_SHARDS=4", NULL};
	static const char *const k8s_badcount[] = {"JOB_COMPLETION_INDEX=0", "PORTSCOPE_SHARDS=0",
	                                           NULL};
	static const char *const slurm[] = {"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=4",
	                                    NULL};
	static const char *const slurm_min[] = {
	    "SLURM_ARRAY_TASK_ID=12", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=10", NULL};
	static const char *const slurm_step[] = {
	    "SLURM_ARRAY_TASK_ID=8", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=0",
	    "SLURM_ARRAY_TASK_STEP=4", NULL};
	static const char *const slurm_off[] = {"SLURM_ARRAY_TASK_ID=6", "SLURM_ARRAY_TASK_COUNT=4",
	                                        "SLURM_ARRAY_TASK_STEP=4", NULL};
	static const char *const slurm_nocount[] = {"SLURM_ARRAY_TASK_ID=1", NULL};
	static const char *const none[] = {"HOME=/root", NULL};
	static const struct {
		const char *const *env;
		const char *count; /* --shard-count */
		int rc;
		uint32_t index, count_out;
		const char *why;
	} rows[] = {
	    {k8s, NULL, 1, 3, 4, NULL},
	    {k8s, "8", 1, 3, 8, NULL}, /* --shard-count over PORTSCOPE_SHARDS */
	    {k8s_nocount, NULL, -EINVAL, 0, 0, "--shard-count N or PORTSCOPE_SHARDS"},
	    {k8s_nocount, "1", 1, 1, 1, NULL},
	    {k8s_high, NULL, -ERANGE, 0, 0, "JOB_COMPLETION_INDEX=4 is not below the 4"},
	    {k8s_bad, NULL, -EINVAL, 0, 0, "JOB_COMPLETION_INDEX='x'"},
	    {k8s_badcount, NULL, -EINVAL, 0, 0, "PORTSCOPE_SHARDS='0'"},
	    {k8s, "x", -EINVAL, 0, 0, "--shard-count='x'"},
	    {slurm, NULL, 1, 4, 4, NULL},
	    {slurm_min, NULL, 1, 3, 4, NULL},
	    {slurm_step, NULL, 1, 3, 4, NULL},
	    {slurm_off, NULL, -ERANGE, 0, 0, "SLURM_ARRAY_TASK_ID=6 is not one of"},
	    {slurm_nocount, NULL, -EINVAL, 0, 0, "without SLURM_ARRAY_TASK_COUNT"},
	    {none, NULL, 0, 0, 0, NULL},
	    {none, "4", -EINVAL, 0, 0, "--shard-count needs JOB_COMPLETION_INDEX"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct shard sh;
		char why[256] = "";
		int rc;

		env_now = rows[i].env;
		rc = shard_from_env(env_get, rows[i].count, &sh, why, sizeof(why));
		assert_int_equal(rc, rows[i].rc);
		assert_int_equal(sh.index, rows[i].index);
		assert_int_equal(sh.count, rows[i].count_out);
		if (rows[i].why)
			assert_non_null(strstr(why, rows[i].why));
	}
}

static struct target_addr addr_of(unsigned i)
{
	struct target_addr a = {.family = AF_INET};

	a.v4.s_addr = htonl(0xc6120000u | i); /* 198.18.x.y */
	return a;
}

/* Every (host, port) belongs to exactly one shard; each shard has its share of every host. */
static void check_split(uint32_t n, size_t nports, unsigned nhosts, uint64_t seed)
{
	uint8_t *owner = calloc(nports, 1);
	size_t *per_shard = calloc(n, sizeof(*per_shard));

	assert_non_null(owner);
	assert_non_null(per_shard);
	for (unsigned h = 0; h < nhosts; h++) {
		struct target_addr a = addr_of(h);

		memset(owner, 0, nports);
		for (uint32_t k = 1; k <= n; k++) {
			struct shard sh = {.index = k, .count = n};
			struct shard_host sp;
			uint8_t *res = calloc(nports ? nports : 1, 1);
			size_t mine = 0;

			assert_non_null(res);
			shard_host_init(&sp, &sh, seed, &a, nports);
			for (size_t i = 0; i < nports; i++)
				if (shard_host_owns(&sp, i)) {
					assert_int_equal(owner[i], 0); /* never two shards */
					owner[i] = (uint8_t)k;
					mine++;
				}
			/* Exactly 1/N of the host's ports, give or take one. */
			assert_true(mine * n + n > nports && mine * n < nports + n);
			assert_int_equal(shard_mark(&sh, seed, &a, nports, res, 0x0f),
			                 nports - mine);
			for (size_t i = 0; i < nports; i++)
				assert_int_equal(res[i] == 0x0f, owner[i] != k);
			per_shard[k - 1] += mine;
			free(res);
		}
		for (size_t i = 0; i < nports; i++)
			assert_int_not_equal(owner[i], 0); /* every port of every host */
	}
	for (uint32_t k = 0; k < n && nhosts * nports >= 8 * n; k++)
		assert_true(per_shard[k] > 0);
	free(owner);
	free(per_shard);
}

static void test_shard_split(void **state)
{
	static const uint32_t counts[] = {1, 2, 3, 4, 7, 16};
	static const size_t ports[] = {1, 2, 5, 100, 1000};

	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(counts); c++)
		for (size_t p = 0; p < ARRAY_SIZE(ports); p++)
			check_split(counts[c], ports[p], 64, 7 + c);
}

/* Another seed splits otherwise; the same seed the same way (shards agree). */
static void test_shard_seeded(void **state)
{
	struct shard sh = {.index = 1, .count = 4};
	struct target_addr a = addr_of(3);
	struct shard_host x, y, z;
	size_t same = 0, differ = 0;

	(void)state;
	shard_host_init(&x, &sh, 1, &a, 1000);
	shard_host_init(&y, &sh, 1, &a, 1000);
	shard_host_init(&z, &sh, 2, &a, 1000);
	for (size_t i = 0; i < 1000; i++) {
		same += shard_host_owns(&x, i) == shard_host_owns(&y, i);
		differ += shard_host_owns(&x, i) != shard_host_owns(&z, i);
	}
	assert_int_equal(same, 1000);
	assert_true(differ > 100);
	/* Not sharded: everything is ours, nothing marked. */
	sh = (struct shard){0};
	shard_host_init(&x, &sh, 1, &a, 10);
	assert_true(shard_host_owns(&x, 9));
	assert_int_equal(shard_mark(&sh, 1, &a, 10, (uint8_t[10]){0}, 0x0f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shard_parse),
	    cmocka_unit_test(test_shard_from_env),
	    cmocka_unit_test(test_shard_split),
	    cmocka_unit_test(test_shard_seeded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
