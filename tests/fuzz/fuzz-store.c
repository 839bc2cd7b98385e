/*
 * libFuzzer harness: the history reader on arbitrary files. Each input is
 * written as a history file and read as history, show and diff do; a
 * corrupt or foreign file must be refused or read without crashing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "store/diff.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/ps-fuzz-store-XXXXXX";
static char path[64], wal[72], shm[72];

static int count_run(void *ctx, const struct store_run *r)
{
	int64_t *ids = ctx;

	if (r->id > 0 && !ids[0])
		ids[0] = r->id;
	else if (r->id > 0 && !ids[1])
		ids[1] = r->id;
	return 0;
}

static int each_host(void *ctx, const struct scan_host *h)
{
	size_t *n = ctx;

	if (h->nports && (!h->ports || !h->res))
		abort();
	(*n)++;
	return 0;
}

static int each_change(void *ctx, const struct store_change *c)
{
	(void)ctx;
	if (!store_change_kind_name(c->kind))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = NULL;
	int64_t ids[2] = {0, 0};
	size_t hosts = 0;
	char why[512];
	int fd, r;

	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/h.db", dir);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		snprintf(shm, sizeof(shm), "%s-shm", path);
	}
	unlink(wal);
	unlink(shm);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	r = store_open(path, STORE_READONLY, &st, why, sizeof(why));
	if (r < 0) {
		if (st || !why[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	store_runs(st, &(struct store_query){.limit = 8}, count_run, ids);
	store_runs(st, &(struct store_query){.target = "198.18.0.2"}, count_run, ids);
	for (int i = 0; i < 2; i++)
		if (ids[i])
			store_hosts(st, ids[i], each_host, &hosts);
	if (ids[0] && ids[1])
		store_diff(st, ids[1], ids[0], each_change, NULL);
	/* The report reads every table: any row must be shown (escaped) or refused. */
	if (ids[0]) {
		static FILE *null;
		struct report_request rq = {.runs = ids, .nruns = ids[1] ? 2 : 1, .history = 8};

		if (!null)
			null = fopen("/dev/null", "w");
		if (report_html(st, &rq, null, why, sizeof(why)) < 0 && !why[0])
			abort(); /* a failure always says why */
		rq = (struct report_request){0};
		report_html(st, &rq, null, why, sizeof(why));
	}
	store_close(st);
	return 0;
}
