/* Shards of a scan: parsing, the environment, who owns a (host, port) (see shard.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/shard.h"
#include "util/strnum.h"
#include "util/why.h"

int shard_parse(const char *s, struct shard *sh, char *why, size_t whylen)
{
	const char *slash = strchr(s, '/');
	uint64_t i, n;

	*sh = (struct shard){0};
	if (!slash || strnum_u64n(s, (size_t)(slash - s), 1, SHARD_MAX, &i) < 0 ||
	    strnum_u64(slash + 1, 1, SHARD_MAX, &n) < 0)
		return why_err(why, whylen, -EINVAL,
		               "--shard: '%s' is not I/N with 1 <= I <= N <= %d, such as 2/4", s,
		               SHARD_MAX);
	if (i > n)
		return why_err(why, whylen, -ERANGE,
		               "--shard: '%s': shard %llu of %llu does not exist (1 <= I <= N)", s,
		               (unsigned long long)i, (unsigned long long)n);
	*sh = (struct shard){.index = (uint32_t)i, .count = (uint32_t)n};
	return 0;
}

/* A variable's number in [min, max], else a reason naming it. */
static int shard_env_number(const char *name, const char *v, uint64_t min, uint64_t max,
                            uint64_t *out, char *why, size_t whylen)
{
	if (strnum_u64(v, min, max, out) < 0)
		return why_err(why, whylen, -EINVAL, "%s='%s' is not a number from %llu to %llu",
		               name, v, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* Kubernetes: JOB_COMPLETION_INDEX of count shards. */
static int shard_from_k8s(const char *(*get)(const char *), const char *count, const char *idx,
                          struct shard *sh, char *why, size_t whylen)
{
	const char *cname = count ? "--shard-count" : "PORTSCOPE_SHARDS";
	const char *c = count ? count : get("PORTSCOPE_SHARDS");
	uint64_t i, n;
	int r;

	if (!c || !*c)
		return why_err(why, whylen, -EINVAL,
		               "JOB_COMPLETION_INDEX=%s is set: give the number of shards "
		               "(--shard-count N or PORTSCOPE_SHARDS=N, the Job's completions)",
		               idx);
	r = shard_env_number(cname, c, 1, SHARD_MAX, &n, why, whylen);
	if (!r)
		r = shard_env_number("JOB_COMPLETION_INDEX", idx, 0, SHARD_MAX - 1, &i, why,
		                     whylen);
	if (!r && i >= n)
		r = why_err(why, whylen, -ERANGE,
		            "JOB_COMPLETION_INDEX=%llu is not below the %llu shards of %s",
		            (unsigned long long)i, (unsigned long long)n, cname);
	if (!r)
		*sh = (struct shard){.index = (uint32_t)i + 1, .count = (uint32_t)n};
	return r ? r : 1;
}

/* Slurm: (SLURM_ARRAY_TASK_ID - MIN) / STEP of SLURM_ARRAY_TASK_COUNT. */
static int shard_from_slurm(const char *(*get)(const char *), const char *id, struct shard *sh,
                            char *why, size_t whylen)
{
	const char *c = get("SLURM_ARRAY_TASK_COUNT"), *mn = get("SLURM_ARRAY_TASK_MIN");
	const char *st = get("SLURM_ARRAY_TASK_STEP");
	uint64_t i, n, lo = 0, step = 1;
	int r;

	if (!c || !*c)
		return why_err(why, whylen, -EINVAL,
		               "SLURM_ARRAY_TASK_ID=%s is set without SLURM_ARRAY_TASK_COUNT", id);
	r = shard_env_number("SLURM_ARRAY_TASK_COUNT", c, 1, SHARD_MAX, &n, why, whylen);
	if (!r)
		r = shard_env_number("SLURM_ARRAY_TASK_ID", id, 0, UINT32_MAX, &i, why, whylen);
	if (!r && mn && *mn)
		r = shard_env_number("SLURM_ARRAY_TASK_MIN", mn, 0, UINT32_MAX, &lo, why, whylen);
	if (!r && st && *st)
		r = shard_env_number("SLURM_ARRAY_TASK_STEP", st, 1, UINT32_MAX, &step, why,
		                     whylen);
	if (!r && (i < lo || (i - lo) % step != 0 || (i - lo) / step >= n))
		r = why_err(
		    why, whylen, -ERANGE,
		    "SLURM_ARRAY_TASK_ID=%llu is not one of the %llu tasks from %llu in steps "
		    "of %llu",
		    (unsigned long long)i, (unsigned long long)n, (unsigned long long)lo,
		    (unsigned long long)step);
	if (!r)
		*sh =
		    (struct shard){.index = (uint32_t)((i - lo) / step) + 1, .count = (uint32_t)n};
	return r ? r : 1;
}

int shard_from_env(const char *(*get)(const char *name), const char *count, struct shard *sh,
                   char *why, size_t whylen)
{
	const char *k8s = get("JOB_COMPLETION_INDEX"), *slurm = get("SLURM_ARRAY_TASK_ID");

	*sh = (struct shard){0};
	if (k8s && *k8s)
		return shard_from_k8s(get, count, k8s, sh, why, whylen);
	if (slurm && *slurm)
		return shard_from_slurm(get, slurm, sh, why, whylen);
	if (count)
		return why_err(
		    why, whylen, -EINVAL,
		    "--shard-count needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); "
		    "elsewhere use --shard I/N");
	return 0;
}

/* FNV-1a over the address bytes, then mixed with the seed. */
static uint64_t shard_addr_key(uint64_t seed, const struct target_addr *a)
{
	const uint8_t *p = target_addr_bytes(a);
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < target_addr_size(a->family); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= seed + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

void shard_host_init(struct shard_host *sp, const struct shard *sh, uint64_t seed,
                     const struct target_addr *a, size_t nports)
{
	uint64_t key = shard_addr_key(seed, a);

	*sp = (struct shard_host){.count = sh->count};
	if (sh->count < 2)
		return;
	perm_init(&sp->perm, nports, key);
	sp->mine = sh->index - 1;
	sp->start = (uint32_t)((key >> 32) % sh->count);
}

size_t shard_mark(const struct shard *sh, uint64_t seed, const struct target_addr *a, size_t nports,
                  uint8_t *res, uint8_t mark)
{
	struct shard_host sp;
	size_t n = 0;

	if (sh->count < 2)
		return 0;
	shard_host_init(&sp, sh, seed, a, nports);
	for (size_t i = 0; i < nports; i++)
		if (!shard_host_owns(&sp, i)) {
			res[i] = mark;
			n++;
		}
	return n;
}
