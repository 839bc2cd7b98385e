/*
 * Shards: one scan split between N scanners, each probing its own part of the
 * target x port space, none twice, all of it between them (masscan's
 * --shards, with its 1-based I/N form).
 *
 * A (host, port) belongs to one shard, decided by the host's address and the
 * port's index in the scan's sorted port list, keyed by the scan's seed: each
 * host's port indexes are put in a random order of their own (a perm.h
 * permutation keyed by seed and address) and dealt round-robin from a
 * per-host starting shard. So every shard gets about 1/N of each host's
 * ports (exactly, give or take one), no shard hammers one host, and the
 * split needs no list of targets: a shard can be checked from a stored run.
 *
 *   struct shard sh;  shard_parse("2/4", &sh, why, sizeof(why));   {index 2, count 4}
 *   struct shard_host sp;  shard_host_init(&sp, &sh, seed, &addr, nports);
 *   for (i = 0; i < nports; i++) if (shard_host_owns(&sp, i)) probe(addr, ports[i]);
 *
 * With 4 shards, the same seed and ports 1-1000 of 198.18.0.2, the four
 * shards own 250 ports each, 1000 in all, none twice.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/perm.h"
#include "net/targetspec.h"

#define SHARD_MAX 65536 /* shards in one scan at most */

struct shard {
	uint32_t index; /* 1-based */
	uint32_t count; /* 0: not sharded */
};

/*
 * Parses "I/N" (1 <= I <= N <= SHARD_MAX) into sh. Returns 0, or -EINVAL /
 * -ERANGE with a one-line reason in why naming the bad part.
 */
int shard_parse(const char *s, struct shard *sh, char *why, size_t whylen);

/*
 * The shard a job runner gives through the environment (get is getenv, or
 * a test's own look-up):
 *   Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) with count
 *     (--shard-count N) or PORTSCOPE_SHARDS;
 *   Slurm job array: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, from
 *     SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP (both optional).
 * count (may be NULL) is --shard-count's argument. Returns 1 with sh set, 0
 * when the environment names no shard (sh->count 0), or -EINVAL / -ERANGE
 * with a reason naming the variable.
 */
int shard_from_env(const char *(*get)(const char *name), const char *count, struct shard *sh,
                   char *why, size_t whylen);

/* One host's split of the port indexes [0, nports). */
struct shard_host {
	struct perm perm;
	uint32_t count, mine, start; /* N, this shard (0-based), the host's first shard */
};

void shard_host_init(struct shard_host *sp, const struct shard *sh, uint64_t seed,
                     const struct target_addr *a, size_t nports);

/* Whether port index i of the host belongs to the shard. */
static inline bool shard_host_owns(const struct shard_host *sp, uint64_t i)
{
	return sp->count < 2 || (perm_at(&sp->perm, i) + sp->start) % sp->count == sp->mine;
}

/*
 * Sets res[i] = mark for each port index i of host a that is not the shard's.
 * Returns how many were marked (0 when not sharded).
 */
size_t shard_mark(const struct shard *sh, uint64_t seed, const struct target_addr *a, size_t nports,
                  uint8_t *res, uint8_t mark);
